"""Standalone and scheduled tasks on the kind cluster (after `make deploy`): ECS's task lifecycle, stop
codes and exit codes, StopTask, RunTask's refusals, the Cluster's counts and deletion guard, and a
ScheduledTask firing runs. Every test makes its own Cluster (so its own namespace) and task definitions
under unique names, and deletes them after. The images are the sample's (busybox's sh, the cats server).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Iterator

import pytest
from cluster import apply, condition, events_for, get, items, kubectl, wait_for

pytestmark = pytest.mark.e2e

GROUP = "ecs.kube-ecs.dev"
API = f"{GROUP}/v1alpha1"
TASK, SCHEDULED, TASKDEF, CLUSTER = (f"tasks.{GROUP}", f"scheduledtasks.{GROUP}", f"taskdefinitions.{GROUP}",
                                     f"clusters.{GROUP}")
IMAGE = "localhost:5001/cats:1.0"
# A container that exits at once on SIGTERM (sh with a trap), and one that ignores it (sleep as PID 1).
TRAPS_TERM = "trap 'exit 0' TERM; while true; do sleep 1; done"
IGNORES_TERM = "exec sleep 3600"


def shell(name: str, script: str, **more) -> dict:
    return {"name": name, "image": IMAGE, "entryPoint": ["sh", "-c"], "command": [script], "memory": 32, **more}


class Env:
    """A Cluster `name` (namespace `name`) and the task definitions a test registers; `family(suffix)`
    names one of them."""

    def __init__(self, name: str):
        self.name = self.namespace = name
        self.families: list[str] = []

    def family(self, suffix: str) -> str:
        return f"{self.name}-{suffix}"

    def create_cluster(self) -> None:
        apply({"apiVersion": API, "kind": "Cluster", "metadata": {"name": self.name}, "spec": {}})
        wait_for(f"Cluster {self.name} Ready",
                 lambda: condition(get(CLUSTER, self.name), "Ready").get("status") == "True", timeout=60)

    def register(self, suffix: str, *containers: dict, **spec) -> str:
        """A TaskDefinition, waited for until its revision (1, or the next) is registered."""
        family = self.family(suffix)
        before = ((get(TASKDEF, family) or {}).get("status") or {}).get("revision") or 0
        apply({"apiVersion": API, "kind": "TaskDefinition", "metadata": {"name": family},
               "spec": {"family": family, "containerDefinitions": list(containers), **spec}})
        if family not in self.families:
            self.families.append(family)
        wait_for(f"TaskDefinition {family} registered",
                 lambda: ((get(TASKDEF, family) or {}).get("status") or {}).get("revision", 0) > before, timeout=60)
        return family

    def run(self, name: str, **spec) -> str:
        apply({"apiVersion": API, "kind": "Task", "metadata": {"name": name, "namespace": self.namespace},
               "spec": spec})
        return name

    def task(self, name: str) -> dict:
        return get(TASK, name, "-n", self.namespace) or {}

    def wait_task(self, name: str, condition_type: str, timeout: float = 120) -> dict:
        """`kubectl wait` on the Task's condition (what a user runs), then its status."""
        kubectl("wait", f"{TASK}/{name}", "-n", self.namespace, f"--for=condition={condition_type}",
                f"--timeout={int(timeout)}s")
        return self.task(name)["status"]

    def delete(self) -> None:
        """Tasks and ScheduledTasks first: the Cluster's deletion waits for them, as for Services."""
        for kind in (SCHEDULED, TASK):
            kubectl("delete", kind, "--all", "-n", self.namespace, "--ignore-not-found", "--timeout=90s", check=False)
        for family in self.families:
            kubectl("delete", TASKDEF, family, "--ignore-not-found", "--timeout=60s", check=False)
        kubectl("delete", CLUSTER, self.name, "--ignore-not-found", "--timeout=90s", check=False)


@pytest.fixture
def env(request) -> Iterator[Env]:
    made = Env(f"e2e-{request.node.name.removeprefix('test_')[:18].replace('_', '-')}-{uuid.uuid4().hex[:5]}")
    made.create_cluster()
    yield made
    made.delete()


def exit_codes(task_status: dict) -> dict:
    return {c["name"]: c.get("exitCode") for c in task_status["containers"]}


