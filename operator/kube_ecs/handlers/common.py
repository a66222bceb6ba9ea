"""What every handler module shares: the API client, Events, status writes."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

import kopf
import kubernetes
from kubernetes.client.exceptions import ApiException

from kube_ecs import lease
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.kube import Kube, NotFound, Ref, api_error_message
from kube_ecs.reconcile.outcome import status_patch
from kube_ecs.resources import meta

log = logging.getLogger(__name__)
# Label filter of the watches and indexes on objects kube-ecs makes.
MANAGED = {"app.kubernetes.io/managed-by": meta.MANAGED_BY}
# Kubernetes refuses Event messages over 1 KiB.
EVENT_MESSAGE_MAX = 1024
REGISTRATION_PATIENCE_SECONDS = 30.0


@functools.cache
def client() -> Kube:
    """One client for the process; in a pod it uses the ServiceAccount, elsewhere the kubeconfig."""
    kubernetes.config.load_config()
    return Kube(may_write=lease.may_write)


def values(index: Mapping[Any, Iterable[Any]]) -> dict:
    """An index with one value per key as a plain dict (read in the event loop, which updates it)."""
    return {key: next(iter(store)) for key, store in index.items()}


def family_of(body: Mapping[str, Any]) -> str:
    """The family of the object's spec.taskDefinition (a Service's or a Task's), "" when it names none."""
    try:
        return rev.parse_reference(str((body.get("spec") or {}).get("taskDefinition", ""))).family
    except rev.BadReference:
        return ""


def spec_ahead_of_status(body: Mapping[str, Any], **_: Any) -> bool:
    """A spec change the daemon has not reconciled yet (a `when=` filter of the poking watches)."""
    return body["metadata"].get("generation") != (body.get("status") or {}).get("observedGeneration")


def post(body: dict, events: list[Event]) -> None:
    for event in events:
        kopf.event(body, type="Warning" if event.warning else "Normal", reason=event.reason,
                   message=event.message[:EVENT_MESSAGE_MAX])


def write_status(ref: Ref, previous: dict | None, status: dict) -> bool:
    """Patch status only when it changed; an object deleted meanwhile is not an error."""
    patch = status_patch(previous, status)
    if patch is None:
        return False
    try:
        client().patch(ref, {"status": patch}, subresource="status")
    except NotFound:
        return False
    return True


def failure(kind: str, body: dict, error: Exception) -> str:
    """What a failed pass says, logged with its traceback (call it in the `except` block): an API error
    is retried, anything else is a bug of ours."""
    meta_ = body["metadata"]
    message = f"Retrying after an API error: {api_error_message(error)}" if isinstance(error, ApiException) \
        else f"Reconcile failed: {error!r}"
    log.exception("%s %s/%s: %s", kind, meta_.get("namespace"), meta_["name"], message)
    return message


class RegistrationWait:
    """How long a daemon's passes have waited, without a word, for a revision its TaskDefinition is
    registering (revisions.Registering). Past REGISTRATION_PATIENCE_SECONDS a pass says
    TaskDefinitionNotFound: a TaskDefinition whose registration keeps failing is reported, not waited on
    forever. Any pass that does not wait starts the count again."""

    def __init__(self) -> None:
        self.since: float | None = None

    def patient(self) -> bool:
        return self.since is None or time.monotonic() - self.since < REGISTRATION_PATIENCE_SECONDS

    def waited(self, waiting: bool) -> None:
        self.since = (self.since or time.monotonic()) if waiting else None
