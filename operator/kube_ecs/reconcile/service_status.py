"""ECS Service status from what Kubernetes reports: describe-services' counts, deployments[] and
events[], plus Ready / Progressing / Degraded conditions. Pure: objects in, status out.

An ECS deployment is a ReplicaSet of the Service's Deployment (one per pod template, so one per
task definition revision); PRIMARY is the Deployment's current one, ACTIVE the older ones still
running tasks. A DAEMON Service's DaemonSet has no ReplicaSets; its tasks are grouped by revision.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kube_ecs.reconcile import blue_green, circuit_breaker
from kube_ecs.reconcile.circuit_breaker import DEPLOYMENT_ID_ANNOTATION
from kube_ecs.reconcile.conditions import Condition, condition_events, is_true, merge
from kube_ecs.reconcile.events import Event
from kube_ecs.resources.meta import CONTAINER_NAMES_ANNOTATION, REVISION_LABEL

MAX_EVENTS = 10
K8S_REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"

# Container waiting reasons → ECS's stopped/launch error codes.
_PULL_ERRORS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})


@dataclass(frozen=True)
class Task:
    """A pod as status needs it (the Kopf index keeps these, not whole pods)."""

    name: str
    revision: str | None
    template_hash: str | None
    running: bool  # ECS RUNNING: every container started and ready
    terminating: bool
    restarts: int
    placement_problem: str | None = None
    launch_problem: str | None = None
    # The ECS deployment the task belongs to (its pod template's annotation), and its failures as ECS
    # counts them (circuit_breaker.py): every restart of any container (main, init, sidecar), plus one for a
    # container that cannot be created at all (image pull, missing Secret); the reason of the latest, and
    # whether it was a health check that stopped it.
    deployment_id: str | None = None
    failures: int = 0
    failure_reason: str | None = None
    health_failure: bool = False
    # creationTimestamp of a task whose container cannot be created (image, Secret): ECS would stop it and
    # launch another, so the operator does (reconcile/services.py).
    stuck_since: str | None = None
    # Every container has exited (phase Succeeded or Failed): the task is STOPPED, though the kubelet
    # takes a moment more to remove the pod.
    stopped: bool = False


def _ecs_names(meta: dict) -> dict[str, str]:
    """Kubernetes container name → ECS container name, from the pod's annotation ({} when absent or unreadable:
    then a message names the Kubernetes container)."""
    try:
        names = json.loads((meta.get("annotations") or {}).get(CONTAINER_NAMES_ANNOTATION, "{}"))
    except ValueError:
        return {}
    return {k: v for k, v in names.items() if isinstance(v, str)} if isinstance(names, dict) else {}


# Exit codes of a container killed by a signal (SIGKILL, SIGTERM).
_KILLED = frozenset({137, 143})


def _probed(spec: dict) -> dict[str, float]:
    """Containers with a liveness or startup probe (an ECS healthCheck) → the least time a failing probe takes
    to have the kubelet kill it. Kubernetes does not record why it stopped a container: one with a probe that
    ran that long, or exited by a signal, is taken as stopped by its failed health check."""
    found = {}
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        probes = [p for p in (c.get("startupProbe"), c.get("livenessProbe")) if p]
        if probes:
            found[c.get("name", "")] = min(p.get("initialDelaySeconds", 0) + p.get("periodSeconds", 10)
                                           * p.get("failureThreshold", 3) for p in probes)
    return found


def _lifetime(terminated: dict) -> float:
    try:
        started, finished = (datetime.strptime(terminated[k], "%Y-%m-%dT%H:%M:%SZ")
                             for k in ("startedAt", "finishedAt"))
    except (KeyError, TypeError, ValueError):
        return 0.0
    return (finished - started).total_seconds()


def _failure(cs: dict, ecs_name: str, kill_after: float | None) -> tuple[str | None, bool]:
    """(ECS stopped reason, whether a health check stopped it) of a container's last failure."""
    waiting = (cs.get("state") or {}).get("waiting") or {}
    reason, message = waiting.get("reason", ""), waiting.get("message", "")
    last = (cs.get("lastState") or {}).get("terminated") or {}
    if reason == "CreateContainerConfigError" or reason in _PULL_ERRORS:
        return launch_error(waiting), False
    if reason in ("RunContainerError", "CreateContainerError") or last.get("reason") == "StartError":
        return f"CannotStartContainerError: {last.get('message') or message or reason}", False
    if last:
        code = last.get("exitCode")
        if last.get("reason") == "OOMKilled":
            return f"OutOfMemoryError: Container killed due to memory usage (container {ecs_name})", False
        if kill_after is not None and code != 0 and (code in _KILLED or _lifetime(last) >= kill_after - 1):
            return "Task failed container health checks", True
        return f"Essential container in task exited (container {ecs_name}, exit code {code})", False
    return None, False