def test_a_one_shot_task_exits_0(env: Env):
    family = env.register("once", shell("main", "echo done"))
    status = env.wait_task(env.run("once", taskDefinition=family), "Stopped")
    [task] = status["tasks"]
    assert task["lastStatus"] == "STOPPED" and task["desiredStatus"] == "STOPPED"
    assert (task["stopCode"], task["stoppedReason"]) == ("EssentialContainerExited", "Essential container in task exited")
    assert exit_codes(task) == {"main": 0}
    assert task["taskDefinitionArn"].endswith(f"task-definition/{family}:1")
    assert task["group"] == f"family:{family}"
    assert task["taskArn"].startswith(f"arn:aws:ecs:local:000000000000:task/{env.name}/")
    for stamp in ("createdAt", "startedAt", "stoppingAt", "stoppedAt"):
        assert task.get(stamp), (stamp, task)
    # The task's Pod: named by the task id, never restarted, owned by the Task, kept with its state.
    pod = get("pod", task["taskArn"].rsplit("/", 1)[1], "-n", env.namespace)
    assert pod and pod["spec"]["restartPolicy"] == "Never" and pod["status"]["phase"] == "Succeeded"
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "Task"
    printed = kubectl("get", TASK, "once", "-n", env.namespace).stdout
    assert "STOPPED" in printed and "EssentialContainerExited" in printed


def test_a_task_applied_with_its_task_definition_waits_for_the_revision(env: Env):
    """One file, two watches delivered in either order: the Task launches on the revision being registered
    and never reports TaskDefinitionNotFound on the way."""
    family = env.family("together")
    env.families.append(family)
    apply({"apiVersion": API, "kind": "TaskDefinition", "metadata": {"name": family},
           "spec": {"family": family, "containerDefinitions": [shell("main", "echo done")]}},
          {"apiVersion": API, "kind": "Task", "metadata": {"name": "together", "namespace": env.namespace},
           "spec": {"taskDefinition": family}})
    [task] = env.wait_task("together", "Stopped")["tasks"]
    assert task["taskDefinitionArn"].endswith(f"task-definition/{family}:1") and exit_codes(task) == {"main": 0}
    reasons = {e["reason"] for e in events_for(env.namespace, "together")}
    assert "TaskDefinitionNotFound" not in reasons and "ReconcileError" not in reasons, reasons


def test_an_essential_container_exits_3_and_its_sidecar_is_stopped(env: Env):
    family = env.register("sidecar", shell("main", "sleep 5; exit 3"),
                          {"name": "server", "image": IMAGE, "essential": False, "memory": 32})
    name = env.run("sidecar", taskDefinition=family)
    wait_for("the task RUNNING", lambda: env.task(name)["status"]["lastStatus"] == "RUNNING", timeout=90)
    [task] = env.wait_task(name, "Stopped")["tasks"]
    assert task["stopCode"] == "EssentialContainerExited"
    codes = exit_codes(task)
    assert codes["main"] == 3
    assert codes["server"] is not None, task  # stopped, with its own exit code
    assert all(c["lastStatus"] == "STOPPED" for c in task["containers"])


def test_two_essential_containers_one_exits_the_other_is_stopped(env: Env):
    # The Pod's grace period is the largest stopTimeout of its containers (pod_template.py).
    family = env.register("pair", shell("quits", "sleep 4; exit 1", stopTimeout=3),
                          shell("stays", IGNORES_TERM, stopTimeout=3))
    name = env.run("pair", taskDefinition=family)
    [task] = env.wait_task(name, "Stopped")["tasks"]
    assert (task["stopCode"], task["stoppedReason"]) == ("EssentialContainerExited", "Essential container in task exited")
    assert exit_codes(task) == {"quits": 1, "stays": 137}  # it ignored SIGTERM: SIGKILL after stopTimeout
    pod = get("pod", task["taskArn"].rsplit("/", 1)[1], "-n", env.namespace)
    assert pod and pod["status"]["phase"] == "Failed" and pod["spec"]["terminationGracePeriodSeconds"] == 3


def test_count_3_runs_three_tasks(env: Env):
    family = env.register("three", shell("main", "sleep 2"))
    status = env.wait_task(env.run("three", taskDefinition=family, count=3, startedBy="e2e"), "Stopped")
    assert status["count"] == 3 and len(status["tasks"]) == 3
    ids = {t["taskArn"].rsplit("/", 1)[1] for t in status["tasks"]}
    assert len(ids) == 3
    pods = items("pods", "-n", env.namespace, "-l", f"{GROUP}/task=three")
    assert {p["metadata"]["name"] for p in pods} == ids
    assert all(t["startedBy"] == "e2e" and exit_codes(t) == {"main": 0} for t in status["tasks"])


def test_container_overrides_change_command_and_environment(env: Env):
    family = env.register("override", shell("main", "echo default"))
    word = uuid.uuid4().hex[:8]
    name = env.run("override", taskDefinition=family, overrides={"containerOverrides": [
        {"name": "main", "command": ["echo greeting=$GREETING; exit 4"],
         "environment": [{"name": "GREETING", "value": word}]}]})
    [task] = env.wait_task(name, "Stopped")["tasks"]
    assert exit_codes(task) == {"main": 4}
    logs = kubectl("logs", task["taskArn"].rsplit("/", 1)[1], "-n", env.namespace).stdout
    assert logs.strip() == f"greeting={word}"


