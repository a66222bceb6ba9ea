"""DAEMON Service → DaemonSet."""

from __future__ import annotations

# ECS's defaults for DAEMON services: tasks are stopped before their replacements start.
ECS_DAEMON_MINIMUM_HEALTHY_PERCENT = 0


def daemon_rolling_update(minimum_healthy_percent: int) -> dict[str, str | int]:
    """minimumHealthyPercent → maxUnavailable as a share of the nodes, maxSurge 0.

    ECS never runs two daemon tasks on one instance (its maximumPercent is fixed at 100, and host
    ports would collide), so there is no surge. With 100% healthy required ECS could not replace
    anything; Kubernetes refuses 0/0, so one node at a time is replaced.
    """
    unavailable = max(0, 100 - minimum_healthy_percent)
    return {"maxUnavailable": f"{unavailable}%" if unavailable else 1, "maxSurge": 0}


def build_daemonset(
    *, metadata: dict, selector: dict[str, str], template: dict, service: dict
) -> dict:
    """The DaemonSet running `template` on every eligible node."""
    config = service.get("deploymentConfiguration") or {}
    minimum = config.get("minimumHealthyPercent", ECS_DAEMON_MINIMUM_HEALTHY_PERCENT)
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": metadata,
        "spec": {
            "selector": {"matchLabels": selector},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": daemon_rolling_update(minimum)},
            "template": template,
        },
    }
