"""Kubernetes-style status conditions (`kubectl wait --for=condition=Ready` reads them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kube_ecs.reconcile.events import Event

# Condition states that report trouble: a change to one of them is a Warning Event.
TROUBLE = frozenset({("Ready", "False"), ("Degraded", "True"), ("DeletionBlocked", "True")})


ISO = "%Y-%m-%dT%H:%M:%SZ"


def iso(moment: datetime) -> str:
    """An aware datetime as one of our timestamps (UTC, to the second)."""
    return moment.astimezone(UTC).strftime(ISO)


def parse_iso(text: str) -> datetime:
    """One of our timestamps as an aware datetime (ValueError when it is not one)."""
    return datetime.strptime(text, ISO).replace(tzinfo=UTC)


def now_iso() -> str:
    return iso(datetime.now(UTC))


def seconds_between(earlier: str, later: str) -> float:
    """Seconds from one of our timestamps to another (0 when one is unreadable)."""
    try:
        return (datetime.strptime(later, ISO) - datetime.strptime(earlier, ISO)).total_seconds()
    except ValueError:
        return 0.0


def shifted(when: str, seconds: float) -> str:
    """Timestamp `when` plus `seconds` (`when` itself when unreadable)."""
    try:
        return (datetime.strptime(when, ISO) + timedelta(seconds=seconds)).strftime(ISO)
    except ValueError:
        return when


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


def condition_events(previous: list[dict] | None, current: list[dict], *, said: Iterable[str] = ()) -> list[Event]:
    """Events for the conditions of `current` (status.conditions) whose status or reason differs from
    `previous`, so `kubectl describe` tells the story. Conditions changing together to the same reason
    and message make one Event ("Ready=False, Degraded=True: ..."): the reason, and the message in the
    words (ECS's where there are some) of the condition. A change whose message is part of one already
    said by another Event of the same pass (`said`) is not said again. A Warning when it reports
    trouble (TROUBLE), unless the same change sets Progressing=True (Ready is False because a rollout
    is under way)."""

    before = {c.get("type"): c for c in previous or []}
    groups: dict[tuple[str, str], list[dict]] = {}
    for cond in current:
        old = before.get(cond["type"]) or {}
        if (old.get("status"), old.get("reason")) != (cond["status"], cond["reason"]):
            groups.setdefault((cond["reason"], cond["message"]), []).append(cond)
    said = list(said)
    events = []
    for (reason, message), conds in groups.items():
        if message and any(message in other for other in said):
            continue
        states = {(c["type"], c["status"]) for c in conds}
        warning = bool(states & TROUBLE) and ("Progressing", "True") not in states
        head = ", ".join(f"{c['type']}={c['status']}" for c in conds)
        events.append(Event(f"{head}: {message}" if message else f"{head}.", reason, warning))
    return events
