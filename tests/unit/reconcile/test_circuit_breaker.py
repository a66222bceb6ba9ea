"""Failure accounting, the circuit breaker's threshold and trip, and the deployment-history bookkeeping
(ids, PRIMARY/ACTIVE, draining), without a cluster."""

import pytest

from kube_ecs.ecs.normalize import normalize_task_definition
from kube_ecs.reconcile import circuit_breaker as cb
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.service_status import Observed, Task, compute, task_of
from kube_ecs.reconcile.services import reconcile_service

from .fake import FakeClient

# ---------------------------------------------------------------------------------------------- threshold


@pytest.mark.parametrize(("config", "desired", "threshold"), [
    ({}, 1, 3), ({}, 3, 3), ({}, 6, 3), ({}, 7, 4), ({}, 10, 5), ({}, 400, 200), ({}, 1000, 200),
    ({"thresholdConfiguration": {"type": "COUNT", "value": 1}}, 10, 1),
    ({"thresholdConfiguration": {"type": "COUNT", "value": 500}}, 10, 500),
    ({"thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 100}}, 10, 10),
    ({"thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 10}}, 10, 3),
    ({"thresholdConfiguration": {"type": "UNBOUNDED_PERCENT", "value": 10}}, 10, 1),
    ({"thresholdConfiguration": {"type": "UNBOUNDED_PERCENT", "value": 50}}, 1000, 500),
])
def test_threshold_as_ecs_computes_it(config, desired, threshold):
    breaker = cb.Breaker.of({"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, **config}}})
    assert breaker.threshold(desired) == threshold


def test_breaker_defaults():
    assert cb.Breaker.of({}) == cb.Breaker(enable=False, rollback=False, reset_on_healthy_task=True)


# -------------------------------------------------------------------------------- failures of one task


def pod(*, containers=(), init=(), probed=(), ready=False, annotations=None):
    spec_containers = [{"name": c["name"], **({"livenessProbe": {"exec": {}}} if c["name"] in probed else {})}
                       for c in containers]
    spec_init = [{"name": c["name"], "restartPolicy": "Always",
                  **({"startupProbe": {"exec": {}}} if c["name"] in probed else {})} for c in init]
    return {"metadata": {"name": "web-a", "labels": {}, "annotations": {cb.DEPLOYMENT_ID_ANNOTATION: "ecs-svc/1",
                                                                        **(annotations or {})}},
            "spec": {"containers": spec_containers, "initContainers": spec_init},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                       "containerStatuses": list(containers), "initContainerStatuses": list(init)}}


def crashed(name, restarts, code, reason="Error", waiting="CrashLoopBackOff", message=""):
    return {"name": name, "restartCount": restarts, "state": {"waiting": {"reason": waiting}},
            "lastState": {"terminated": {"exitCode": code, "reason": reason, "message": message}}}


def waiting(name, reason, message=""):
    return {"name": name, "restartCount": 0, "state": {"waiting": {"reason": reason, "message": message}}}


@pytest.mark.parametrize(("what", "pod_", "failures", "reason", "health"), [
    ("a healthy task", pod(containers=[{"name": "web", "restartCount": 0, "state": {"running": {}}}], ready=True),
     0, None, False),
    ("an essential container that exits", pod(containers=[crashed("web", 2, 1)]), 2,
     "Essential container in task exited (container web, exit code 1)", False),
    ("a container that cannot start", pod(containers=[crashed("web", 4, 128, reason="StartError",
                                                              message='exec: "/nope": not found')]),
     4, 'CannotStartContainerError: exec: "/nope": not found', False),
    ("an image that cannot be pulled", pod(containers=[waiting("web", "ImagePullBackOff", "not found")]), 1,
     "CannotPullContainerError: not found", False),
    ("a Secret that does not exist", pod(containers=[waiting("web", "CreateContainerConfigError", 'secret "db"')]),
     1, 'ResourceInitializationError: unable to pull secrets or registry auth: secret "db"', False),
    ("a failed health check", pod(containers=[crashed("web", 3, 137)], probed={"web"}), 3,
     "Task failed container health checks", True),
    ("a health check stopping a SIGTERM-aware app", pod(containers=[crashed("web", 1, 143)], probed={"web"}), 1,
     "Task failed container health checks", True),
    ("a kill without a health check is an exit", pod(containers=[crashed("web", 1, 137)]), 1,
     "Essential container in task exited (container web, exit code 137)", False),
    ("a HEALTHY sidecar that never passes", pod(init=[crashed("envoy", 2, 137)],
                                               containers=[waiting("web", "PodInitializing")], probed={"envoy"}),
     2, "Task failed container health checks", True),
    ("an init container that exits", pod(init=[crashed("migrate", 5, 1)], containers=[waiting("web", "PodInitializing")]),
     5, "Essential container in task exited (container migrate, exit code 1)", False),
    ("a Go app stopped by its failed probe exits 2: the time it ran says why",
     pod(containers=[{**crashed("web", 1, 2), "lastState": {"terminated": {
         "exitCode": 2, "reason": "Error", "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:31Z"}}}],
         probed={"web"}), 1, "Task failed container health checks", True),
    ("a crash at once with a probe is an exit",
     pod(containers=[{**crashed("web", 1, 2), "lastState": {"terminated": {
         "exitCode": 2, "reason": "Error", "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:01Z"}}}],
         probed={"web"}), 1, "Essential container in task exited (container web, exit code 2)", False),
    ("out of memory", pod(containers=[crashed("web", 1, 137, reason="OOMKilled")], probed={"web"}), 1,
     "OutOfMemoryError: Container killed due to memory usage (container web)", False),
])
def test_task_failures_whichever_container_fails(what, pod_, failures, reason, health):
    task = task_of(pod_)
    assert (task.failures, task.failure_reason, task.health_failure) == (failures, reason, health), what
    assert task.deployment_id == "ecs-svc/1"


def test_init_container_crash_is_a_launch_problem():
    task = task_of(pod(init=[crashed("envoy", 2, 1)], containers=[waiting("web", "PodInitializing")]))
    assert task.launch_problem == "Essential container in task exited (container envoy, exit code 1)"


# -------------------------------------------------------------------------------------- counting, trip

def t(name, failures=0, running=False, id_="ecs-svc/2", health=False, reason="CannotStartContainerError: x"):
    return Task(name=name, revision="2", template_hash="h2", running=running, terminating=False, restarts=failures,
                deployment_id=id_, failures=failures, failure_reason=reason if failures else None,
                health_failure=health)


def rollout(**kw):
    return {"sequence": 2, "current": {"id": "ecs-svc/2", "key": "k2", "revision": 2, "taskDefinition": "web:2",
                                       "generation": 2, "force": ""},
            "lastCompleted": {"id": "ecs-svc/1", "revision": 1}, **kw}


ON = cb.Breaker(enable=True, rollback=True)


def evaluate(state, tasks, breaker=ON, desired=3):
    return cb.evaluate(state, tasks, breaker=breaker, desired=desired, service="web",
                       keep={"ecs-svc/1", "ecs-svc/2"})


@pytest.mark.parametrize(("what", "passes", "failed_tasks", "tripped"), [
    ("one failure", [[t("a", 1)]], 1, False),
    ("a restart is counted once however often it is seen", [[t("a", 1)], [t("a", 1)], [t("a", 1)]], 1, False),
    ("three restarts of one task", [[t("a", 1)], [t("a", 3)]], 3, True),
    ("one failure each of three tasks", [[t("a", 1), t("b", 1), t("c", 1)]], 3, True),
    ("a task gone keeps its failures", [[t("a", 2)], [t("b", 1)]], 3, True),
    ("a healthy task resets the count", [[t("a", 2)], [t("a", 2), t("b", running=True)], [t("a", 3), t("b", running=True)]],
     3, False),
    ("tasks of another deployment do not count", [[t("a", 5, id_="ecs-svc/1")]], 0, False),
])
def test_failures_counted_per_deployment_and_the_threshold(what, passes, failed_tasks, tripped):
    state = rollout()
    for tasks in passes:
        state, _ = evaluate(state, tasks)
    assert (cb.failed_tasks(state, "ecs-svc/2") or 0) == failed_tasks, what
    assert bool(state.get("failed")) == tripped, what


def test_no_reset_when_asked():
    state = rollout()
    breaker = cb.Breaker(enable=True, rollback=True, reset_on_healthy_task=False)
    for tasks in [[t("a", 2)], [t("a", 2), t("b", running=True)], [t("a", 3), t("b", running=True)]]:
        state, _ = evaluate(state, tasks, breaker)
    assert state["failed"]["id"] == "ecs-svc/2"


def test_trip_with_rollback_says_so_in_ecs_words():
    state, events = evaluate(rollout(), [t("a", 1), t("b", 1, health=True), t("c", 1)])
    said = [e.message for e in events]
    assert said == [
        "(service web) (task a) failed to start: CannotStartContainerError: x.",
        "(service web) (task b) failed container health checks.",
        "(service web) (task c) failed to start: CannotStartContainerError: x.",
        "(service web) is unable to consistently start tasks successfully. For more information, see the "
        "Troubleshooting section of the Amazon ECS Developer Guide.",
        "(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
        "(service web) rolling back to deployment ecs-svc/1.",
    ]
    assert state["failed"] == {"id": "ecs-svc/2", "revision": 2, "taskDefinition": "web:2", "generation": 2,
                               "force": "", "reason": "ECS deployment circuit breaker: rolling back to deploymentId "
                                                      "ecs-svc/1.", "rollbackTo": "ecs-svc/1", "rollbackRevision": 1}
    # Tripped once: the next passes say nothing more about it.
    again, events = evaluate(state, [t("a", 1), t("b", 1, health=True), t("c", 1)])
    assert again == state and events == []


@pytest.mark.parametrize(("what", "breaker", "state"), [
    ("no breaker", cb.Breaker(), rollout()),
    ("a completed deployment never fails", ON, rollout(lastCompleted={"id": "ecs-svc/2", "revision": 2})),
])
def test_no_trip(what, breaker, state):
    tripped, _ = evaluate(state, [t("a", 5)], breaker)
    assert "failed" not in tripped and cb.failed_tasks(tripped, "ecs-svc/2") == 5, what


def test_without_rollback_or_nothing_completed_the_deployment_stops():
    for state, breaker in [(rollout(), cb.Breaker(enable=True)), (rollout(lastCompleted=None), ON)]:
        tripped, events = evaluate(state, [t("a", 3)], breaker)
        assert tripped["failed"]["reason"] == "ECS deployment circuit breaker: tasks failed to start."
        assert tripped["failed"]["rollbackRevision"] is None and cb.is_stopped(tripped)
        assert cb.target_revision(tripped, 2, generation=2, force="") is None
        assert not any("rolling back" in e.message for e in events)


def test_a_failed_rollback_stays_where_it_is():
    state = rollout(current={"id": "ecs-svc/3", "key": "k1", "revision": 1, "taskDefinition": "web:1",
                             "generation": 2, "force": ""},
                    failed={"id": "ecs-svc/2", "revision": 2, "generation": 2, "force": "", "rollbackTo": "ecs-svc/1",
                            "rollbackRevision": 1, "rolledBackAs": "ecs-svc/3"})
    tripped, _ = cb.evaluate(state, [t("a", 3, id_="ecs-svc/3")], breaker=ON, desired=3, service="web",
                             keep={"ecs-svc/3"})
    assert cb.is_stopped(tripped) and cb.target_revision(tripped, 2, generation=2, force="") == 1


@pytest.mark.parametrize(("what", "chosen", "generation", "force", "target"), [
    ("nothing changed: stay on the revision rolled back to", 2, 2, "", 1),
    ("a newer revision in the family", 3, 2, "", None),
    ("the Service's spec changed", 2, 3, "", None),
    ("a forced deployment", 2, 2, "again", None),
])
def test_rollback_holds_until_something_changes(what, chosen, generation, force, target):
    state = rollout(failed={"id": "ecs-svc/2", "revision": 2, "generation": 2, "force": "", "rollbackRevision": 1})
    assert cb.target_revision(state, chosen, generation=generation, force=force) == target, what


# ----------------------------------------------------------------------------------------- deployment ids

def test_ids_are_ecs_shaped_and_new_per_deployment():
    first = cb.start(None, key="k1", revision=1, generation=1, force="", uid="u", now="t1")
    assert first["current"]["id"].startswith("ecs-svc/") and len(first["current"]["id"]) == len("ecs-svc/") + 19
    same = cb.start(first, key="k1", revision=1, generation=2, force="", uid="u", now="t2")
    assert same["current"]["id"] == first["current"]["id"] and same["current"]["generation"] == 2
    # The same template again later (a rollback, a forced redeploy) is a deployment of its own.
    second = cb.start(same, key="k2", revision=2, generation=3, force="", uid="u", now="t3")
    back = cb.start(second, key="k1", revision=1, generation=3, force="", uid="u", now="t4")
    ids = {first["current"]["id"], second["current"]["id"], back["current"]["id"]}
    assert len(ids) == 3 and back["sequence"] == 3


def test_template_key_ignores_the_id_and_counts_the_force_token():
    template = {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}
    marked = {"metadata": {"labels": {"a": "b"}, "annotations": {cb.DEPLOYMENT_ID_ANNOTATION: "ecs-svc/9"}},
              "spec": {"containers": []}}
    assert cb.template_key([template], "") == cb.template_key([marked], "")
    assert cb.template_key([template], "") != cb.template_key([template], "1")


# ------------------------------------------------------------------------------------ deployment history

REV = "ecs.kube-ecs.dev/task-definition-revision"


def workload(revision, k8s_revision, *, updated, available, total, replicas=3):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "uid": "dep", "generation": 2, "creationTimestamp": "t0",
                         "annotations": {"deployment.kubernetes.io/revision": k8s_revision}},
            "spec": {"replicas": replicas, "template": {"metadata": {"labels": {REV: revision}}}},
            "status": {"observedGeneration": 2, "replicas": total, "updatedReplicas": updated,
                       "availableReplicas": available}}


def rs(hash_, revision, k8s_revision, replicas, id_):
    return {"metadata": {"name": f"web-{hash_}", "uid": f"rs-{hash_}", "creationTimestamp": f"t-{hash_}",
                         "labels": {"pod-template-hash": hash_},
                         "annotations": {"deployment.kubernetes.io/revision": k8s_revision},
                         "ownerReferences": [{"uid": "dep", "controller": True}]},
            "spec": {"replicas": replicas, "template": {"metadata": {
                "labels": {REV: revision}, "annotations": {cb.DEPLOYMENT_ID_ANNOTATION: id_}}}}}


def task(name, hash_, id_, running=True, terminating=False, failures=0):
    return Task(name=name, revision=None, template_hash=hash_, running=running, terminating=terminating,
                restarts=failures, deployment_id=id_, failures=failures)


def history(replica_sets, tasks, state, wl, previous=None):
    return compute(Observed(service="web", family="web", desired_count=3, generation=2, workload=wl,
                            replica_sets=replica_sets, tasks=tasks, rollout=state), previous, None, "now")


@pytest.mark.parametrize(("what", "old_replicas", "old_tasks", "entries"), [
    ("rolling: the old deployment ACTIVE with its running tasks", 2,
     [task("o1", "h1", "ecs-svc/1"), task("o2", "h1", "ecs-svc/1")],
     [("ecs-svc/2", "PRIMARY", "IN_PROGRESS", 1), ("ecs-svc/1", "ACTIVE", "COMPLETED", 2)]),
    ("scaled to 0 but a task still stopping: still ACTIVE", 0,
     [task("o1", "h1", "ecs-svc/1", running=False, terminating=True)],
     [("ecs-svc/2", "PRIMARY", "IN_PROGRESS", 1), ("ecs-svc/1", "ACTIVE", "COMPLETED", 0)]),
    ("drained: only the PRIMARY is left", 0, [], [("ecs-svc/2", "PRIMARY", "IN_PROGRESS", 1)]),
])
def test_history_keeps_the_old_deployment_until_it_has_drained(what, old_replicas, old_tasks, entries):
    state = rollout()
    wl = workload("2", "2", updated=1, available=1, total=1 + old_replicas)
    result = history([rs("h2", "2", "2", 1, "ecs-svc/2"), rs("h1", "1", "1", old_replicas, "ecs-svc/1")],
                     [task("n1", "h2", "ecs-svc/2"), *old_tasks], state, wl)
    got = [(d["id"], d["status"], d["rolloutState"], d["runningCount"]) for d in result.status["deployments"]]
    assert got == entries, what


def test_a_failed_deployment_is_failed_primary_or_active_and_counts_its_failures():
    state = rollout(failed={"id": "ecs-svc/2", "revision": 2, "reason": cb.FAILED_TO_START, "rollbackRevision": None},
                    ledger={"ecs-svc/2": {"tasks": {"n1": 4}, "gone": 3}})
    wl = workload("2", "2", updated=0, available=3, total=3)
    result = history([rs("h2", "2", "2", 0, "ecs-svc/2"), rs("h1", "1", "1", 3, "ecs-svc/1")],
                     [task("n1", "h2", "ecs-svc/2", running=False, failures=4),
                      *(task(f"o{i}", "h1", "ecs-svc/1") for i in range(3))], state, wl)
    primary, active = result.status["deployments"]
    assert (primary["id"], primary["status"], primary["rolloutState"], primary["failedTasks"]) == \
        ("ecs-svc/2", "PRIMARY", "FAILED", 7)
    assert primary["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert (active["id"], active["rolloutState"], active["runningCount"]) == ("ecs-svc/1", "COMPLETED", 3)
    conditions = {c["type"]: (c["status"], c["reason"]) for c in result.status["conditions"]}
    assert conditions == {"Ready": ("False", "RolloutFailed"), "Progressing": ("False", "RolloutFailed"),
                          "Degraded": ("True", "RolloutFailed")}


def test_after_a_rollback_the_failed_deployment_is_active_then_leaves_and_degraded_says_so():
    failed = {"id": "ecs-svc/2", "revision": 2, "taskDefinition": "web:2", "rollbackTo": "ecs-svc/1",
              "rollbackRevision": 1, "rolledBackAs": "ecs-svc/3",
              "reason": "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1."}
    state = rollout(current={"id": "ecs-svc/3", "revision": 1, "taskDefinition": "web:1", "key": "k3"}, failed=failed)
    wl = workload("1", "3", updated=3, available=3, total=3)
    during = history([rs("h3", "1", "3", 3, "ecs-svc/3"), rs("h2", "2", "2", 0, "ecs-svc/2")],
                     [*(task(f"r{i}", "h3", "ecs-svc/3") for i in range(3)),
                      task("n1", "h2", "ecs-svc/2", running=False, terminating=True)], state, wl)
    got = [(d["id"], d["status"], d["rolloutState"]) for d in during.status["deployments"]]
    assert got == [("ecs-svc/3", "PRIMARY", "COMPLETED"), ("ecs-svc/2", "ACTIVE", "FAILED")]
    assert during.status["deployments"][1]["rolloutStateReason"] == failed["reason"]
    # COMPLETED: the rollback deployment is the last completed one now.
    assert during.status["rollout"]["lastCompleted"] == {"id": "ecs-svc/3", "revision": 1}
    after = history([rs("h3", "1", "3", 3, "ecs-svc/3"), rs("h2", "2", "2", 0, "ecs-svc/2")],
                    [task(f"r{i}", "h3", "ecs-svc/3") for i in range(3)], during.status["rollout"], wl,
                    during.status)
    assert [d["id"] for d in after.status["deployments"]] == ["ecs-svc/3"]
    conditions = {c["type"]: (c["status"], c["reason"]) for c in after.status["conditions"]}
    assert conditions == {"Ready": ("True", "SteadyState"), "Progressing": ("False", "RolloutCompleted"),
                          "Degraded": ("True", "RolledBack")}
    degraded = next(c for c in after.status["conditions"] if c["type"] == "Degraded")
    assert "deployment ecs-svc/2 (web:2) failed" in degraded["message"]


# ------------------------------------------------------------------------------- through reconcile_service

def taskdef(env):
    spec, _ = normalize_task_definition({"family": "web", "containerDefinitions": [
        {"name": "web", "image": "kube-ecs/cats:1.0", "environment": [{"name": "CATS", "value": env}]}]})
    return spec


REVISIONS = [rev.Revision("web", n, rev.ACTIVE, taskdef(env), rev.digest(taskdef(env))) for n, env in ((1, "a"), (2, "b"))]


def body(status=None, rollback=True, annotations=None):
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "demo", "uid": "u-web", "generation": 2,
                         "annotations": annotations or {}},
            "spec": {"taskDefinition": "web", "desiredCount": 3, "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": True, "rollback": rollback}}},
            "status": status}