def launch_error(waiting: Mapping[str, Any]) -> str | None:
    """ECS's words for a container that cannot be created (its `state.waiting`): an image that cannot be
    pulled, a Secret that cannot be read; None for any other wait."""
    reason, message = waiting.get("reason", ""), waiting.get("message", "")
    if reason == "CreateContainerConfigError":
        return f"ResourceInitializationError: unable to pull secrets or registry auth: {message}"
    if reason in _PULL_ERRORS:
        return f"CannotPullContainerError: {message or reason}"
    return None


def task_of(pod: Mapping[str, Any]) -> Task:
    meta, status = pod.get("metadata", {}), pod.get("status", {})
    labels = meta.get("labels") or {}
    ecs_names = _ecs_names(meta)
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    containers = status.get("containerStatuses") or []
    every = [*(status.get("initContainerStatuses") or []), *containers]
    probed = _probed(pod.get("spec") or {})
    placement = None
    scheduled = conditions.get("PodScheduled", {})
    if scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        placement = scheduled.get("message", "")
    launch = None
    failures, failure_reason, health, stuck_any = 0, None, False, False
    for cs in every:
        name = cs.get("name", "")
        ecs_name = ecs_names.get(name, name)
        waiting = (cs.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason", "")
        if reason == "CreateContainerConfigError" or reason in _PULL_ERRORS:
            launch = launch_error(waiting)
        elif reason == "CrashLoopBackOff":
            launch = _failure(cs, ecs_name, probed.get(name))[0]
        restarts = cs.get("restartCount", 0)
        # A container that could not even be created never restarts: the attempt is one failure.
        stuck = reason in _PULL_ERRORS or reason in ("CreateContainerConfigError", "CreateContainerError")
        count = restarts + (1 if stuck and not restarts else 0)
        stuck_any = stuck_any or stuck
        if count:
            failures += count
            why, by_health = _failure(cs, ecs_name, probed.get(name))
            if why:
                failure_reason, health = why, by_health
    return Task(
        name=meta.get("name", ""),
        revision=labels.get(REVISION_LABEL),
        template_hash=labels.get(TEMPLATE_HASH),
        running=status.get("phase") == "Running" and conditions.get("Ready", {}).get("status") == "True",
        terminating=bool(meta.get("deletionTimestamp")) or status.get("phase") in ("Succeeded", "Failed"),
        restarts=sum(cs.get("restartCount", 0) for cs in containers),
        placement_problem=placement,
        launch_problem=launch,
        deployment_id=(meta.get("annotations") or {}).get(DEPLOYMENT_ID_ANNOTATION),
        failures=failures,
        failure_reason=failure_reason,
        health_failure=health,
        stuck_since=meta.get("creationTimestamp") if stuck_any and not meta.get("deletionTimestamp") else None,
        stopped=status.get("phase") in ("Succeeded", "Failed"),
    )


@dataclass(frozen=True)
class Observed:
    """Everything the status is computed from."""

    service: str
    family: str
    desired_count: int
    generation: int
    workload: dict | None
    replica_sets: list[dict] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    # An error only the operator can see (unknown revision, missing Cluster): (reason, message).
    error: tuple[str, str] | None = None
    warnings: list[str] = field(default_factory=list)
    # A strategy of several capacity providers runs one Deployment per provider: `workload` is the
    # first, `siblings` the others; their deployments[] entries are merged (docs/capacity.md).
    siblings: list[dict] = field(default_factory=list)
    # launchType, or capacityProviderStrategy and the counts per provider (service_capacity.py).
    capacity: dict = field(default_factory=dict)
    # status.rollout after this pass's failure accounting (circuit_breaker.py); None: not tracked (DAEMON).
    rollout: dict | None = None
    # What the accounting and the breaker said this pass (failed tasks, deployment failed, rolling back).
    rollout_events: list[Event] = field(default_factory=list)


@dataclass
class Result:
    status: dict
    events: list[Event]
    known_tasks: set[str]


def _labels(obj: dict) -> dict:
    return obj.get("metadata", {}).get("labels") or {}


def _template_annotations(obj: dict) -> dict:
    return obj.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations") or {}


def _template_revision(obj: dict) -> str | None:
    return _labels(obj.get("spec", {}).get("template", {})).get(REVISION_LABEL)


def _counts(tasks: list[Task]) -> tuple[int, int, int]:
    live = [t for t in tasks if not t.terminating]
    running = sum(t.running for t in live)
    return running, len(live) - running, sum(t.restarts for t in tasks)


def _entry(*, id_: str, primary: bool, family: str, revision: str | None, desired: int,
           tasks: list[Task], state: str, reason: str, created: str) -> dict:
    running, pending, failed = _counts(tasks)
    return {
        "id": id_, "status": "PRIMARY" if primary else "ACTIVE",
        "taskDefinition": f"{family}:{revision}" if revision else family,
        "desiredCount": desired, "runningCount": running, "pendingCount": pending, "failedTasks": failed,
        "rolloutState": state, "rolloutStateReason": reason, "createdAt": created,
    }


def _rollout(workload: dict, desired: int) -> tuple[str, str]:
    """(rolloutState, reason when FAILED) of the workload's current template. Kubernetes' progress deadline
    is not a failure: as in ECS, only the circuit breaker fails a deployment; without it a stuck deployment
    stays IN_PROGRESS."""
    spec_gen = workload.get("metadata", {}).get("generation", 0)
    status = workload.get("status", {})
    synced = status.get("observedGeneration", 0) >= spec_gen
    if workload["kind"] == "DaemonSet":
        done = (status.get("updatedNumberScheduled", 0) == desired
                and status.get("numberAvailable", 0) == desired)
    else:
        done = (status.get("updatedReplicas", 0) == desired == status.get("replicas", 0)
                and status.get("availableReplicas", 0) == desired)
    return ("COMPLETED" if synced and done else "IN_PROGRESS"), ""


def _settled_by_tasks(workload: dict, primary: list[Task], tasks: list[Task], desired: int) -> bool:
    """ECS's own test of a completed deployment: every task of the PRIMARY running and no other task
    left but STOPPED ones. The pods say so a sync or two before the Deployment's status does (the
    ReplicaSet and then the Deployment controller count them). Only once that controller has seen the
    current spec, and not with minReadySeconds (blue/green's hold), which only its count applies."""
    spec, meta, status = workload.get("spec", {}), workload.get("metadata", {}), workload.get("status", {})
    if spec.get("minReadySeconds") or status.get("observedGeneration", 0) < meta.get("generation", 0):
        return False
    live = [t for t in primary if not t.terminating]
    left = [t for t in tasks if not t.stopped]
    return len(live) == desired and all(t.running for t in live) and all(t in primary for t in left)


def _reason(state: str, id_: str, detail: str) -> str:
    return {
        "COMPLETED": f"ECS deployment {id_} completed.",
        "IN_PROGRESS": f"ECS deployment {id_} in progress.",
    }.get(state, f"ECS deployment {id_} failed: {detail}")


def deployments(observed: Observed, previous: list[dict] | None) -> list[dict]:
    """describe-services' deployments[]: PRIMARY first, then ACTIVE ones still holding tasks."""
    workload = observed.workload
    if workload is None:
        return []
    prior = {d.get("id"): d for d in previous or []}
    uid = workload["metadata"].get("uid")
    created_default = workload["metadata"].get("creationTimestamp", "")
    daemon = workload["kind"] == "DaemonSet"
    desired = workload.get("status", {}).get("desiredNumberScheduled", 0) if daemon else observed.desired_count
    state, detail = _rollout(workload, desired)
    current_revision = _template_revision(workload)

    def sticky(id_: str, state: str) -> str:
        # ECS never takes a completed deployment back to IN_PROGRESS (a task dying is not a rollout).
        was = prior.get(id_, {})
        return "COMPLETED" if state == "IN_PROGRESS" and was.get("status") == "PRIMARY" and \
            was.get("rolloutState") == "COMPLETED" else state

    result: list[dict] = []
    if daemon:
        groups: dict[str | None, list[Task]] = {}
        for task in observed.tasks:
            groups.setdefault(task.revision, []).append(task)
        primary_id = f"ecs-svc/{workload['metadata']['name']}-{current_revision}"
        state = sticky(primary_id, state)
        result.append(_entry(id_=primary_id, primary=True, family=observed.family, revision=current_revision,
                             desired=desired, tasks=groups.pop(current_revision, []), state=state,
                             reason=_reason(state, primary_id, detail), created=created_default))
        for revision, tasks in sorted(groups.items(), key=lambda kv: str(kv[0])):
            id_ = f"ecs-svc/{workload['metadata']['name']}-{revision}"
            result.append(_entry(id_=id_, primary=False, family=observed.family, revision=revision, desired=0,
                                 tasks=tasks, state="COMPLETED", reason=_reason("COMPLETED", id_, ""),
                                 created=prior.get(id_, {}).get("createdAt", created_default)))
        return result

    rollout = observed.rollout or {}
    failed = rollout.get("failed") or {}

    def failures(id_: str, tasks: list[Task]) -> int:
        counted = circuit_breaker.failed_tasks(rollout, id_)
        return counted if counted is not None else sum(t.restarts for t in tasks)

    current = workload["metadata"].get("annotations", {}).get(K8S_REVISION)
    owned = [rs for rs in observed.replica_sets
             if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or [])]
    owned.sort(key=lambda rs: -int(rs["metadata"].get("annotations", {}).get(K8S_REVISION, "0")))
    primary = next((rs for rs in owned if rs["metadata"].get("annotations", {}).get(K8S_REVISION) == current
                    and _template_revision(rs) == current_revision), None)
    if primary is None:
        # The Deployment controller has not made the new ReplicaSet yet.
        id_ = (rollout.get("current") or {}).get("id") or f"ecs-svc/{workload['metadata']['name']}-new"
        stopped = id_ == failed.get("id")
        result.append(_entry(id_=id_, primary=True, family=observed.family, revision=current_revision,
                             desired=desired, tasks=[], state="FAILED" if stopped else "IN_PROGRESS",
                             reason=failed.get("reason", "") if stopped else _reason("IN_PROGRESS", id_, ""),
                             created=created_default))
    for rs in owned:
        hash_ = _labels(rs).get(TEMPLATE_HASH)
        tasks = [t for t in observed.tasks if t.template_hash == hash_]
        is_primary = rs is primary
        replicas = rs.get("spec", {}).get("replicas", 0)
        # An older deployment stays (ACTIVE) until it has drained: no task left but STOPPED ones.
        if not is_primary and not replicas and all(t.stopped for t in tasks):
            continue
        id_ = _template_annotations(rs).get(DEPLOYMENT_ID_ANNOTATION) or f"ecs-svc/{hash_}"
        if id_ == failed.get("id"):
            rs_state, reason = "FAILED", failed.get("reason", "")
        elif is_primary:
            done = state == "IN_PROGRESS" and _settled_by_tasks(workload, tasks, observed.tasks, desired)
            rs_state = sticky(id_, "COMPLETED" if done else state)
            reason = _reason(rs_state, id_, detail)
        else:
            rs_state = prior.get(id_, {}).get("rolloutState") or "COMPLETED"
            rs_state = "COMPLETED" if rs_state == "IN_PROGRESS" else rs_state
            reason = prior.get(id_, {}).get("rolloutStateReason") or _reason(rs_state, id_, detail)
            if rs_state == "COMPLETED":
                reason = _reason(rs_state, id_, "")
        entry = _entry(id_=id_, primary=is_primary, family=observed.family, revision=_template_revision(rs),
                       desired=desired if is_primary else replicas, tasks=tasks, state=rs_state, reason=reason,
                       created=rs["metadata"].get("creationTimestamp", created_default))
        result.append({**entry, "failedTasks": failures(id_, tasks)})
    result.sort(key=lambda d: d["status"] != "PRIMARY")
    return result


