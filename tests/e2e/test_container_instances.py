"""Container instances on the kind cluster: the ContainerInstance views match the EC2-pool nodes, and a
cordoned node drains like a DRAINING ECS instance (after `make deploy`). A test that cordons a node
always uncordons it, whatever happens."""

from __future__ import annotations

import contextlib
import copy
import time
import uuid
from collections.abc import Iterator

import pytest
from cluster import App, apply, events_for, get, items, kubectl, wait_for
from kubernetes.utils import parse_quantity
from test_operator import operator_healthy  # noqa: F401 - the module's autouse fixture: operator up, no restarts

from kube_ecs.handlers import container_instances

pytestmark = pytest.mark.e2e

CI = "containerinstances.ecs.kube-ecs.dev"
POOL = "ecs.kube-ecs.dev/node-pool"
DRAINING_TAINT = "ecs.kube-ecs.dev/draining"
MIB = 1024 * 1024


def nodes() -> list[dict]:
    return items("nodes")


def ec2_nodes() -> dict[str, dict]:
    return {n["metadata"]["name"]: n for n in nodes() if n["metadata"]["labels"].get(POOL) == "ec2"}


def views() -> dict[str, dict]:
    return {v["metadata"]["name"]: v for v in items(CI)}


def view_status(name: str) -> dict:
    return (get(CI, name) or {}).get("status") or {}


def taint_keys(node: str) -> set[str]:
    found = get("node", node)
    assert found is not None, f"node {node} not found"
    return {t["key"] for t in found["spec"].get("taints") or []}


def resource(status: dict, field: str, name: str) -> int:
    return next(r["integerValue"] for r in status[field] if r["name"] == name)


def attribute(status: dict, name: str) -> str | None:
    return next((a.get("value") for a in status["attributes"] if a["name"] == name), None)


def task_pods(namespace: str, service: str) -> list[dict]:
    pods = items("pods", "-n", namespace, "-l", f"ecs.kube-ecs.dev/service={service}")
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


@contextlib.contextmanager
def cordoned(node: str) -> Iterator[None]:
    kubectl("cordon", node)
    try:
        yield
    finally:
        kubectl("uncordon", node)


@pytest.fixture
def app(request) -> Iterator[App]:
    made = App(f"e2e-ci-{request.node.name.removeprefix('test_')[:16].replace('_', '-')}-{uuid.uuid4().hex[:5]}")
    yield made
    made.delete()


def two_ec2_nodes() -> dict[str, dict]:
    found = ec2_nodes()
    # A fail, not a skip: `make cluster` makes two (KUBE_ECS_WORKERS=3), and a skip would pass unseen.
    assert len(found) >= 2, "draining needs two EC2-pool nodes (KUBE_ECS_WORKERS>=3 make cluster-down cluster)"
    return found


