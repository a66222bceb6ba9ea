"""BLUE_GREEN deployments through reconcile_service: green beside blue, the switch once green is healthy,
the bake, the rollback when green fails during it, the clean-up. Table of the state machine's steps."""

from __future__ import annotations

import pytest

from kube_ecs.ecs.normalize import normalize_task_definition
from kube_ecs.reconcile import blue_green as bg
from kube_ecs.reconcile import circuit_breaker as cb
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.service_status import Task
from kube_ecs.reconcile.services import reconcile_service
from kube_ecs.resources.blue_green import DEPLOYMENT_LABEL, HOLD_SECONDS, deployment_label, route_name

from .fake import FakeClient

T0, T1, T2, T3 = "2026-12-02T15:00:00Z", "2026-12-02T15:00:30Z", "2026-12-02T15:01:00Z", "2026-12-02T15:03:00Z"
# The test route's Service and Ingress (resources/blue_green.py route_name).
TEST = route_name("web", "u-web")
LB = [{"containerName": "web", "containerPort": 80, "ingress": {"host": "web.localhost"}}]


def taskdef(env):
    spec, _ = normalize_task_definition({"family": "web", "containerDefinitions": [
        {"name": "web", "image": "kube-ecs/cats:1.0", "portMappings": [{"containerPort": 80}],
         "environment": [{"name": "CATS", "value": env}]}]})
    return spec


REVISIONS = [rev.Revision("web", n, rev.ACTIVE, taskdef(env), rev.digest(taskdef(env))) for n, env in ((1, "a"), (2, "b"))]


def body(revision, status=None, generation=1, bake=2):
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "demo", "uid": "u-web", "generation": generation},
            "spec": {"taskDefinition": f"web:{revision}", "desiredCount": 2, "loadBalancers": LB,
                     "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": bake}},
            "status": status}


def run(client, b, now, tasks=()):
    return reconcile_service(client, b, clusters={"demo": "demo"}, revisions_of=lambda family: REVISIONS,
                             replica_sets=[], tasks=list(tasks), known_tasks=None, now=now)


def obj(client, kind, name):
    api = {"Deployment": "apps/v1", "Service": "v1", "Ingress": "networking.k8s.io/v1"}[kind]
    return client.objects.get(Ref(api, kind, name, "demo"))


def production(client):
    return obj(client, "Service", "web")["spec"]["selector"].get(DEPLOYMENT_LABEL)


def template(client):
    meta = obj(client, "Deployment", "web")["spec"]["template"]["metadata"]
    return meta["annotations"][cb.DEPLOYMENT_ID_ANNOTATION], meta["labels"]["ecs.kube-ecs.dev/task-definition-revision"]


def running(id_, n=2, failures=0):
    return [Task(name=f"t-{id_[-4:]}-{i}", revision=None, template_hash=None, running=True, terminating=False,
                 restarts=failures, deployment_id=id_, failures=failures) for i in range(n)]


def completed(status):
    """The status once the current deployment completed (what compute() records from a COMPLETED PRIMARY)."""
    rollout = status["rollout"]
    current = rollout["current"]
    return {**status, "rollout": {**rollout, "lastCompleted": {"id": current["id"], "revision": current["revision"]}}}


def said(outcome):
    return [e.message for e in outcome.events]


@pytest.fixture
def green_up():
    """Blue (revision 1) completed; revision 2 applied: (client, outcome, blue id, green id)."""
    client = FakeClient()
    first = run(client, body(1), T0)
    assert production(client) is None, "before a deployment completed, production is every task"
    blue = first.status["rollout"]["current"]["id"]
    again = run(client, body(1, completed(first.status)), T0, running(blue))
    assert production(client) == deployment_label(blue)
    outcome = run(client, body(2, again.status, generation=2), T0, running(blue))
    green = outcome.status["rollout"]["current"]["id"]
    assert green != blue
    return client, outcome, blue, green


