"""Kubernetes-style status conditions (`kubectl wait --for=condition=Ready` reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Condition:
    type: str
    status: bool
    reason: str
    message: str = ""


def merge(previous: list[dict] | None, wanted: list[Condition], *, generation: int, now: str) -> list[dict]:
    """`wanted` as status.conditions. lastTransitionTime moves only when a condition's status flips,
    so an unchanged state gives an identical list and the caller writes nothing."""
    before = {c.get("type"): c for c in previous or []}
    merged = []
    for cond in wanted:
        status = "True" if cond.status else "False"
        old = before.get(cond.type) or {}
        since = old.get("lastTransitionTime", now) if old.get("status") == status else now
        merged.append({
            "type": cond.type, "status": status, "reason": cond.reason, "message": cond.message,
            "observedGeneration": generation, "lastTransitionTime": since,
        })
    return merged


def is_true(conditions: list[dict] | None, type_: str, generation: int | None = None) -> bool:
    for cond in conditions or []:
        if cond.get("type") == type_:
            fresh = generation is None or cond.get("observedGeneration") == generation
            return cond.get("status") == "True" and fresh
    return False