def test_one_view_per_ec2_node_with_its_resources_and_attributes(app: App):
    expected = ec2_nodes()
    assert expected, f"no node labelled {POOL}=ec2"
    listed = wait_for("a ContainerInstance per EC2 node, with status", views,
                      until=lambda v: set(v) == set(expected) and all("status" in x for x in v.values()))
    others = {n["metadata"]["name"] for n in nodes()} - set(expected)
    assert not others & set(listed), "control-plane and Fargate nodes are no container instances"
    for name, node in expected.items():
        view, status = listed[name], listed[name]["status"]
        labels, allocatable = node["metadata"]["labels"], node["status"]["allocatable"]
        [owner] = view["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["uid"]) == ("Node", node["metadata"]["uid"])
        assert status["ec2InstanceId"] == name
        assert status["containerInstanceArn"].startswith("arn:aws:ecs:")
        assert ":container-instance/" in status["containerInstanceArn"]
        assert status["status"] == ("DRAINING" if node["spec"].get("unschedulable") else "ACTIVE")
        assert status["agentConnected"] is True
        assert resource(status, "registeredResources", "CPU") == int(parse_quantity(allocatable["cpu"]) * 1024)
        assert resource(status, "registeredResources", "MEMORY") == int(parse_quantity(allocatable["memory"])) // MIB
        assert resource(status, "remainingResources", "CPU") <= resource(status, "registeredResources", "CPU")
        assert attribute(status, "ecs.availability-zone") == labels.get("topology.kubernetes.io/zone")
        assert attribute(status, "ecs.instance-type") == labels.get("node.kubernetes.io/instance-type")
        assert attribute(status, "ecs.os-type") == labels["kubernetes.io/os"]
        assert attribute(status, "ecs.cpu-architecture") in ("x86_64", "arm64")
        assert attribute(status, POOL) == "ec2"
    printed = kubectl("get", CI).stdout
    assert "CPU REMAINING" in printed and all(name in printed for name in expected)
    # Every Cluster counts the container instances, not the control plane or the Fargate pool.
    app.create_cluster()
    wait_for("registeredContainerInstancesCount", lambda: get("clusters.ecs.kube-ecs.dev", app.name) or {}, timeout=60,
             until=lambda c: c["status"].get("registeredContainerInstancesCount") == len(expected))


@pytest.mark.serial
def test_a_steady_view_is_not_rewritten():
    """Views change while pods come and go (remaining resources, task counts): once the nodes are quiet,
    four refreshes in a row write nothing. A view rewritten on every refresh never gets there."""
    wait_for("every view with status", views, until=lambda v: v and all("status" in x for x in v.values()))

    def quiet() -> bool:
        before = {name: v["metadata"]["resourceVersion"] for name, v in views().items()}
        time.sleep(container_instances.REFRESH_SECONDS * 4)
        return {name: v["metadata"]["resourceVersion"] for name, v in views().items()} == before

    wait_for("four refreshes without a write", quiet, timeout=120, every=0)


@pytest.mark.serial
def test_cordon_drains_service_tasks_and_uncordon_reactivates(app: App):
    two_ec2_nodes()
    app.create()
    app.wait_ready()
    node = next(p["spec"]["nodeName"] for p in task_pods(app.namespace, app.name))
    with cordoned(node):
        wait_for(f"{node} DRAINING", lambda: view_status(node).get("status") == "DRAINING", timeout=30)
        wait_for(f"no task of {app.name} left on {node}", lambda: task_pods(app.namespace, app.name), timeout=120,
                 until=lambda pods: pods and all(p["spec"].get("nodeName") != node for p in pods))
        status = wait_for("the Service back to all its tasks elsewhere", lambda: app.ready() or {}, timeout=120,
                          until=lambda s: s["runningCount"] == s["desiredCount"] == 2)
        assert status["pendingCount"] == 0
        assert wait_for(f"{node} with no running task", lambda: view_status(node), timeout=30,
                        until=lambda s: s["runningTasksCount"] == 0)
        assert any(e["reason"] == "TaskStopping" for e in events_for(None, node))
        # No DAEMON task was there: the node is not tainted.
        assert DRAINING_TAINT not in taint_keys(node)
    wait_for(f"{node} ACTIVE again", lambda: view_status(node).get("status") == "ACTIVE", timeout=30)


@pytest.mark.serial
def test_daemon_tasks_stop_on_a_draining_instance_and_come_back(app: App):
    node = next(iter(two_ec2_nodes()))
    app.create_cluster()
    taskdef, service = copy.deepcopy(app.taskdef), copy.deepcopy(app.service)
    service["spec"] = {"cluster": app.name, "serviceName": app.name, "taskDefinition": app.name,
                       "schedulingStrategy": "DAEMON", "launchType": "EC2"}
    apply(taskdef, service)
    on_node = lambda: [p for p in task_pods(app.namespace, app.name) if p["spec"].get("nodeName") == node]  # noqa: E731
    wait_for(f"a DAEMON task on {node}", on_node, timeout=120)
    with cordoned(node):
        wait_for(f"the DAEMON task gone from {node}", on_node, timeout=120, until=lambda pods: pods == [])
        assert DRAINING_TAINT in taint_keys(node)
        time.sleep(container_instances.REFRESH_SECONDS * 2)
        assert on_node() == [], "the DaemonSet restarted its task on the draining node"
    wait_for(f"the taint gone from {node}", lambda: DRAINING_TAINT not in taint_keys(node), timeout=30)
    wait_for(f"the DAEMON task back on {node}", on_node, timeout=120)
