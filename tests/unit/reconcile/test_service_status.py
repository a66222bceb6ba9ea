import uuid

import pytest

from kube_ecs.reconcile.service_status import Observed, Task, compute, deployments, task_of

REV = "ecs.kube-ecs.dev/task-definition-revision"


def workload(*, revision="1", k8s_revision="1", replicas=2, updated=2, available=2, total=2, generation=1,
             observed=1, conditions=()):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "cats", "uid": "dep", "generation": generation, "creationTimestamp": "t0",
                         "annotations": {"deployment.kubernetes.io/revision": k8s_revision}},
            "spec": {"replicas": replicas, "template": {"metadata": {"labels": {REV: revision}}}},
            "status": {"observedGeneration": observed, "replicas": total, "updatedReplicas": updated,
                       "availableReplicas": available, "conditions": list(conditions)}}


def replica_set(hash_, revision, k8s_revision, replicas):
    return {"metadata": {"name": f"cats-{hash_}", "uid": f"rs-{hash_}", "creationTimestamp": f"t-{hash_}",
                         "labels": {"pod-template-hash": hash_},
                         "annotations": {"deployment.kubernetes.io/revision": k8s_revision},
                         "ownerReferences": [{"uid": "dep", "controller": True}]},
            "spec": {"replicas": replicas, "template": {"metadata": {"labels": {REV: revision}}}}}


def task(name, hash_="h1", revision="1", running=True, **kw):
    return Task(name=name, revision=revision, template_hash=hash_, running=running, terminating=False,
                restarts=0, **kw)


def observed(**kw):
    defaults = {"service": "cats", "family": "cats", "desired_count": 2, "generation": 1, "workload": workload(),
                    "replica_sets": [replica_set("h1", "1", "1", 2)], "tasks": [task("cats-a"), task("cats-b")]}
    return Observed(**{**defaults, **kw})


def test_steady_state():
    result = compute(observed(), None, None, "now")
    status = result.status
    assert (status["desiredCount"], status["runningCount"], status["pendingCount"]) == (2, 2, 0)
    assert status["taskDefinition"] == "cats:1"
    [primary] = status["deployments"]
    assert primary["status"] == "PRIMARY" and primary["rolloutState"] == "COMPLETED"
    assert primary["rolloutStateReason"] == "ECS deployment ecs-svc/h1 completed."
    ready = {c["type"]: c for c in status["conditions"]}
    assert ready["Ready"]["status"] == "True" and ready["Ready"]["observedGeneration"] == 1
    assert ready["Progressing"]["status"] == "False" and ready["Degraded"]["status"] == "False"
    assert status["events"][0]["message"] == "(service cats) has reached a steady state."
    # Right after a start nothing is reported as started.
    assert not any("has started" in e.message for e in result.events)


def test_nothing_changes_nothing_written():
    first = compute(observed(), None, None, "t1")
    again = compute(observed(), first.status, first.known_tasks, "t2")
    assert again.status == first.status and again.events == []


def test_rolling_update_has_primary_and_active():
    dep = workload(revision="2", k8s_revision="2", updated=1, available=2, total=3)
    sets = [replica_set("h1", "1", "1", 1), replica_set("h2", "2", "2", 2)]
    tasks = [task("a"), task("n1", "h2", "2"), task("n2", "h2", "2", running=False)]
    status = compute(observed(workload=dep, replica_sets=sets, tasks=tasks), None, {"a", "b"}, "now").status
    primary, active = status["deployments"]
    assert (primary["id"], primary["taskDefinition"], primary["rolloutState"]) == ("ecs-svc/h2", "cats:2", "IN_PROGRESS")
    assert (primary["runningCount"], primary["pendingCount"]) == (1, 1)
    assert (active["status"], active["taskDefinition"], active["desiredCount"]) == ("ACTIVE", "cats:1", 1)
    assert status["taskDefinition"] == "cats:2" and status["runningCount"] == 2
    conds = {c["type"]: c["status"] for c in status["conditions"]}
    assert conds == {"Ready": "False", "Progressing": "True", "Degraded": "False"}


def test_started_and_stopped_tasks_are_events():
    result = compute(observed(), None, {"cats-a", "cats-old"}, "now")
    messages = [e.message for e in result.events]
    assert "(service cats) has started 1 tasks: (task cats-b)." in messages
    assert "(service cats) has stopped 1 running tasks: (task cats-old)." in messages
    assert result.known_tasks == {"cats-a", "cats-b"}