_WORST_FIRST = ("FAILED", "IN_PROGRESS", "COMPLETED")


def _provider_deployments(observed: Observed, previous: list[dict] | None) -> list[dict]:
    """deployments[] of a Service with one Deployment per capacity provider: ECS has one deployment per
    rollout whatever the providers, so the providers' PRIMARY entries make one (counts summed, the
    rollout as far as the furthest behind, the first provider's id), followed by every ACTIVE one."""
    per_workload = [deployments(replace(observed, workload=w, siblings=[],
                                        desired_count=w.get("spec", {}).get("replicas", 0)), previous)
                    for w in [observed.workload, *observed.siblings] if w is not None]
    primaries = [entries[0] for entries in per_workload if entries and entries[0]["status"] == "PRIMARY"]
    if not primaries:
        return [e for entries in per_workload for e in entries]
    worst = min(primaries, key=lambda e: _WORST_FIRST.index(e["rolloutState"]))
    primary = {**primaries[0], **{k: sum(e[k] for e in primaries) for k in
                                  ("desiredCount", "runningCount", "pendingCount", "failedTasks")},
               "rolloutState": worst["rolloutState"], "rolloutStateReason": worst["rolloutStateReason"]}
    return [primary, *(e for entries in per_workload for e in entries if e["status"] != "PRIMARY")]


