"""ECS placement on the multi-node cluster (docs/cluster.md): constraints and strategies land tasks on
the nodes ECS would pick. The EC2 container instances are the workers of pool `ec2`."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from cluster import App, items, wait_for

pytestmark = pytest.mark.e2e

ZONE = "topology.kubernetes.io/zone"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"


def ec2_nodes() -> dict[str, dict]:
    nodes = items("nodes", "-l", "ecs.kube-ecs.dev/node-pool=ec2")
    return {n["metadata"]["name"]: n["metadata"]["labels"] for n in nodes}


@pytest.fixture
def app(request) -> Iterator[App]:
    made = App(f"e2e-place-{request.node.name.removeprefix('test_')[:12].replace('_', '-')}-{uuid.uuid4().hex[:5]}",
               cpu=None)
    yield made
    made.delete()


def running_nodes(app: App) -> list[str]:
    pods = items("pods", "-n", app.namespace, "-l", f"ecs.kube-ecs.dev/service={app.name}")
    return [p["spec"]["nodeName"] for p in pods if p["status"].get("phase") == "Running"
            and not p["metadata"].get("deletionTimestamp")]


def run(app: App, count: int, **placement) -> list[str]:
    app.service["spec"].update(desiredCount=count, **placement)
    app.create()
    app.wait_ready()
    return wait_for(f"{count} running tasks", lambda: running_nodes(app), until=lambda nodes: len(nodes) == count)


def test_distinct_instance_puts_each_task_on_its_own_node(app: App):
    nodes = ec2_nodes()
    placed = run(app, len(nodes), placementConstraints=[{"type": "distinctInstance"}])
    assert sorted(placed) == sorted(nodes)


def test_distinct_instance_beyond_the_instances_leaves_a_task_pending(app: App):
    """ECS keeps the task it cannot place PENDING, with its placement-failure event."""
    nodes = ec2_nodes()
    app.service["spec"].update(desiredCount=len(nodes) + 1, placementConstraints=[{"type": "distinctInstance"}])
    app.create()
    status = wait_for("a placement failure event", app.status, until=lambda s: any(
        "was unable to place a task because no container instance met all of its requirements" in e["message"]
        for e in s.get("events", [])))
    assert status["runningCount"] <= len(nodes)
    placed = wait_for("a task on every EC2 node", lambda: running_nodes(app), until=lambda p: len(p) == len(nodes))
    assert sorted(placed) == sorted(nodes)
    # The operator counts the tasks from the pods' events: its status follows the pods shortly.
    wait_for(f"runningCount {len(nodes)} and pendingCount 1", app.status,
             until=lambda s: s["runningCount"] == len(nodes) and s["pendingCount"] == 1)


@pytest.mark.serial
def test_spread_on_zone_and_instance_is_even(app: App):
    nodes = ec2_nodes()
    zones = Counter(nodes[n][ZONE] for n in nodes)
    placed = run(app, 2 * len(nodes), placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"},
                                                         {"type": "spread", "field": "instanceId"}])
    assert Counter(placed) == dict.fromkeys(nodes, 2)
    assert Counter(nodes[n][ZONE] for n in placed) == {z: 2 * c for z, c in zones.items()}


def test_member_of_instance_type_selects_nodes(app: App):
    nodes = ec2_nodes()
    wanted = sorted({labels[INSTANCE_TYPE] for labels in nodes.values()})[0]
    placed = run(app, 3, placementConstraints=[{"type": "memberOf",
                                                "expression": f"attribute:ecs.instance-type == {wanted}"}])
    assert {nodes[n][INSTANCE_TYPE] for n in placed} == {wanted}


def test_daemon_service_runs_one_task_per_container_instance(app: App):
    """None on the control plane or the Fargate pool: they are not container instances."""
    nodes = ec2_nodes()
    app.service["spec"].pop("desiredCount", None)
    app.service["spec"].pop("deploymentConfiguration", None)
    app.service["spec"]["schedulingStrategy"] = "DAEMON"
    app.create()
    app.wait_ready()
    placed = wait_for("a task on every EC2 node", lambda: running_nodes(app), until=lambda p: len(p) == len(nodes))
    assert sorted(placed) == sorted(nodes)


@pytest.mark.serial  # packing is relative to what else the nodes hold
def test_binpack_on_memory_packs_the_tasks_onto_one_instance(app: App):
    app.taskdef["spec"]["memory"] = "512"
    placed = run(app, 3, placementStrategy=[{"type": "binpack", "field": "memory"}])
    assert len(set(placed)) == 1, placed
    pod = items("pods", "-n", app.namespace, "-l", f"ecs.kube-ecs.dev/service={app.name}")[0]
    assert pod["spec"]["schedulerName"] == "kube-ecs-binpack-memory"
