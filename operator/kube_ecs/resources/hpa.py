"""A ScalableTarget and its target tracking policies → one HorizontalPodAutoscaler (autoscaling/v2) on
the Service's Deployment (docs/autoscaling.md).

- MinCapacity/MaxCapacity → minReplicas (at least 1) / maxReplicas.
- Each policy → a Resource metric of type Utilization: ECS measures a service's CPU (memory) as what
  its tasks use over what they reserve, the task's `cpu` (`memory`); an HPA measures usage over the
  pods' requests, and the pod template's requests are the task's cpu and memory (resources/pod_template.py
  divides them among the containers), so the two ratios are the same. An HPA with several metrics
  scales to the largest count any of them asks for, as Application Auto Scaling scales out on any
  policy and in only when every policy allows it.
- Cooldowns → stabilization windows: scale-out waits ScaleOutCooldown (the smallest of the policies),
  scale-in ScaleInCooldown (the largest). DisableScaleIn on any policy, or DynamicScalingInSuspended,
  → no scale-down (selectPolicy Disabled); DynamicScalingOutSuspended → no scale-up.
"""

from __future__ import annotations

from kube_ecs.ecs.autoscaling import Metric

# HPA limits: stabilizationWindowSeconds ≤ 3600.
MAX_WINDOW = 3600


def build_hpa(*, metadata: dict, workload: str, target: dict, metrics: list[Metric]) -> dict | None:
    """The HPA scaling Deployment `workload` between normalized ScalableTarget `target`'s capacities on
    `metrics` (one per active policy), or None when no policy is active."""
    if not metrics:
        return None
    suspended = target.get("SuspendedState") or {}
    high = max(1, target["MaxCapacity"])
    scale_up: dict = {"stabilizationWindowSeconds": min(MAX_WINDOW, min(m.scale_out_cooldown for m in metrics))}
    scale_down: dict = {"stabilizationWindowSeconds": min(MAX_WINDOW, max(m.scale_in_cooldown for m in metrics))}
    if suspended.get("DynamicScalingOutSuspended"):
        scale_up["selectPolicy"] = "Disabled"
    if suspended.get("DynamicScalingInSuspended") or any(m.disable_scale_in for m in metrics):
        scale_down["selectPolicy"] = "Disabled"
    unique = sorted({(m.resource, m.utilization) for m in metrics})
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata,
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": workload},
            "minReplicas": min(high, max(1, target["MinCapacity"])),
            "maxReplicas": high,
            "metrics": [{"type": "Resource", "resource": {
                "name": resource, "target": {"type": "Utilization", "averageUtilization": utilization}}}
                for resource, utilization in unique],
            "behavior": {"scaleUp": scale_up, "scaleDown": scale_down},
        },
    }
