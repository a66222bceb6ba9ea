"""One standalone task's ECS lifecycle from its Pod (docs/tasks.md). Pure: Pod in, describe-tasks entry
and what to do out.

PROVISIONING (not placed yet) → PENDING (placed, no container started) → ACTIVATING (some started) →
RUNNING (the essential containers running, no other still to start) → DEACTIVATING (stop decided, not
yet acted on by the kubelet) → STOPPING (containers being stopped) → DEPROVISIONING (stopped, Pod being
removed) → STOPPED.

A task stops, as ECS stops it, when an essential container exits (EssentialContainerExited), when a
container cannot be created (TaskFailedToStart: CannotPullContainerError, ResourceInitializationError,
CannotStartContainerError) or when the user stops it (UserInitiated). The first decision sticks, as do
the timestamps and the containers' exit codes once seen: the entry stays as it was when its Pod is gone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kube_ecs.reconcile.service_status import launch_error
from kube_ecs.resources.meta import CONTAINER_NAMES_ANNOTATION
from kube_ecs.resources.task import ESSENTIAL_ANNOTATION

PROVISIONING, PENDING, ACTIVATING, RUNNING = "PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"
DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED = "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"
ESSENTIAL_EXITED, FAILED_TO_START, USER_INITIATED = "EssentialContainerExited", "TaskFailedToStart", "UserInitiated"
ESSENTIAL_EXITED_REASON = "Essential container in task exited"
USER_STOPPED_REASON = "Task stopped by user"
POD_GONE_REASON = "Task stopped: its Pod was deleted"
OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"
_CANNOT_START = ("CreateContainerError", "RunContainerError")
_TERMINAL = ("Succeeded", "Failed")
# The scheduler's words → ECS's placement failure reasons (RunTask's failures[].reason).
_PLACEMENT = (("Insufficient cpu", "RESOURCE:CPU"), ("Insufficient memory", "RESOURCE:MEMORY"),
              ("Insufficient nvidia.com/gpu", "RESOURCE:GPU"), ("free ports", "RESOURCE:PORTS"),
              ("Insufficient ephemeral-storage", "RESOURCE:EPHEMERAL_STORAGE"),
              ("node affinity", "ATTRIBUTE"), ("node selector", "ATTRIBUTE"), ("anti-affinity", "ATTRIBUTE"),
              ("untolerated taint", "ATTRIBUTE"))


@dataclass(frozen=True)
class Stop:
    """Why a task stops: ECS's stopCode and stoppedReason."""

    code: str
    reason: str


@dataclass(frozen=True)
class Observed:
    """A task's new describe-tasks entry, its placement failure (RunTask's failures[]: reason, detail)
    and whether its Pod is to be stopped now."""

    entry: dict
    placement_failure: tuple[str, str] | None = None
    stop_pod: bool = False


def slim(pod: Mapping[str, Any]) -> dict:
    """What the lifecycle reads of a Pod (the index keeps this, not the whole Pod)."""
    metadata, spec, status = pod.get("metadata", {}), pod.get("spec") or {}, pod.get("status") or {}
    return {
        "metadata": {k: metadata.get(k) for k in ("name", "creationTimestamp", "deletionTimestamp", "annotations")},
        "spec": {"activeDeadlineSeconds": spec.get("activeDeadlineSeconds"),
                 "probed": sorted(c.get("name", "") for c in [*(spec.get("containers") or []),
                                                              *(spec.get("initContainers") or [])]
                                  if c.get("readinessProbe") or c.get("livenessProbe")),
                 "runToCompletion": sorted(c.get("name", "") for c in spec.get("initContainers") or []
                                           if c.get("restartPolicy") != "Always")},
        "status": {k: status.get(k) for k in ("phase", "reason", "message", "startTime", "conditions",
                                               "containerStatuses", "initContainerStatuses")},
    }


def _json(annotations: Mapping[str, str], key: str, default: Any) -> Any:
    try:
        return json.loads(annotations.get(key, "")) if key in annotations else default
    except ValueError:
        return default


def placement_reason(message: str) -> str:
    """ECS's reason for a task the scheduler cannot place (its message), e.g. RESOURCE:CPU."""
    return next((reason for words, reason in _PLACEMENT if words in message), "RESOURCE")


def _container(cs: dict, ecs_name: str, probed: bool, previous: dict) -> dict:
    state = cs.get("state") or {}
    entry: dict = {"name": ecs_name}
    if "running" in state:
        entry["lastStatus"] = RUNNING
    elif "terminated" in state:
        terminated = state["terminated"]
        entry["lastStatus"] = STOPPED
        if terminated.get("exitCode") is not None:
            entry["exitCode"] = terminated["exitCode"]
        if terminated.get("reason") == "OOMKilled":
            entry["reason"] = OUT_OF_MEMORY
    else:
        entry["lastStatus"] = PENDING
        waiting = state.get("waiting") or {}
        why = launch_error(waiting) or (f"CannotStartContainerError: {waiting.get('message') or waiting['reason']}"
                                        if waiting.get("reason") in _CANNOT_START else None)
        if why:
            entry["reason"] = why
    if probed:
        entry["healthStatus"] = "HEALTHY" if entry["lastStatus"] == RUNNING and cs.get("ready") else \
            previous.get("healthStatus", "UNKNOWN") if entry["lastStatus"] == STOPPED else "UNKNOWN"
    else:
        entry["healthStatus"] = "UNKNOWN"
    # What was seen before (an exit code, why it could not start) is kept when the Pod no longer says it.
    return {**{k: v for k, v in previous.items() if k in ("exitCode", "reason")}, **entry}


def _stopped_containers(previous: list[dict]) -> list[dict]:
    return [{**c, "lastStatus": STOPPED} for c in previous]


