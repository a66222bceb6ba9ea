"""A Service's capacity (docs/capacity.md): the strategy it runs by in its Cluster, what ECS refuses
about it, and its tasks per capacity provider for status. Pure."""

from __future__ import annotations

from kube_ecs.ecs import capacity
from kube_ecs.ecs.capacity import Effective
from kube_ecs.ecs.problems import Problem, join
from kube_ecs.ecs.validate import check_cluster, validate_placement
from kube_ecs.resources.capacity import Target, targets


def placement(service: dict, cluster: dict | None, providers: dict[str, dict], service_name: str,
              ) -> tuple[Effective, list[Target], list[str]]:
    """(where normalized Service `service` runs, its workloads, the problems ECS would refuse it for) in
    the Cluster whose spec is `cluster` (None: not known yet, as a Cluster without capacity), with the
    CapacityProviders `providers` (name → normalized spec). With problems the workloads are []."""
    cluster_spec, problems, _ = check_cluster(cluster or {})
    if cluster_spec is None:
        return capacity.effective(service, {}), [], [f"the Cluster's {p}" for p in problems]
    effective = capacity.effective(service, cluster_spec)
    problems = capacity.validate_association(effective, cluster_spec) + [
        Problem(join(join(effective.path, i), "capacityProvider"), capacity.missing(name))
        for i, name in enumerate(effective.providers) if name not in capacity.FARGATE_PROVIDERS
        and name not in providers]
    if problems:
        return effective, [], [str(p) for p in problems]
    return effective, targets(service_name, service.get("desiredCount", 1), effective, providers), []


def task_problems(effective: Effective, taskdef: dict) -> list[str]:
    """What ECS refuses about running `taskdef` (normalized) there: Fargate needs Fargate-compatible ones."""
    return [str(p) for p in validate_placement(effective, taskdef)]


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
