"""Service Auto Scaling (docs/autoscaling.md): a ScalableTarget and the ScalingPolicies naming the same
ResourceId make one HorizontalPodAutoscaler on the Service's Deployment, owned by the ScalableTarget.

The ownership rule: while an HPA scales a Deployment, the Service's apply leaves `spec.replicas` out
(`release_replicas`), so the HPA's count stands and the operator does not fight it over desiredCount;
once the HPA goes, the Service's apply sends desiredCount again and, applying with force, takes the
field back. Leaving a field out of a server-side apply removes it when we were its only manager, so
before the first apply without it the current count is applied under a second field manager
(HANDOVER_MANAGER): the field is then shared, survives our apply, and the HPA's first change takes it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from kube_ecs import API_VERSION
from kube_ecs.ecs import autoscaling
from kube_ecs.reconcile.apply import MANAGED_BY, apply_child, contains, prune, with_hash
from kube_ecs.reconcile.conditions import Condition, condition_events, merge
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.kube import FIELD_MANAGER, Client, Ref
from kube_ecs.reconcile.outcome import owner_of
from kube_ecs.resources import meta, names
from kube_ecs.resources.hpa import build_hpa

HPA = ("autoscaling/v2", "HorizontalPodAutoscaler")
HANDOVER_MANAGER = f"{FIELD_MANAGER}-autoscaling-handover"


# --- The Service's side: who owns the task count --------------------------------------------------

def release_replicas(client: Client, manifests: list[dict], autoscaled: Collection[str]) -> list[dict]:
    """`manifests` with `spec.replicas` left out of the Deployments an HPA scales (`autoscaled`: their
    names). Before an apply that would drop the field, the live count is handed over (module doc)."""
    out = []
    for desired in manifests:
        if desired["kind"] != "Deployment" or desired["metadata"]["name"] not in autoscaled:
            out.append(desired)
            continue
        spec = {k: v for k, v in desired["spec"].items() if k != "replicas"}
        released = {**desired, "spec": spec}
        live = client.get(Ref.of(desired))
        if live is not None and not contains(live, with_hash(released)):
            client.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                          "metadata": {"name": live["metadata"]["name"], "namespace": live["metadata"]["namespace"]},
                          "spec": {"replicas": live.get("spec", {}).get("replicas", 1)}},
                         field_manager=HANDOVER_MANAGER)
        out.append(released)
    return out


def scaled_count(workloads: Iterable[dict | None], autoscaled: Collection[str]) -> int | None:
    """The task count the HPAs chose (the replicas of the autoscaled Deployments), or None when no
    workload is autoscaled."""
    counts = [w.get("spec", {}).get("replicas", 0) for w in workloads
              if w is not None and w["metadata"]["name"] in autoscaled]
    return sum(counts) if counts else None


# --- The ScalableTarget: its HPA and status ----------------------------------------------------------

@dataclass
class TargetOutcome:
    status: dict
    events: list[Event] = field(default_factory=list)
    # The Application Auto Scaling activity, also posted on the ECS Service (apiVersion, kind, metadata).
    service_events: list[Event] = field(default_factory=list)
    service: dict | None = None


class _Refused(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def policies_key(namespace: str, resource_id: str) -> tuple[str, str]:
    """Index key of the ScalingPolicies of one scalable target."""
    return namespace, resource_id


def policy_spec(body: dict) -> tuple[dict | None, list[str], list[str]]:
    """(normalized PutScalingPolicy request or None, problems, warnings); PolicyName defaults to metadata.name."""
    spec, problems, notes = autoscaling.check_scaling_policy(
        {"PolicyName": body["metadata"]["name"], **(body.get("spec") or {})})
    return spec, [str(p) for p in problems], [str(n) for n in notes]


def reconcile_scalable_target(client: Client, body: dict, *, policies: list[dict], clusters: dict[str, str],
                              now: str) -> TargetOutcome:
    """Apply (or remove) the HPA of ScalableTarget `body` with its ScalingPolicies `policies` (bodies),
    and compute its status as describe-scalable-targets shows it, with the HPA's chosen count and the
    last scaling activity. `clusters`: namespace → Cluster name."""
    meta_ = body["metadata"]
    namespace, generation = meta_["namespace"], meta_.get("generation", 0)
    previous = body.get("status") or {}
    status: dict = {"observedGeneration": generation}
    events: list[Event] = []
    service_obj: dict | None = None
    hpa_live: dict | None = None
    active: list[str] = []
    try:
        spec, problems, warnings = autoscaling.check_scalable_target(body.get("spec") or {})
        status["warnings"] = warnings_ = [str(n) for n in warnings]
        if spec is None:
            raise _Refused("InvalidParameter", "; ".join(map(str, problems)))
        status.update({k: spec[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension",
                                             "MinCapacity", "MaxCapacity") if k in spec})
        cluster, service = autoscaling.resource_of(spec["ResourceId"]) or ("", "")
        if clusters.get(namespace) is None or names.object_name(cluster) != clusters[namespace]:
            raise _Refused("ServiceNotFound", f"ValidationException: ECS service doesn't exist: {spec['ResourceId']} "
                                              f"(no Cluster {cluster} owns namespace {namespace})")
        service_body = client.get(Ref(API_VERSION, "Service", names.object_name(service), namespace))
        if service_body is None:
            raise _Refused("ServiceNotFound", f"ValidationException: ECS service doesn't exist: {spec['ResourceId']}")
        if (service_body.get("spec") or {}).get("schedulingStrategy") == "DAEMON":
            raise _Refused("InvalidParameter", "ValidationException: a DAEMON service runs one task per container "
                                               "instance and cannot be scaled")
        service_obj = {"apiVersion": service_body["apiVersion"], "kind": service_body["kind"],
                       "metadata": {k: service_body["metadata"].get(k) for k in ("name", "namespace", "uid")}}
        metrics, active, policy_warnings = _metrics(policies)
        warnings_ += policy_warnings
        workload = _workload(client, namespace, cluster, service)
        desired_hpa = build_hpa(
            metadata=meta.object_meta(workload, namespace=namespace, owner=owner_of(body),
                                      labels={**meta.selector_labels(cluster=cluster, service=service),
                                              "app.kubernetes.io/managed-by": meta.MANAGED_BY}),
            workload=workload, target=spec, metrics=metrics)
        keep = []
        if desired_hpa is not None:
            applied = apply_child(client, desired_hpa)
            if applied.action == "conflict":
                raise _Refused("ChildConflict", applied.message)
            keep, hpa_live = [applied.ref], applied.live
        prune(client, owner_uid=meta_["uid"], keep=keep, kinds=(HPA,), namespace=namespace,
              selector=f"{MANAGED_BY[0]}={MANAGED_BY[1]}")
        ready = Condition("Ready", True, "Active" if hpa_live else "NoActivePolicy",
                          f"HorizontalPodAutoscaler {workload} scales the service between "
                          f"{desired_hpa['spec']['minReplicas']} and {desired_hpa['spec']['maxReplicas']} tasks."
                          if desired_hpa else "No target tracking policy is active: the service runs desiredCount.")
    except _Refused as e:
        ready = Condition("Ready", False, e.reason, str(e))
    status["policies"] = active
    service_events: list[Event] = []
    if hpa_live is not None:
        hpa_status = hpa_live.get("status") or {}
        status["desiredCount"] = hpa_status.get("desiredReplicas", hpa_status.get("currentReplicas"))
        status["currentCount"] = hpa_status.get("currentReplicas")
        status["currentMetrics"] = [_metric_text(m) for m in hpa_status.get("currentMetrics") or []]
        activity = _activity(previous, status, hpa_live, now)
        status["lastScalingActivity"] = activity or previous.get("lastScalingActivity")
        if activity:
            message = activity["StatusMessage"]
            events.append(Event(f"{activity['Description']} {message} Cause: {activity['Cause']}", "ScalingActivity"))
            service_events.append(Event(f"Application Auto Scaling: {message}", "ScalingActivity"))
        status["conditions"] = merge(previous.get("conditions"),
                                     [ready, *_hpa_conditions(hpa_status)], generation=generation, now=now)
    else:
        status["conditions"] = merge(previous.get("conditions"), [ready], generation=generation, now=now)
    events += condition_events(previous.get("conditions"), status["conditions"])
    return TargetOutcome(status, events, service_events, service_obj)


def _metrics(policies: list[dict]) -> tuple[list[autoscaling.Metric], list[str], list[str]]:
    """(the metrics of the valid, mapped policies, their names, warnings about the others)."""
    metrics, active, warnings = [], [], []
    for body in sorted(policies, key=lambda b: b["metadata"]["name"]):
        spec, problems, notes = policy_spec(body)
        name = body["metadata"]["name"]
        if spec is None:
            warnings.append(f"ScalingPolicy {name} is refused: {'; '.join(problems)}")
            continue
        metric = autoscaling.metric_of(spec)
        if metric is None:
            warnings.append(f"ScalingPolicy {name} is not mapped: {'; '.join(notes) or 'no HPA metric'}")
            continue
        metrics.append(metric)
        active.append(spec["PolicyName"])
    return metrics, active, warnings


def _workload(client: Client, namespace: str, cluster: str, service: str) -> str:
    """The one Deployment of the Service. A Service split over several capacity providers (one
    Deployment per provider) is not scaled: an HPA per Deployment would split min/max and the
    metric in ways Application Auto Scaling does not."""
    selector = ",".join(f"{k}={v}" for k, v in {MANAGED_BY[0]: MANAGED_BY[1],
                                               **meta.selector_labels(cluster=cluster, service=service)}.items())
    found = sorted(d["metadata"]["name"] for d in client.list("apps/v1", "Deployment", namespace, selector))
    if not found:
        raise _Refused("NoDeployment", f"The service {service} has no Deployment yet: nothing to scale.")
    if len(found) > 1:
        raise _Refused("SeveralCapacityProviders", f"The service {service} runs on several capacity providers "
                                                   f"({', '.join(found)}): scaling it is not supported.")
    return found[0]


def _metric_text(metric: dict) -> str:
    resource = metric.get("resource") or {}
    current = (resource.get("current") or {}).get("averageUtilization")
    return f"{resource.get('name')} {current}%" if current is not None else str(resource.get("name"))


def _activity(previous: dict, status: dict, hpa: dict, now: str) -> dict | None:
    """A describe-scaling-activities entry when the HPA's count changed since the last status."""
    before, after = previous.get("desiredCount"), status.get("desiredCount")
    if before is None or after is None or before == after:
        return None
    direction = "out" if after > before else "in"
    metrics = ", ".join(status["currentMetrics"]) or "no metrics"
    targets = ", ".join(f"{m['resource']['name']} {m['resource']['target'].get('averageUtilization')}%"
                        for m in hpa["spec"].get("metrics") or [] if m.get("type") == "Resource")
    return {
        "Description": f"Setting desired count to {after}.",
        "Cause": f"scale {direction}: average utilization {metrics} against target {targets} "
                 f"(HorizontalPodAutoscaler {hpa['metadata']['name']})",
        "StatusCode": "Successful",
        "StatusMessage": f"Successfully set desired count to {after}. Change successfully fulfilled by ecs.",
        "StartTime": (hpa.get("status") or {}).get("lastScaleTime") or now,
    }


