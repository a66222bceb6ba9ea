"""Capacity providers as ECS has them, no Kubernetes: which strategy a Service runs by, and what ECS
refuses about strategies and providers (docs/capacity.md).

A Service runs either by launch type or by a capacity provider strategy. Its own strategy wins, then
its launchType; with neither, the Cluster's defaultCapacityProviderStrategy, and with no default
either, launch type EC2 (ECS's default). A DAEMON Service never takes the Cluster's default
strategy: it runs on the EC2 instances (docs/capacity.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kube_ecs.ecs.problems import Problem, join

FARGATE, FARGATE_SPOT = "FARGATE", "FARGATE_SPOT"
# Built in: every account has them, a Cluster only lists them.
FARGATE_PROVIDERS = (FARGATE, FARGATE_SPOT)
EC2 = "EC2"  # ECS's launch type when a Service names neither a launch type nor a strategy
MAX_STRATEGY_ITEMS = 20
# Where a Service's problem with its Cluster's default strategy points.
CLUSTER_DEFAULT = "the Cluster's defaultCapacityProviderStrategy"

NOT_ASSOCIATED = ("The specified capacity provider strategy cannot contain a capacity provider that is not "
                  "associated with the cluster. Associate the capacity provider with the cluster or specify a "
                  "valid capacity provider and try again.")
DAEMON_STRATEGY = ("Specifying a capacity provider strategy is not supported when you create a service using the "
                   "DAEMON scheduling strategy.")


@dataclass(frozen=True)
class Effective:
    """How a Service's tasks are placed: by `launch_type`, or else by `strategy` (items with base and
    weight filled in) and `default` says whether that strategy is the Cluster's."""

    launch_type: str | None = None
    strategy: list[dict] = field(default_factory=list)
    default: bool = False

    @property
    def providers(self) -> list[str]:
        return [item["capacityProvider"] for item in self.strategy]

    @property
    def path(self) -> str:
        """The field a problem with this strategy points at."""
        return CLUSTER_DEFAULT if self.default else "capacityProviderStrategy"

    @property
    def fargate(self) -> bool:
        """Whether any task may land on Fargate, so the task definition must be Fargate-compatible."""
        return self.launch_type == FARGATE or any(p in FARGATE_PROVIDERS for p in self.providers)


def filled(strategy: list[dict]) -> list[dict]:
    """Strategy items with ECS's defaults (base 0, weight 0) written out."""
    return [{"capacityProvider": item["capacityProvider"], "base": item.get("base", 0),
             "weight": item.get("weight", 0)} for item in strategy]


def effective(service: dict, cluster: dict) -> Effective:
    """The placement of normalized Service `service` in the Cluster whose normalized spec is `cluster`."""
    if service.get("capacityProviderStrategy"):
        return Effective(strategy=filled(service["capacityProviderStrategy"]))
    if service.get("launchType"):
        return Effective(launch_type=service["launchType"])
    default = cluster.get("defaultCapacityProviderStrategy")
    if default and service.get("schedulingStrategy") != "DAEMON":
        return Effective(strategy=filled(default), default=True)
    return Effective(launch_type=EC2)


def validate_strategy(strategy: list[dict], path: str, *, default: bool = False) -> list[Problem]:
    """What ECS refuses in a strategy itself: too many or repeated providers, more than one base, and
    (with several providers) no weight above 0."""
    problems = []
    if len(strategy) > MAX_STRATEGY_ITEMS:
        problems.append(Problem(path, f"A capacity provider strategy can contain a maximum of "
                                      f"{MAX_STRATEGY_ITEMS} capacity providers."))
    seen = set()
    for i, item in enumerate(strategy):
        name = item.get("capacityProvider")
        if name in seen:
            problems.append(Problem(join(join(path, i), "capacityProvider"),
                                    f"Capacity provider {name} appears more than once in the capacity provider "
                                    f"strategy: each capacity provider can be specified only once."))
        seen.add(name)
    based = [i for i, item in enumerate(strategy) if item.get("base", 0) > 0]
    for i in based[1:]:
        problems.append(Problem(join(join(path, i), "base"), "Only one capacity provider in a capacity provider "
                                                             "strategy can have a base defined."))
    if len(strategy) > 1 and not any(item.get("weight", 0) > 0 for item in strategy):
        where, fix = (("the default capacity provider strategy", "Update the cluster's default capacity provider "
                                                                 "strategy") if default else
                      ("the capacity provider strategy", "Specify a valid capacity provider strategy"))
        problems.append(Problem(path, f"There are no capacity providers with a weight value greater than zero "
                                      f"defined in {where}. At least one capacity provider must have a weight "
                                      f"value greater than zero specified. {fix} and try again."))
    return problems


def validate_cluster(spec: dict) -> list[Problem]:
    """PutClusterCapacityProviders' checks: a valid default strategy over the providers the Cluster lists."""
    default = spec.get("defaultCapacityProviderStrategy", [])
    problems = validate_strategy(default, "defaultCapacityProviderStrategy", default=True)
    listed = set(spec.get("capacityProviders", []))
    for i, item in enumerate(default):
        if item.get("capacityProvider") not in listed:
            problems.append(Problem(join(join("defaultCapacityProviderStrategy", i), "capacityProvider"),
                                    NOT_ASSOCIATED))
    return problems


def validate_association(placement: Effective, cluster: dict) -> list[Problem]:
    """A Service's own strategy may name only providers its Cluster lists (the launch type needs none)."""
    if placement.default:
        return []  # the Cluster's own validation covers its default
    listed = set(cluster.get("capacityProviders", []))
    return [Problem(join(join("capacityProviderStrategy", i), "capacityProvider"), NOT_ASSOCIATED)
            for i, name in enumerate(placement.providers) if name not in listed]


def missing(name: str) -> str:
    """What ECS says of a capacity provider that does not exist (built-in ones always do)."""
    return f"The specified capacity provider {name} does not exist: create a CapacityProvider named {name}, or " \
           f"use FARGATE or FARGATE_SPOT."


def validate_providers_exist(spec: dict, providers: dict[str, dict]) -> list[Problem]:
    """A Cluster's capacityProviders must be built in or CapacityProviders (`providers`: name → spec)."""
    return [Problem(join("capacityProviders", i), missing(name))
            for i, name in enumerate(spec.get("capacityProviders", []))
            if name not in FARGATE_PROVIDERS and name not in providers]