def run(client, b, tasks=(), replica_sets=()):
    return reconcile_service(client, b, clusters={"demo": "demo"}, revisions_of=lambda family: REVISIONS,
                             replica_sets=list(replica_sets), tasks=list(tasks), known_tasks=None, now="t")


def deployment(client):
    return client.objects[Ref("apps/v1", "Deployment", "web", "demo")]


def template_of(client):
    spec = deployment(client)["spec"]
    return spec["template"]["metadata"]["annotations"][cb.DEPLOYMENT_ID_ANNOTATION], \
        spec["template"]["metadata"]["labels"][REV], spec.get("paused", False)


def test_reconcile_rolls_back_to_the_last_completed_revision():
    client = FakeClient()
    completed = {"sequence": 1, "current": {"id": "ecs-svc/1", "key": "old", "revision": 1, "generation": 1,
                                            "force": ""}, "lastCompleted": {"id": "ecs-svc/1", "revision": 1}}
    first = run(client, body({"rollout": completed}))
    new_id, revision, paused = template_of(client)
    assert revision == "2" and new_id != "ecs-svc/1" and not paused
    assert deployment(client)["spec"]["progressDeadlineSeconds"] == 2**31 - 1
    crashing = [Task(name=f"web-{i}", revision="2", template_hash="h2", running=False, terminating=False, restarts=1,
                     deployment_id=new_id, failures=1, failure_reason="CannotStartContainerError: x")
                for i in range(3)]
    second = run(client, body(first.status), tasks=crashing)
    back_id, revision, paused = template_of(client)
    assert revision == "1" and back_id not in (new_id, "ecs-svc/1") and not paused
    assert second.status["rollout"]["failed"]["rolledBackAs"] == back_id
    said = [e.message for e in second.events]
    assert f"(service web) (deployment {new_id}) deployment failed: tasks failed to start." in said
    assert "(service web) rolling back to deployment ecs-svc/1." in said
    # And stays there: the next pass changes nothing.
    run(client, body(second.status), tasks=crashing)
    assert template_of(client) == (back_id, "1", False)


