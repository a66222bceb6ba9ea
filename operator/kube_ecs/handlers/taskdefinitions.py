"""TaskDefinitions: every spec change registers revision N+1 (a TaskDefinitionRevision object)."""

from __future__ import annotations

import asyncio
import logging

import kopf
from kubernetes.client.exceptions import ApiException

from kube_ecs import API_VERSION, metrics
from kube_ecs.handlers import common
from kube_ecs.reconcile.conditions import now_iso
from kube_ecs.reconcile.kube import Conflict, Ref, api_error_message
from kube_ecs.reconcile.taskdefinitions import reconcile_task_definition

log = logging.getLogger(__name__)


@metrics.reconciled("TaskDefinition")
def _reconcile(body: dict) -> None:
    ref = Ref(API_VERSION, "TaskDefinition", body["metadata"]["name"])
    try:
        outcome = reconcile_task_definition(common.client(), body, now=now_iso())
    except Conflict as e:
        raise kopf.TemporaryError("a revision was registered concurrently; deciding again", delay=1) from e
    except ApiException as e:
        raise kopf.TemporaryError(api_error_message(e), delay=5) from e
    common.write_status(ref, body.get("status"), outcome.status)
    common.post(body, outcome.events)


@kopf.on.resume(API_VERSION, "taskdefinitions")
@kopf.on.create(API_VERSION, "taskdefinitions")
@kopf.on.update(API_VERSION, "taskdefinitions", field="spec")
async def taskdefinition_reconcile(body: kopf.Body, **_) -> None:
    await asyncio.to_thread(_reconcile, dict(body))


@kopf.on.update(API_VERSION, "taskdefinitionrevisions", field="spec.status")
async def revision_status_changed(spec: kopf.Spec, **_) -> None:
    """Deregistering a revision changes its family's status (latest revision, ACTIVE revisions)."""
    family = await asyncio.to_thread(common.client().get, Ref(API_VERSION, "TaskDefinition", spec["family"]))
    if family is not None:
        await asyncio.to_thread(_reconcile, family)