def test_completed_rollout_stays_completed_when_a_task_dies():
    first = compute(observed(), None, None, "t1").status
    dep = workload(available=1)
    status = compute(observed(workload=dep, tasks=[task("cats-a"), task("cats-c", running=False)]),
                     first, None, "t2").status
    assert status["deployments"][0]["rolloutState"] == "COMPLETED"
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "False"


def test_placement_failure_is_degraded_and_reported_once():
    stuck = task("cats-c", running=False, placement_problem="0/1 nodes are available: 1 Insufficient cpu.")
    obs = observed(workload=workload(available=2, total=3, replicas=3), desired_count=3,
                   tasks=[task("cats-a"), task("cats-b"), stuck])
    first = compute(obs, None, None, "t1")
    degraded = {c["type"]: c for c in first.status["conditions"]}["Degraded"]
    assert degraded["status"] == "True" and degraded["reason"] == "TaskPlacementFailed"
    assert first.status["events"][0]["message"].startswith(
        "(service cats) was unable to place a task because no container instance met all of its requirements.")
    assert compute(obs, first.status, first.known_tasks, "t2").events == []


def test_operator_error_overrides_conditions_but_keeps_counts():
    status = compute(observed(error=("TaskDefinitionNotFound", "ClientException: revision 9 does not exist.")),
                     None, None, "now").status
    assert status["runningCount"] == 2
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["Ready"]["status"] == "False" and conds["Ready"]["reason"] == "TaskDefinitionNotFound"
    assert conds["Degraded"]["status"] == "True"


def test_progress_deadline_is_not_a_failure():
    """As in ECS, only the circuit breaker fails a deployment: a stuck one stays IN_PROGRESS."""
    dep = workload(available=0, updated=2, conditions=[{"type": "Progressing", "status": "False",
                                                        "reason": "ProgressDeadlineExceeded", "message": "timed out"}])
    stuck = [task("cats-a", running=False), task("cats-b", running=False)]
    status = compute(observed(workload=dep, tasks=stuck), None, None, "now").status
    assert status["deployments"][0]["rolloutState"] == "IN_PROGRESS"


def test_running_tasks_complete_the_deployment_before_the_deployment_status_counts_them():
    """ECS's test (every PRIMARY task running, no other left) on the pods: the Deployment controller's
    counts follow a sync or two later."""
    lagging = workload(available=0, updated=0, total=0)
    status = compute(observed(workload=lagging), None, None, "now").status
    assert status["deployments"][0]["rolloutState"] == "COMPLETED"
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"


def test_an_old_deployment_whose_tasks_have_all_stopped_is_gone_before_their_pods_are():
    """A stopped task's pod (every container exited, phase Failed after SIGTERM) lingers a moment while
    the kubelet removes it: the task is STOPPED already, and its deployment drained."""
    dep = workload(revision="2", k8s_revision="2")
    sets = [replica_set("h1", "1", "1", 0), replica_set("h2", "2", "2", 2)]
    old = Task(name="old", revision="1", template_hash="h1", running=False, terminating=True, restarts=0, stopped=True)
    tasks = [task("n1", "h2", "2"), task("n2", "h2", "2"), old]
    status = compute(observed(workload=dep, replica_sets=sets, tasks=tasks), None, None, "now").status
    assert [(d["taskDefinition"], d["rolloutState"]) for d in status["deployments"]] == [("cats:2", "COMPLETED")]
    stopping = Task(name="old", revision="1", template_hash="h1", running=False, terminating=True, restarts=0)
    status = compute(observed(workload=dep, replica_sets=sets, tasks=[*tasks[:2], stopping]), None, None, "now").status
    assert [d["taskDefinition"] for d in status["deployments"]] == ["cats:2", "cats:1"]


