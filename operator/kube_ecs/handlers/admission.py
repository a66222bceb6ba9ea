"""Validating admission: ECS's own refusals at `kubectl apply` time, and a Cluster's Namespace made
before the next document of the same apply needs it. Registered only when the webhook server runs
(`kube-ecs run --webhook`); the paths are the handler ids, as manifests/operator/webhook.yaml names them.

What only the operator can know (a missing Secret, an unknown revision, a missing Cluster) is not
checked here: it goes on to status and Events.
"""

from __future__ import annotations

import logging

import kopf
from kubernetes.client.exceptions import ApiException

from kube_ecs import API_VERSION, metrics
from kube_ecs.handlers import common
from kube_ecs.reconcile.clusters import namespace_at_admission
from kube_ecs.reconcile.kube import api_error_message
from kube_ecs.reconcile.services import ServiceError, normalized_spec
from kube_ecs.reconcile.taskdefinitions import normalized

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
    problems, notes = normalized(dict(body))[1:]
    # kubectl prints these as "Warning: ..." lines: fields accepted but ignored on Kubernetes.
    warnings.extend(notes)
    if problems:
        # The wording of the TaskDefinition's Ready condition, as RegisterTaskDefinition would refuse it.
        raise kopf.AdmissionError("ClientException: " + "; ".join(problems), code=INVALID)


@kopf.on.validate(API_VERSION, "services", id="services", operations=["CREATE", "UPDATE"])  # type: ignore[arg-type]
@metrics.admission("Service")
def validate_service(body: kopf.Body, operation: str, old: kopf.Body | None, new: kopf.Body | None,
                     warnings: list[str], **_) -> None:
    if _spec_unchanged(operation, old, new):
        return
    try:
        warnings.extend(normalized_spec(dict(body))[1])
    except ServiceError as e:
        raise kopf.AdmissionError(str(e), code=INVALID) from e


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
