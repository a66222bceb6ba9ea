"""A Task's reconcile over the in-memory client: the launch (once, owned, idempotent), RunTask's
refusals, the lifecycle's actions on Pods (stop by deadline or deletion), StopTask, the TTL, and a
no-op pass that writes nothing."""

from __future__ import annotations

import copy

import pytest

from kube_ecs.ecs.normalize import normalize_task_definition
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile import task_lifecycle as life
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.outcome import status_patch
from kube_ecs.reconcile.tasks import is_active, reconcile_task
from kube_ecs.resources.task import TASK_LABEL

from .fake import FakeClient

TASKDEF, _ = normalize_task_definition({"family": "job", "cpu": "256", "containerDefinitions": [
    {"name": "main", "image": "kube-ecs/cats:1.0", "command": ["sh", "-c", "exit 0"], "stopTimeout": 10},
    {"name": "side", "image": "kube-ecs/cats:1.0", "essential": False, "stopTimeout": 5}]})
REVISIONS = [rev.Revision("job", 1, rev.INACTIVE, TASKDEF, rev.digest(TASKDEF)),
             rev.Revision("job", 2, rev.ACTIVE, TASKDEF, rev.digest(TASKDEF))]
NOW = "2026-12-02T10:00:00Z"


def task(status=None, **spec):
    body = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
            "metadata": {"name": "job-run", "namespace": "demo", "uid": "u-job", "generation": 1},
            "spec": {"taskDefinition": "job", **spec}}
    return {**body, "status": status} if status else body


def run(client, body, pods=None, now=NOW, clusters=None):
    return reconcile_task(client, body, pods=pods or {}, clusters={"demo": "demo"} if clusters is None else clusters,
                          revisions_of=lambda family: REVISIONS if family == "job" else [], now=now)


def pods(client):
    return [o for r, o in client.objects.items() if r.kind == "Pod"]


def conditions(status):
    return {c["type"]: c for c in status["conditions"]}