@pytest.mark.parametrize("case", ["unsynced", "min-ready", "one-pending", "old-task-left", "one-short"])
def test_tasks_do_not_complete_a_deployment_the_controller_has_not_seen_or_that_is_not_done(case):
    lagging = workload(available=0, updated=0, total=0, generation=2 if case == "unsynced" else 1)
    if case == "min-ready":  # blue/green's hold: only the controller's availability count applies
        lagging["spec"]["minReadySeconds"] = 30
    tasks = {"one-pending": [task("cats-a"), task("cats-b", running=False)],
             "old-task-left": [task("cats-a"), task("cats-b"), task("old", hash_="h0")],
             "one-short": [task("cats-a")]}.get(case, [task("cats-a"), task("cats-b")])
    status = compute(observed(workload=lagging, tasks=tasks), None, None, "now").status
    assert status["deployments"][0]["rolloutState"] == "IN_PROGRESS"


def test_daemon_groups_tasks_by_revision():
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": {"name": "agent", "uid": "ds", "generation": 2, "creationTimestamp": "t0"},
          "spec": {"template": {"metadata": {"labels": {REV: "2"}}}},
          "status": {"observedGeneration": 2, "desiredNumberScheduled": 2, "updatedNumberScheduled": 1,
                     "numberAvailable": 2}}
    obs = Observed(service="agent", family="agent", desired_count=0, generation=2, workload=ds,
                   tasks=[task("a", None, "2"), task("b", None, "1")])
    primary, active = deployments(obs, None)
    assert (primary["taskDefinition"], primary["desiredCount"], primary["runningCount"]) == ("agent:2", 2, 1)
    assert (active["status"], active["taskDefinition"]) == ("ACTIVE", "agent:1")


def test_task_of_reads_pod_problems():
    pod = {"metadata": {"name": "p", "labels": {REV: "1", "pod-template-hash": "h"}},
           "status": {"phase": "Pending", "containerStatuses": [{
               "name": "web", "restartCount": 0, "state": {"waiting": {
                   "reason": "CreateContainerConfigError", "message": 'secret "db" not found'}}}]}}
    t = task_of(pod)
    assert not t.running and t.revision == "1" and t.template_hash == "h"
    assert t.launch_problem == ('ResourceInitializationError: unable to pull secrets or registry auth: '
                                'secret "db" not found')


PULL = "CannotPullContainerError: pull access denied for nope"
CRASH = "Essential container in task exited (container web, exit code 1)"


def launch_warning(problem):
    return f"(service cats) failed to launch a task with (error {problem})."


@pytest.mark.parametrize("passes", [
    # Each pass: the launch problem of each task, and the warnings it adds to status.events.
    [([PULL, PULL], [PULL])],  # two tasks, one problem: one event
    [([PULL, CRASH, PULL], [PULL, CRASH])],
    [([PULL], [PULL]), ([PULL], []), ([PULL, PULL], [])],  # reported once while it lasts
    [([PULL], [PULL]), ([None], []), ([PULL], [PULL])],  # gone, then back: a new event
    [([PULL, CRASH], [PULL, CRASH]), ([CRASH], []), ([PULL, CRASH], [PULL])],
])
def test_a_warning_is_reported_once_while_its_cause_lasts(passes):
    status: dict | None = None
    known: set[str] | None = None
    for number, (problems, added) in enumerate(passes):
        tasks = [task(f"cats-{i}", running=False, launch_problem=p) for i, p in enumerate(problems)]
        result = compute(observed(tasks=tasks), status, known, "t")  # one second: ids must still differ
        warnings = [e.message for e in result.events if e.reason == "TaskLaunchFailed"]
        assert warnings == [launch_warning(p) for p in added], f"pass {number}"
        new = result.status["events"][:len(result.status["events"]) - len((status or {}).get("events", []))]
        assert sorted(e["message"] for e in new if "failed to launch" in e["message"]) == sorted(warnings)
        assert result.status.get("problems", []) == list(dict.fromkeys(launch_warning(p) for p in problems if p))
        ids = [e["id"] for e in result.status["events"]]
        assert len(set(ids)) == len(ids)
        status, known = result.status, result.known_tasks


def test_a_lasting_warning_is_not_repeated_when_other_events_push_it_out_of_the_history():
    stuck = observed(tasks=[task("cats-a", running=False, launch_problem=PULL)])
    first = compute(stuck, None, None, "t1").status
    pushed = {**first, "events": [{"id": str(i), "createdAt": "t1", "message": f"other {i}"} for i in range(10)]}
    again = compute(stuck, pushed, None, "t2")
    assert again.events == [] and again.status["events"] == pushed["events"]


