"""A CapacityProvider's status, as describe-capacity-providers shows it, plus the nodes of its pool and
a Ready condition. Pure: the object and the nodes' labels in, status out. A CapacityProvider makes no
Kubernetes object: Services read its nodeSelector (resources/capacity.py)."""

from __future__ import annotations

from kube_ecs.ecs.validate import check_capacity_provider
from kube_ecs.reconcile.conditions import Condition, merge
from kube_ecs.resources.capacity import is_container_instance


def spec_of(body: dict) -> tuple[dict | None, list[str], list[str]]:
    """(normalized spec or None, problems, warnings) of CapacityProvider `body`; its name defaults to
    metadata.name."""
    spec, problems, notes = check_capacity_provider({"name": body["metadata"]["name"], **(body.get("spec") or {})})
    return spec, [str(p) for p in problems], [str(n) for n in notes]


def pool_nodes(selector: dict[str, str], nodes: dict[str, dict[str, str]]) -> list[str]:
    """The container instances (`nodes`: name → labels) whose labels `selector` matches, sorted."""
    return sorted(name for name, labels in nodes.items()
                  if is_container_instance(labels) and all(labels.get(k) == v for k, v in selector.items()))


def capacity_provider_status(*, body: dict, nodes: dict[str, dict[str, str]], now: str) -> dict:
    """ACTIVE with the nodes its nodeSelector picks (Ready while there is one), or refused as
    CreateCapacityProvider would refuse it."""
    previous = body.get("status") or {}
    generation = body["metadata"].get("generation", 0)
    spec, problems, warnings = spec_of(body)
    if spec is None:
        wanted = Condition("Ready", False, "InvalidParameter", "InvalidParameterException: " + "; ".join(problems))
        members: list[str] = []
    else:
        members = pool_nodes(spec.get("nodeSelector") or {}, nodes)
        wanted = Condition("Ready", bool(members), "Active" if members else "NoNodes",
                           f"{len(members)} nodes in the pool." if members else
                           "No node matches the nodeSelector: tasks on this provider stay PENDING.")
    return {
        "observedGeneration": generation,
        "name": body["metadata"]["name"],
        "status": "ACTIVE" if spec is not None else "INACTIVE",
        "nodeSelector": (spec.get("nodeSelector") or {}) if spec is not None else {},
        "nodes": len(members),
        "warnings": warnings,
        "conditions": merge(previous.get("conditions"), [wanted], generation=generation, now=now),
    }
