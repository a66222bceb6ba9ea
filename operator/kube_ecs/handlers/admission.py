"""Validating admission: ECS's own refusals at `kubectl apply` time, and a Cluster's Namespace made
before the next document of the same apply needs it. Registered only when the webhook server runs
(`kube-ecs run --webhook`); the paths are the handler ids, as manifests/operator/webhook.yaml names them.

What only the operator can know (a missing Secret, an unknown revision, a missing Cluster) is not
checked here: it goes on to status and Events.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

import kopf
from kubernetes.client.exceptions import ApiException

from kube_ecs import API_VERSION, metrics
from kube_ecs.ecs import run_task, schedule
from kube_ecs.handlers import common
from kube_ecs.reconcile.clusters import namespace_at_admission
from kube_ecs.reconcile.kube import api_error_message
from kube_ecs.reconcile.pod_security import admission_refusals, task_definition_warnings
from kube_ecs.reconcile.revisions import Revision
from kube_ecs.reconcile.services import ServiceError, normalized_spec
from kube_ecs.reconcile.taskdefinitions import normalized
from kube_ecs.reconcile.tasks import normalized_spec as normalized_run
from kube_ecs.reconcile.tasks import resolve_revision

log = logging.getLogger(__name__)
# 422, as the API server answers a schema violation: the request, not the server, is at fault.
INVALID = 422


def _spec_unchanged(operation: str, old: kopf.Body | None, new: kopf.Body | None) -> bool:
    """Kopf's own writes (finalizers, annotations) and deletions are UPDATEs that leave the spec alone:
    an object stored while the webhook was down must not block them."""
    return operation == "UPDATE" and old is not None and new is not None and old.get("spec") == new.get("spec")


# Kopf passes operation, old and new to webhook handlers, but its WebhookFn protocol does not declare them.
@kopf.on.validate(API_VERSION, "taskdefinitions", id="taskdefinitions",  # type: ignore[arg-type]
                  operations=["CREATE", "UPDATE"])
@metrics.admission("TaskDefinition")
def validate_task_definition(body: kopf.Body, operation: str, old: kopf.Body | None, new: kopf.Body | None,
                             warnings: list[str], **_) -> None:
    if _spec_unchanged(operation, old, new):
        return
    spec, problems, notes = normalized(dict(body))
    # kubectl prints these as "Warning: ..." lines: fields accepted but ignored on Kubernetes.
    warnings.extend(notes)
    warnings.extend(task_definition_warnings(spec))
    if problems:
        # The wording of the TaskDefinition's Ready condition, as RegisterTaskDefinition would refuse it.
        raise kopf.AdmissionError("ClientException: " + "; ".join(problems), code=INVALID)


# Kopf passes indexes to webhook handlers too; its WebhookFn protocol does not declare them.
@kopf.on.validate(API_VERSION, "services", id="services", operations=["CREATE", "UPDATE"])  # type: ignore[arg-type]
@metrics.admission("Service")
def validate_service(body: kopf.Body, operation: str, old: kopf.Body | None, new: kopf.Body | None,
                     warnings: list[str], clusters_by_namespace: Mapping[str, Collection[str]] | None = None,
                     cluster_pod_security: Mapping[str, Collection[str]] | None = None,
                     revisions_by_family: Mapping[str, Collection[Revision]] | None = None, **_) -> None:
    if _spec_unchanged(operation, old, new):
        return
    try:
        spec, notes = normalized_spec(dict(body))
    except ServiceError as e:
        raise kopf.AdmissionError(str(e), code=INVALID) from e
    warnings.extend(notes)
    # The Cluster's Pod Security level: refused here rather than as pods the ReplicaSet cannot create.
    cluster = next(iter((clusters_by_namespace or {}).get(body["metadata"].get("namespace") or "", [])), None)
    level = next(iter((cluster_pod_security or {}).get(cluster or "", [])), None)
    revisions = revisions_by_family or {}
    refused = admission_refusals(common.client(), spec, level=level,
                                 revisions_of=lambda family: list(revisions.get(family, []))) if level else []
    if refused:
        raise kopf.AdmissionError("InvalidParameterException: " + "; ".join(refused), code=INVALID)


def _pinned_revision(spec: dict, revisions: Mapping[str, Collection[Revision]]) -> Revision | None:
    """The revision a `family:N` Task runs, when registered (an INACTIVE one is refused); for `family` the
    latest ACTIVE one may be registered by the same apply, so it is left to the reconcile."""
    if ":" not in str(spec.get("taskDefinition", "")).rsplit("/", 1)[-1]:
        return None
    try:
        return resolve_revision(spec, lambda family: list(revisions.get(family, [])))
    except ServiceError as e:
        if "does not exist" in str(e):  # registered by the same apply, perhaps
            return None
        raise


# Kopf passes operation, old, new and indexes to webhook handlers; its WebhookFn protocol declares none.
@kopf.on.validate(API_VERSION, "tasks", id="tasks", operations=["CREATE", "UPDATE"])  # type: ignore[arg-type]
@metrics.admission("Task")
def validate_task(body: kopf.Body, operation: str, old: kopf.Body | None, new: kopf.Body | None,
                  warnings: list[str], revisions_by_family: Mapping[str, Collection[Revision]] | None = None,
                  **_) -> None:
    """RunTask's refusals at CREATE; at UPDATE only StopTask and the TTL may change (a task once run is
    what it was run as), and a stopped Task cannot be started again."""
    if _spec_unchanged(operation, old, new):
        return
    if operation == "UPDATE" and old is not None:
        before, after = dict(old.get("spec") or {}), dict(body.get("spec") or {})
        changed = sorted(k for k in set(before) | set(after)
                         if k not in run_task.MUTABLE and before.get(k) != after.get(k))
        if changed:
            raise kopf.AdmissionError(f"InvalidParameterException: spec.{', spec.'.join(changed)}: a Task cannot be "
                                      f"changed once run; only {', '.join(run_task.MUTABLE)} may change",
                                      code=INVALID)
        if before.get("desiredStatus") == "STOPPED" and after.get("desiredStatus") != "STOPPED":
            raise kopf.AdmissionError("InvalidParameterException: spec.desiredStatus: a stopped task cannot be "
                                      "started again: run a new Task", code=INVALID)
    try:
        spec, notes = normalized_run(dict(body))
        revision = _pinned_revision(spec, revisions_by_family or {}) if operation == "CREATE" else None
    except ServiceError as e:
        raise kopf.AdmissionError(str(e), code=INVALID) from e
    warnings.extend(notes)
    if revision is not None and (problems := run_task.validate_against(spec, revision.task_definition)):
        raise kopf.AdmissionError("InvalidParameterException: " + "; ".join(map(str, problems)), code=INVALID)


@kopf.on.validate(API_VERSION, "scheduledtasks", id="scheduledtasks", operations=["CREATE", "UPDATE"])
@metrics.admission("ScheduledTask")
def validate_scheduled_task(body: kopf.Body, warnings: list[str], **_) -> None:
    """What EventBridge refuses about the schedule, and RunTask about its request."""
    spec, problems, notes = schedule.check_scheduled_task(dict(body.get("spec") or {}))
    warnings.extend(map(str, notes))
    if spec is None:
        raise kopf.AdmissionError("ValidationException: " + "; ".join(map(str, problems)), code=INVALID)


@kopf.on.validate(API_VERSION, "clusters", id="clusters", operations=["CREATE"], side_effects=True)
@metrics.admission("Cluster")
def create_cluster_namespace(body: kopf.Body, dryrun: bool, **_) -> None:
    """The Namespace now, so a Service further down the same file finds it; the Cluster's reconcile
    owns it by the uid the validating webhook sees. A failure admits anyway: the reconcile makes the
    Namespace and reports what went wrong."""
    if dryrun:
        return
    try:
        namespace_at_admission(common.client(), dict(body))
    except ApiException as e:
        log.warning("Cluster %s: namespace not made at admission: %s", body["metadata"]["name"], api_error_message(e))
