"""Service Auto Scaling (docs/autoscaling.md): ScalableTargets make the HorizontalPodAutoscaler of their
Service, ScalingPolicies say what it tracks. Both are level-triggered timers: a target re-reads its
policies and its HPA's count every TARGET_INTERVAL seconds (the HPA itself acts every 15 s), writing
status and Events only on a change."""

from __future__ import annotations

import asyncio
import logging

import kopf
from kubernetes.client.exceptions import ApiException

from kube_ecs import API_VERSION
from kube_ecs.handlers import common
from kube_ecs.reconcile.autoscaling import policies_key, policy_status, reconcile_scalable_target
from kube_ecs.reconcile.conditions import condition_events, now_iso
from kube_ecs.reconcile.kube import Ref, api_error_message

log = logging.getLogger(__name__)

TARGET_INTERVAL = 5.0
POLICY_INTERVAL = 10.0


@kopf.index(API_VERSION, "scalingpolicies")
def scaling_policies(namespace: str | None, body: kopf.Body, spec: kopf.Spec, **_) -> dict:
    """The policies of each scalable target, slim (metadata and spec only)."""
    slim = {"metadata": {k: body["metadata"].get(k) for k in ("name", "namespace", "generation")},
            "spec": dict(spec or {})}
    return {policies_key(namespace or "", str(spec.get("ResourceId", ""))): slim}


@kopf.index(API_VERSION, "scalabletargets")
def scalable_targets(namespace: str | None, name: str, spec: kopf.Spec, **_) -> dict:
    return {policies_key(namespace or "", str(spec.get("ResourceId", ""))): name}


def _reconcile_target(snapshot: dict, policies: list[dict], clusters: dict[str, str]) -> None:
    meta_ = snapshot["metadata"]
    ref = Ref(API_VERSION, "ScalableTarget", meta_["name"], meta_["namespace"])
    try:
        outcome = reconcile_scalable_target(common.client(), snapshot, policies=policies, clusters=clusters,
                                            now=now_iso())
    except ApiException as e:
        log.warning("ScalableTarget %s/%s: %s", meta_["namespace"], meta_["name"], api_error_message(e))
        return
    common.write_status(ref, snapshot.get("status"), outcome.status)
    common.post(snapshot, outcome.events)
    if outcome.service is not None:
        common.post(outcome.service, outcome.service_events)


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.timer(API_VERSION, "scalabletargets", interval=TARGET_INTERVAL)  # type: ignore[arg-type]
async def scalable_target_timer(body: kopf.Body, namespace: str | None, spec: kopf.Spec,
                                scaling_policies: kopf.Index, clusters_by_namespace: kopf.Index, **_) -> None:
    assert namespace is not None  # ScalableTargets are namespaced
    snapshot = dict(body)
    policies = list(scaling_policies.get(policies_key(namespace, str(spec.get("ResourceId", ""))), []))
    await asyncio.to_thread(_reconcile_target, snapshot, policies, common.values(clusters_by_namespace))


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.timer(API_VERSION, "scalingpolicies", interval=POLICY_INTERVAL)  # type: ignore[arg-type]
async def scaling_policy_timer(body: kopf.Body, namespace: str | None, spec: kopf.Spec,
                               scalable_targets: kopf.Index, **_) -> None:
    assert namespace is not None  # ScalingPolicies are namespaced
    snapshot = dict(body)
    has_target = policies_key(namespace, str(spec.get("ResourceId", ""))) in scalable_targets
    status = policy_status(snapshot, has_target=has_target, now=now_iso())
    ref = Ref(API_VERSION, "ScalingPolicy", snapshot["metadata"]["name"], namespace)
    if await asyncio.to_thread(common.write_status, ref, snapshot.get("status"), status):
        common.post(snapshot, condition_events((snapshot.get("status") or {}).get("conditions"),
                                               status["conditions"]))
