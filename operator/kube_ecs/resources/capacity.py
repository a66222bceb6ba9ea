"""Capacity providers as node pools: how many of a Service's tasks each provider runs, and on which
nodes (docs/capacity.md). Pure.

EC2 capacity is every node but the control plane's and the Fargate pool's: the container instances,
with no labelling needed on any cluster. The Fargate pool is labelled `ecs.kube-ecs.dev/node-pool:
fargate` and tainted `ecs.kube-ecs.dev/fargate=true:NoSchedule`, so that nothing but Fargate tasks
lands there; the control plane's own taint keeps tasks off it. (Our kind cluster also labels its EC2
nodes `ecs.kube-ecs.dev/node-pool: ec2`, for people and for CapacityProviders' nodeSelectors.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from kube_ecs import GROUP
from kube_ecs.ecs.capacity import FARGATE, FARGATE_PROVIDERS, Effective
from kube_ecs.resources import names

NODE_POOL_LABEL = f"{GROUP}/node-pool"
FARGATE_TAINT = f"{GROUP}/fargate"
# On the pods of a Service run by a strategy, and in the selector of each of its Deployments when
# there are several (their pods must not overlap).
CAPACITY_PROVIDER_LABEL = f"{GROUP}/capacity-provider"
FARGATE_POOL = {NODE_POOL_LABEL: "fargate"}
CONTROL_PLANE_LABELS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
_FARGATE_TOLERATION = {"key": FARGATE_TAINT, "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def split(desired: int, strategy: list[dict]) -> list[tuple[str, int]]:
    """(provider, task count) for each item of `strategy`, in its order, as ECS places `desired` tasks.

    The provider with a base gets its base first (all of `desired` when that is smaller). ECS places
    the rest one task at a time by weight, so each next task goes where it leaves the provider's count
    per unit of weight lowest: the count for n+1 tasks is the count for n plus one task, as when ECS
    scales a service out. Ties go to the provider listed first. Providers with weight 0 get no task
    beyond their base; a lone provider runs every task whatever its weight. Several providers all
    with weight 0 are refused by validation (ecs/capacity.py), and here.
    """
    counts = {item["capacityProvider"]: 0 for item in strategy}
    remaining = desired
    for item in strategy:
        if item.get("base", 0) > 0:
            counts[item["capacityProvider"]] = min(item["base"], remaining)
            remaining -= counts[item["capacityProvider"]]
    weights = {item["capacityProvider"]: item.get("weight", 0) for item in strategy if item.get("weight", 0) > 0}
    if len(strategy) == 1:
        weights = {strategy[0]["capacityProvider"]: 1}
    if remaining and not weights:
        raise ValueError("a capacity provider strategy of several providers needs a weight above 0")
    placed = dict.fromkeys(weights, 0)  # tasks placed by weight, beyond the base
    for _ in range(remaining):
        # Exact fractions: floats could misorder near-equal ratios; min() keeps the first of equals.
        chosen = min(placed, key=lambda p: Fraction(placed[p] + 1, weights[p]))
        placed[chosen] += 1
    return [(provider, count + placed.get(provider, 0)) for provider, count in counts.items()]


def is_container_instance(labels: Mapping[str, str]) -> bool:
    """A node of EC2 capacity (an ECS container instance), by its labels."""
    return labels.get(NODE_POOL_LABEL) != FARGATE_POOL[NODE_POOL_LABEL] and \
        not any(key in labels for key in CONTROL_PLANE_LABELS)


def pool(provider: str | None, providers: dict[str, dict]) -> dict:
    """{nodeSelector?, tolerations?} of the nodes `provider` runs tasks on: FARGATE and FARGATE_SPOT on
    the Fargate pool (tolerating its taint), a CapacityProvider (`providers`: name → normalized spec)
    on the container instances its nodeSelector picks, None (the EC2 launch type) on any container
    instance (no selector: the taints keep the pods off the others)."""
    if provider in FARGATE_PROVIDERS:
        return {"nodeSelector": dict(FARGATE_POOL), "tolerations": [dict(_FARGATE_TOLERATION)]}
    selector = providers[provider].get("nodeSelector") if provider is not None else None
    return {"nodeSelector": dict(selector)} if selector else {}


def launch_type_pool(launch_type: str) -> dict:
    """The pool of a Service run by launch type: FARGATE's is the Fargate pool, every other one's (EC2,
    EXTERNAL, MANAGED_INSTANCES) the EC2 pool."""
    return pool(FARGATE if launch_type == FARGATE else None, {})


def workload_name(service_name: str, provider: str, *, several: bool) -> str:
    """A Service's Deployment for `provider`: the Service's own name when its strategy has one provider
    (so a Service keeps its Deployment), `<service>-<provider>` when it has several."""
    if not several:
        return service_name
    return names.dns_label(f"{service_name}-{provider}")


@dataclass(frozen=True)
class Target:
    """One workload of a Service: its name, the provider it runs for (None: by launch type), its task
    count and its node pool."""

    name: str
    provider: str | None
    replicas: int
    pool: dict


def targets(service_name: str, desired: int, placement: Effective, providers: dict[str, dict]) -> list[Target]:
    """The workloads running `desired` tasks of Service `service_name` as `placement` says: one for a
    launch type or a single provider, one per provider otherwise (`providers`: name → CapacityProvider
    spec, every non-Fargate provider of the strategy among them)."""
    if placement.launch_type:
        return [Target(service_name, None, desired, launch_type_pool(placement.launch_type))]
    several = len(placement.strategy) > 1
    return [Target(workload_name(service_name, provider, several=several), provider, count, pool(provider, providers))
            for provider, count in split(desired, placement.strategy)]


def place(template: dict, target: Target) -> dict:
    """Pod template `template` on `target`'s pool: its nodeSelector added to the template's own
    (runtimePlatform's arch and os), its tolerations, and a label naming the provider (status counts
    tasks per provider by it)."""
    spec = dict(template["spec"])
    if target.pool.get("nodeSelector"):
        spec["nodeSelector"] = {**spec.get("nodeSelector", {}), **target.pool["nodeSelector"]}
    if target.pool.get("tolerations"):
        spec["tolerations"] = [*template["spec"].get("tolerations", []), *target.pool["tolerations"]]
    metadata = template["metadata"]
    if target.provider is not None:
        labels = {**metadata.get("labels", {}), CAPACITY_PROVIDER_LABEL: names.label_value(target.provider)}
        metadata = {**metadata, "labels": dict(sorted(labels.items()))}
    return {**template, "metadata": metadata, "spec": spec}
