"""A Service's tasks per capacity provider, for its status (docs/capacity.md). Pure."""

from __future__ import annotations

from kube_ecs.ecs.capacity import Effective
from kube_ecs.resources.capacity import Target


def placement_status(placement: Effective, targets: list[Target], live: dict[str, dict]) -> dict:
    """describe-services' launchType or capacityProviderStrategy (the one the Service runs by, the
    Cluster's default included), and with a strategy each provider's desired, running and pending
    counts from its Deployment (`live`: workload name → Deployment as the API server has it)."""
    if placement.launch_type:
        return {"launchType": placement.launch_type}
    counts = []
    for target in targets:
        status = (live.get(target.name) or {}).get("status") or {}
        running = status.get("readyReplicas", 0)
        counts.append({"capacityProvider": target.provider, "desiredCount": target.replicas,
                       "runningCount": running, "pendingCount": max(0, status.get("replicas", 0) - running)})
    return {"capacityProviderStrategy": placement.strategy, "capacityProviders": counts}