def _hpa_conditions(hpa_status: dict) -> list[Condition]:
    """The HPA's ScalingActive condition (False e.g. when pods have no cpu requests), as Scaling."""
    for cond in hpa_status.get("conditions") or []:
        if cond.get("type") == "ScalingActive":
            return [Condition("Scaling", cond.get("status") == "True", cond.get("reason", ""), cond.get("message", ""))]
    return []


def policy_status(body: dict, *, has_target: bool, now: str) -> dict:
    """A ScalingPolicy's status: put-scaling-policy's answer (PolicyARN-like name, no alarms) and Ready."""
    previous = body.get("status") or {}
    generation = body["metadata"].get("generation", 0)
    spec, problems, warnings = policy_spec(body)
    if spec is None:
        ready = Condition("Ready", False, "InvalidParameter", "; ".join(problems))
    elif not has_target:
        ready = Condition("Ready", False, "NoScalableTarget",
                          f"ObjectNotFoundException: No scalable target registered for service namespace: ecs, "
                          f"resource ID: {spec['ResourceId']}, scalable dimension: {spec['ScalableDimension']}")
    elif autoscaling.metric_of(spec) is None:
        ready = Condition("Ready", False, "NotMapped", "; ".join(warnings) or "not mapped to an HPA metric")
    else:
        ready = Condition("Ready", True, "Active", "A metric of the scalable target's HorizontalPodAutoscaler.")
    return {"observedGeneration": generation, "PolicyName": (spec or {}).get("PolicyName", body["metadata"]["name"]),
            "Alarms": [], "warnings": warnings,
            "conditions": merge(previous.get("conditions"), [ready], generation=generation, now=now)}
