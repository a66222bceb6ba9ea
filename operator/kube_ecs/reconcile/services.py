"""Reconcile one ECS Service: resolve its Cluster and task definition, build its children, apply them,
remove the ones no longer wanted, and compute its status.

Errors only the operator can see (no Cluster, unknown revision, invalid combination) become status
and events; the running children are left as they are, as ECS leaves a service running when an
update-service call fails.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

from kube_ecs import API_VERSION
from kube_ecs.ecs.capacity import Effective
from kube_ecs.ecs.validate import check_service, validate_service_task
from kube_ecs.reconcile import autoscaling, blue_green, service_capacity
from kube_ecs.reconcile import circuit_breaker as breaker
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.apply import MANAGED_BY, apply_child, prune
from kube_ecs.reconcile.conditions import seconds_between
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.kube import Client, Ref
from kube_ecs.reconcile.outcome import Outcome, owner_of
from kube_ecs.reconcile.pod_security import service_refusals
from kube_ecs.reconcile.service_status import Observed, Task, compute
from kube_ecs.reconcile.taskdefinitions import raise_if_registering
from kube_ecs.resources import build_service_manifests, images, meta, names, pod_security
from kube_ecs.resources.capacity import Target

WORKLOAD_KINDS = (("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"))
# Children found by the Service's labels; a ServiceAccount is shared and carries only Cluster labels.
SERVICE_CHILD_KINDS = (*WORKLOAD_KINDS, ("v1", "Service"), ("networking.k8s.io/v1", "Ingress"))
SHARED_CHILD_KINDS = (("v1", "ServiceAccount"),)
# Kubernetes' largest progress deadline: a Deployment never reports ProgressDeadlineExceeded (docs/rollouts.md).
MAX_DEADLINE = 2**31 - 1


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


@dataclass
class _Pass:
    """What one pass has learned so far: the status is computed from it however far the pass got."""

    desired: int
    prune_key: object
    warnings: list[str] = field(default_factory=list)
    workload: dict | None = None
    # The other Deployments of a Service with one per capacity provider (`workload` is the first).
    siblings: list[dict] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    error: tuple[str, str] | None = None
    capacity: dict = field(default_factory=dict)
    # The failure accounting's and the breaker's events: service events (status.events) too.
    rollout_events: list[Event] = field(default_factory=list)
    # Seconds until a blue/green bake time ends (None: no timer).
    wake_in: float | None = None


@dataclass(frozen=True)
class _Target:
    """What the Service resolves to: its Cluster, normalized spec, the revision to run and where."""

    cluster: str
    spec: dict
    revision: rev.Revision
    placement: Effective
    workloads: list[Target]


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
    cluster_specs: dict[str, dict] | None = None,
    providers: dict[str, dict] | None = None,
    levels: dict[str, str] | None = None,
    autoscaled: Collection[str] = (),
    wait_for_registration: bool = True,
) -> Outcome:
    """One pass: resolve → build → apply the children → prune → status. Listing every child kind is
    the costly part, so pruning runs only when what decides the set of children (the generation, the
    chosen revision and the workloads' names) differs from `pruned`, the value of `Outcome.prune_key`
    after the last pass that pruned (None: prune). `cluster_specs` are the Clusters' specs by name
    and `providers` the CapacityProviders' normalized specs by name (docs/capacity.md); `levels` the
    Pod Security level each Cluster enforces (default: its spec's, docs/security.md). `autoscaled`
    names the Deployments a HorizontalPodAutoscaler scales: their replicas are left to it and the
    status shows its count (reconcile/autoscaling.py). While `wait_for_registration`, a revision its
    TaskDefinition is still registering raises revisions.Registering rather than TaskDefinitionNotFound."""
    meta_ = body["metadata"]
    name, namespace = meta_["name"], meta_["namespace"]
    spec_raw = body.get("spec") or {}
    progress = _Pass(desired=spec_raw.get("desiredCount", 1), prune_key=pruned)
    previous_status = body.get("status") or {}
    rollout = previous_status.get("rollout")
    try:
        target = _resolve(client, body, progress, clusters=clusters, revisions_of=revisions_of,
                          cluster_specs=cluster_specs or {}, providers=providers or {}, levels=levels or {},
                          wait_for_registration=wait_for_registration)
        daemon = target.spec.get("schedulingStrategy") == "DAEMON"
        strategy = blue_green.Strategy.of(target.spec)
        scaled = autoscaling.scaled_count([progress.workload, *progress.siblings], autoscaled)
        if not daemon:
            rollout, progress.rollout_events = _count_failures(body, target, rollout, tasks, previous_status)
            rollout, switched, progress.wake_in = blue_green.evaluate(
                rollout, strategy=strategy, tasks=tasks, now=now, service=name,
                desired=target.spec.get("desiredCount", 1) if scaled is None else scaled)
            progress.rollout_events += switched
            target = _rolled_back(body, target, rollout, revisions_of)
        spec = target.spec
        if scaled is not None:  # the rollout percentages follow the autoscaler's count
            spec = {**spec, "desiredCount": scaled}
        manifests = build_service_manifests(
            service=spec, service_name=name,
            taskdef=images.with_mirror(target.revision.task_definition,
                                       ((cluster_specs or {}).get(target.cluster) or {}).get("ecrMirror")),
            family=target.revision.family, revision=target.revision.number, namespace=namespace,
            cluster=target.cluster, owner=owner_of(body), placement=target.placement, providers=providers)
        if not daemon:
            before = ((rollout or {}).get("current") or {}).get("id")
            rollout, manifests = _deployment_of(body, target, rollout, blue_green.mark(manifests, strategy), now)
            rollout, manifests, started = blue_green.shape(rollout, manifests, strategy=strategy, now=now,
                                                           service_name=name, namespace=namespace)
            progress.rollout_events += started
            current = rollout["current"]
            rollout = {**rollout, "circuitBreaker": breaker.monitor(rollout, breaker.Breaker.of(target.spec),
                                                                   target.spec.get("desiredCount", 1))}
            if current["id"] != before:
                progress.events.append(Event(f"(service {name}) (deployment {current['id']}) started: "
                                             f"{current['taskDefinition']}.", "DeploymentStarted"))
        elif breaker.Breaker.of(target.spec).enable:
            progress.warnings.append("deploymentConfiguration.deploymentCircuitBreaker: not applied to DAEMON "
                                     "services (docs/rollouts.md): ignored")
        keep = _apply_children(client, autoscaling.release_replicas(client, manifests, autoscaled), progress)
        scaled = autoscaling.scaled_count([progress.workload, *progress.siblings], autoscaled)
        progress.desired = progress.desired if scaled is None else scaled
        if not daemon and breaker.is_stopped(rollout):
            progress.events += _stop_launching(client, namespace, rollout or {}, replica_sets)
        elif not daemon:
            progress.events += _relaunch_stuck(client, namespace, tasks, now)
        live = {w["metadata"]["name"]: w for w in (progress.workload, *progress.siblings) if w}
        progress.capacity = service_capacity.placement_status(target.placement, target.workloads, live)
        # The children wanted (a blue/green's test route comes and goes within one generation).
        key = (meta_.get("generation"), target.revision.family, target.revision.number,
               tuple(w.name for w in target.workloads), tuple(sorted(map(str, keep))))
        if key != pruned:
            progress.events += _prune(client, uid=meta_["uid"], name=name, namespace=namespace,
                                      cluster=target.cluster, keep=keep)
            progress.prune_key = key
    except ServiceError as e:
        progress.error = (e.reason, str(e))
        if progress.workload is None:
            progress.workload = _find_workload(client, namespace, name, None)
    result = compute(
        Observed(service=name, family=_family_hint(spec_raw.get("taskDefinition")), desired_count=progress.desired,
                 generation=meta_.get("generation", 0), workload=progress.workload, replica_sets=replica_sets,
                 tasks=tasks, error=progress.error, warnings=progress.warnings, siblings=progress.siblings,
                 capacity=progress.capacity, rollout=rollout, rollout_events=progress.rollout_events),
        body.get("status"), known_tasks, now)
    return Outcome(result.status, progress.events + result.events, result.known_tasks, progress.prune_key,
                   progress.wake_in)


def _resolve(client: Client, body: dict, progress: _Pass, *, clusters: dict[str, str],
             revisions_of: Callable[[str], list[rev.Revision]], cluster_specs: dict[str, dict],
             providers: dict[str, dict], levels: dict[str, str], wait_for_registration: bool) -> _Target:
    """The Cluster, the normalized spec, the revision to run and where; raises ServiceError with ECS's
    wording. The running workloads are read on the way: a pinned INACTIVE revision stays usable while
    it runs."""
    meta_ = body["metadata"]
    namespace, name = meta_["namespace"], meta_["name"]
    cluster = check_cluster(namespace, clusters, (body.get("spec") or {}).get("cluster"))
    spec, progress.warnings = normalized_spec(body)
    progress.desired = spec.get("desiredCount", 1)
    placement, workloads, problems = service_capacity.placement(spec, cluster_specs.get(cluster), providers, name)
    daemon = spec.get("schedulingStrategy") == "DAEMON"
    found = [_find_workload(client, namespace, w.name, daemon) for w in workloads] or \
        [_find_workload(client, namespace, name, daemon)]
    progress.workload, progress.siblings = found[0], [w for w in found[1:] if w is not None]
    if problems:
        raise ServiceError("InvalidParameter", "InvalidParameterException: " + "; ".join(problems))
    try:
        ref = rev.parse_reference(spec["taskDefinition"])
        chosen = rev.resolve(ref, revisions_of(ref.family), running=_running_revision(progress.workload))
    except (rev.BadReference, rev.Unresolved) as e:
        if wait_for_registration:
            raise_if_registering(client, spec["taskDefinition"], revisions_of)
        raise ServiceError("TaskDefinitionNotFound", f"ClientException: {e}") from e
    problems = [str(p) for p in validate_service_task(spec, chosen.task_definition)] + \
        service_capacity.task_problems(placement, chosen.task_definition)
    if problems:
        raise ServiceError("InvalidParameter", "InvalidParameterException: " + "; ".join(problems))
    level = levels.get(cluster) or pod_security.enforced(cluster_specs.get(cluster))
    if refused := service_refusals(client, namespace, chosen.task_definition, spec, level):
        # The running tasks are left alone (a raised level); Pod Security Admission refuses new ones.
        raise ServiceError("PodSecurity", "InvalidParameterException: " + "; ".join(refused))
    return _Target(cluster, spec, chosen, placement, workloads)


def force_token(body: dict) -> str:
    """forceNewDeployment: ECS's is a flag of UpdateService; here a new value of the Service's annotation
    `ecs.kube-ecs.dev/force-new-deployment` (any string, e.g. a timestamp) starts a new deployment."""
    return str((body["metadata"].get("annotations") or {}).get(breaker.FORCE_ANNOTATION, ""))


def _count_failures(body: dict, target: _Target, rollout: dict | None, tasks: list[Task],
                    previous_status: dict) -> tuple[dict, list[Event]]:
    """The failures of every deployment still in the history, and the breaker of the current one."""
    keep = {d.get("id") for d in previous_status.get("deployments") or []} | \
        {((rollout or {}).get("current") or {}).get("id")}
    return breaker.evaluate(rollout or {}, tasks, breaker=breaker.Breaker.of(target.spec),
                            desired=target.spec.get("desiredCount", 1), service=body["metadata"]["name"],
                            keep={k for k in keep if k})


def _rolled_back(body: dict, target: _Target, rollout: dict | None,
                 revisions_of: Callable[[str], list[rev.Revision]]) -> _Target:
    """The target with the revision the breaker rolled back to, while nothing else changed."""
    number = breaker.target_revision(rollout, target.revision.number,
                                     generation=body["metadata"].get("generation", 0), force=force_token(body))
    if number is None or number == target.revision.number:
        return target
    found = next((r for r in revisions_of(target.revision.family) if r.number == number), None)
    return target if found is None else replace(target, revision=found)


def _deployment_of(body: dict, target: _Target, rollout: dict | None, manifests: list[dict],
                   now: str) -> tuple[dict, list[dict]]:
    """The ECS deployment these manifests are (a new one when their pod templates or the force token
    changed), its id written into each Deployment's pod template; a deployment the breaker stopped
    without a rollback is paused. Kubernetes' progress deadline is lifted: only the breaker fails a
    deployment, as in ECS."""
    meta_ = body["metadata"]
    force = force_token(body)
    workloads = [m for m in manifests if (m["apiVersion"], m["kind"]) == WORKLOAD_KINDS[0]]
    key = breaker.template_key([w["spec"]["template"] for w in workloads], force)
    rollout = breaker.start(rollout, key=key, revision=target.revision.number,
                            generation=meta_.get("generation", 0), force=force, uid=meta_["uid"], now=now,
                            task_definition=f"{target.revision.family}:{target.revision.number}")
    current = rollout["current"]
    failed = rollout.get("failed") or {}
    if failed.get("rollbackRevision") == target.revision.number and failed.get("id") != current["id"] \
            and not failed.get("rolledBackAs") and current.get("revision") == target.revision.number:
        rollout = {**rollout, "failed": {**failed, "rolledBackAs": current["id"]}}
    stopped = breaker.is_stopped(rollout)
    out = []
    for manifest in manifests:
        if manifest in workloads:
            spec = manifest["spec"]
            template = spec["template"]
            meta = dict(template.get("metadata") or {})
            meta["annotations"] = {**(meta.get("annotations") or {}), breaker.DEPLOYMENT_ID_ANNOTATION: current["id"]}
            spec = {**spec, "template": {**template, "metadata": meta}, "progressDeadlineSeconds": MAX_DEADLINE}
            if stopped:
                spec["paused"] = True
            manifest = {**manifest, "spec": spec}
        out.append(manifest)
    return rollout, out


def _stop_launching(client: Client, namespace: str, rollout: dict, replica_sets: list[dict]) -> list[Event]:
    """A deployment the breaker stopped launches no more tasks: its ReplicaSets go to 0 (the Deployment is
    paused, so its controller only scales the deployment still running up to the desired count)."""
    failed_id = (rollout.get("failed") or {}).get("id")
    events = []
    for rs in replica_sets:
        annotations = rs.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations") or {}
        if annotations.get(breaker.DEPLOYMENT_ID_ANNOTATION) != failed_id or not rs.get("spec", {}).get("replicas"):
            continue
        ref = Ref("apps/v1", "ReplicaSet", rs["metadata"]["name"], namespace)
        client.patch(ref, {"spec": {"replicas": 0}})
        events.append(Event(f"Scaled {ref} to 0: deployment {failed_id} was stopped by the circuit breaker",
                            "ChildUpdated"))
    return events


# How long a task whose container cannot be created (image pull, missing Secret) is left before it is
# stopped and replaced, as ECS stops such a task and launches another (each one a failed task).
STUCK_SECONDS = 30


def _relaunch_stuck(client: Client, namespace: str, tasks: list[Task], now: str) -> list[Event]:
    events = []
    for task in tasks:
        if task.stuck_since is None or seconds_between(task.stuck_since, now) < STUCK_SECONDS:
            continue
        if client.evict(namespace, task.name):
            events.append(Event(f"Stopped task {task.name}: {task.failure_reason}", "TaskStopped", True))
    return events


def _apply_children(client: Client, manifests: list[dict], progress: _Pass) -> list[Ref]:
    """Apply every child; events for what changed, ChildConflict for one we do not control. Returns the
    children to keep when pruning."""
    keep, workloads = [], []
    for desired_obj in manifests:
        applied = apply_child(client, desired_obj)
        keep.append(applied.ref)
        if applied.action == "conflict":
            progress.events.append(Event(applied.message, "ChildConflict", True))
            progress.error = ("ChildConflict", applied.message)
        elif applied.action != "unchanged":
            action = applied.action.capitalize()
            progress.events.append(Event(f"{action} {applied.ref}", f"Child{action}"))
        if (applied.ref.api_version, applied.ref.kind) in WORKLOAD_KINDS:
            # A workload we do not control says nothing about this Service's tasks.
            workloads.append(None if applied.action == "conflict" else applied.live)
    progress.workload = workloads[0] if workloads else None
    progress.siblings = [w for w in workloads[1:] if w is not None]
    return keep


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
