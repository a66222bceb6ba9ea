"""Reconcile one Task (a RunTask request, docs/tasks.md): launch its tasks once, then follow each one's
lifecycle from its Pod, stop it when ECS would (an essential container exited, a container that cannot
be created, StopTask), and keep describe-tasks in status after the Pods are gone.

A launch is decided once: the Cluster, the revision, the overrides and where the tasks go are resolved
on the first pass that finds them all acceptable, and status.tasks then holds every task. Until then
each pass tries again, so a Task applied in the same file as its TaskDefinition runs once the revision
exists; what ECS would refuse is the Accepted condition's message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from kube_ecs import API_VERSION
from kube_ecs.ecs import run_task
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile import service_capacity
from kube_ecs.reconcile import task_lifecycle as life
from kube_ecs.reconcile.apply import apply_child
from kube_ecs.reconcile.conditions import Condition, merge, seconds_between
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.kube import Client, Conflict, Ref
from kube_ecs.reconcile.outcome import Outcome, owner_of
from kube_ecs.reconcile.pod_security import service_refusals
from kube_ecs.reconcile.services import ServiceError, check_cluster
from kube_ecs.reconcile.taskdefinitions import raise_if_registering
from kube_ecs.resources import build_task_manifests, images, pod_security
from kube_ecs.resources import task as task_pods
from kube_ecs.resources.capacity import CAPACITY_PROVIDER_LABEL

ORDER = (life.PROVISIONING, life.PENDING, life.ACTIVATING, life.RUNNING, life.DEACTIVATING, life.STOPPING,
         life.DEPROVISIONING, life.STOPPED)


def task_ref(namespace: str, name: str) -> Ref:
    return Ref(API_VERSION, "Task", name, namespace)


def _refused(reason: str, problems: list[str]) -> ServiceError:
    """RunTask's refusal: ClientException for a task definition it cannot use, else InvalidParameterException."""
    kind = "ClientException" if reason == "TaskDefinitionNotFound" else "InvalidParameterException"
    return ServiceError(reason, f"{kind}: " + "; ".join(problems))


def normalized_spec(body: Mapping[str, Any]) -> tuple[dict, list[str]]:
    """The normalized RunTask request of a Task and its notes; ServiceError with what RunTask refuses."""
    spec, problems, notes = run_task.check_run_task(dict(body.get("spec") or {}))
    if spec is None:
        raise _refused("InvalidParameter", [str(p) for p in problems])
    return spec, [str(n) for n in notes]


def resolve_revision(spec: dict, revisions_of: Callable[[str], list[rev.Revision]]) -> rev.Revision:
    """The revision a new task runs: `family` its latest ACTIVE one, `family:N` only while N is ACTIVE."""
    try:
        ref = rev.parse_reference(spec["taskDefinition"])
        return rev.resolve(ref, revisions_of(ref.family))
    except (rev.BadReference, rev.Unresolved) as e:
        raise _refused("TaskDefinitionNotFound", [str(e)]) from e


def _launch(client: Client, body: dict, *, clusters: dict[str, str], revisions_of: Callable[[str], list[rev.Revision]],
            cluster_specs: dict[str, dict], providers: dict[str, dict], levels: dict[str, str],
            now: str, wait_for_registration: bool) -> tuple[dict, list[dict]]:
    """Resolve and create the tasks' Pods: (the launch's status fields, the tasks' first entries)."""
    meta_ = body["metadata"]
    name, namespace = meta_["name"], meta_["namespace"]
    spec, _ = normalized_spec(body)
    cluster = check_cluster(namespace, clusters, spec.get("cluster"))
    try:
        revision = resolve_revision(spec, revisions_of)
    except ServiceError:
        if wait_for_registration:
            raise_if_registering(client, spec["taskDefinition"], revisions_of)
        raise
    count = spec.get("count", 1)
    placement, _, problems = service_capacity.placement({**spec, "desiredCount": count}, cluster_specs.get(cluster),
                                                        providers, name)
    problems += [str(p) for p in run_task.validate_against(spec, revision.task_definition)]
    problems += service_capacity.task_problems(placement, revision.task_definition)
    if problems:
        raise _refused("InvalidParameter", problems)
    taskdef = images.with_mirror(revision.task_definition, (cluster_specs.get(cluster) or {}).get("ecrMirror"))
    level = levels.get(cluster) or pod_security.enforced(cluster_specs.get(cluster))
    if refused := service_refusals(client, namespace, run_task.overridden(taskdef, spec.get("overrides")), spec,
                                   level):
        raise _refused("PodSecurity", refused)
    manifests = build_task_manifests(run=spec, task_name=name, uid=meta_["uid"], taskdef=taskdef,
                                     family=revision.family, revision=revision.number, namespace=namespace,
                                     cluster=cluster, owner=owner_of(body), placement=placement, providers=providers)
    pods = [m for m in manifests if m["kind"] == "Pod"]
    for manifest in manifests:
        if manifest["kind"] != "Pod":
            apply_child(client, manifest)  # the task role's ServiceAccount, shared as a Service's is
    for pod in pods:
        with contextlib.suppress(Conflict):  # made by a pass that could not record it
            client.create(pod)
    definition = run_task.overridden(revision.task_definition, spec.get("overrides"))
    common = {"clusterArn": f"arn:aws:ecs:{task_pods.REGION}:{task_pods.ACCOUNT}:cluster/{cluster}",
              "taskDefinitionArn": task_pods.task_definition_arn(revision.family, revision.number),
              "group": run_task.group(spec, revision.family), "lastStatus": life.PROVISIONING,
              "desiredStatus": "RUNNING", "createdAt": now,
              **({"startedBy": spec["startedBy"]} if spec.get("startedBy") else {}),
              **{k: str(definition[k]) for k in ("cpu", "memory") if definition.get(k)},
              **({"launchType": placement.launch_type} if placement.launch_type else {})}
    entries = []
    for pod in pods:
        provider = (pod["metadata"]["labels"] or {}).get(CAPACITY_PROVIDER_LABEL)
        entries.append({"taskArn": task_pods.task_arn(cluster, pod["metadata"]["name"]), **common,
                        **({"capacityProviderName": provider} if provider else {}),
                        "containers": [{"name": c["name"], "lastStatus": life.PENDING, "healthStatus": "UNKNOWN"}
                                       for c in definition["containerDefinitions"]]})
    return {"taskDefinitionArn": common["taskDefinitionArn"], "cluster": cluster}, entries


