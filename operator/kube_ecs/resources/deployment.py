"""REPLICA Service → Deployment, with ECS's deployment percentages as a RollingUpdate."""

from __future__ import annotations

ECS_DEFAULT_MINIMUM_HEALTHY_PERCENT = 100
ECS_DEFAULT_MAXIMUM_PERCENT = 200


def rolling_update(desired: int, minimum_healthy_percent: int, maximum_percent: int) -> dict[str, int]:
    """ECS percentages → maxUnavailable / maxSurge as task counts, the way ECS counts them.

    maxUnavailable = desired − ceil(desired·min/100), maxSurge = floor(desired·max/100) − desired,
    neither below 0. Kubernetes refuses both at 0 (e.g. 1 task with 100/100, or 0 tasks); ECS would
    then never make progress. We allow one extra task (maxSurge 1): the minimum healthy count, the
    availability promise, stays kept, and the maximum is exceeded by one task for the rollout only.
    Computed for the desired count of each reconcile, so it follows desiredCount changes.
    """
    unavailable = max(0, desired - -(-desired * minimum_healthy_percent // 100))
    surge = max(0, desired * maximum_percent // 100 - desired)
    if unavailable == surge == 0:
        surge = 1
    return {"maxUnavailable": unavailable, "maxSurge": surge}


def build_deployment(
    *, metadata: dict, selector: dict[str, str], template: dict, service: dict
) -> dict:
    """The Deployment running `template` with desiredCount replicas (ECS default 1)."""
    desired = service.get("desiredCount", 1)
    config = service.get("deploymentConfiguration") or {}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": selector},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": rolling_update(
                    desired,
                    config.get("minimumHealthyPercent", ECS_DEFAULT_MINIMUM_HEALTHY_PERCENT),
                    config.get("maximumPercent", ECS_DEFAULT_MAXIMUM_PERCENT),
                ),
            },
            "template": template,
        },
    }
