"""Where pods run: runtimePlatform, placementConstraints and placementStrategy → node selection.

memberOf expressions are parsed by ecs/expressions.py; here their terms become node-label match
expressions (ECS attributes → the well-known labels that carry the same fact).
"""

from __future__ import annotations

import itertools
import re

from kube_ecs.ecs import expressions
from kube_ecs.resources import names

ZONE_LABEL = "topology.kubernetes.io/zone"
HOSTNAME_LABEL = "kubernetes.io/hostname"
ARCH_LABEL = "kubernetes.io/arch"
OS_LABEL = "kubernetes.io/os"

# ECS built-in attributes → the well-known node labels that carry the same fact.
_NODE_LABELS = {
    "ecs.availability-zone": ZONE_LABEL,
    "ecs.instance-type": "node.kubernetes.io/instance-type",
    "ecs.os-type": OS_LABEL,
    "ecs.cpu-architecture": ARCH_LABEL,
}
# ECS architecture spellings (runtimePlatform, ecs.cpu-architecture) → kubernetes.io/arch values.
_ARCH = {"x86_64": "amd64", "arm64": "arm64"}

_OPERATORS = {
    expressions.IN: "In",
    expressions.NOT_IN: "NotIn",
    expressions.EXISTS: "Exists",
    expressions.NOT_EXISTS: "DoesNotExist",
}


def node_label(attribute: str) -> str:
    """ECS attribute name → node label key (built-ins to well-known labels, custom ones as themselves)."""
    return _NODE_LABELS.get(attribute) or names.qualified_name(attribute)


def _match_expression(term: expressions.Term) -> dict:
    key = node_label(term.attribute)
    operator = _OPERATORS[term.operator]
    if operator in ("Exists", "DoesNotExist"):
        return {"key": key, "operator": operator}
    values = [_ARCH.get(v.lower(), v) for v in term.values] if key == ARCH_LABEL else term.values
    return {"key": key, "operator": operator, "values": sorted(set(values))}


def member_of_terms(expression: str) -> list[list[dict]] | None:
    """A memberOf expression → alternatives (OR) of match-expression lists (AND); None if not mappable."""
    alternatives = expressions.parse(expression)
    if alternatives is None:
        return None
    return [[_match_expression(term) for term in terms] for terms in alternatives]


def node_selector(runtime_platform: dict | None) -> dict[str, str]:
    """runtimePlatform → nodeSelector on kubernetes.io/arch and kubernetes.io/os."""
    selector = {}
    platform = runtime_platform or {}
    if arch := platform.get("cpuArchitecture"):
        selector[ARCH_LABEL] = _ARCH.get(arch.lower(), arch.lower())
    if family := platform.get("operatingSystemFamily"):
        selector[OS_LABEL] = "linux" if family == "LINUX" else "windows"
    return selector


def affinity(constraints: list[dict], selector: dict[str, str]) -> dict:
    """placementConstraints (task definition's and Service's) → affinity.

    memberOf constraints are all required (AND), so their alternatives multiply out into
    nodeSelectorTerms (which Kubernetes ORs). distinctInstance → required pod anti-affinity on the
    node hostname against the Service's own pods.
    """
    result: dict = {}
    member_of = [c["expression"] for c in constraints if c.get("type") == "memberOf" and c.get("expression")]
    mapped = [terms for terms in map(member_of_terms, member_of) if terms is not None]
    if mapped:
        result["nodeAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": list(itertools.chain.from_iterable(combo))}
                    for combo in itertools.product(*mapped)
                ]
            }
        }
    if any(c.get("type") == "distinctInstance" for c in constraints):
        result["podAntiAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": selector}, "topologyKey": HOSTNAME_LABEL}
            ]
        }
    return result


def _spread_key(field: str) -> str:
    if field.lower() in ("instanceid", "host"):
        return HOSTNAME_LABEL
    return node_label(field.removeprefix("attribute:"))


def topology_spread(strategies: list[dict], selector: dict[str, str]) -> list[dict]:
    """spread placement strategies → topologySpreadConstraints.

    ECS spreads on a best-effort basis, hence ScheduleAnyway. binpack is a scheduler profile
    (`scheduler_name`); random is what the scheduler does anyway.
    """
    keys = [_spread_key(s["field"]) for s in strategies if s.get("type") == "spread" and s.get("field")]
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        }
        for key in dict.fromkeys(keys)
    ]


# kube-scheduler profiles whose NodeResourcesFit scoring is MostAllocated on one resource
# (hack/kind/scheduler.yaml; docs/cluster.md says how to add them to another cluster).
BINPACK_SCHEDULERS = {"cpu": "kube-ecs-binpack-cpu", "memory": "kube-ecs-binpack-memory"}


def scheduler_name(strategies: list[dict]) -> str | None:
    """The first binpack strategy's scheduler profile: a pod has one scheduler, so a later binpack
    strategy only breaks ties in ECS, which the profile's scoring does anyway."""
    for strategy in strategies:
        if strategy.get("type") == "binpack" and strategy.get("field", "").lower() in BINPACK_SCHEDULERS:
            return BINPACK_SCHEDULERS[strategy["field"].lower()]
    return None


# Labels in Kubernetes' own domains describe the node to Kubernetes; ECS users query the built-in
# attributes for those facts. Every other label is a custom attribute, as node_label maps it back.
_KUBERNETES_DOMAIN = re.compile(r"^([^/]*\.)?(kubernetes\.io|k8s\.io)/")


def node_attributes(labels: dict[str, str]) -> list[dict]:
    """A node's labels as ECS attributes ([{name, value}]), the inverse of node_label: the built-ins
    from the well-known labels (architecture in ECS's spelling), then the custom ones (name only
    where the value is empty, as ECS lists a valueless attribute)."""
    ecs_arch = {arch: ecs for ecs, arch in _ARCH.items()}
    found = []
    for attribute, label in _NODE_LABELS.items():
        value = labels.get(label)
        if value:
            found.append({"name": attribute, "value": ecs_arch.get(value, value) if label == ARCH_LABEL else value})
    for key, value in sorted(labels.items()):
        if not _KUBERNETES_DOMAIN.match(key):
            found.append({"name": key, "value": value} if value else {"name": key})
    return found