def test_green_scales_up_beside_blue_reachable_on_the_test_host(green_up):
    client, outcome, blue, green = green_up
    assert production(client) == deployment_label(blue)
    assert obj(client, "Service", TEST)["spec"]["selector"][DEPLOYMENT_LABEL] == deployment_label(green)
    assert obj(client, "Ingress", TEST)["spec"]["rules"][0]["host"] == "test.web.localhost"
    spec = obj(client, "Deployment", "web")["spec"]
    assert spec["minReadySeconds"] == HOLD_SECONDS and spec["strategy"]["rollingUpdate"]["maxSurge"] == "100%"
    assert template(client) == (green, "2")
    assert outcome.status["rollout"][bg.STATE]["green"]["lifecycleStage"] == "SCALE_UP"
    assert any("green revision web:2 scaling up beside deployment" in m and "test.web.localhost" in m
               for m in said(outcome))


def test_production_stays_on_blue_until_every_green_task_runs(green_up):
    client, outcome, blue, green = green_up
    outcome = run(client, body(2, outcome.status, generation=2), T0, running(blue) + running(green, n=1))
    assert production(client) == deployment_label(blue)
    outcome = run(client, body(2, outcome.status, generation=2), T1, running(blue) + running(green))
    assert production(client) == deployment_label(green)
    state = outcome.status["rollout"][bg.STATE]["green"]
    assert state["lifecycleStage"] == "BAKE_TIME" and state["bakeEndsAt"] == "2026-12-02T15:02:30Z"
    assert outcome.wake_in == 120
    progressing = {c["type"]: c for c in outcome.status["conditions"]}["Progressing"]
    assert progressing["status"] == "True" and progressing["reason"] == "BakeTime"
    assert progressing["message"].startswith(f"BAKE_TIME: production traffic on green deployment {green}")
    assert any("production traffic shifted to the green revision web:2" in m for m in said(outcome))
    # Blue is kept: the hold stays, and the test route too.
    assert obj(client, "Deployment", "web")["spec"]["minReadySeconds"] == HOLD_SECONDS
    assert obj(client, "Ingress", TEST) is not None


def test_the_bake_ends_then_blue_goes_and_green_is_production(green_up):
    client, outcome, blue, green = green_up
    both = running(blue) + running(green)
    outcome = run(client, body(2, outcome.status, generation=2), T1, both)
    outcome = run(client, body(2, outcome.status, generation=2), T2, both)
    assert outcome.wake_in == 90 and obj(client, "Deployment", "web")["spec"]["minReadySeconds"] == HOLD_SECONDS
    outcome = run(client, body(2, outcome.status, generation=2), T3, both)
    assert obj(client, "Deployment", "web")["spec"]["minReadySeconds"] == 0, "Kubernetes may now scale blue down"
    assert obj(client, "Ingress", TEST) is None and obj(client, "Service", TEST) is None
    assert production(client) == deployment_label(green)
    assert any(f"bake time ended: deployment {blue} is scaling down" in m for m in said(outcome))
    done = run(client, body(2, completed(outcome.status), generation=2), T3, running(green))
    assert done.status["rollout"][bg.STATE] == {"production": done.status["rollout"]["current"], "green": None}
    assert production(client) == deployment_label(green) and template(client) == (green, "2")


def test_a_green_failure_during_the_bake_switches_back_to_blue(green_up):
    client, outcome, blue, green = green_up
    outcome = run(client, body(2, outcome.status, generation=2), T1, running(blue) + running(green))
    outcome = run(client, body(2, outcome.status, generation=2), T2, running(blue) + running(green, failures=1))
    assert production(client) == deployment_label(blue)
    assert template(client) == (blue, "1"), "blue's own deployment again: its ReplicaSet, no task replaced"
    assert obj(client, "Ingress", TEST) is None and obj(client, "Service", TEST) is None
    assert obj(client, "Deployment", "web")["spec"]["minReadySeconds"] == 0
    rollout = outcome.status["rollout"]
    assert rollout["failed"]["id"] == green and rollout["failed"]["rolledBackAs"] == blue
    assert rollout["failed"]["reason"] == f"ECS deployment {green} failed during bake time: rolling back to " \
                                          f"deploymentId {blue}."
    degraded = {c["type"]: c for c in outcome.status["conditions"]}["Degraded"]
    assert degraded["status"] == "True" and degraded["reason"] == "RolledBack"
    assert f"failed: its tasks failed during bake time; rolled back to deployment {blue} (web:1)" in degraded["message"]
    messages = said(outcome)
    assert f"(service web) (deployment {green}) deployment failed: tasks failed during bake time." in messages
    assert f"(service web) rolling back to deployment {blue}." in messages
    # It stays on blue: the next pass does not roll forward into the failed revision.
    run(client, body(2, outcome.status, generation=2), T3, running(blue) + running(green, failures=1))
    assert template(client) == (blue, "1") and production(client) == deployment_label(blue)