def _stamp(entries: list[dict], previous: list[dict] | None, now: str) -> list[dict]:
    """updatedAt: kept while an entry is unchanged, so an idle Service's status stays byte-identical."""
    prior = {d.get("id"): d for d in previous or []}
    stamped = []
    for entry in entries:
        was = prior.get(entry["id"])
        if was is not None and all(was.get(k) == v for k, v in entry.items()):
            stamped.append({**entry, "updatedAt": was.get("updatedAt", now)})
        else:
            stamped.append({**entry, "updatedAt": now})
    return stamped


def _event_id(parent: str, now: str, message: str) -> str:
    """UUID-shaped, as ECS's event ids are. A digest of the event, its time and the id of the event
    before it: unique within the history (the same message at the same second follows another event),
    yet the same when a computation is repeated from the same status."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"{parent} {now} {message}".encode()).digest()[:16]))


def _task_events(svc: str, live: set[str], known_tasks: set[str] | None) -> list[Event]:
    """Tasks started and stopped since the last computation (none right after the operator starts)."""
    if known_tasks is None:
        return []
    events = []
    started, stopped = sorted(live - known_tasks), sorted(known_tasks - live)
    if started:
        events.append(Event(f"{svc} has started {len(started)} tasks: "
                            + " ".join(f"(task {n})" for n in started) + ".", "TasksStarted"))
    if stopped:
        events.append(Event(f"{svc} has stopped {len(stopped)} running tasks: "
                            + " ".join(f"(task {n})" for n in stopped) + ".", "TasksStopped"))
    return events


def _problem_events(svc: str, tasks: list[Task]) -> list[Event]:
    """Why tasks cannot be placed or launched, in ECS's words."""
    events = []
    for task in tasks:
        if task.placement_problem:
            events.append(Event(f"{svc} was unable to place a task because no container instance met all of "
                                f"its requirements. Reason: {task.placement_problem}", "TaskPlacementFailed", True))
        if task.launch_problem:
            events.append(Event(f"{svc} failed to launch a task with (error {task.launch_problem}).",
                                "TaskLaunchFailed", True))
    return events


