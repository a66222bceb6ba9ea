"""The operator on the kind cluster (after `make deploy`: the operator runs in the cluster, from its
image). Every test makes its own Cluster (so its own namespace), TaskDefinition and Service with
unique names, and deletes them after. Waits are bounded and say what they waited for."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator

import pytest
import yaml
from cluster import ESVC, App, apply, condition, events_for, get, kubectl, wait_for, wait_http_ok

from kube_ecs.handlers import clusters, services

pytestmark = pytest.mark.e2e

def operator_pod() -> dict:
    pods = get("pods", "-n", "kube-ecs-system", "-l", "app.kubernetes.io/name=kube-ecs-operator")
    assert pods and pods["items"], "no operator pod in kube-ecs-system: run `make deploy`"
    return pods["items"][0]


@pytest.fixture
def app(request) -> Iterator[App]:
    name = f"e2e-{request.node.name.removeprefix('test_')[:20].replace('_', '-')}-{uuid.uuid4().hex[:5]}"
    made = App(name)
    yield made
    made.delete()


@pytest.fixture(scope="module", autouse=True)
def operator_healthy() -> Iterator[dict]:
    """The operator is Ready before the tests and has not restarted after them."""
    pod = operator_pod()
    assert condition(pod, "Ready").get("status") == "True", "the operator pod is not Ready: run `make deploy`"
    restarts = sum(c["restartCount"] for c in pod["status"]["containerStatuses"])
    yield pod
    after = operator_pod()
    assert after["metadata"]["uid"] == pod["metadata"]["uid"], "the operator pod was replaced during the tests"
    assert sum(c["restartCount"] for c in after["status"]["containerStatuses"]) == restarts, "the operator restarted"


def test_cats_sample_serves_through_the_ingress(app: App, record_property):
    start = time.monotonic()
    app.create()
    status = app.wait_ready()
    seconds = time.monotonic() - start
    record_property("apply_to_ready_seconds", round(seconds, 1))
    print(f"\n[measure] kubectl apply → Ready: {seconds:.1f}s")
    assert status["desiredCount"] == status["runningCount"] == 2 and status["pendingCount"] == 0
    assert status["taskDefinition"] == f"{app.name}:1"
    [primary] = status["deployments"]
    assert primary["status"] == "PRIMARY" and primary["rolloutState"] == "COMPLETED"
    assert any(e["message"] == f"(service {app.name}) has reached a steady state." for e in status["events"])
    assert any("has started" in e["message"] for e in status["events"])
    # Applied in one file with its TaskDefinition, it waited for the revision without saying "not found".
    assert "TaskDefinitionNotFound" not in {e["reason"] for e in events_for(app.namespace, app.name)}
    body = wait_http_ok(app.host)
    assert "cat" in body.lower()
    cluster = wait_for("Cluster counts", lambda: get("clusters.ecs.kube-ecs.dev", app.name), timeout=60,
                       until=lambda c: c["status"]["runningTasksCount"] == 2)
    assert cluster["status"]["status"] == "ACTIVE" and cluster["status"]["activeServicesCount"] == 1
    assert cluster["status"]["registeredContainerInstancesCount"] >= 1
    listed = kubectl("get", "ecs", "-A").stdout
    assert app.name in listed


def test_revision_rollout_scale_and_pin(app: App):
    app.create()
    app.wait_ready()
    # A spec change registers revision 2; the follow-latest Service rolls to it.
    container = app.taskdef["spec"]["containerDefinitions"][0]
    container["environment"] = [{"name": "CATS", "value": "more"}]
    apply(app.taskdef)
    wait_for("TaskDefinition revision 2", lambda: (get("taskdefinitions.ecs.kube-ecs.dev", app.name) or {})
             .get("status", {}).get("revision") == 2)
    wait_for("the Service on revision 2", lambda: app.status().get("taskDefinition") == f"{app.name}:2"
             and app.ready())
    first = get("tdrev", f"{app.name}-1")
    assert first and first["spec"]["revision"] == 1 and "environment" not in \
        first["spec"]["taskDefinition"]["containerDefinitions"][0]
    template = app.deployment()["spec"]["template"]
    assert template["metadata"]["labels"]["ecs.kube-ecs.dev/task-definition-revision"] == "2"
    # Scale.
    app.patch_service({"spec": {"desiredCount": 3}})
    status = wait_for("3 running tasks", app.ready, until=lambda s: s["runningCount"] == 3)
    assert status["desiredCount"] == 3
    # Pin revision 1: a rollback.
    app.patch_service({"spec": {"taskDefinition": f"{app.name}:1"}})
    status = wait_for("the Service back on revision 1", app.ready,
                      until=lambda s: s["taskDefinition"] == f"{app.name}:1")
    assert status["runningCount"] == 3
    # A pinned Service does not follow a new revision.
    container["environment"] = [{"name": "CATS", "value": "even more"}]
    apply(app.taskdef)
    wait_for("revision 3", lambda: (get("taskdefinitions.ecs.kube-ecs.dev", app.name) or {})
             .get("status", {}).get("revision") == 3)
    time.sleep(3)
    assert app.status()["taskDefinition"] == f"{app.name}:1"


def resource_versions(app: App) -> dict[str, str]:
    """Every object the operator writes for `app`, with the Events about them, by apiVersion/kind/name (the
    ECS and the Kubernetes Service share a kind and a name)."""
    listed = get("deployments,services,ingresses,serviceaccounts,events," + ESVC, "-n", app.namespace)["items"]
    listed += [get(kind, app.name) for kind in ("clusters.ecs.kube-ecs.dev", "taskdefinitions.ecs.kube-ecs.dev")]
    return {f"{o['apiVersion']}/{o['kind']}/{o['metadata']['name']}": o["metadata"]["resourceVersion"] for o in listed}


def test_a_steady_service_resyncs_without_writing(app: App):
    """The Service daemon's periodic resync and the Cluster's counts timer both pass while nothing changes:
    neither may write an object, a status or an Event."""
    app.create()
    app.wait_ready()
    wait_for("Cluster counts", lambda: get("clusters.ecs.kube-ecs.dev", app.name), timeout=60,
             until=lambda c: c["status"]["runningTasksCount"] == 2)
    time.sleep(5)  # the last pod and Event writes of the rollout settle
    before = resource_versions(app)
    time.sleep(services.RESYNC_SECONDS + clusters.COUNTS_INTERVAL)
    after = resource_versions(app)
    changed = {key: (before.get(key), after.get(key)) for key in before.keys() | after.keys()
               if before.get(key) != after.get(key)}
    assert changed == {}, f"written during a no-op resync: {changed}"


def test_children_are_healed_and_pruned(app: App):
    app.create()
    app.wait_ready()
    before = app.deployment()
    kubectl("delete", "deployment", app.name, "-n", app.namespace, "--wait=false")
    wait_for("the Deployment recreated", app.deployment,
             until=lambda d: d["metadata"]["uid"] != before["metadata"]["uid"])
    app.wait_ready()
    # A hand edit of a field we own is taken back.
    kubectl("scale", "deployment", app.name, "-n", app.namespace, "--replicas=5")
    wait_for("replicas back to 2", lambda: app.deployment()["spec"]["replicas"] == 2, timeout=60)
    # Without loadBalancers, the Ingress and the Kubernetes Service go.
    assert get("ingress", app.name, "-n", app.namespace)
    kubectl("patch", ESVC, app.name, "-n", app.namespace, "--type", "json",
            "-p", '[{"op": "remove", "path": "/spec/loadBalancers"}]')
    wait_for("the Ingress removed", lambda: get("ingress", app.name, "-n", app.namespace) is None, timeout=60)
    # Deleting the Service deletes its children.
    kubectl("delete", ESVC, app.name, "-n", app.namespace, "--timeout=90s")
    wait_for("the Deployment gone", lambda: app.deployment() is None, timeout=90)
    wait_for("every child gone", lambda: get("deployments,services,ingresses", "-n", app.namespace, "-l",
                                             f"ecs.kube-ecs.dev/service={app.name}")["items"] == [], timeout=60)


def test_cluster_with_services_cannot_be_deleted(app: App):
    app.create()
    app.wait_ready()
    kubectl("delete", "clusters.ecs.kube-ecs.dev", app.name, "--wait=false")
    blocked = wait_for("DeletionBlocked on the Cluster", lambda: condition(
        get("clusters.ecs.kube-ecs.dev", app.name), "DeletionBlocked").get("status") == "True", timeout=60)
    assert blocked
    cond = condition(get("clusters.ecs.kube-ecs.dev", app.name), "DeletionBlocked")
    assert cond["message"] == "The Cluster cannot be deleted while Services are active."
    wait_for("the ClusterContainsServicesException Event", lambda: any(
        e["reason"] == "ClusterContainsServicesException" for e in events_for(None, app.name)), timeout=30)
    assert get("namespace", app.namespace), "the namespace must stay while the Cluster is held"
    kubectl("delete", ESVC, app.name, "-n", app.namespace, "--timeout=90s")
    wait_for("the Cluster deleted", lambda: get("clusters.ecs.kube-ecs.dev", app.name) is None, timeout=90)
    wait_for("its namespace deleted", lambda: get("namespace", app.namespace), timeout=90,
             until=lambda ns: ns is None or ns["metadata"].get("deletionTimestamp"))


def test_schema_errors_are_refused_at_apply(app: App):
    app.create(app.taskdef)
    bad = copy.deepcopy(app.service)
    bad["spec"]["loadBalancers"] = "cats"
    result = kubectl("apply", "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert result.returncode != 0 and "spec.loadBalancers" in result.stderr, result.stderr
    bad_td = copy.deepcopy(app.taskdef)
    bad_td["spec"]["containerDefinitions"][0]["portMappings"] = {"containerPort": 80}
    result = kubectl("apply", "-f", "-", input=yaml.safe_dump(bad_td), check=False)
    assert result.returncode != 0 and "spec.containerDefinitions[0].portMappings" in result.stderr, result.stderr
    # A registered revision is immutable, and INACTIVE never goes back to ACTIVE.
    wait_for("revision 1", lambda: get("tdrev", f"{app.name}-1"))
    result = kubectl("patch", "tdrev", f"{app.name}-1", "--type", "merge", "-p",
                     '{"spec":{"taskDefinition":{"cpu":"1024"}}}', check=False)
    assert result.returncode != 0 and "immutable" in result.stderr, result.stderr
    kubectl("patch", "tdrev", f"{app.name}-1", "--type", "merge", "-p", '{"spec":{"status":"INACTIVE"}}')
    result = kubectl("patch", "tdrev", f"{app.name}-1", "--type", "merge", "-p", '{"spec":{"status":"ACTIVE"}}',
                     check=False)
    assert result.returncode != 0 and "INACTIVE" in result.stderr, result.stderr
    td = wait_for("the TaskDefinition INACTIVE", lambda: get("taskdefinitions.ecs.kube-ecs.dev", app.name),
                  timeout=60, until=lambda t: t["status"]["status"] == "INACTIVE")
    assert td["status"]["activeRevisions"] == []


def test_operator_only_errors_land_in_status(app: App):
    app.create(app.taskdef)
    service = copy.deepcopy(app.service)
    service["spec"]["taskDefinition"] = f"{app.name}:9"
    apply(service)
    cond = wait_for("Degraded: TaskDefinitionNotFound", lambda: condition(app.esvc(), "Degraded"), timeout=60,
                    until=lambda c: c.get("reason") == "TaskDefinitionNotFound")
    assert cond["status"] == "True" and "revision 9 does not exist" in cond["message"]
    assert condition(app.esvc(), "Ready")["status"] == "False"
    wait_for("a Warning Event", lambda: any(e["reason"] == "TaskDefinitionNotFound" and e["type"] == "Warning"
                                             for e in events_for(app.namespace, app.name)), timeout=30)
    # An invalid task definition is refused at apply (the admission webhook), and registers nothing.
    bad = copy.deepcopy(app.taskdef)
    bad["spec"].update(requiresCompatibilities=["FARGATE"], cpu="100")
    result = kubectl("apply", "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert result.returncode != 0 and "cpu: Invalid 'cpu' setting for task" in result.stderr, result.stderr
    assert get("tdrev", f"{app.name}-2") is None
    # The operator keeps serving: fixing the reference makes the Service Ready.
    app.patch_service({"spec": {"taskDefinition": f"{app.name}:1"}})
    app.wait_ready()


def test_a_failure_is_one_event_until_its_cause_changes(app: App):
    """Tasks failing the same way, and passes that meet the same failure again, repeat no service
    event (ECS shows an event once until its cause changes): the launch failure once, each failed
    task once; every event has its own id."""
    app.taskdef["spec"]["containerDefinitions"][0]["image"] = f"localhost:5001/{app.name}-missing:1"
    app.create()

    def launch_failures(status: dict) -> list[str]:
        return [e["message"] for e in status.get("events", [])
                if "CannotPullContainerError" in e["message"] and "(task " not in e["message"]]

    wait_for("the launch failure event", app.status, until=launch_failures)
    app.patch_service({"spec": {"desiredCount": 3}})  # another pass, the same failure
    wait_for("3 tasks", app.status, until=lambda s: s.get("desiredCount") == 3)
    time.sleep(services.DEBOUNCE_SECONDS + 5)
    status = app.status()
    messages = [e["message"] for e in status["events"]]
    assert len(launch_failures(status)) == 1, messages
    assert len({e["id"] for e in status["events"]}) == len(status["events"])
    assert len(messages) == len(set(messages)), f"an event repeated: {messages}"