def _times(statuses: list[dict], key: str, field: str) -> list[str]:
    return [t for cs in statuses if (t := ((cs.get("state") or {}).get(key) or {}).get(field))]


def observe(pod: Mapping[str, Any] | None, previous: dict, *, now: str, stop: Stop | None = None) -> Observed:
    """The describe-tasks entry of a task whose last entry is `previous` (it holds taskArn, group, ...),
    from its slim Pod (None: the Pod is gone), at `now`. `stop` is the user's StopTask, if any."""
    entry = dict(previous)
    if entry.get("lastStatus") == STOPPED:
        return Observed(entry)
    if pod is None:
        entry.update(lastStatus=STOPPED, desiredStatus=STOPPED, stoppedAt=now,
                     containers=_stopped_containers(entry.get("containers", [])))
        entry.setdefault("stopCode", stop.code if stop else USER_INITIATED)
        entry.setdefault("stoppedReason", stop.reason if stop else POD_GONE_REASON)
        entry.setdefault("stoppingAt", now)
        return Observed(entry)
    metadata, spec, status = pod["metadata"], pod["spec"], pod["status"]
    annotations = metadata.get("annotations") or {}
    ecs_names = _json(annotations, CONTAINER_NAMES_ANNOTATION, {})
    essential = set(_json(annotations, ESSENTIAL_ANNOTATION, []))
    probed = set(spec.get("probed") or [])
    init_done = set(spec.get("runToCompletion") or [])
    statuses = [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    before = {c.get("name"): c for c in previous.get("containers", [])}
    containers = []
    for cs in statuses:
        name = ecs_names.get(cs.get("name", ""), cs.get("name", ""))
        containers.append(_container(cs, name, cs.get("name") in probed, before.get(name, {})))
    entry["containers"] = containers
    entry.setdefault("createdAt", metadata.get("creationTimestamp") or now)
    by_name = dict(zip((cs.get("name", "") for cs in statuses), containers, strict=True))

    decided = Stop(entry["stopCode"], entry["stoppedReason"]) if entry.get("stopCode") else None
    failed = next((c["reason"] for c in containers if c["lastStatus"] == PENDING and c.get("reason")), None)
    exited = any(by_name[k]["lastStatus"] == STOPPED for k in essential if k in by_name)
    if decided is None:
        if stop is not None:
            decided = stop
        elif metadata.get("deletionTimestamp"):  # deleted by someone else: before its containers exit on SIGTERM
            decided = Stop(USER_INITIATED, POD_GONE_REASON)
        elif failed:
            decided = Stop(FAILED_TO_START, failed)
        elif exited:
            decided = Stop(ESSENTIAL_EXITED, ESSENTIAL_EXITED_REASON)
    phase = status.get("phase")
    long_running = [c for k, c in by_name.items() if k not in init_done]
    all_stopped = phase in _TERMINAL and all(c["lastStatus"] != RUNNING for c in containers)
    if all_stopped and decided is None:  # every container finished on its own
        decided = Stop(ESSENTIAL_EXITED, ESSENTIAL_EXITED_REASON)
    if decided is not None:
        entry.update(stopCode=decided.code, stoppedReason=decided.reason, desiredStatus=STOPPED)
        entry.setdefault("stoppingAt", now)
    else:
        entry["desiredStatus"] = RUNNING

    scheduled: dict = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), {})
    placement = None
    if all_stopped:
        entry["lastStatus"] = STOPPED
        entry["stoppedAt"] = max(_times(statuses, "terminated", "finishedAt"), default=now)
    elif metadata.get("deletionTimestamp"):
        entry["lastStatus"] = STOPPING if any(c["lastStatus"] == RUNNING for c in containers) else DEPROVISIONING
    elif decided is not None:
        entry["lastStatus"] = STOPPING if phase in _TERMINAL or spec.get("activeDeadlineSeconds") else DEACTIVATING
    elif scheduled.get("status") != "True":
        entry["lastStatus"] = PROVISIONING
        if scheduled.get("reason") == "Unschedulable":
            placement = (placement_reason(scheduled.get("message", "")), scheduled.get("message", ""))
    elif not any(c["lastStatus"] != PENDING for c in containers):
        entry["lastStatus"] = PENDING
    elif long_running and all(c["lastStatus"] != PENDING for c in long_running) and \
            all(by_name[k]["lastStatus"] == RUNNING for k in essential if k in by_name):
        entry["lastStatus"] = RUNNING
        entry.setdefault("startedAt", max(_times(statuses, "running", "startedAt"), default=now))
    else:
        entry["lastStatus"] = ACTIVATING
    started = _times(statuses, "running", "startedAt") + _times(statuses, "terminated", "startedAt")
    if entry["lastStatus"] in (DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED) and started:
        entry.setdefault("startedAt", min(started))
    entry["healthStatus"] = _health([by_name[k] for k in essential if k in by_name and k in probed])
    # Every container exited but the phase not terminal yet (the kubelet writes it a moment later): nothing
    # is left to stop, and a deadline now would turn a Succeeded Pod into a Failed one (DeadlineExceeded).
    exited_all = bool(containers) and all(c["lastStatus"] == STOPPED for c in containers)
    stop_pod = decided is not None and not all_stopped and not exited_all and not metadata.get("deletionTimestamp") \
        and not spec.get("activeDeadlineSeconds") and phase not in _TERMINAL
    return Observed(entry, placement, stop_pod)


def _health(checked: list[dict]) -> str:
    """ECS's task health from its essential containers with a health check: HEALTHY when there are some
    and all are, else UNKNOWN (Kubernetes does not tell a failing probe from one not yet passed)."""
    return "HEALTHY" if checked and all(c["healthStatus"] == "HEALTHY" for c in checked) else "UNKNOWN"