def test_an_image_that_does_not_exist_fails_to_start(env: Env):
    family = env.register("nope", {"name": "main", "image": f"localhost:5001/does-not-exist-{env.name}:1",
                                   "memory": 32})
    [task] = env.wait_task(env.run("nope", taskDefinition=family), "Stopped", timeout=90)["tasks"]
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError: "), task
    assert task["containers"][0]["reason"].startswith("CannotPullContainerError: ")
    assert "exitCode" not in task["containers"][0]


def test_a_user_stop_sends_sigterm_then_sigkill_after_the_stop_timeout(env: Env):
    family = env.register("stop", shell("polite", TRAPS_TERM, stopTimeout=5),
                          shell("stubborn", IGNORES_TERM, stopTimeout=5))
    name = env.run("stop", taskDefinition=family)
    env.wait_task(name, "Running", timeout=90)
    kubectl("patch", TASK, name, "-n", env.namespace, "--type", "merge", "-p",
            json.dumps({"spec": {"desiredStatus": "STOPPED", "reason": "e2e says stop"}}))
    [task] = env.wait_task(name, "Stopped", timeout=60)["tasks"]
    assert (task["stopCode"], task["stoppedReason"]) == ("UserInitiated", "e2e says stop")
    assert exit_codes(task) == {"polite": 0, "stubborn": 137}  # SIGTERM first; SIGKILL only for the one ignoring it
    stopping = time.strptime(task["stoppingAt"], "%Y-%m-%dT%H:%M:%SZ")
    stopped = time.strptime(task["stoppedAt"], "%Y-%m-%dT%H:%M:%SZ")
    assert 4 <= time.mktime(stopped) - time.mktime(stopping) <= 20, task  # the 5 s stopTimeout
    # A stopped task cannot be started again.
    refused = kubectl("patch", TASK, name, "-n", env.namespace, "--type", "merge", "-p",
                      json.dumps({"spec": {"desiredStatus": "RUNNING"}}), check=False)
    assert refused.returncode != 0 and "cannot be started again" in refused.stderr


def test_refusals_inactive_revision_and_count(env: Env):
    family = env.register("old", shell("main", "echo one"))
    env.register("old", shell("main", "echo two"))
    kubectl("patch", f"taskdefinitionrevisions.{GROUP}", f"{family}-1", "--type", "merge", "-p",
            json.dumps({"spec": {"status": "INACTIVE"}}))
    wait_for("revision 1 INACTIVE in the operator's view", lambda: "INACTIVE" in kubectl(
        "get", f"taskdefinitionrevisions.{GROUP}", f"{family}-1", "-o", "jsonpath={.spec.status}").stdout)
    manifest = {"apiVersion": API, "kind": "Task", "metadata": {"name": "old", "namespace": env.namespace},
                "spec": {"taskDefinition": f"{family}:1"}}

    def refused() -> str:
        result = kubectl("apply", "-f", "-", input=json.dumps(manifest), check=False)
        return result.stderr if result.returncode else ""

    assert f"TaskDefinition {family}:1 is inactive." in wait_for("the INACTIVE revision refused", refused, timeout=30)
    manifest["spec"] = {"taskDefinition": family, "count": 11}
    assert "count must be between 1 and 10" in refused()
    manifest["spec"] = {"taskDefinition": family, "overrides": {"containerOverrides": [{"name": "ghost"}]}}
    assert refused() == ""
    # Admitted by the webhook (family: its revision resolves at launch), refused by the operator in status.
    status = wait_for("the refusal in status", lambda: env.task("old").get("status"),
                      until=lambda s: condition({"status": s}, "Accepted").get("status") == "False")
    assert "Override for container named ghost is not a container in the TaskDefinition." in \
        condition({"status": status}, "Accepted")["message"]
    assert items("pods", "-n", env.namespace, "-l", f"{GROUP}/task=old") == []


def test_cluster_counts_standalone_tasks_and_refuses_deletion_while_they_run(env: Env):
    family = env.register("hold", shell("main", TRAPS_TERM))
    name = env.run("hold", taskDefinition=family)
    env.wait_task(name, "Running", timeout=90)
    wait_for("the Cluster counting the task", lambda: (get(CLUSTER, env.name) or {})["status"]["runningTasksCount"] >= 1,
             timeout=30)
    kubectl("delete", CLUSTER, env.name, "--wait=false")
    blocked = wait_for("DeletionBlocked", lambda: condition(get(CLUSTER, env.name), "DeletionBlocked"),
                       until=lambda c: c.get("status") == "True", timeout=30)
    assert blocked["reason"] == "ClusterContainsTasksException"
    assert blocked["message"] == "The Cluster cannot be deleted while Tasks are active."
    kubectl("patch", TASK, name, "-n", env.namespace, "--type", "merge", "-p",
            json.dumps({"spec": {"desiredStatus": "STOPPED"}}))
    env.wait_task(name, "Stopped", timeout=60)
    wait_for("the Cluster deleted once its task stopped", lambda: get(CLUSTER, env.name) is None, timeout=60)


