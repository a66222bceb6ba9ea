"""Kopf indexes: in-memory views of what the handlers look up on every reconcile, kept current by
Kopf's watches. Each keeps a slim value (not whole objects) to keep the operator small."""

from __future__ import annotations

import kopf

from kube_ecs import API_VERSION
from kube_ecs.handlers import common
from kube_ecs.handlers.common import MANAGED
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile import task_lifecycle
from kube_ecs.reconcile.capacity_providers import spec_of
from kube_ecs.reconcile.scheduled_tasks import SCHEDULED_TASK_LABEL, run_of
from kube_ecs.reconcile.service_status import task_of
from kube_ecs.reconcile.tasks import is_active
from kube_ecs.resources import meta, pod_security
from kube_ecs.resources.namespace import namespace_name
from kube_ecs.resources.task import TASK_LABEL


@kopf.index(API_VERSION, "clusters")
def clusters_by_namespace(name: str, **_) -> dict:
    return {namespace_name(name): name}


@kopf.index(API_VERSION, "clusters")
def cluster_specs(name: str, spec: kopf.Spec, **_) -> dict:
    """Their capacity providers and default strategy decide where Services run."""
    return {name: dict(spec or {})}


@kopf.index(API_VERSION, "clusters")
def cluster_pod_security(name: str, spec: kopf.Spec, status: kopf.Status, **_) -> dict:
    """The Pod Security level each Cluster enforces on its Services' tasks (docs/security.md)."""
    return {name: pod_security.enforced(dict(spec or {}), dict(status or {}))}


@kopf.index(API_VERSION, "capacityproviders")
def capacity_providers(body: kopf.Body, **_) -> dict:
    """Valid CapacityProviders by ECS name (spec.name, default metadata.name), normalized."""
    spec = spec_of(dict(body))[0]
    return {spec["name"]: spec} if spec else {}


@kopf.index(API_VERSION, "services")
def services_by_namespace(namespace: str | None, name: str, body: kopf.Body, **_) -> dict:
    # A Service on its way out no longer holds its Cluster (ECS counts DRAINING ones as gone too).
    return {} if body["metadata"].get("deletionTimestamp") else {namespace: name}


@kopf.index(API_VERSION, "services")
def services_by_family(namespace: str | None, name: str, body: kopf.Body, **_) -> dict:
    family = common.family_of(dict(body))
    return {family: (namespace, name)} if family else {}


@kopf.index(API_VERSION, "taskdefinitionrevisions")
def revisions_by_family(body: kopf.Body, **_) -> dict:
    try:
        revision = rev.Revision.of(body)
    except (KeyError, TypeError, ValueError):
        return {}
    return {revision.family: revision}


@kopf.index("apps/v1", "replicasets", labels=MANAGED)
def replicasets_by_service(namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_) -> dict:
    metadata, spec = body["metadata"], body.get("spec", {})
    slim = {
        "metadata": {k: metadata.get(k) for k in ("name", "uid", "labels", "annotations", "ownerReferences",
                                                    "creationTimestamp")},
        "spec": {"replicas": spec.get("replicas", 0),
                 "template": {"metadata": {k: spec.get("template", {}).get("metadata", {}).get(k)
                                           for k in ("labels", "annotations")}}},
    }
    return {(namespace, labels.get(meta.SERVICE_LABEL, "")): slim}


@kopf.index("v1", "pods", labels=MANAGED)
def tasks_by_service(namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_) -> dict:
    """Every task's Pod: a standalone task's has no service label, so it is under (namespace, ""), which
    the Cluster's counts include, as ECS counts standalone tasks in runningTasksCount."""
    return {(namespace, labels.get(meta.SERVICE_LABEL, "")): task_of(body)}


@kopf.index("v1", "pods", labels={TASK_LABEL: kopf.PRESENT})
def pods_by_task(namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_) -> dict:
    """A standalone task's Pod as its lifecycle reads it, under (namespace, the Task's label value)."""
    return {(namespace, labels[TASK_LABEL]): task_lifecycle.slim(body)}


@kopf.index(API_VERSION, "tasks")
def active_tasks_by_namespace(namespace: str | None, name: str, body: kopf.Body, **_) -> dict:
    """Tasks holding their Cluster (not all STOPPED, not being deleted): DeleteCluster waits for them."""
    deleting = body["metadata"].get("deletionTimestamp")
    return {namespace: name} if not deleting and is_active(body.get("status")) else {}


@kopf.index(API_VERSION, "tasks")
def unlaunched_tasks_by_family(namespace: str | None, name: str, body: kopf.Body, **_) -> dict:
    """Tasks not launched yet, by the family they run: a new revision may be the one they wait for."""
    if (body.get("status") or {}).get("tasks") or body["metadata"].get("deletionTimestamp"):
        return {}
    family = common.family_of(dict(body))
    return {family: (namespace, name)} if family else {}


@kopf.index(API_VERSION, "tasks", labels={SCHEDULED_TASK_LABEL: kopf.PRESENT})
def runs_by_scheduled_task(namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_) -> dict:
    """The runs of a ScheduledTask (the Tasks it made), each summed up for its status."""
    return {(namespace, labels[SCHEDULED_TASK_LABEL]): run_of(body)}


@kopf.index(API_VERSION, "scheduledtasks")
def scheduled_tasks_by_namespace(namespace: str | None, name: str, body: kopf.Body, **_) -> dict:
    return {} if body["metadata"].get("deletionTimestamp") else {namespace: name}


@kopf.index("autoscaling/v2", "horizontalpodautoscalers", labels=MANAGED)
def hpas_by_service(namespace: str | None, labels: kopf.Labels, spec: kopf.Spec, **_) -> dict:
    """The Deployments an HPA of ours scales: the Service leaves their replicas to it."""
    return {(namespace, labels.get(meta.SERVICE_LABEL, "")): (spec.get("scaleTargetRef") or {}).get("name", "")}


@kopf.index("v1", "nodes")
def node_labels(name: str, labels: kopf.Labels, **_) -> dict:
    """The pools a CapacityProvider's nodeSelector picks from."""
    return {name: dict(labels)}