def _rollout_events(svc: str, primary: dict | None, previous_deployments: list[dict] | None,
                    rollout: dict | None = None) -> list[Event]:
    """The PRIMARY deployment reaching COMPLETED or FAILED (the breaker's own failure was said as it tripped)."""
    if primary is None or primary["id"] == ((rollout or {}).get("failed") or {}).get("id"):
        return []
    before = next((d for d in previous_deployments or [] if d.get("status") == "PRIMARY"), {})
    if primary["rolloutState"] == "COMPLETED" and (
            before.get("id") != primary["id"] or before.get("rolloutState") != "COMPLETED"):
        return [Event(f"{svc} (deployment {primary['id']}) deployment completed.", "DeploymentCompleted")]
    if primary["rolloutState"] == "FAILED" and before.get("rolloutState") != "FAILED":
        return [Event(f"{svc} (deployment {primary['id']}) deployment failed: {primary['rolloutStateReason']}",
                      "DeploymentFailed", True)]
    return []


def _failing(reason: str, message: str) -> list[Condition]:
    return [Condition("Ready", False, reason, message), Condition("Progressing", False, reason, message),
            Condition("Degraded", True, reason, message)]


def _rolled_back(observed: Observed) -> str | None:
    """What the breaker did, while the Service runs the deployment it rolled back to (else None)."""
    rollout = observed.rollout or {}
    failed, current = rollout.get("failed") or {}, rollout.get("current") or {}
    if not failed.get("rolledBackAs") or failed["rolledBackAs"] != current.get("id"):
        return None
    return (f"deployment {failed.get('id')} ({failed.get('taskDefinition')}) failed: "
            f"{failed.get('cause', 'its tasks failed to start')}; "
            f"rolled back to deployment {failed.get('rollbackTo')} ({current.get('taskDefinition')}).")