def _pod_name(entry: dict) -> str:
    return entry["taskArn"].rsplit("/", 1)[-1]


def _stop_pod(client: Client, namespace: str, pod: dict) -> None:
    """ECS stops a task's containers with SIGTERM, then SIGKILL after stopTimeout: the kubelet does so for a
    Pod past its activeDeadlineSeconds, and keeps the Pod with every container's exit code. A Pod the
    kubelet has not taken yet (not placed) has nothing to stop: it is deleted."""
    ref = Ref("v1", "Pod", pod["metadata"]["name"], namespace)
    if pod["status"].get("startTime"):
        client.patch(ref, {"spec": {"activeDeadlineSeconds": 1}})
    else:
        client.delete(ref)


def _summary(entries: list[dict]) -> dict:
    """The Task's own fields for `kubectl get`: the least advanced task's state, how many run, stop codes."""
    states = [e["lastStatus"] for e in entries]
    codes = sorted({e["stopCode"] for e in entries if e.get("stopCode")})
    return {"lastStatus": min(states, key=ORDER.index) if states else life.PROVISIONING,
            "runningCount": states.count(life.RUNNING), "count": len(entries), "stopCode": ",".join(codes)}


def _task_events(previous: list[dict], entries: list[dict]) -> list[Event]:
    before = {e["taskArn"]: e.get("lastStatus") for e in previous}
    events = []
    for entry in entries:
        state = entry["lastStatus"]
        if state == before.get(entry["taskArn"]) or state not in (life.RUNNING, life.STOPPED):
            continue
        task = _pod_name(entry)
        if state == life.RUNNING:
            events.append(Event(f"Task {task} is RUNNING.", "TaskRunning"))
        else:
            codes = ", ".join(f"{c['name']} exit code {c['exitCode']}" for c in entry.get("containers", [])
                              if "exitCode" in c)
            events.append(Event(f"Task {task} STOPPED ({entry.get('stopCode')}: {entry.get('stoppedReason')})"
                                + (f"; {codes}" if codes else "") + ".", "TaskStopped",
                                entry.get("stopCode") == life.FAILED_TO_START))
    return events


def _conditions(entries: list[dict], error: tuple[str, str] | None) -> list[Condition]:
    if error is not None:
        return [Condition("Accepted", False, *error), Condition("Running", False, "NotLaunched"),
                Condition("Stopped", False, "NotLaunched")]
    states = [e["lastStatus"] for e in entries]
    running = bool(states) and all(s == life.RUNNING for s in states)
    stopped = bool(states) and all(s == life.STOPPED for s in states)
    summary = _summary(entries)
    return [Condition("Accepted", True, "Launched", f"{len(entries)} tasks launched."),
            Condition("Running", running, life.RUNNING if running else summary["lastStatus"],
                      f"{states.count(life.RUNNING)} of {len(states)} tasks RUNNING."),
            Condition("Stopped", stopped, summary["stopCode"] or life.STOPPED if stopped else summary["lastStatus"],
                      f"{states.count(life.STOPPED)} of {len(states)} tasks STOPPED.")]