def test_a_scheduled_task_runs_every_minute_until_disabled(env: Env):
    family = env.register("cron", shell("main", "echo tick"))
    apply({"apiVersion": API, "kind": "ScheduledTask", "metadata": {"name": "tick", "namespace": env.namespace},
           "spec": {"scheduleExpression": "rate(1 minute)", "runTask": {"taskDefinition": family}}})

    def runs() -> list[dict]:
        return ((get(SCHEDULED, "tick", "-n", env.namespace) or {}).get("status") or {}).get("runs") or []

    done = wait_for("two runs STOPPED", runs, timeout=200, every=3,
                    until=lambda r: sum(x["lastStatus"] == "STOPPED" for x in r) >= 2)
    stopped = [r for r in done if r["lastStatus"] == "STOPPED"]
    assert all(r["stopCode"] == "EssentialContainerExited" and r["exitCodes"] == {"main": 0} for r in stopped)
    tasks = items(TASK, "-n", env.namespace, "-l", f"{GROUP}/scheduled-task=tick")
    assert len(tasks) >= 2
    assert all(t["metadata"]["ownerReferences"][0]["kind"] == "ScheduledTask" for t in tasks)
    assert all(t["spec"]["startedBy"] == "events-rule/tick" for t in tasks)
    kubectl("patch", SCHEDULED, "tick", "-n", env.namespace, "--type", "merge", "-p",
            json.dumps({"spec": {"state": "DISABLED"}}))
    wait_for("DISABLED in status", lambda: (get(SCHEDULED, "tick", "-n", env.namespace) or {})["status"].get("state"),
             until=lambda s: s == "DISABLED", timeout=30)
    before = len(items(TASK, "-n", env.namespace, "-l", f"{GROUP}/scheduled-task=tick"))
    time.sleep(75)
    after = items(TASK, "-n", env.namespace, "-l", f"{GROUP}/scheduled-task=tick")
    assert len(after) == before, "a DISABLED schedule started a run"


def _until_running(probe) -> float:
    start = time.monotonic()
    wait_for("RUNNING", probe, timeout=90, every=0.1)
    return time.monotonic() - start


def test_apply_to_running_next_to_a_bare_pod(env: Env, record_property):
    """The figure the issue asks for: apply → RUNNING for a one-container task, next to a bare Pod of the
    same image and command applied to the same cluster in the same run (median of 5 each)."""
    family = env.register("timing", shell("main", TRAPS_TERM))
    tasks, pods = [], []
    for i in range(5):
        name = f"timing-{i}"
        start = time.monotonic()
        env.run(name, taskDefinition=family)
        tasks.append(time.monotonic() - start + _until_running(
            lambda n=name: (env.task(n).get("status") or {}).get("lastStatus") == "RUNNING"))
        start = time.monotonic()
        apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"bare-{i}", "namespace": env.namespace},
               "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "containers": [
                   {"name": "main", "image": IMAGE, "command": ["sh", "-c"], "args": [TRAPS_TERM]}]}})
        pods.append(time.monotonic() - start + _until_running(
            lambda i=i: "running" in ((get("pod", f"bare-{i}", "-n", env.namespace) or {}).get("status", {}).get(
                "containerStatuses") or [{}])[0].get("state", {})))
        kubectl("patch", TASK, name, "-n", env.namespace, "--type", "merge", "-p",
                json.dumps({"spec": {"desiredStatus": "STOPPED"}}))
        kubectl("delete", "pod", f"bare-{i}", "-n", env.namespace, "--wait=false")
    task_median, pod_median = statistics.median(tasks), statistics.median(pods)
    record_property("task_apply_to_running_median_seconds", round(task_median, 2))
    record_property("pod_apply_to_running_median_seconds", round(pod_median, 2))
    print(f"\n[measure] apply → RUNNING, median of 5: Task {task_median:.2f}s "
          f"({', '.join(f'{t:.2f}' for t in tasks)}), bare Pod {pod_median:.2f}s "
          f"({', '.join(f'{p:.2f}' for p in pods)})")
    assert task_median < pod_median + 5, "a task should cost the operator's pass, not more"
