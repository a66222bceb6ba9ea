"""Application Auto Scaling requests, checked as that API checks them for an ECS service."""

import pytest

from kube_ecs.ecs import autoscaling

TARGET = {"ServiceNamespace": "ecs", "ResourceId": "service/demo/web", "ScalableDimension": "ecs:service:DesiredCount",
          "MinCapacity": 1, "MaxCapacity": 4}


def policy(**config):
    return {"PolicyName": "cpu50", "ServiceNamespace": "ecs", "ResourceId": "service/demo/web",
            "ScalableDimension": "ecs:service:DesiredCount", "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 50.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                **config}}


def metric(spec):
    assert spec is not None
    return autoscaling.metric_of(spec)


def test_a_pasted_target_is_taken_and_its_role_reported():
    spec, problems, notes = autoscaling.check_scalable_target({**TARGET, "RoleARN": "arn:aws:iam::1:role/x"})
    assert problems == [] and spec is not None and spec["MaxCapacity"] == 4
    assert [n.path for n in notes] == ["RoleARN"]


@pytest.mark.parametrize(("change", "path"), [
    ({"ServiceNamespace": "dynamodb"}, "ServiceNamespace"),
    ({"ResourceId": "web"}, "ResourceId"),
    ({"ScalableDimension": "ec2:spot-fleet-request:TargetCapacity"}, "ScalableDimension"),
    ({"MinCapacity": 5}, "MinCapacity"),
    ({"MaxCapacity": None}, ""),
])
def test_what_register_scalable_target_refuses(change, path):
    spec, problems, _ = autoscaling.check_scalable_target({**TARGET, **change})
    assert spec is None and [p.path for p in problems] == [path]
    assert all(p.message.startswith("ValidationException: ") for p in problems)


def test_target_tracking_on_cpu_is_a_metric_with_ecs_default_cooldowns():
    spec, problems, _ = autoscaling.check_scaling_policy(policy())
    assert problems == []
    assert metric(spec) == autoscaling.Metric("cpu", 50, 300, 300, False)


def test_memory_high_resolution_and_cooldowns():
    spec, _, _ = autoscaling.check_scaling_policy(policy(
        TargetValue=70.4, ScaleInCooldown=30, ScaleOutCooldown=10, DisableScaleIn=True,
        PredefinedMetricSpecification={"PredefinedMetricType": "ECSServiceAverageMemoryUtilizationHighResolution"}))
    assert metric(spec) == autoscaling.Metric("memory", 70, 10, 30, True)


def test_alb_request_count_and_step_scaling_are_reported_not_mapped():
    alb, problems, notes = autoscaling.check_scaling_policy(policy(PredefinedMetricSpecification={
        "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": "app/lb/1/targetgroup/tg/2"}))
    assert problems == [] and metric(alb) is None
    assert any("metrics adapter" in n.message for n in notes)
    assert any(n.path.endswith("ResourceLabel") for n in notes)
    step, problems, notes = autoscaling.check_scaling_policy({
        **policy(), "PolicyType": "StepScaling", "TargetTrackingScalingPolicyConfiguration": None,
        "StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity",
                                           "StepAdjustments": [{"ScalingAdjustment": 1}]}})
    assert problems == [] and metric(step) is None
    assert {n.path for n in notes} == {"StepScalingPolicyConfiguration", "PolicyType"}


def test_other_services_metrics_are_refused():
    spec, problems, _ = autoscaling.check_scaling_policy(policy(PredefinedMetricSpecification={
        "PredefinedMetricType": "DynamoDBReadCapacityUtilization"}))
    assert spec is None and "not a metric of an ECS service" in problems[0].message


def test_the_sample_is_valid_and_mapped():
    from pathlib import Path

    import yaml
    target, policy_ = yaml.safe_load_all((Path(__file__).parents[3] / "manifests/samples/autoscaling.yaml").read_text())
    assert autoscaling.check_scalable_target(target["spec"])[1] == []
    assert metric(autoscaling.check_scaling_policy(policy_["spec"])[0]) == autoscaling.Metric("cpu", 50, 60, 120, False)