def _conditions(svc: str, observed: Observed, entries: list[dict], problems: list[Event]) -> list[Condition]:
    """Ready / Progressing / Degraded: an operator error, else a failed rollout, else steady, else in progress
    (Degraded then by the first task problem). After a rollback Degraded stays True (RolledBack) while the
    Service runs the revision it rolled back to."""
    primary = entries[0] if entries else None
    if observed.error:
        return _failing(*observed.error)
    if primary and primary["rolloutState"] == "FAILED":
        return _failing("RolloutFailed", primary["rolloutStateReason"])
    rolled_back = _rolled_back(observed)
    degraded = Condition("Degraded", True, "RolledBack", rolled_back) if rolled_back else None
    running, pending = sum(d["runningCount"] for d in entries), sum(d["pendingCount"] for d in entries)
    desired = primary["desiredCount"] if primary else observed.desired_count
    if primary and primary["rolloutState"] == "COMPLETED" and len(entries) == 1 and running == desired \
            and pending == 0:
        return [Condition("Ready", True, "SteadyState", f"{svc} has reached a steady state."),
                Condition("Progressing", False, "RolloutCompleted", primary["rolloutStateReason"]),
                degraded or Condition("Degraded", False, "AsExpected", "")]
    msg = f"{running} of {desired} tasks running, {pending} pending."
    problem = problems[0] if problems else None
    in_progress = "RollingBack" if rolled_back else "RolloutInProgress"
    if stage := blue_green.stage(observed.rollout):
        in_progress, msg = stage[0], f"{stage[1]} {msg}"
    return [Condition("Ready", False, in_progress if primary and primary["rolloutState"] == "IN_PROGRESS"
                      else "TasksPending", msg),
            Condition("Progressing", True, in_progress, msg),
            degraded or Condition("Degraded", problem is not None, problem.reason if problem else "AsExpected",
                                  problem.message if problem else "")]


