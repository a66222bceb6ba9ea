"""Policies in, HorizontalPodAutoscaler out."""

from kube_ecs.ecs.autoscaling import Metric
from kube_ecs.resources import hpa as builder

TARGET = {"MinCapacity": 1, "MaxCapacity": 4}


def build_hpa(**kwargs) -> dict:
    hpa = builder.build_hpa(**kwargs)
    assert hpa is not None
    return hpa
META = {"name": "web", "namespace": "demo"}


def test_cpu_target_tracking_is_a_utilization_metric_against_requests():
    hpa = build_hpa(metadata=META, workload="web", target=TARGET,
                    metrics=[Metric("cpu", 50, scale_out_cooldown=15, scale_in_cooldown=30, disable_scale_in=False)])
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1, "maxReplicas": 4,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                      "target": {"type": "Utilization", "averageUtilization": 50}}}],
        "behavior": {"scaleUp": {"stabilizationWindowSeconds": 15}, "scaleDown": {"stabilizationWindowSeconds": 30}},
    }


def test_several_policies_are_one_hpa_out_on_any_in_on_all():
    hpa = build_hpa(metadata=META, workload="web", target=TARGET, metrics=[
        Metric("cpu", 50, 300, 300, False), Metric("memory", 70, 60, 600, True)])
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu", "memory"]
    assert hpa["spec"]["behavior"] == {"scaleUp": {"stabilizationWindowSeconds": 60},
                                       "scaleDown": {"stabilizationWindowSeconds": 600, "selectPolicy": "Disabled"}}


def test_suspended_state_and_limits():
    hpa = build_hpa(metadata=META, workload="web",
                    target={"MinCapacity": 0, "MaxCapacity": 3, "SuspendedState": {"DynamicScalingOutSuspended": True}},
                    metrics=[Metric("cpu", 50, 7200, 300, False)])
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["behavior"]["scaleUp"] == {"stabilizationWindowSeconds": 3600, "selectPolicy": "Disabled"}


def test_no_active_policy_no_hpa():
    assert builder.build_hpa(metadata=META, workload="web", target=TARGET, metrics=[]) is None
