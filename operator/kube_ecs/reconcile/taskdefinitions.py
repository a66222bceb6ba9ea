"""Reconcile a TaskDefinition (one ECS family): register its spec as a new immutable revision when it
changed, and report the family's state. A spec ECS would refuse registers nothing."""

from __future__ import annotations

from collections.abc import Callable

from kube_ecs import API_VERSION
from kube_ecs.ecs.validate import check_task_definition
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.conditions import Condition, condition_events, merge
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.kube import Client, Ref
from kube_ecs.reconcile.outcome import Outcome, owner_of
from kube_ecs.resources import meta, names

REVISION_KIND = "TaskDefinitionRevision"


def revision_selector(family: str) -> str:
    return f"{meta.FAMILY_LABEL}={names.label_value(family)}"


def revision_manifest(family: str, number: int, task_definition: dict, owner: dict) -> dict:
    return {
        "apiVersion": API_VERSION,
        "kind": REVISION_KIND,
        "metadata": meta.object_meta(
            rev.revision_name(family, number),
            labels={"app.kubernetes.io/managed-by": meta.MANAGED_BY, meta.FAMILY_LABEL: names.label_value(family)},
            annotations={rev.DIGEST_ANNOTATION: rev.digest(task_definition)},
            owner=owner,
        ),
        "spec": {"family": family, "revision": number, "status": rev.ACTIVE, "taskDefinition": task_definition},
    }


def normalized(body: dict) -> tuple[dict | None, list[str], list[str]]:
    """(normalized spec or None, problems, notes) of a TaskDefinition. The family defaults to the
    object's name and must sanitise to it (decisions.md)."""
    name = body["metadata"]["name"]
    raw = {"family": name, **(body.get("spec") or {})}
    if names.family_name(str(raw["family"])) != name:
        return None, [f"family: {raw['family']!r} must be {name!r} (the TaskDefinition's name) or sanitise to it"], []
    spec, problems, notes = check_task_definition(raw)
    return spec, [str(p) for p in problems], [str(n) for n in notes]


def family_status(
    *, family: str, revisions: list[rev.Revision], problems: list[str], notes: list[str],
    previous: dict | None, generation: int, now: str,
) -> dict:
    """describe-task-definition, family-wide: the latest revision, its status and container count."""
    last = rev.latest(revisions)
    if problems:
        ready = Condition("Ready", False, "InvalidTaskDefinition", "ClientException: " + "; ".join(problems))
    elif last is None:
        ready = Condition("Ready", False, "Registering", "")
    else:
        ready = Condition("Ready", True, "Registered", f"Revision {family}:{last.number} registered.")
    status = {
        "observedGeneration": generation,
        "family": family,
        "revision": last.number if last else None,
        "status": last.status if last else None,
        "taskDefinition": f"{family}:{last.number}" if last else None,
        "containers": len(last.task_definition.get("containerDefinitions") or []) if last else None,
        "activeRevisions": sorted(r.number for r in revisions if r.status == rev.ACTIVE),
        "warnings": notes,
        "conditions": merge((previous or {}).get("conditions"), [ready], generation=generation, now=now),
    }
    return {k: v for k, v in status.items() if v is not None}


def list_revisions(client: Client, family: str) -> list[rev.Revision]:
    return [rev.Revision.of(obj) for obj in client.list(API_VERSION, REVISION_KIND, None, revision_selector(family))]


def reconcile_task_definition(client: Client, body: dict, *, now: str) -> Outcome:
    family = body["metadata"]["name"]
    spec, problems, notes = normalized(body)
    revisions = list_revisions(client, family)
    events: list[Event] = []
    if spec is not None:
        number = rev.next_revision(revisions, spec)
        if number is not None:
            # A Conflict (another pass registered this number first) goes up: the retry decides again.
            created = client.create(revision_manifest(family, number, spec, owner_of(body)))
            revisions.append(rev.Revision.of(created))
            events.append(Event(f"Registered task definition {family}:{number}.", "RevisionRegistered"))
    previous = body.get("status") or {}
    status = family_status(family=family, revisions=revisions, problems=problems, notes=notes,
                           previous=previous, generation=body["metadata"].get("generation", 0), now=now)
    was: dict = next((c for c in previous.get("conditions") or [] if c.get("type") == "Ready"), {})
    ready = status["conditions"][0]
    # A refusal is told whenever its words change, not only when Ready's reason does.
    if problems and was.get("message") != ready["message"]:
        events.append(Event(ready["message"], "InvalidTaskDefinition", True))
    events += condition_events(previous.get("conditions"), status["conditions"], said=[e.message for e in events])
    return Outcome(status, events)


def raise_if_registering(client: Client, reference: str, revisions_of: Callable[[str], list[rev.Revision]]) -> None:
    """rev.Registering when `reference` resolves to nothing only because its family's TaskDefinition has
    not registered its spec yet, or has registered a revision the caller's index has not seen yet (the
    two watches deliver in either order). A Service or Task applied in the same file as its
    TaskDefinition then waits for the revision instead of reporting TaskDefinitionNotFound for a moment.
    The callers bound the wait (handlers/common.RegistrationWait): a TaskDefinition that never settles
    is reported, not waited on forever."""
    try:
        ref = rev.parse_reference(reference)
    except rev.BadReference:
        return
    body = client.get(Ref(API_VERSION, "TaskDefinition", ref.family))
    if body is None or body["metadata"].get("deletionTimestamp"):
        return
    status = body.get("status") or {}
    latest, seen = status.get("revision") or 0, max((r.number for r in revisions_of(ref.family)), default=0)
    if status.get("observedGeneration") != body["metadata"].get("generation") or (
            # A latest revision deleted by hand is not coming: only a revision that exists is waited for.
            latest > seen and client.get(Ref(API_VERSION, REVISION_KIND, rev.revision_name(ref.family, latest)))):
        raise rev.Registering(f"TaskDefinition {ref.family} is registering a revision")
