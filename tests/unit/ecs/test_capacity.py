"""ecs/capacity.py and the capacity checks of validate.py: the strategy a Service runs by, and what ECS
refuses about strategies, Clusters and capacity providers, in ECS's words."""

from __future__ import annotations

from kube_ecs.ecs import capacity
from kube_ecs.ecs.normalize import normalize_service, normalize_task_definition
from kube_ecs.ecs.validate import check_capacity_provider, check_cluster, validate_placement, validate_service

SPOT = [{"capacityProvider": "FARGATE", "base": 2, "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}]
CLUSTER = {"capacityProviders": ["FARGATE", "FARGATE_SPOT", "asg"],
           "defaultCapacityProviderStrategy": [{"capacityProvider": "asg", "weight": 1}]}


def test_the_services_own_strategy_wins_then_its_launch_type_then_the_clusters_default_then_ec2():
    own = capacity.effective({"capacityProviderStrategy": SPOT}, CLUSTER)
    assert own.strategy == [{"capacityProvider": "FARGATE", "base": 2, "weight": 1},
                            {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 3}]
    assert (own.launch_type, own.default, own.fargate) == (None, False, True)
    assert capacity.effective({"launchType": "FARGATE"}, CLUSTER) == capacity.Effective(launch_type="FARGATE")
    default = capacity.effective({}, CLUSTER)
    assert (default.providers, default.default, default.fargate) == (["asg"], True, False)
    assert capacity.effective({}, {}) == capacity.Effective(launch_type="EC2")


def test_a_daemon_service_does_not_take_the_clusters_default():
    assert capacity.effective({"schedulingStrategy": "DAEMON"}, CLUSTER) == capacity.Effective(launch_type="EC2")


def strategy_problems(items, **kwargs):
    return [str(p) for p in capacity.validate_strategy(items, "capacityProviderStrategy", **kwargs)]


def test_strategy_rules():
    assert strategy_problems(SPOT) == []
    assert strategy_problems([{"capacityProvider": "FARGATE"}]) == []  # a lone provider needs no weight
    assert strategy_problems([{"capacityProvider": "FARGATE"}, {"capacityProvider": "FARGATE_SPOT", "weight": 0}]) == [
        "capacityProviderStrategy: There are no capacity providers with a weight value greater than zero defined in "
        "the capacity provider strategy. At least one capacity provider must have a weight value greater than zero "
        "specified. Specify a valid capacity provider strategy and try again."]
    assert strategy_problems([{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                              {"capacityProvider": "FARGATE_SPOT", "base": 1, "weight": 1}]) == [
        "capacityProviderStrategy[1].base: Only one capacity provider in a capacity provider strategy can have a "
        "base defined."]
    assert strategy_problems([{"capacityProvider": "FARGATE", "base": 0, "weight": 1},
                              {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1}]) == []
    assert strategy_problems([{"capacityProvider": "A", "weight": 1}, {"capacityProvider": "A", "weight": 1}]) == [
        "capacityProviderStrategy[1].capacityProvider: Capacity provider A appears more than once in the capacity "
        "provider strategy: each capacity provider can be specified only once."]
    many = [{"capacityProvider": f"p{i}", "weight": 1} for i in range(21)]
    assert strategy_problems(many) == ["capacityProviderStrategy: A capacity provider strategy can contain a "
                                       "maximum of 20 capacity providers."]


def test_a_strategy_names_only_providers_the_cluster_has():
    placement = capacity.effective({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1},
                                                                  {"capacityProvider": "other", "weight": 1}]},
                                   {"capacityProviders": ["FARGATE_SPOT"]})
    assert [str(p) for p in capacity.validate_association(placement, {"capacityProviders": ["FARGATE_SPOT"]})] == [
        "capacityProviderStrategy[1].capacityProvider: The specified capacity provider strategy cannot contain a "
        "capacity provider that is not associated with the cluster. Associate the capacity provider with the "
        "cluster or specify a valid capacity provider and try again."]
    assert capacity.validate_association(capacity.effective({"launchType": "FARGATE"}, {}), {}) == []


def test_cluster_default_strategy_over_its_own_providers():
    spec, problems, _ = check_cluster(CLUSTER)
    assert spec is not None and problems == [] and spec["defaultCapacityProviderStrategy"] == [{"capacityProvider": "asg", "weight": 1}]
    _, problems, _ = check_cluster({"capacityProviders": ["FARGATE"],
                                    "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT"}]})
    assert [p.path for p in problems] == ["defaultCapacityProviderStrategy[0].capacityProvider"]
    assert problems[0].message == capacity.NOT_ASSOCIATED
    _, problems, _ = check_cluster({"capacityProviders": ["FARGATE", "FARGATE_SPOT"], "defaultCapacityProviderStrategy": [
        {"capacityProvider": "FARGATE"}, {"capacityProvider": "FARGATE_SPOT"}]})
    assert "in the default capacity provider strategy" in problems[0].message
    assert "Update the cluster's default capacity provider strategy" in problems[0].message


