"""reconcile/capacity_providers.py: a CapacityProvider's status from its spec and the nodes' labels."""

from __future__ import annotations

from kube_ecs.reconcile.capacity_providers import capacity_provider_status, pool_nodes, spec_of

NODES = {
    "worker": {"ecs.kube-ecs.dev/node-pool": "ec2", "node.kubernetes.io/instance-type": "m5.large"},
    "worker2": {"ecs.kube-ecs.dev/node-pool": "ec2", "node.kubernetes.io/instance-type": "c5.xlarge"},
    "worker3": {"ecs.kube-ecs.dev/node-pool": "fargate", "node.kubernetes.io/instance-type": "fargate"},
    "control-plane": {"node-role.kubernetes.io/control-plane": ""},
}


def provider(spec: dict | None = None, name: str = "compute") -> dict:
    return {"metadata": {"name": name, "generation": 1}, "spec": spec or {}}


def test_the_default_pool_is_every_container_instance():
    status = capacity_provider_status(body=provider({"autoScalingGroupProvider": {"autoScalingGroupArn": "arn"}}),
                                      nodes=NODES, now="t")
    assert (status["name"], status["status"], status["nodes"]) == ("compute", "ACTIVE", 2)
    assert status["nodeSelector"] == {}
    assert status["conditions"][0]["status"] == "True"


def test_a_node_selector_picks_its_nodes():
    assert pool_nodes({"node.kubernetes.io/instance-type": "c5.xlarge"}, NODES) == ["worker2"]
    status = capacity_provider_status(body=provider({"nodeSelector": {"node.kubernetes.io/instance-type": "x"}}),
                                      nodes=NODES, now="t")
    assert status["nodes"] == 0
    assert status["conditions"][0]["reason"] == "NoNodes"


def test_refused_and_reported_fields():
    status = capacity_provider_status(body=provider(name="ecs-pool"), nodes=NODES, now="t")
    assert status["status"] == "INACTIVE"
    assert status["conditions"][0]["message"] == ('InvalidParameterException: name: The name can\'t be prefixed '
                                                  'with "aws", "ecs", or "fargate".')
    _, problems, warnings = spec_of(provider({"autoScalingGroupProvider": {
        "autoScalingGroupArn": "arn", "managedDraining": "ENABLED"}}))
    assert problems == [] and warnings == [
        "autoScalingGroupProvider.managedDraining: not supported on Kubernetes: ignored "
        "(drain a node with kubectl drain: Kubernetes evicts its pods)"]
