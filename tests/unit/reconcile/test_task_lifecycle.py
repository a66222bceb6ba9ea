"""The ECS task lifecycle from Pod and container state: a table of Pods in, lastStatus / stopCode /
stoppedReason / exit codes and whether to stop the Pod out (reconcile/task_lifecycle.py)."""

from __future__ import annotations

import json

import pytest

from kube_ecs.reconcile import task_lifecycle as life
from kube_ecs.resources.meta import CONTAINER_NAMES_ANNOTATION
from kube_ecs.resources.task import ESSENTIAL_ANNOTATION

NOW = "2026-12-02T10:00:00Z"
RUNNING = {"running": {"startedAt": "2026-12-02T09:00:05Z"}}
PULLING = {"waiting": {"reason": "ContainerCreating"}}


def exited(code, reason="Completed"):
    return {"terminated": {"exitCode": code, "reason": reason, "startedAt": "2026-12-02T09:00:05Z",
                           "finishedAt": "2026-12-02T09:01:00Z"}}


def cs(name, state, ready=False):
    return {"name": name, "state": state, "ready": ready}


def pod(containers=(), *, init=(), phase="Running", scheduled=True, essential=("app",), deleting=False,
        deadline=None, unschedulable=None, probed=(), completion=()):
    conditions = [{"type": "PodScheduled", "status": "True"}] if scheduled else \
        [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": unschedulable or ""}]
    names = {c["name"]: c["name"].upper() for c in [*containers, *init]}
    return {"metadata": {"name": "t1", "creationTimestamp": "2026-12-02T09:00:00Z",
                         "deletionTimestamp": NOW if deleting else None,
                         "annotations": {CONTAINER_NAMES_ANNOTATION: json.dumps(names),
                                         ESSENTIAL_ANNOTATION: json.dumps(list(essential))}},
            "spec": {"activeDeadlineSeconds": deadline, "probed": list(probed), "runToCompletion": list(completion)},
            "status": {"phase": phase, "startTime": "2026-12-02T09:00:01Z" if scheduled else None,
                       "conditions": conditions, "containerStatuses": list(containers),
                       "initContainerStatuses": list(init)}}


PULL = cs("app", {"waiting": {"reason": "ErrImagePull", "message": "pull access denied for nope"}})
SECRET = cs("app", {"waiting": {"reason": "CreateContainerConfigError", "message": 'secret "db" not found'}})
CPU = "0/3 nodes are available: 3 Insufficient cpu."
MEMORY = "0/3 nodes are available: 3 Insufficient memory."

# (case, pod, previous entry, lastStatus, stopCode, stoppedReason, exit codes by ECS name, stop the Pod?)
CASES = [
    ("not placed: cpu", pod(scheduled=False, unschedulable=CPU), {}, "PROVISIONING", None, None, {}, False),
    ("not placed yet", pod(scheduled=False), {}, "PROVISIONING", None, None, {}, False),
    ("placed, pulling", pod([cs("app", PULLING)], phase="Pending"), {}, "PENDING", None, None, {}, False),
    ("one of two started", pod([cs("app", RUNNING), cs("log", PULLING)], essential=("app", "log")), {},
     "ACTIVATING", None, None, {}, False),
    ("all running", pod([cs("app", RUNNING, True)]), {}, "RUNNING", None, None, {}, False),
    ("finished with 0", pod([cs("app", exited(0))], phase="Succeeded"), {}, "STOPPED", "EssentialContainerExited",
     "Essential container in task exited", {"APP": 0}, False),
    ("finished with 0, the phase not written yet: nothing to stop", pod([cs("app", exited(0))]), {}, "DEACTIVATING",
     "EssentialContainerExited", "Essential container in task exited", {"APP": 0}, False),
    ("essential exited 3, sidecar stopped by the kubelet",
     pod([cs("app", exited(3, "Error"))], init=[cs("side", exited(143, "Error"))], phase="Failed"), {},
     "STOPPED", "EssentialContainerExited", "Essential container in task exited", {"APP": 3, "SIDE": 143}, False),
    ("essential exited, the other essential still running",
     pod([cs("app", exited(1, "Error")), cs("web", RUNNING)], essential=("app", "web")), {},
     "DEACTIVATING", "EssentialContainerExited", "Essential container in task exited", {"APP": 1}, True),
    ("being stopped by the kubelet (deadline set)",
     pod([cs("app", exited(1, "Error")), cs("web", RUNNING)], essential=("app", "web"), deadline=1),
     {"stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited"},
     "STOPPING", "EssentialContainerExited", "Essential container in task exited", {"APP": 1}, False),
    ("the other essential stopped too",
     pod([cs("app", exited(1, "Error")), cs("web", exited(137, "Error"))], essential=("app", "web"), phase="Failed",
         deadline=1), {"stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited"},
     "STOPPED", "EssentialContainerExited", "Essential container in task exited", {"APP": 1, "WEB": 137}, False),
    ("non-essential exited: the task goes on", pod([cs("app", RUNNING, True)], init=[cs("side", exited(2, "Error"))]),
     {}, "RUNNING", None, None, {"SIDE": 2}, False),
    ("image cannot be pulled", pod([PULL], phase="Pending"), {}, "DEACTIVATING", "TaskFailedToStart",
     "CannotPullContainerError: pull access denied for nope", {}, True),
    ("missing Secret", pod([SECRET], phase="Pending"), {}, "DEACTIVATING", "TaskFailedToStart",
     'ResourceInitializationError: unable to pull secrets or registry auth: secret "db" not found', {}, True),
    ("cannot start", pod([cs("app", {"waiting": {"reason": "RunContainerError", "message": "exec: nope"}})],
                         phase="Pending"), {},
     "DEACTIVATING", "TaskFailedToStart", "CannotStartContainerError: exec: nope", {}, True),
    ("out of memory", pod([cs("app", exited(137, "OOMKilled"))], phase="Failed"), {}, "STOPPED",
     "EssentialContainerExited", "Essential container in task exited", {"APP": 137}, False),
    ("Pod being deleted, container running", pod([cs("app", RUNNING)], deleting=True), {}, "STOPPING",
     "UserInitiated", "Task stopped: its Pod was deleted", {}, False),
    # Deleted by someone else: UserInitiated, not the essential container's exit the SIGTERM caused.
    ("Pod being deleted, containers stopped", pod([cs("app", exited(143, "Error"))], deleting=True), {},
     "DEPROVISIONING", "UserInitiated", "Task stopped: its Pod was deleted", {"APP": 143}, False),
    ("Pod being deleted after a decision: the decision stays",
     pod([cs("app", exited(1, "Error"))], deleting=True),
     {"stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited"},
     "DEPROVISIONING", "EssentialContainerExited", "Essential container in task exited", {"APP": 1}, False),
    ("Pod gone while running", None, {"lastStatus": "RUNNING", "containers": [{"name": "APP", "lastStatus": "RUNNING"}]},
     "STOPPED", "UserInitiated", "Task stopped: its Pod was deleted", {}, False),
    ("Pod gone after a decision: exit codes kept", None,
     {"lastStatus": "STOPPING", "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
      "containers": [{"name": "APP", "lastStatus": "STOPPED", "exitCode": 3}]},
     "STOPPED", "EssentialContainerExited", "Essential container in task exited", {"APP": 3}, False),
]


@pytest.mark.parametrize(("case", "slim", "previous", "status", "code", "reason", "exits", "stop"), CASES,
                         ids=[c[0] for c in CASES])
def test_lifecycle(case, slim, previous, status, code, reason, exits, stop):
    observed = life.observe(slim, {"taskArn": "arn:t1", **previous}, now=NOW)
    entry = observed.entry
    assert (entry["lastStatus"], entry.get("stopCode"), entry.get("stoppedReason")) == (status, code, reason)
    assert {c["name"]: c["exitCode"] for c in entry["containers"] if "exitCode" in c} == exits
    assert observed.stop_pod == stop
    assert entry["desiredStatus"] == ("STOPPED" if code else "RUNNING")


@pytest.mark.parametrize(("message", "reason"), [(CPU, "RESOURCE:CPU"), (MEMORY, "RESOURCE:MEMORY"),
                                                 ("0/3 nodes are available: 3 node(s) didn't have free ports for the "
                                                  "requested pod ports.", "RESOURCE:PORTS"),
                                                 ("0/3 nodes are available: 3 node(s) didn't match Pod's node "
                                                  "affinity/selector.", "ATTRIBUTE")])
def test_placement_failures_in_ecs_words(message, reason):
    observed = life.observe(pod(scheduled=False, unschedulable=message), {"taskArn": "arn:t1"}, now=NOW)
    assert observed.entry["lastStatus"] == "PROVISIONING"
    assert observed.placement_failure == (reason, message)


def test_user_stop_of_a_running_task():
    stop = life.Stop(life.USER_INITIATED, "maintenance")
    observed = life.observe(pod([cs("app", RUNNING, True)]), {"taskArn": "arn:t1"}, now=NOW, stop=stop)
    assert observed.stop_pod and observed.entry["lastStatus"] == "DEACTIVATING"
    assert (observed.entry["stopCode"], observed.entry["stoppedReason"]) == ("UserInitiated", "maintenance")
    assert observed.entry["stoppingAt"] == NOW
    # The kubelet stops it: Failed (DeadlineExceeded) with the exit code SIGTERM gave.
    later = life.observe(pod([cs("app", exited(143, "Error"))], phase="Failed", deadline=1), observed.entry,
                         now="2026-12-02T10:00:05Z", stop=stop)
    assert later.entry["lastStatus"] == "STOPPED" and later.entry["stopCode"] == "UserInitiated"
    assert later.entry["containers"][0]["exitCode"] == 143 and later.entry["stoppingAt"] == NOW
    assert later.entry["stoppedAt"] == "2026-12-02T09:01:00Z" and later.entry["startedAt"] == "2026-12-02T09:00:05Z"


def test_the_first_stop_decision_sticks():
    first = life.observe(pod([PULL], phase="Pending"), {"taskArn": "arn:t1"}, now=NOW)
    later = life.observe(pod([PULL], phase="Pending", deadline=1), first.entry, now=NOW,
                         stop=life.Stop(life.USER_INITIATED, "too late"))
    assert later.entry["stopCode"] == "TaskFailedToStart" and not later.stop_pod


def test_why_a_container_could_not_start_is_kept_once_the_pod_fails():
    first = life.observe(pod([PULL], phase="Pending"), {"taskArn": "arn:t1"}, now=NOW)
    stopped = life.observe(pod([cs("app", {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown"}})],
                               phase="Failed", deadline=1), first.entry, now=NOW)
    [app] = stopped.entry["containers"]
    assert stopped.entry["lastStatus"] == "STOPPED"
    assert app["reason"].startswith("CannotPullContainerError")


def test_a_stopped_entry_never_changes():
    entry = {"taskArn": "arn:t1", "lastStatus": "STOPPED", "stopCode": "UserInitiated"}
    assert life.observe(pod([cs("app", RUNNING)]), entry, now=NOW).entry == entry


def test_health_of_checked_essential_containers():
    healthy = life.observe(pod([cs("app", RUNNING, True)], probed=("app",)), {"taskArn": "a"}, now=NOW).entry
    assert healthy["healthStatus"] == "HEALTHY" and healthy["containers"][0]["healthStatus"] == "HEALTHY"
    starting = life.observe(pod([cs("app", RUNNING, False)], probed=("app",)), {"taskArn": "a"}, now=NOW).entry
    assert starting["healthStatus"] == "UNKNOWN"
    unchecked = life.observe(pod([cs("app", RUNNING, True)]), {"taskArn": "a"}, now=NOW).entry
    assert unchecked["healthStatus"] == "UNKNOWN"


def test_run_to_completion_init_containers_do_not_hold_running():
    entry = life.observe(pod([cs("app", RUNNING, True)], init=[cs("migrate", exited(0))], completion=("migrate",)),
                         {"taskArn": "a"}, now=NOW).entry
    assert entry["lastStatus"] == "RUNNING"


def test_slim_keeps_what_the_lifecycle_reads():
    full = {"metadata": {"name": "t1", "annotations": {"a": "b"}, "labels": {"x": "y"}, "uid": "u"},
            "spec": {"containers": [{"name": "app", "readinessProbe": {"exec": {"command": ["true"]}}}, {"name": "x"}],
                     "initContainers": [{"name": "m"}, {"name": "s", "restartPolicy": "Always"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.1"}}
    slim = life.slim(full)
    assert slim["spec"] == {"activeDeadlineSeconds": None, "probed": ["app"], "runToCompletion": ["m"]}
    assert "podIP" not in slim["status"] and "labels" not in slim["metadata"]
