"""Capacity providers on the kind cluster (docs/capacity.md): Fargate tasks on the Fargate pool, EC2
tasks on the EC2 pool, base + weight split over providers (DAEMON's one task per EC2 node is in
test_placement.py). Needs the cluster's labelled workers (two EC2 nodes, one tainted Fargate node) and
`make deploy`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from cluster import App, apply, condition, get, kubectl, wait_for

pytestmark = pytest.mark.e2e

POOL = "ecs.kube-ecs.dev/node-pool"
CAPACITY_PROVIDER = "capacityproviders.ecs.kube-ecs.dev"


@pytest.fixture
def app(request) -> Iterator[App]:
    name = f"e2e-cap-{request.node.name.removeprefix('test_')[:16].replace('_', '-')}-{uuid.uuid4().hex[:5]}"
    made = App(name, cpu="256")  # the sample's 256 / 512 is a Fargate size
    yield made
    made.delete()


def pools_of_pods(namespace: str, selector: str) -> list[str]:
    """The node pool of the node of every scheduled pod matching `selector`."""
    pods = (get("pods", "-n", namespace, "-l", selector) or {}).get("items", [])
    nodes = {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in (get("nodes") or {})["items"]}
    return [nodes[p["spec"]["nodeName"]].get(POOL, "") for p in pods if p["spec"].get("nodeName")]


def service_pods(app: App) -> str:
    return f"ecs.kube-ecs.dev/service={app.name}"


def test_a_fargate_service_runs_only_on_the_fargate_pool(app: App):
    app.service["spec"]["launchType"] = "FARGATE"
    app.create()
    status = app.wait_ready()
    assert status["runningCount"] == 2
    assert pools_of_pods(app.namespace, service_pods(app)) == ["fargate", "fargate"]


def test_an_ec2_service_runs_only_on_the_ec2_pool(app: App):
    app.create()  # no launchType, no strategy, no Cluster default: EC2
    app.wait_ready()
    assert pools_of_pods(app.namespace, service_pods(app)) == ["ec2", "ec2"]


def test_base_and_weight_split_tasks_over_providers(app: App):
    provider = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "CapacityProvider",
                "metadata": {"name": f"{app.name}-asg"},
                "spec": {"name": f"{app.name}-asg", "autoScalingGroupProvider": {
                    "autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1"}}}
    apply(provider)
    try:
        app.cluster["spec"]["capacityProviders"] = [f"{app.name}-asg", "FARGATE"]
        app.service["spec"].update(desiredCount=5, capacityProviderStrategy=[
            {"capacityProvider": f"{app.name}-asg", "base": 1, "weight": 1},
            {"capacityProvider": "FARGATE", "weight": 1}])
        app.create()
        status = app.wait_ready()
        assert status["runningCount"] == 5
        counts = {p["capacityProvider"]: p["runningCount"] for p in status["capacityProviders"]}
        assert counts == {f"{app.name}-asg": 3, "FARGATE": 2}
        ec2 = pools_of_pods(app.namespace, f"{service_pods(app)},ecs.kube-ecs.dev/capacity-provider={app.name}-asg")
        fargate = pools_of_pods(app.namespace, f"{service_pods(app)},ecs.kube-ecs.dev/capacity-provider=FARGATE")
        assert (ec2, fargate) == (["ec2"] * 3, ["fargate"] * 2)
        # A strategy naming a provider the Cluster does not list is refused with ECS's words.
        app.patch_service({"spec": {"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}})
        cond = wait_for("Degraded: not associated", lambda: condition(app.esvc(), "Degraded"), timeout=60,
                        until=lambda c: "not associated with the cluster" in str(c))
        assert isinstance(cond, dict) and cond["status"] == "True"
    finally:
        kubectl("delete", CAPACITY_PROVIDER, f"{app.name}-asg", "--ignore-not-found", check=False)
