"""What a reconcile reports as it goes: ECS service events, also posted as Kubernetes Events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """One ECS service event; also posted as a Kubernetes Event (type, reason)."""

    message: str
    reason: str
    warning: bool = False
