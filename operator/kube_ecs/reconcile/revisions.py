"""Task definition revisions: references (`family`, `family:N`, ARN), numbering, which revision a
Service runs. Pure functions; the handlers feed them what they read from the API server."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kube_ecs import GROUP
from kube_ecs.resources import names

DIGEST_ANNOTATION = f"{GROUP}/task-definition-digest"

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"

# arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>
_ARN = re.compile(r"^arn:[^:]+:ecs:[^:]*:[^:]*:task-definition/(?P<ref>.+)$")
_REF = re.compile(r"^(?P<family>[A-Za-z0-9_-]{1,255})(?::(?P<revision>[0-9]+))?$")


@dataclass(frozen=True)
class TaskDefinitionRef:
    """What a Service's `taskDefinition` names. `revision` None follows the latest ACTIVE revision."""

    family: str
    revision: int | None = None

    def __str__(self) -> str:
        return self.family if self.revision is None else f"{self.family}:{self.revision}"


class BadReference(ValueError):
    pass


def parse_reference(value: str) -> TaskDefinitionRef:
    """`cats`, `cats:3` or `arn:aws:ecs:us-east-1:123456789012:task-definition/cats:3`. The family is
    sanitised as the TaskDefinition's name is (`My_App` → `my-app`, decisions.md)."""
    arn = _ARN.match(value.strip())
    match = _REF.match(arn.group("ref") if arn else value.strip())
    if not match or (match.group("revision") is not None and int(match.group("revision")) < 1):
        raise BadReference(f"Invalid revision number. Number: {value}" if match else
                           f"Unable to describe task definition {value!r}: not a family, family:revision or ARN")
    revision = match.group("revision")
    return TaskDefinitionRef(names.family_name(match.group("family")), int(revision) if revision else None)


def revision_name(family: str, revision: int) -> str:
    """The TaskDefinitionRevision object of `family:revision` (decisions.md: `<family>-<N>`)."""
    return f"{family}-{revision}"


@dataclass(frozen=True)
class Revision:
    """One TaskDefinitionRevision as the operator sees it."""

    family: str
    number: int
    status: str
    task_definition: dict
    digest: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Revision:
        spec = obj["spec"]
        stored = (obj["metadata"].get("annotations") or {}).get(DIGEST_ANNOTATION)
        return cls(spec["family"], int(spec["revision"]), spec.get("status", ACTIVE), spec["taskDefinition"],
                   stored or digest(spec["taskDefinition"]))


def digest(task_definition: dict) -> str:
    """Identity of a normalized task definition. Kept on the revision as registered, so a field the
    API server prunes or defaults never makes the same spec look new."""
    return hashlib.sha256(json.dumps(task_definition, sort_keys=True).encode()).hexdigest()[:32]


def latest(revisions: list[Revision]) -> Revision | None:
    return max(revisions, key=lambda r: r.number, default=None)


def next_revision(revisions: list[Revision], task_definition: dict) -> int | None:
    """The number to register `task_definition` as, or None when the latest revision already holds it
    (a resync or an edit that normalises to the same spec makes no new revision). Numbers never go
    back, even after deregistration, as in ECS."""
    last = latest(revisions)
    if last is None:
        return 1
    return None if last.digest == digest(task_definition) else last.number + 1


class Unresolved(LookupError):
    """The reference names no usable revision; the message is ECS's wording."""


class Registering(Exception):
    """The reference names no usable revision yet, but its TaskDefinition is registering one: the pass
    waits (writes nothing) and runs again when the revision appears."""


def resolve(ref: TaskDefinitionRef, revisions: list[Revision], running: int | None = None) -> Revision:
    """The revision a Service with reference `ref` should run.

    `family` → the latest ACTIVE revision. `family:N` → N, which must be ACTIVE unless the Service
    already runs it (`running`): deregistering never stops running tasks.
    """
    by_number = {r.number: r for r in revisions}
    if ref.revision is None:
        active = [r for r in revisions if r.status == ACTIVE]
        if not active:
            raise Unresolved(f"Unable to describe task definition {ref.family}: no ACTIVE revision "
                             f"(TaskDefinition {ref.family} not found or all revisions INACTIVE).")
        return max(active, key=lambda r: r.number)
    found = by_number.get(ref.revision)
    if found is None:
        raise Unresolved(f"Unable to describe task definition {ref}: revision {ref.revision} does not exist.")
    if found.status != ACTIVE and running != found.number:
        raise Unresolved(f"TaskDefinition {ref} is inactive.")
    return found