def test_a_second_pass_writes_nothing(green_up):
    client, outcome, blue, _ = green_up
    client.writes.clear()
    again = run(client, body(2, outcome.status, generation=2), T0, running(blue))
    assert client.writes == [] and again.status["rollout"] == outcome.status["rollout"]


def test_turning_blue_green_off_drops_its_state_and_labels():
    client = FakeClient()
    first = run(client, body(1), T0)
    b = body(1, completed(first.status), generation=2)
    b["spec"]["deploymentConfiguration"] = {}
    outcome = run(client, b, T0)
    assert bg.STATE not in outcome.status["rollout"]
    labels = obj(client, "Deployment", "web")["spec"]["template"]["metadata"]["labels"]
    assert DEPLOYMENT_LABEL not in labels and DEPLOYMENT_LABEL not in obj(client, "Service", "web")["spec"]["selector"]
    assert outcome.status["rollout"]["current"]["id"] != first.status["rollout"]["current"]["id"]



@pytest.mark.parametrize("rollback", [True, False])
def test_the_circuit_breaker_before_the_switch_keeps_production_on_blue(rollback):
    """With rollback: blue's own deployment is current again. Without: green is stopped (paused) beside blue."""
    client = FakeClient()
    first = run(client, body(1), T0)
    blue = first.status["rollout"]["current"]["id"]
    status = run(client, body(1, completed(first.status)), T0, running(blue)).status
    crashing: list[Task] = []
    for now in (T0, T1):
        b = body(2, status, generation=2)
        b["spec"]["deploymentConfiguration"] = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2,
                                                "deploymentCircuitBreaker": {"enable": True, "rollback": rollback}}
        status = run(client, b, now, running(blue) + crashing).status
        green = status["rollout"]["failed"]["id"] if crashing else status["rollout"]["current"]["id"]
        crashing = [Task(name=f"g-{i}", revision="2", template_hash=None, running=False, terminating=False,
                         restarts=1, deployment_id=green, failures=1, failure_reason="CannotStartContainerError: x")
                    for i in range(3)]
    spec = obj(client, "Deployment", "web")["spec"]
    assert production(client) == deployment_label(blue) and spec["minReadySeconds"] == 0
    assert template(client) == ((blue, "1") if rollback else (green, "2"))
    assert spec.get("paused", False) is not rollback
    assert obj(client, "Ingress", TEST) is None and status["rollout"][bg.STATE]["green"] is None


def test_the_test_route_does_not_take_the_names_of_a_service_called_name_test(green_up):
    """An ECS Service literally named `web-test` in the same Cluster: its children and web's test route
    coexist, neither pass reports ChildConflict, and web's later prune leaves web-test's children alone."""
    client, outcome, blue, green = green_up
    other = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
             "metadata": {"name": "web-test", "namespace": "demo", "uid": "u-web-test", "generation": 1},
             "spec": {"taskDefinition": "web:1", "desiredCount": 1, "loadBalancers": LB}}
    theirs = run(client, other, T0)
    assert not [e for e in theirs.events if e.reason == "ChildConflict"], said(theirs)
    assert obj(client, "Service", "web-test")["metadata"]["ownerReferences"][0]["uid"] == "u-web-test"
    assert obj(client, "Ingress", "web-test")["metadata"]["ownerReferences"][0]["uid"] == "u-web-test"
    again = run(client, body(2, outcome.status, generation=2), T0, running(blue))
    assert not [e for e in again.events if e.reason == "ChildConflict"], said(again)
    assert obj(client, "Service", TEST)["spec"]["selector"][DEPLOYMENT_LABEL] == deployment_label(green)
    assert obj(client, "Ingress", TEST)["metadata"]["ownerReferences"][0]["uid"] == "u-web"
    assert obj(client, "Service", "web-test")["metadata"]["ownerReferences"][0]["uid"] == "u-web-test"
