"""reconcile/service_capacity.py: status per capacity provider."""

from __future__ import annotations

from kube_ecs.ecs.capacity import Effective
from kube_ecs.reconcile.service_capacity import placement_status
from kube_ecs.resources.capacity import targets

SPLIT = Effective(strategy=[{"capacityProvider": "compute", "base": 1, "weight": 1},
                            {"capacityProvider": "FARGATE", "base": 0, "weight": 1}])


def test_by_launch_type():
    placement = Effective(launch_type="EC2")
    assert placement_status(placement, targets("web", 2, placement, {}), {}) == {"launchType": "EC2"}


def test_counts_per_provider_from_each_deployment():
    made = targets("web", 5, SPLIT, {"compute": {}})
    live = {"web-compute": {"status": {"replicas": 3, "readyReplicas": 2}}}
    assert placement_status(SPLIT, made, live) == {
        "capacityProviderStrategy": SPLIT.strategy,
        "capacityProviders": [
            {"capacityProvider": "compute", "desiredCount": 3, "runningCount": 2, "pendingCount": 1},
            {"capacityProvider": "FARGATE", "desiredCount": 2, "runningCount": 0, "pendingCount": 0}]}
