"""What a reconcile hands back to its handler, and how that becomes a status write."""

from __future__ import annotations

from dataclasses import dataclass, field

from kube_ecs.reconcile.events import Event


@dataclass
class Outcome:
    status: dict
    events: list[Event] = field(default_factory=list)
    known_tasks: set[str] = field(default_factory=set)
    prune_key: object = None
    # Seconds after which the next pass is due (a blue/green bake time ending); None: the usual resync.
    wake_in: float | None = None


def owner_of(body: dict) -> dict:
    """`body` as the owner argument of the builders (a controller ownerReference)."""
    return {"apiVersion": body["apiVersion"], "kind": body["kind"], "name": body["metadata"]["name"],
            "uid": body["metadata"]["uid"]}


def status_patch(previous: dict | None, status: dict) -> dict | None:
    """The merge patch taking `previous` to `status` (keys gone become null), or None when nothing
    changed: a no-op reconcile writes nothing."""
    previous = dict(previous or {})
    if previous == status:
        return None
    return _with_nulls(previous, status)


def _with_nulls(previous: dict, current: dict) -> dict:
    """`current`, with null for every key of `previous` it lacks, in nested objects too (a merge patch
    merges objects: a key dropped from a nested one, such as status.rollout, would otherwise stay)."""
    patch: dict = {k: None for k in previous if k not in current}
    for key, value in current.items():
        before = previous.get(key)
        patch[key] = _with_nulls(before, value) if isinstance(value, dict) and isinstance(before, dict) else value
    return patch