def test_reconcile_without_rollback_pauses_and_scales_the_failed_replica_set_to_zero():
    client = FakeClient()
    completed = {"sequence": 1, "current": {"id": "ecs-svc/1", "key": "old", "revision": 1, "generation": 1,
                                            "force": ""}, "lastCompleted": {"id": "ecs-svc/1", "revision": 1}}
    first = run(client, body({"rollout": completed}, rollback=False))
    new_id, _, _ = template_of(client)
    failing_rs = rs("h2", "2", "2", 3, new_id)
    failing_rs["metadata"].update(namespace="demo", ownerReferences=[
        {"uid": deployment(client)["metadata"]["uid"], "controller": True}])
    client.objects[Ref("apps/v1", "ReplicaSet", "web-h2", "demo")] = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                                       **failing_rs}
    crashing = [Task(name="web-0", revision="2", template_hash="h2", running=False, terminating=False, restarts=3,
                     deployment_id=new_id, failures=3, failure_reason="CannotStartContainerError: x")]
    second = run(client, body(first.status, rollback=False), tasks=crashing, replica_sets=[failing_rs])
    assert template_of(client) == (new_id, "2", True)
    assert client.objects[Ref("apps/v1", "ReplicaSet", "web-h2", "demo")]["spec"]["replicas"] == 0
    assert second.status["deployments"][0]["rolloutState"] == "FAILED"


