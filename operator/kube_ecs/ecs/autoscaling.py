"""Application Auto Scaling on the ECS side, no Kubernetes: RegisterScalableTarget and PutScalingPolicy
requests (PascalCase, as `aws application-autoscaling ... --cli-input-json` takes them) checked as
that API checks them for an ECS service, and the part of a policy an HPA can carry (docs/autoscaling.md).

Field names come from botocore's application-autoscaling model (ecs/model.py); every member has a
rule in ecs/rules.py. Refusals use the API's wording (`ValidationException: ...`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kube_ecs.ecs import model, rules
from kube_ecs.ecs.problems import Note, Problem

ECS_NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
RESOURCE_ID = re.compile(r"^service/(?P<cluster>[^/]+)/(?P<service>[^/]+)$")
TARGET_TRACKING = "TargetTrackingScaling"
# Application Auto Scaling's defaults for an ECS service's target tracking policy.
DEFAULT_COOLDOWN = 300
# Predefined metric → the pod resource whose utilisation (usage / requests) an HPA measures.
RESOURCE_METRICS = {
    "ECSServiceAverageCPUUtilization": "cpu",
    "ECSServiceAverageCPUUtilizationHighResolution": "cpu",
    "ECSServiceAverageMemoryUtilization": "memory",
    "ECSServiceAverageMemoryUtilizationHighResolution": "memory",
}
# Valid for an ECS service, not mapped (reported).
REPORTED_METRICS = {"ALBRequestCountPerTarget": "ALBRequestCountPerTarget needs the ingress controller's request "
                                                "metrics through a metrics adapter, which is not installed: ignored"}


@dataclass(frozen=True)
class Metric:
    """What a target tracking policy asks an HPA for: keep `resource` at `utilization` % of requests."""

    resource: str
    utilization: int
    scale_out_cooldown: int
    scale_in_cooldown: int
    disable_scale_in: bool


def resource_of(resource_id: str) -> tuple[str, str] | None:
    """(cluster, service) of `service/<cluster>/<service>`, or None."""
    match = RESOURCE_ID.match(resource_id or "")
    return (match["cluster"], match["service"]) if match else None


def _clean(raw: Any) -> dict:
    """The request without nulls and "" (files write them for unset), as the other normalizers do."""
    if isinstance(raw, dict):
        return {k: _clean(v) for k, v in raw.items() if v is not None and v != ""}
    if isinstance(raw, list):
        return [_clean(v) for v in raw]  # type: ignore[return-value]
    return raw


def _common(spec: dict) -> list[Problem]:
    problems = []
    if spec.get("ServiceNamespace") != ECS_NAMESPACE:
        problems.append(Problem("ServiceNamespace", "ValidationException: only ecs is supported "
                                                    f"(got {spec.get('ServiceNamespace')!r})"))
    if spec.get("ScalableDimension") != DIMENSION:
        problems.append(Problem("ScalableDimension", f"ValidationException: only {DIMENSION} is supported "
                                                     f"(got {spec.get('ScalableDimension')!r})"))
    if resource_of(spec.get("ResourceId", "")) is None:
        problems.append(Problem("ResourceId", "ValidationException: the resource id of an ECS service is "
                                              "service/<cluster>/<service>"))
    return problems


def _notes(spec: dict, root: str) -> list[Note]:
    return [Note(path, f"{rules.NOT_SUPPORTED} ({rule.text})") for path, rule in rules.present(spec, root)]


def check_scalable_target(raw: Any) -> tuple[dict | None, list[Problem], list[Note]]:
    """(normalized RegisterScalableTarget request or None, problems, notes)."""
    spec = _clean(raw or {})
    problems, notes = _common(spec), _notes(spec, model.SCALABLE_TARGET)
    low, high = spec.get("MinCapacity"), spec.get("MaxCapacity")
    if low is None or high is None:
        problems.append(Problem("", "ValidationException: MinCapacity and MaxCapacity are required to register "
                                    "a new scalable target"))
    elif low < 0 or high < 0:
        problems.append(Problem("MinCapacity", "ValidationException: capacities cannot be negative"))
    elif low > high:
        problems.append(Problem("MinCapacity", f"ValidationException: Minimum capacity {low} cannot be greater "
                                               f"than maximum capacity {high}"))
    elif low == 0:
        notes.append(Note("MinCapacity", "0 runs as 1: a HorizontalPodAutoscaler does not scale to zero"))
    return (None if problems else spec), problems, notes


def check_scaling_policy(raw: Any) -> tuple[dict | None, list[Problem], list[Note]]:
    """(normalized PutScalingPolicy request or None, problems, notes). Step and predictive policies are
    accepted and reported; a target tracking policy must name a metric valid for ECS."""
    spec = _clean(raw or {})
    problems, notes = _common(spec), _notes(spec, model.SCALING_POLICY)
    kind = spec.get("PolicyType")
    if kind is None:
        problems.append(Problem("PolicyType", "ValidationException: PolicyType is required"))
    elif kind != TARGET_TRACKING:
        notes.append(Note("PolicyType", f"{kind}: {rules.NOT_SUPPORTED} (only target tracking is mapped)"))
    else:
        config = spec.get("TargetTrackingScalingPolicyConfiguration")
        if not isinstance(config, dict) or "TargetValue" not in config:
            problems.append(Problem("TargetTrackingScalingPolicyConfiguration", "ValidationException: a target "
                                    "tracking policy needs a configuration with a TargetValue"))
        else:
            problems += _check_target_tracking(config, notes)
    return (None if problems else spec), problems, notes


def _check_target_tracking(config: dict, notes: list[Note]) -> list[Problem]:
    where = "TargetTrackingScalingPolicyConfiguration"
    predefined = config.get("PredefinedMetricSpecification")
    customized = config.get("CustomizedMetricSpecification")
    if bool(predefined) == bool(customized):
        return [Problem(where, "ValidationException: exactly one of PredefinedMetricSpecification and "
                               "CustomizedMetricSpecification must be given")]
    if config["TargetValue"] <= 0:
        return [Problem(f"{where}.TargetValue", "ValidationException: TargetValue must be greater than 0")]
    if predefined:
        metric = predefined.get("PredefinedMetricType")
        if metric in REPORTED_METRICS:
            notes.append(Note(f"{where}.PredefinedMetricSpecification.PredefinedMetricType",
                              REPORTED_METRICS[metric]))
        elif metric not in RESOURCE_METRICS:
            return [Problem(f"{where}.PredefinedMetricSpecification.PredefinedMetricType",
                            f"ValidationException: {metric} is not a metric of an ECS service")]
    return []


def metric_of(policy: dict) -> Metric | None:
    """What normalized policy `policy` asks an HPA for, or None (a reported policy or metric)."""
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    if policy.get("PolicyType") != TARGET_TRACKING:
        return None
    resource = RESOURCE_METRICS.get((config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType", ""))
    if resource is None:
        return None
    return Metric(resource=resource, utilization=max(1, round(config["TargetValue"])),
                  scale_out_cooldown=config.get("ScaleOutCooldown", DEFAULT_COOLDOWN),
                  scale_in_cooldown=config.get("ScaleInCooldown", DEFAULT_COOLDOWN),
                  disable_scale_in=bool(config.get("DisableScaleIn", False)))