def test_cluster_providers_must_exist():
    problems = capacity.validate_providers_exist(CLUSTER, {})
    assert [str(p) for p in problems] == ["capacityProviders[2]: The specified capacity provider asg does not exist: "
                                          "create a CapacityProvider named asg, or use FARGATE or FARGATE_SPOT."]
    assert capacity.validate_providers_exist(CLUSTER, {"asg": {}}) == []


def service(**spec):
    normalized, _ = normalize_service({"serviceName": "web", "taskDefinition": "web", **spec})
    return [str(p) for p in validate_service(normalized)]


def test_daemon_services_take_no_strategy_and_no_fargate():
    assert service(schedulingStrategy="DAEMON", capacityProviderStrategy=[{"capacityProvider": "FARGATE"}]) == [
        "capacityProviderStrategy: Specifying a capacity provider strategy is not supported when you create a "
        "service using the DAEMON scheduling strategy."]
    assert service(schedulingStrategy="DAEMON", launchType="FARGATE") == [
        "schedulingStrategy: The DAEMON scheduling strategy does not support the FARGATE launch type."]
    assert service(schedulingStrategy="DAEMON", launchType="EC2") == []


def test_service_strategies_are_checked():
    assert service(capacityProviderStrategy=[{"capacityProvider": "A"}, {"capacityProvider": "B"}])[0].startswith(
        "capacityProviderStrategy: There are no capacity providers with a weight value greater than zero")


def taskdef(**spec):
    normalized, _ = normalize_task_definition({"family": "web", "containerDefinitions": [
        {"name": "web", "image": "nginx", "memory": 512}], **spec})
    return normalized


FARGATE_READY = {"networkMode": "awsvpc", "cpu": "256", "memory": "512"}


def test_fargate_takes_only_fargate_compatible_task_definitions():
    bridge = taskdef()
    by_launch_type = capacity.effective({"launchType": "FARGATE"}, {})
    [problem] = validate_placement(by_launch_type, bridge)
    assert problem.path == "launchType"
    assert problem.message == (
        "Task definition does not support launch_type FARGATE. The task definition's "
        "cpu: Fargate requires that 'cpu' be defined at the task level.; "
        "memory: Fargate requires that 'memory' be defined at the task level.; "
        "networkMode: Fargate only supports network mode 'awsvpc'.")
    assert validate_placement(by_launch_type, taskdef(**FARGATE_READY)) == []
    # No requiresCompatibilities: ECS still finds it Fargate-compatible, as here.
    assert validate_placement(capacity.effective({"capacityProviderStrategy": SPOT}, {}), taskdef(**FARGATE_READY)) == []
    privileged = taskdef(**FARGATE_READY, containerDefinitions=[{"name": "web", "image": "nginx", "memory": 512,
                                                                  "privileged": True}])
    problems = validate_placement(capacity.effective({"capacityProviderStrategy": SPOT}, {}), privileged)
    assert [p.path for p in problems] == ["capacityProviderStrategy", "capacityProviderStrategy"]
    assert problems[1].message.startswith("Task definition does not support capacity provider FARGATE_SPOT.")
    assert "privileged" in problems[0].message
    host = taskdef(**FARGATE_READY, volumes=[{"name": "sock", "host": {"sourcePath": "/var/run/docker.sock"}}])
    [problem] = validate_placement(capacity.effective({}, {"defaultCapacityProviderStrategy": [
        {"capacityProvider": "FARGATE"}]}), host)
    assert problem.path == "the Cluster's defaultCapacityProviderStrategy" and "host volumes" in problem.message
    assert validate_placement(capacity.effective({"launchType": "EC2"}, {}), bridge) == []


def test_capacity_provider_requests():
    spec, problems, notes = check_capacity_provider({
        "name": "big", "nodeSelector": {"node.kubernetes.io/instance-type": "c5.xlarge"},
        "autoScalingGroupProvider": {"autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x",
                                     "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
                                     "managedTerminationProtection": "DISABLED"}})
    assert spec is not None and problems == []
    assert spec["nodeSelector"] == {"node.kubernetes.io/instance-type": "c5.xlarge"}
    assert [n.path for n in notes] == ["autoScalingGroupProvider.managedScaling",
                                       "autoScalingGroupProvider.managedTerminationProtection"]
    for name in ("ecs-pool", "FargatePool", "aws_x"):
        _, problems, _ = check_capacity_provider({"name": name})
        assert [str(p) for p in problems] == ['name: The name can\'t be prefixed with "aws", "ecs", or "fargate".']
    _, problems, _ = check_capacity_provider({"name": "a b"})
    assert problems[0].message.startswith("Invalid capacity provider name.")
    _, problems, _ = check_capacity_provider({"name": "x", "nodeSelector": ["a"]})
    assert [str(p) for p in problems] == ["nodeSelector: must be an object, not a list"]