def _state_events(svc: str, observed: Observed, wanted: list[Condition], previous_conditions: list[dict] | None,
                  ) -> list[Event]:
    """An operator error (a refusal, in ECS's words), and reaching a steady state."""
    events = []
    if observed.error:
        reason, message = observed.error
        events.append(Event(f"{svc} {message}", reason, True))
    ready = wanted[0]
    if ready.status and not is_true(previous_conditions, "Ready"):
        events.append(Event(ready.message, "SteadyState"))
    return events


def _unique(events: list[Event]) -> list[Event]:
    """Each message once, in first-seen order (two tasks with the same problem are one event, as in ECS)."""
    first: dict[str, Event] = {}
    for event in events:
        first.setdefault(event.message, event)
    return list(first.values())


def _history(fresh: list[Event], previous_events: list[dict], now: str) -> list[dict]:
    """status.events: newest first, at most MAX_EVENTS."""
    history = list(previous_events)
    for event in fresh:
        parent = history[0].get("id", "") if history else ""
        history.insert(0, {"id": _event_id(parent, now, event.message), "createdAt": now, "message": event.message})
    return history[:MAX_EVENTS]


def compute(observed: Observed, previous: dict | None, known_tasks: set[str] | None, now: str) -> Result:
    """The Service's status and the events that happened since `previous`.

    `known_tasks` is the set of task names seen at the last computation (None right after the operator
    starts: then nothing is reported as started or stopped, so a restart repeats no events).

    A warning is reported once while its cause lasts, as ECS does: status.problems remembers the
    warnings in effect at the last computation (the words name the cause), so one comes back only
    after its cause went away. Every change of a condition's status or reason is an Event too.
    """
    previous = previous or {}
    svc = f"(service {observed.service})"
    current = (_provider_deployments if observed.siblings else deployments)(observed, previous.get("deployments"))
    entries = _stamp(current, previous.get("deployments"), now)
    primary = entries[0] if entries else None
    live = {t.name for t in observed.tasks if not t.terminating}
    problems = _problem_events(svc, observed.tasks)
    wanted = _conditions(svc, observed, entries, problems)
    events = _unique([*_task_events(svc, live, known_tasks), *observed.rollout_events, *problems,
                      *_rollout_events(svc, primary, previous.get("deployments"), observed.rollout),
                      *_state_events(svc, observed, wanted, previous.get("conditions"))])
    in_effect = set(previous.get("problems") or [])
    fresh = [e for e in events if not (e.warning and e.message in in_effect)]
    conditions = merge(previous.get("conditions"), wanted, generation=observed.generation, now=now)
    status = {
        "observedGeneration": observed.generation,
        "status": "ACTIVE",
        "desiredCount": primary["desiredCount"] if primary else observed.desired_count,
        "runningCount": sum(d["runningCount"] for d in entries),
        "pendingCount": sum(d["pendingCount"] for d in entries),
        "taskDefinition": primary["taskDefinition"] if primary else None,
        "deployments": entries,
        "events": _history(fresh, previous.get("events") or [], now),
        "problems": [e.message for e in events if e.warning] or None,
        **observed.capacity,
        "warnings": observed.warnings,
        "conditions": conditions,
        "rollout": circuit_breaker.completed(observed.rollout, primary) or None,
    }
    said = [e.message for e in fresh]
    return Result({k: v for k, v in status.items() if v is not None},
                  fresh + condition_events(previous.get("conditions"), conditions, said=said), live)


def failed(previous: dict | None, *, generation: int, reason: str, message: str, now: str) -> dict:
    """The status after a reconcile that could not finish (an API error, a bug): the last known
    counts stay, the conditions say what went wrong."""
    previous = previous or {}
    wanted = _failing(reason, message)
    return {**previous, "observedGeneration": generation,
            "conditions": merge(previous.get("conditions"), wanted, generation=generation, now=now)}