def _stopped_unlaunched(previous: dict, stop: life.Stop, generation: int, now: str) -> dict:
    """The status of a Task stopped (desiredStatus STOPPED) before it launched anything: STOPPED with its
    stop code and reason, no tasks, not accepted (so it does not hold its Cluster, is_active)."""
    message = f"Stopped before any task was launched: {stop.reason}."
    conditions = merge(previous.get("conditions"), [
        Condition("Accepted", False, "StoppedBeforeLaunch", message),
        Condition("Running", False, "NotLaunched"),
        Condition("Stopped", True, stop.code, message)], generation=generation, now=now)
    launch = {k: previous[k] for k in ("taskDefinitionArn", "cluster") if k in previous}
    return {"observedGeneration": generation, **launch, **_summary([]), "lastStatus": life.STOPPED,
            "stopCode": stop.code, "stoppedReason": stop.reason, "tasks": [], "failures": [],
            "conditions": conditions}


def reconcile_task(
    client: Client,
    body: dict,
    *,
    pods: Mapping[str, dict],
    clusters: dict[str, str],
    revisions_of: Callable[[str], list[rev.Revision]],
    now: str,
    cluster_specs: dict[str, dict] | None = None,
    providers: dict[str, dict] | None = None,
    levels: dict[str, str] | None = None,
    wait_for_registration: bool = True,
) -> Outcome:
    """One pass over Task `body`: launch (once), observe each task (`pods`: its slim Pods by name, from the
    index; one missing there is read from the API server before it counts as gone), stop what ECS would
    stop, and delete the Task once its ttlSecondsAfterStopped has passed. While `wait_for_registration`,
    a launch on a revision its TaskDefinition is still registering raises revisions.Registering."""
    meta_ = body["metadata"]
    namespace = meta_["namespace"]
    previous = body.get("status") or {}
    spec = body.get("spec") or {}
    generation = meta_.get("generation", 0)
    entries: list[dict] = list(previous.get("tasks") or [])
    launch = {k: previous[k] for k in ("taskDefinitionArn", "cluster") if k in previous}
    error = None
    events: list[Event] = []
    stop = life.Stop(life.USER_INITIATED, spec.get("reason") or life.USER_STOPPED_REASON) \
        if spec.get("desiredStatus") == life.STOPPED else None
    if stop is not None and not entries:  # StopTask before any task was launched: nothing ever runs
        return Outcome(_stopped_unlaunched(previous, stop, generation, now), [])
    if not entries:
        try:
            launch, entries = _launch(client, body, clusters=clusters, revisions_of=revisions_of,
                                      cluster_specs=cluster_specs or {}, providers=providers or {},
                                      levels=levels or {}, now=now, wait_for_registration=wait_for_registration)
            events.append(Event(f"Started {len(entries)} tasks: " + " ".join(f"(task {_pod_name(e)})" for e in entries)
                                + ".", "TasksStarted"))
        except ServiceError as e:
            error = (e.reason, str(e))
    observed_entries, failures = [], []
    for entry in entries:
        pod = pods.get(_pod_name(entry))
        if pod is None and entry.get("lastStatus") != life.STOPPED:
            live = client.get(Ref("v1", "Pod", _pod_name(entry), namespace))
            pod = life.slim(live) if live else None
        observed = life.observe(pod, entry, now=now, stop=stop)
        if observed.stop_pod and pod is not None:
            _stop_pod(client, namespace, pod)
        if observed.placement_failure:
            reason, detail = observed.placement_failure
            failures.append({"arn": entry["taskArn"], "reason": reason, "detail": detail})
        observed_entries.append(observed.entry)
    events += _task_events(entries if previous.get("tasks") else [], observed_entries)
    conditions = merge(previous.get("conditions"), _conditions(observed_entries, error), generation=generation,
                       now=now)
    status = {"observedGeneration": generation, **launch, **_summary(observed_entries), "tasks": observed_entries,
              "failures": failures, "conditions": conditions}
    said = next((c.get("message") for c in previous.get("conditions") or [] if c.get("type") == "Accepted"), None)
    if error and error[1] != said:  # a refusal, once per change of its words
        events.append(Event(error[1], error[0], True))
    ttl = spec.get("ttlSecondsAfterStopped")
    if ttl is not None and observed_entries and all(e["lastStatus"] == life.STOPPED for e in observed_entries):
        last = max(e.get("stoppedAt", now) for e in observed_entries)
        if seconds_between(last, now) >= ttl:
            client.delete(task_ref(namespace, meta_["name"]))
    return Outcome(status, events)


def is_active(status: Mapping[str, Any] | None) -> bool:
    """A Task holding its Cluster: tasks not all STOPPED, or not launched yet unless RunTask refused it."""
    status = status or {}
    if tasks := status.get("tasks"):
        return any(t.get("lastStatus") != life.STOPPED for t in tasks)
    if status.get("lastStatus") == life.STOPPED:  # stopped before it launched anything
        return False
    return not any(c.get("type") == "Accepted" and c.get("status") == "False" for c in status.get("conditions") or [])
