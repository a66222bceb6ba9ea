"""Reconcile one ECS Service: resolve its Cluster and task definition, build its children, apply them,
remove the ones no longer wanted, and compute its status.

Errors only the operator can see (no Cluster, unknown revision, invalid combination) become status
and events; the running children are left as they are, as ECS leaves a service running when an
update-service call fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kube_ecs import API_VERSION
from kube_ecs.ecs.validate import check_service, validate_service_task
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.apply import MANAGED_BY, apply_child, prune
from kube_ecs.reconcile.kube import Client, Ref
from kube_ecs.reconcile.outcome import Outcome, owner_of
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.service_status import Observed, Task, compute
from kube_ecs.resources import build_service_manifests, meta, names

log = logging.getLogger(__name__)

WORKLOAD_KINDS = (("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"))
# Children found by the Service's labels; a ServiceAccount is shared and carries only Cluster labels.
SERVICE_CHILD_KINDS = (*WORKLOAD_KINDS, ("v1", "Service"), ("networking.k8s.io/v1", "Ingress"))
SHARED_CHILD_KINDS = (("v1", "ServiceAccount"),)


class ServiceError(Exception):
    """An error to report in status: `reason` is a condition reason, the message ECS's wording."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def check_cluster(namespace: str, clusters: dict[str, str], requested: str | None) -> str:
    """The Cluster whose namespace holds the Service (`clusters`: namespace → Cluster name)."""
    cluster = clusters.get(namespace)
    if cluster is None:
        raise ServiceError("ClusterNotFound", f"ClusterNotFoundException: Cluster not found: no Cluster owns "
                                              f"namespace {namespace}.")
    if requested and names.object_name(requested.rsplit("/", 1)[-1]) != cluster:
        raise ServiceError("InvalidParameter", f"InvalidParameterException: spec.cluster {requested!r} does not "
                                               f"match Cluster {cluster!r} whose namespace holds this Service.")
    return cluster


def normalized_spec(body: dict) -> tuple[dict, list[str]]:
    """The normalized CreateService spec and its notes; refuses what ECS would refuse."""
    name = body["metadata"]["name"]
    raw = {"serviceName": name, **(body.get("spec") or {})}
    spec, problems, notes = check_service(raw)
    if spec is None:
        raise ServiceError("InvalidParameter", "InvalidParameterException: " + "; ".join(map(str, problems)))
    if not spec.get("taskDefinition"):
        raise ServiceError("InvalidParameter", "InvalidParameterException: spec.taskDefinition: "
                                               "a task definition must be specified.")
    return spec, [str(n) for n in notes]


def _family_hint(value: object) -> str:
    """The family a reference names, for status even when the reference is unusable."""
    try:
        return rev.parse_reference(str(value)).family
    except rev.BadReference:
        return ""


def _running_revision(workload: dict | None) -> int | None:
    labels = ((workload or {}).get("spec", {}).get("template", {}).get("metadata", {}).get("labels") or {})
    value = labels.get(meta.REVISION_LABEL)
    return int(value) if value and value.isdigit() else None


def _find_workload(client: Client, namespace: str, name: str, daemon: bool | None) -> dict | None:
    kinds = WORKLOAD_KINDS if daemon is None else (WORKLOAD_KINDS[1] if daemon else WORKLOAD_KINDS[0],)
    for api_version, kind in kinds:
        live = client.get(Ref(api_version, kind, name, namespace))
        if live is not None:
            return live
    return None


def reconcile_service(
    client: Client,
    body: dict,
    *,
    clusters: dict[str, str],
    revisions_of: Callable[[str], list[rev.Revision]],
    replica_sets: list[dict],
    tasks: list[Task],
    known_tasks: set[str] | None,
    now: str,
    pruned: object = None,
) -> Outcome:
    """One pass. Listing every child kind is the costly part, so pruning runs only when what decides
    the set of children (the generation and the chosen revision) differs from `pruned`, the value
    of `Outcome.prune_key` after the last pass that pruned (None: prune)."""
    meta_ = body["metadata"]
    name, namespace, uid = meta_["name"], meta_["namespace"], meta_["uid"]
    spec_raw = body.get("spec") or {}
    events: list[Event] = []
    error: tuple[str, str] | None = None
    warnings: list[str] = []
    family = _family_hint(spec_raw.get("taskDefinition"))
    desired = spec_raw.get("desiredCount", 1)
    prune_key = pruned
    workload: dict | None = None
    try:
        cluster = check_cluster(namespace, clusters, spec_raw.get("cluster"))
        spec, warnings = normalized_spec(body)
        daemon = spec.get("schedulingStrategy") == "DAEMON"
        desired = spec.get("desiredCount", 1)
        workload = _find_workload(client, namespace, name, daemon)
        try:
            ref = rev.parse_reference(spec["taskDefinition"])
            family = ref.family
            chosen = rev.resolve(ref, revisions_of(ref.family), running=_running_revision(workload))
        except (rev.BadReference, rev.Unresolved) as e:
            raise ServiceError("TaskDefinitionNotFound", f"ClientException: {e}") from e
        if problems := validate_service_task(spec, chosen.task_definition):
            raise ServiceError("InvalidParameter", "InvalidParameterException: " + "; ".join(map(str, problems)))
        manifests = build_service_manifests(
            service=spec, service_name=name, taskdef=chosen.task_definition, family=chosen.family,
            revision=chosen.number, namespace=namespace, cluster=cluster, owner=owner_of(body))
        keep = []
        for desired_obj in manifests:
            applied = apply_child(client, desired_obj)
            keep.append(applied.ref)
            if applied.action == "conflict":
                events.append(Event(applied.message, "ChildConflict", True))
                error = ("ChildConflict", applied.message)
            elif applied.action != "unchanged":
                events.append(Event(f"{applied.action.capitalize()} {applied.ref}", f"Child{applied.action.capitalize()}"))
            if applied.ref.kind in ("Deployment", "DaemonSet"):
                # A workload we do not control says nothing about this Service's tasks.
                workload = None if applied.action == "conflict" else applied.live
        key = (meta_.get("generation"), chosen.family, chosen.number)
        if key != pruned:
            events += _prune(client, uid=uid, name=name, namespace=namespace, cluster=cluster, keep=keep)
            prune_key = key
    except ServiceError as e:
        error = (e.reason, str(e))
        if workload is None:
            workload = _find_workload(client, namespace, name, None)
    result = compute(
        Observed(service=name, family=family, desired_count=desired, generation=meta_.get("generation", 0),
                 workload=workload, replica_sets=replica_sets, tasks=tasks, error=error, warnings=warnings),
        body.get("status"), known_tasks, now)
    return Outcome(result.status, events + result.events, result.known_tasks, prune_key)


def _prune(client: Client, *, uid: str, name: str, namespace: str, cluster: str, keep: list[Ref]) -> list[Event]:
    managed = f"{MANAGED_BY[0]}={MANAGED_BY[1]}"
    cluster_selector = f"{managed},{meta.CLUSTER_LABEL}={names.label_value(cluster)}"
    removed = prune(client, owner_uid=uid, keep=keep, kinds=SERVICE_CHILD_KINDS, namespace=namespace,
                    selector=f"{cluster_selector},{meta.SERVICE_LABEL}={names.label_value(name)}")
    removed += prune(client, owner_uid=uid, keep=keep, kinds=SHARED_CHILD_KINDS, namespace=namespace,
                     selector=cluster_selector)
    return [Event(f"Deleted {ref}, no longer wanted", "ChildDeleted") for ref in removed]


def service_ref(namespace: str, name: str) -> Ref:
    return Ref(API_VERSION, "Service", name, namespace)