def test_reconcile_force_new_deployment_is_a_new_id_of_the_same_revision():
    client = FakeClient()
    first = run(client, body())
    first_id, revision, _ = template_of(client)
    run(client, body(first.status))
    assert template_of(client)[0] == first_id
    run(client, body(first.status, annotations={cb.FORCE_ANNOTATION: "2026-12-02T07:00:00Z"}))
    forced_id, forced_revision, _ = template_of(client)
    assert forced_id != first_id and forced_revision == revision


def test_a_task_whose_container_cannot_be_created_is_stopped_and_replaced_after_a_while():
    stuck = task_of({**pod(containers=[waiting("web", "CreateContainerConfigError", 'secret "db" not found')]),
                     "metadata": {"name": "web-a", "creationTimestamp": "2026-01-01T00:00:00Z"}})
    assert stuck.stuck_since == "2026-01-01T00:00:00Z" and stuck.failures == 1
    client = FakeClient()
    young = reconcile_service(client, body(), clusters={"demo": "demo"}, revisions_of=lambda f: REVISIONS,
                              replica_sets=[], tasks=[stuck], known_tasks=None, now="2026-01-01T00:00:10Z")
    assert client.evicted == []
    reconcile_service(client, body(young.status), clusters={"demo": "demo"}, revisions_of=lambda f: REVISIONS,
                      replica_sets=[], tasks=[stuck], known_tasks=None, now="2026-01-01T00:00:40Z")
    assert client.evicted == ["web-a"]