def test_count_tasks_each_its_own_owned_pod_never_restarted():
    client = FakeClient()
    outcome = run(client, task(count=3, startedBy="me", group="batch"))
    made = pods(client)
    assert len(made) == 3 and len({p["metadata"]["name"] for p in made}) == 3
    for pod in made:
        assert pod["spec"]["restartPolicy"] == "Never"
        assert pod["spec"]["terminationGracePeriodSeconds"] == 10  # the task definition's stopTimeout
        [owner] = pod["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["uid"], owner["controller"]) == ("Task", "u-job", True)
        assert pod["metadata"]["labels"][TASK_LABEL] == "job-run"
        assert pod["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kube-ecs"
    status = outcome.status
    assert status["taskDefinitionArn"].endswith(":task-definition/job:2")
    assert [t["lastStatus"] for t in status["tasks"]] == ["PROVISIONING"] * 3
    first = status["tasks"][0]
    assert first["taskArn"] == f"arn:aws:ecs:local:000000000000:task/demo/{made[0]['metadata']['name']}"
    assert (first["group"], first["startedBy"], first["cpu"], first["desiredStatus"]) == ("batch", "me", "256", "RUNNING")
    assert status["count"] == 3 and status["lastStatus"] == "PROVISIONING"
    assert conditions(status)["Accepted"]["status"] == "True"
    assert conditions(status)["Running"]["observedGeneration"] == 1
    assert any(e.reason == "TasksStarted" for e in outcome.events)


def test_a_second_pass_writes_nothing_and_makes_no_duplicates():
    client = FakeClient()
    first = run(client, task(count=2))
    client.writes.clear()
    index = {p["metadata"]["name"]: life.slim(p) for p in pods(client)}
    again = run(client, task(first.status, count=2), pods=index)
    assert client.writes == []
    assert status_patch(first.status, again.status) is None
    assert len(pods(client)) == 2


def test_a_launch_repeated_before_its_status_was_written_finds_its_pods():
    client = FakeClient()
    run(client, task(count=2))
    run(client, task(count=2))  # the status write was lost: the same task ids, no new Pods
    assert len(pods(client)) == 2


def test_overrides_change_command_and_environment():
    client = FakeClient()
    run(client, task(overrides={"containerOverrides": [{"name": "main", "command": ["echo", "hi"],
                                                        "environment": [{"name": "GREETING", "value": "hi"}]}]}))
    [pod] = pods(client)
    [main] = pod["spec"]["containers"]
    assert main["args"] == ["echo", "hi"] and {"name": "GREETING", "value": "hi"} in main["env"]


@pytest.mark.parametrize(("spec", "clusters", "reason", "words"), [
    ({"taskDefinition": "job:1"}, None, "TaskDefinitionNotFound", "ClientException: TaskDefinition job:1 is inactive."),
    ({"taskDefinition": "nope"}, None, "TaskDefinitionNotFound", "no ACTIVE revision"),
    ({"count": 11}, None, "InvalidParameter", "count: count must be between 1 and 10, not 11."),
    ({"overrides": {"containerOverrides": [{"name": "ghost"}]}}, None, "InvalidParameter",
     "overrides.containerOverrides[0].name: Override for container named ghost is not a container in the TaskDefinition."),
    ({"overrides": {"containerOverrides": [{"name": "main", "command": ["x" * 9000]}]}}, None, "InvalidParameter",
     "overrides: Container Overrides length must be at most 8192"),
    ({}, {}, "ClusterNotFound", "ClusterNotFoundException"),
    ({"cluster": "other"}, None, "InvalidParameter", "spec.cluster 'other' does not match"),
])
def test_run_task_refusals_launch_nothing(spec, clusters, reason, words):
    client = FakeClient()
    outcome = run(client, task(**spec), clusters=clusters)
    assert pods(client) == []
    accepted = conditions(outcome.status)["Accepted"]
    assert accepted["status"] == "False" and accepted["reason"] == reason and words in accepted["message"]
    assert outcome.status["tasks"] == []
    assert any(e.warning and words in e.message for e in outcome.events)
    assert not is_active(outcome.status)  # a refused Task does not hold its Cluster


def test_a_task_applied_with_its_task_definition_waits_for_the_revision():
    client = FakeClient({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
                         "metadata": {"name": "new", "generation": 1}})
    with pytest.raises(rev.Registering):
        run(client, task(taskDefinition="new"))
    assert pods(client) == [] and client.writes == []


@pytest.mark.parametrize("refused", [False, True])
def test_a_task_stopped_before_it_launched_never_makes_a_pod(refused):
    client = FakeClient()
    body = task(desiredStatus="STOPPED", reason="not today")
    if refused:  # first refused (no such cluster), then stopped by the user while still not launched
        first = run(client, task(), clusters={})
        assert pods(client) == [] and is_active(first.status) is False
        body = task(first.status, desiredStatus="STOPPED", reason="not today")
    outcome = run(client, body)
    assert pods(client) == [] and not [w for w in client.writes if w[0] == "create"]
    status = outcome.status
    assert (status["lastStatus"], status["stopCode"], status["stoppedReason"]) == ("STOPPED", "UserInitiated",
                                                                                     "not today")
    assert status["tasks"] == [] and status["count"] == 0
    assert conditions(status)["Stopped"]["status"] == "True"
    assert conditions(status)["Stopped"]["reason"] == "UserInitiated"
    assert not is_active(status)
    again = run(client, task(status, desiredStatus="STOPPED", reason="not today"))
    assert pods(client) == [] and status_patch(status, again.status) is None


def _running(pod, *statuses, phase="Running"):
    pod = copy.deepcopy(pod)
    pod["status"] = {"phase": phase, "startTime": "2026-12-02T09:59:00Z",
                     "conditions": [{"type": "PodScheduled", "status": "True"}],
                     "containerStatuses": [{"name": "main", "state": statuses[0], "ready": True}],
                     "initContainerStatuses": [{"name": "side", "state": statuses[1], "ready": True}]}
    return pod


RUN = {"running": {"startedAt": "2026-12-02T09:59:05Z"}}


def test_user_stop_stops_the_pod_by_its_deadline_and_keeps_the_exit_codes():
    client = FakeClient()
    first = run(client, task())
    [pod] = pods(client)
    live = client.objects[Ref("v1", "Pod", pod["metadata"]["name"], "demo")] = _running(pod, RUN, RUN)
    running = run(client, task(first.status), pods={pod["metadata"]["name"]: life.slim(live)})
    assert running.status["lastStatus"] == "RUNNING" and conditions(running.status)["Running"]["status"] == "True"
    stopping = run(client, task(running.status, desiredStatus="STOPPED", reason="enough"),
                   pods={pod["metadata"]["name"]: life.slim(live)})
    assert client.objects[Ref("v1", "Pod", pod["metadata"]["name"], "demo")]["spec"]["activeDeadlineSeconds"] == 1
    [entry] = stopping.status["tasks"]
    assert (entry["lastStatus"], entry["stopCode"], entry["stoppedReason"]) == ("DEACTIVATING", "UserInitiated", "enough")
    done = _running(pod, {"terminated": {"exitCode": 143, "finishedAt": "2026-12-02T10:00:03Z"}},
                    {"terminated": {"exitCode": 137, "finishedAt": "2026-12-02T10:00:04Z"}}, phase="Failed")
    stopped = run(client, task(stopping.status, desiredStatus="STOPPED", reason="enough"),
                  pods={pod["metadata"]["name"]: life.slim(done)})
    [entry] = stopped.status["tasks"]
    assert entry["lastStatus"] == "STOPPED" and {c["name"]: c["exitCode"] for c in entry["containers"]} == \
        {"main": 143, "side": 137}
    assert conditions(stopped.status)["Stopped"]["status"] == "True" and stopped.status["stopCode"] == "UserInitiated"
    assert any(e.reason == "TaskStopped" and "main exit code 143" in e.message for e in stopped.events)
    # The Pod goes (deleted by hand): status keeps the stopped task as it was.
    del client.objects[Ref("v1", "Pod", pod["metadata"]["name"], "demo")]
    gone = run(client, task(stopped.status, desiredStatus="STOPPED", reason="enough"))
    assert gone.status["tasks"] == stopped.status["tasks"]
    assert not is_active(gone.status)


def test_a_stop_before_the_kubelet_has_the_pod_deletes_it():
    client = FakeClient()
    first = run(client, task())
    [pod] = pods(client)
    stopping = run(client, task(first.status, desiredStatus="STOPPED"))
    assert pods(client) == []
    gone = run(client, task(stopping.status, desiredStatus="STOPPED"))
    [entry] = gone.status["tasks"]
    assert (entry["lastStatus"], entry["stopCode"], entry["stoppedReason"]) == \
        ("STOPPED", "UserInitiated", "Task stopped by user")


def test_the_ttl_deletes_the_task_after_its_last_task_stopped():
    client = FakeClient(task())
    stopped = {"tasks": [{"taskArn": "arn:aws:ecs:local:0:task/demo/abc", "lastStatus": "STOPPED",
                          "stoppedAt": "2026-12-02T09:59:00Z"}]}
    run(client, task(stopped, ttlSecondsAfterStopped=120))
    assert Ref("ecs.kube-ecs.dev/v1alpha1", "Task", "job-run", "demo") in client.objects
    run(client, task(stopped, ttlSecondsAfterStopped=30))
    assert Ref("ecs.kube-ecs.dev/v1alpha1", "Task", "job-run", "demo") not in client.objects


def test_task_role_override_makes_the_shared_service_account():
    client = FakeClient()
    run(client, task(overrides={"taskRoleArn": "arn:aws:iam::123456789012:role/batch-role"}))
    account = client.objects[Ref("v1", "ServiceAccount", "batch-role", "demo")]
    assert account["metadata"]["ownerReferences"][0]["controller"] is False
    [pod] = pods(client)
    assert pod["spec"]["serviceAccountName"] == "batch-role"


def test_pod_security_applies_to_task_pods():
    privileged, _ = normalize_task_definition({"family": "job", "containerDefinitions": [
        {"name": "main", "image": "x", "privileged": True}]})
    revisions = [rev.Revision("job", 1, rev.ACTIVE, privileged, rev.digest(privileged))]
    client = FakeClient()
    outcome = reconcile_task(client, task(), pods={}, clusters={"demo": "demo"}, revisions_of=lambda f: revisions,
                             now=NOW)
    accepted = conditions(outcome.status)["Accepted"]
    assert accepted["reason"] == "PodSecurity" and "containerDefinitions[0].privileged" in accepted["message"]
    assert pods(client) == []


def test_ecr_images_are_pulled_from_the_clusters_mirror():
    ecr, _ = normalize_task_definition({"family": "job", "containerDefinitions": [
        {"name": "main", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/jobs:1"}]})
    revisions = [rev.Revision("job", 1, rev.ACTIVE, ecr, rev.digest(ecr))]
    client = FakeClient()
    reconcile_task(client, task(), pods={}, clusters={"demo": "demo"}, revisions_of=lambda f: revisions, now=NOW,
                   cluster_specs={"demo": {"ecrMirror": "localhost:5001"}})
    [pod] = pods(client)
    assert pod["spec"]["containers"][0]["image"] == "localhost:5001/jobs:1"
