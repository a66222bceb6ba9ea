"""A ScheduledTask's reconcile: the run due is fired once as an owned Task (a repeated pass finds it),
a late one is skipped, DISABLED fires none, runs are listed with their outcome and the history bounded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from kubernetes.client.exceptions import ApiException

from kube_ecs.reconcile import scheduled_tasks as sched
from kube_ecs.reconcile.kube import Ref

from .fake import FakeClient

CREATED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
TASK = "ecs.kube-ecs.dev/v1alpha1"


def scheduled(status=None, **spec):
    body = {"apiVersion": TASK, "kind": "ScheduledTask",
            "metadata": {"name": "nightly", "namespace": "demo", "uid": "u-s", "generation": 1,
                         "creationTimestamp": sched.iso(CREATED)},
            "spec": {"scheduleExpression": "rate(1 minute)", "runTask": {"taskDefinition": "job", "count": 2}, **spec}}
    return {**body, "status": status} if status else body


def runs(client):
    return sorted(o["metadata"]["name"] for r, o in client.objects.items() if r.kind == "Task")


def test_a_due_run_is_a_task_owned_by_the_schedule():
    client = FakeClient()
    outcome, wait = sched.reconcile_scheduled_task(client, scheduled(), runs=[], now=CREATED + timedelta(seconds=61))
    [name] = runs(client)
    task = client.objects[Ref(TASK, "Task", name, "demo")]
    assert name == f"nightly-{int((CREATED + timedelta(minutes=1)).timestamp())}"
    assert task["spec"] == {"startedBy": "events-rule/nightly", "taskDefinition": "job", "count": 2}
    assert task["metadata"]["ownerReferences"][0]["uid"] == "u-s"
    assert task["metadata"]["labels"][sched.SCHEDULED_TASK_LABEL] == "nightly"
    assert task["metadata"]["annotations"][sched.SCHEDULED_AT_ANNOTATION] == "2026-12-02T10:01:00Z"
    assert outcome.status["lastScheduledAt"] == "2026-12-02T10:01:00Z"
    assert outcome.status["nextScheduledAt"] == "2026-12-02T10:02:00Z"
    assert 58 <= wait <= 60
    assert [e.reason for e in outcome.events] == ["RunStarted", "Scheduled"]
    # The same pass again (its status write lost): the run exists, nothing more is made.
    sched.reconcile_scheduled_task(client, scheduled(), runs=[], now=CREATED + timedelta(seconds=62))
    assert runs(client) == [name]
    # With the status written: nothing is due until 10:02.
    client.writes.clear()
    sched.reconcile_scheduled_task(client, scheduled(outcome.status), runs=[], now=CREATED + timedelta(seconds=90))
    assert client.writes == []


def test_nothing_fires_before_the_first_time_nor_for_a_time_long_missed():
    client = FakeClient()
    sched.reconcile_scheduled_task(client, scheduled(), runs=[], now=CREATED + timedelta(seconds=30))
    assert runs(client) == []
    status = {"lastScheduledAt": "2026-12-02T10:01:00Z"}
    sched.reconcile_scheduled_task(client, scheduled(status, scheduleExpression="rate(10 minutes)"), runs=[],
                                   now=CREATED + timedelta(minutes=25))  # 10:10 and 10:20 missed: skipped
    assert runs(client) == []


def test_disabled_fires_nothing():
    client = FakeClient()
    outcome, wait = sched.reconcile_scheduled_task(client, scheduled(state="DISABLED"), runs=[],
                                                   now=CREATED + timedelta(seconds=61))
    assert runs(client) == [] and "nextScheduledAt" not in outcome.status and wait == 60
    ready = outcome.status["conditions"][0]
    assert (ready["status"], ready["reason"]) == ("True", "Disabled")


def test_an_invalid_schedule_is_not_ready_and_fires_nothing():
    client = FakeClient()
    outcome, _ = sched.reconcile_scheduled_task(client, scheduled(scheduleExpression="rate(1 minutes)"), runs=[],
                                                now=CREATED + timedelta(minutes=5))
    ready = outcome.status["conditions"][0]
    assert ready["status"] == "False" and ready["message"].startswith("ValidationException: scheduleExpression: rate:")
    assert runs(client) == []


def test_an_invalid_spec_keeps_what_was_fired_so_a_fix_does_not_fire_it_again():
    client = FakeClient()
    fired, _ = sched.reconcile_scheduled_task(client, scheduled(), runs=[], now=CREATED + timedelta(seconds=61))
    [name] = runs(client)
    listed = [{"taskName": name, "scheduledAt": "2026-12-02T10:01:00Z", "lastStatus": "RUNNING"}]
    status = {**fired.status, "runs": listed, "activeRuns": 1}
    invalid, _ = sched.reconcile_scheduled_task(client, scheduled(status, scheduleExpression="rate(1 minutes)"),
                                                runs=listed, now=CREATED + timedelta(seconds=70))
    assert invalid.status["lastScheduledAt"] == "2026-12-02T10:01:00Z"
    assert (invalid.status["runs"], invalid.status["activeRuns"]) == (listed, 1)
    sched.reconcile_scheduled_task(client, scheduled(invalid.status), runs=listed,
                                   now=CREATED + timedelta(seconds=80))  # fixed: 10:01 was fired already
    assert runs(client) == [name]


class RefusingClient(FakeClient):
    """The Task admission webhook refusing every run (a 400 with the API server's message)."""

    def create(self, obj):
        if obj["kind"] == "Task":
            raise _refusal()
        return super().create(obj)


def _refusal():
    error = ApiException(status=400, reason="Bad Request")
    error.body = json.dumps({"message": 'admission webhook "tasks.ecs.kube-ecs.dev" denied the request: '
                                        "ClientException: TaskDefinition job:1 is INACTIVE."})
    return error


def test_a_run_the_api_refuses_is_recorded_reported_and_not_fired_again():
    client = RefusingClient()
    outcome, _ = sched.reconcile_scheduled_task(client, scheduled(), runs=[], now=CREATED + timedelta(seconds=61))
    assert runs(client) == []
    assert outcome.status["lastScheduledAt"] == "2026-12-02T10:01:00Z"  # the fire is recorded
    condition = next(c for c in outcome.status["conditions"] if c["type"] == sched.RUN_CONDITION)
    assert (condition["status"], condition["reason"]) == ("False", "RunRefused")
    assert "TaskDefinition job:1 is INACTIVE" in condition["message"]
    [warning] = [e for e in outcome.events if e.warning]
    assert warning.reason == "RunRefused" and "job:1 is INACTIVE" in warning.message
    client.writes.clear()
    again, _ = sched.reconcile_scheduled_task(client, scheduled(outcome.status), runs=[],
                                              now=CREATED + timedelta(seconds=70))
    assert [e for e in again.events if e.warning] == []  # not fired (nor said) again
    assert next(c for c in again.status["conditions"] if c["type"] == sched.RUN_CONDITION) == condition


def test_a_task_by_the_runs_name_not_owned_by_the_schedule_is_reported():
    name = f"nightly-{int((CREATED + timedelta(minutes=1)).timestamp())}"
    foreign = {"apiVersion": TASK, "kind": "Task", "metadata": {
        "name": name, "namespace": "demo", "ownerReferences": [{"kind": "ScheduledTask", "uid": "someone-else"}]}}
    client = FakeClient(foreign)
    outcome, _ = sched.reconcile_scheduled_task(client, scheduled(), runs=[], now=CREATED + timedelta(seconds=61))
    condition = next(c for c in outcome.status["conditions"] if c["type"] == sched.RUN_CONDITION)
    assert (condition["status"], condition["reason"]) == ("False", "RunConflict")
    assert any(e.warning and e.reason == "RunConflict" and name in e.message for e in outcome.events)
    assert outcome.status["lastScheduledAt"] == "2026-12-02T10:01:00Z"
    # Its own run found again (a pass that could not record it) is no conflict and says nothing.
    client = FakeClient()
    sched.reconcile_scheduled_task(client, scheduled(), runs=[], now=CREATED + timedelta(seconds=61))
    outcome, _ = sched.reconcile_scheduled_task(client, scheduled(), runs=[], now=CREATED + timedelta(seconds=62))
    condition = next(c for c in outcome.status["conditions"] if c["type"] == sched.RUN_CONDITION)
    assert (condition["status"], condition["reason"]) == ("True", "RunStarted")
    assert not any(e.warning for e in outcome.events)


def run(name, at, state="STOPPED"):
    return {"taskName": name, "scheduledAt": at, "lastStatus": state}


def test_runs_listed_newest_first_and_stopped_ones_beyond_the_limit_deleted():
    old = [run(f"nightly-{i}", f"2026-12-02T10:0{i}:00Z") for i in range(1, 5)]
    old[0]["lastStatus"] = "RUNNING"  # the oldest still runs: kept
    client = FakeClient(*({"apiVersion": TASK, "kind": "Task", "metadata": {"name": r["taskName"], "namespace": "demo"}}
                          for r in old))
    outcome, _ = sched.reconcile_scheduled_task(client, scheduled(runsHistoryLimit=2, state="DISABLED"), runs=old,
                                                now=CREATED + timedelta(minutes=5))
    assert [r["taskName"] for r in outcome.status["runs"]] == ["nightly-4", "nightly-3", "nightly-1"]
    assert runs(client) == ["nightly-1", "nightly-3", "nightly-4"]
    assert outcome.status["activeRuns"] == 1


def test_run_of_sums_up_a_task():
    body = {"metadata": {"name": "nightly-1", "annotations": {sched.SCHEDULED_AT_ANNOTATION: "2026-12-02T10:01:00Z"}},
            "status": {"lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
                       "tasks": [{"stoppedReason": "Essential container in task exited",
                                  "containers": [{"name": "main", "exitCode": 3}]}]}}
    assert sched.run_of(body) == {"taskName": "nightly-1", "scheduledAt": "2026-12-02T10:01:00Z",
                                  "lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
                                  "stoppedReason": "Essential container in task exited", "exitCodes": {"main": 3}}
    refused = {"metadata": {"name": "n"}, "status": {"conditions": [
        {"type": "Accepted", "status": "False", "message": "ClientException: TaskDefinition job:1 is inactive."}]}}
    assert sched.run_of(refused)["stoppedReason"] == "ClientException: TaskDefinition job:1 is inactive."
    assert sched.run_of(refused)["notLaunched"] is True


def test_a_run_still_stopping_is_active_and_not_pruned():
    def task(name, at, state, **status):
        return {"apiVersion": TASK, "kind": "Task", "metadata": {
            "name": name, "namespace": "demo", "annotations": {sched.SCHEDULED_AT_ANNOTATION: at}},
            "status": {"lastStatus": state, **status}}
    stopping = task("nightly-1", "2026-12-02T10:01:00Z", "DEACTIVATING", stopCode="UserInitiated", tasks=[
        {"lastStatus": "DEACTIVATING", "stopCode": "UserInitiated", "stoppedReason": "Task stopped by user"}])
    refused = task("nightly-2", "2026-12-02T10:02:00Z", "PROVISIONING", conditions=[
        {"type": "Accepted", "status": "False", "message": "ClientException: TaskDefinition job:1 is inactive."}])
    newer = [task(f"nightly-{i}", f"2026-12-02T10:0{i}:00Z", "STOPPED") for i in (3, 4)]
    bodies = [stopping, refused, *newer]
    client = FakeClient(*bodies)
    outcome, _ = sched.reconcile_scheduled_task(client, scheduled(runsHistoryLimit=2, state="DISABLED"),
                                                runs=[sched.run_of(b) for b in bodies],
                                                now=CREATED + timedelta(minutes=5))
    assert runs(client) == ["nightly-1", "nightly-3", "nightly-4"]  # the refused one pruned, the stopping one kept
    assert [r["taskName"] for r in outcome.status["runs"]] == ["nightly-4", "nightly-3", "nightly-1"]
    assert outcome.status["activeRuns"] == 1