def test_event_ids_are_uuids_and_the_same_when_a_computation_is_repeated():
    first = compute(observed(), None, None, "t1")
    again = compute(observed(), None, None, "t1")
    assert first.status["events"] == again.status["events"]
    assert str(uuid.UUID(first.status["events"][0]["id"])) == first.status["events"][0]["id"]


def test_condition_changes_are_events_without_repeating_ecs_words():
    error = ("TaskDefinitionNotFound", "ClientException: revision 9 does not exist.")
    refused = compute(observed(error=error), None, None, "t1")
    assert [(e.message, e.reason, e.warning) for e in refused.events] == [
        ("(service cats) (deployment ecs-svc/h1) deployment completed.", "DeploymentCompleted", False),
        ("(service cats) ClientException: revision 9 does not exist.", "TaskDefinitionNotFound", True)]
    steady = compute(observed(), refused.status, refused.known_tasks, "t2")
    assert [(e.message, e.reason, e.warning) for e in steady.events] == [
        ("(service cats) has reached a steady state.", "SteadyState", False),
        ("Progressing=False: ECS deployment ecs-svc/h1 completed.", "RolloutCompleted", False),
        ("Degraded=False.", "AsExpected", False)]
    # status.events is ECS's history: condition changes are Kubernetes Events only.
    assert [e["message"] for e in steady.status["events"]][:2] == [
        "(service cats) has reached a steady state.", "(service cats) ClientException: revision 9 does not exist."]


@pytest.mark.parametrize("annotations, named", [
    ({"ecs.kube-ecs.dev/container-names": '{"web-app": "Web_App"}'}, "Web_App"),
    ({}, "web-app"),  # a pod from before the annotation
    ({"ecs.kube-ecs.dev/container-names": "not json"}, "web-app"),
    ({"ecs.kube-ecs.dev/container-names": '["Web_App"]'}, "web-app"),
])
def test_task_of_names_containers_as_ecs_does(annotations, named):
    pod = {"metadata": {"name": "p", "labels": {REV: "1"}, "annotations": annotations},
           "status": {"phase": "Running", "containerStatuses": [{
               "name": "web-app", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
               "lastState": {"terminated": {"exitCode": 137}}}]}}
    assert task_of(pod).launch_problem == f"Essential container in task exited (container {named}, exit code 137)"


def provider_deployment(name, uid, replicas, available):
    dep = workload(replicas=replicas, updated=replicas, available=available, total=replicas)
    dep["metadata"].update(name=name, uid=uid)
    return dep


def provider_replica_set(hash_, owner, replicas):
    rs = replica_set(hash_, "1", "1", replicas)
    rs["metadata"]["ownerReferences"] = [{"uid": owner, "controller": True}]
    return rs


def test_one_deployment_per_capacity_provider_is_one_ecs_deployment():
    capacity = {"capacityProviderStrategy": [{"capacityProvider": "compute", "base": 1, "weight": 1},
                                             {"capacityProvider": "FARGATE", "base": 0, "weight": 1}]}
    first, second = provider_deployment("cats-compute", "d1", 3, 3), provider_deployment("cats-fargate", "d2", 2, 1)
    tasks = [task("a", "h1"), task("b", "h1"), task("c", "h1"), task("d", "h2"), task("e", "h2", running=False)]
    status = compute(observed(desired_count=5, workload=first, siblings=[second], tasks=tasks, capacity=capacity,
                              replica_sets=[provider_replica_set("h1", "d1", 3), provider_replica_set("h2", "d2", 2)]),
                     None, None, "now").status
    [primary] = status["deployments"]
    assert (primary["id"], primary["desiredCount"], primary["runningCount"], primary["pendingCount"]) == \
        ("ecs-svc/h1", 5, 4, 1)
    assert primary["rolloutState"] == "IN_PROGRESS"  # the FARGATE share is not available yet
    assert (status["desiredCount"], status["runningCount"], status["pendingCount"]) == (5, 4, 1)
    assert status["capacityProviderStrategy"] == capacity["capacityProviderStrategy"]


@pytest.mark.parametrize(("phase", "stopped"), [("Running", False), ("Failed", True), ("Succeeded", True)])
def test_a_pod_whose_containers_have_all_exited_is_a_stopped_task(phase, stopped):
    pod = {"metadata": {"name": "p", "deletionTimestamp": "t"}, "status": {"phase": phase}}
    assert task_of(pod).stopped is stopped and task_of(pod).terminating
