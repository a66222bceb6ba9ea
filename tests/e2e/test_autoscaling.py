"""Service Auto Scaling on the kind cluster (after `make deploy`): a Service with a ScalableTarget of
min 1 / max 4 and a target tracking policy at 50 % CPU scales out under a bounded load loop sent from
this process through the Ingress (127.0.0.1:8080 only, a fixed number of requests), scales back in
after it stops (short cooldowns), shows both in status and Events, and returns to desiredCount when
the policy goes. Prints the figures (load start → first scale-out, load end → scale-in)."""

from __future__ import annotations

import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from cluster import INGRESS, App, apply, condition, events_for, get, kubectl, wait_for, wait_http_ok

pytestmark = pytest.mark.e2e

GROUP = "ecs.kube-ecs.dev"
# The load: REQUESTS sequential GET /burn?ms=BURN_MS (one core busy while they run), LOAD_SECONDS at most.
REQUESTS, BURN_MS, LOAD_SECONDS = 400, 250, 150
# The cats sample has GET /burn (make images loads this tree's build on every node).
IMAGE = "localhost:5001/cats:1.0"


@pytest.fixture
def app() -> Iterator[App]:
    made = App(f"e2e-scaling-{uuid.uuid4().hex[:5]}")  # 128 cpu units: requests.cpu 125m
    made.service["spec"]["desiredCount"] = 1
    made.taskdef["spec"]["containerDefinitions"][0]["image"] = IMAGE
    yield made
    for kind in ("scalingpolicies", "scalabletargets"):
        kubectl("delete", f"{kind}.{GROUP}", "--all", "-n", made.namespace, "--ignore-not-found", "--timeout=60s",
                check=False)
    made.delete()


def scaling(app: App) -> tuple[dict, dict]:
    resource = f"service/{app.name}/{app.name}"
    common = {"ServiceNamespace": "ecs", "ResourceId": resource, "ScalableDimension": "ecs:service:DesiredCount"}
    # As `aws application-autoscaling register-scalable-target / put-scaling-policy --cli-input-json` take them.
    target = {"apiVersion": f"{GROUP}/v1alpha1", "kind": "ScalableTarget",
              "metadata": {"name": app.name, "namespace": app.namespace},
              "spec": {**common, "MinCapacity": 1, "MaxCapacity": 4}}
    policy = {"apiVersion": f"{GROUP}/v1alpha1", "kind": "ScalingPolicy",
              "metadata": {"name": "cpu50", "namespace": app.namespace},
              "spec": {**common, "PolicyName": "cpu50", "PolicyType": "TargetTrackingScaling",
                       "TargetTrackingScalingPolicyConfiguration": {
                           "TargetValue": 50.0, "ScaleOutCooldown": 0, "ScaleInCooldown": 30,
                           "PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}}
    return target, policy


def load(host: str, done: threading.Event, sent: list[int]) -> None:
    """REQUESTS requests to the loopback ingress, stopping early at LOAD_SECONDS."""
    deadline = time.monotonic() + LOAD_SECONDS
    for _ in range(REQUESTS):
        if time.monotonic() > deadline:
            break
        request = urllib.request.Request(f"{INGRESS}/burn?ms={BURN_MS}", headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except OSError:
            pass
        sent[0] += 1
    done.set()


def burns(host: str) -> bool:
    request = urllib.request.Request(f"{INGRESS}/burn?ms=1", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read().startswith(b"burned")
    except OSError:
        return False


def replicas(app: App) -> int:
    return (app.deployment() or {}).get("spec", {}).get("replicas", -1)


def hpa(app: App) -> dict:
    return get("hpa", app.name, "-n", app.namespace) or {}


def messages(namespace: str, name: str, kind: str) -> list[str]:
    return [e["message"] for e in events_for(namespace, name) if e["involvedObject"]["kind"] == kind]


def test_cpu_target_tracking_scales_out_and_in(app: App, record_property):
    app.create()
    app.wait_ready()
    wait_http_ok(app.host)
    assert burns(app.host), f"{IMAGE} has no /burn endpoint: run make images"
    target, policy = scaling(app)
    apply(target, policy)
    made = wait_for("the HPA made and measuring cpu", lambda: hpa(app), timeout=180,
                    until=lambda h: condition(h, "ScalingActive").get("status") == "True")
    assert made["spec"]["scaleTargetRef"]["name"] == app.name
    assert (made["spec"]["minReplicas"], made["spec"]["maxReplicas"]) == (1, 4)
    assert made["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 50}
    assert made["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 30
    wait_for("the ScalableTarget Ready at 1 task", lambda: get(f"scalabletargets.{GROUP}", app.name, "-n", app.namespace),
             timeout=60, until=lambda t: condition(t, "Ready").get("status") == "True"
             and ((t or {}).get("status") or {}).get("desiredCount") == 1)

    done, sent = threading.Event(), [0]
    start = time.monotonic()
    threading.Thread(target=load, args=(app.host, done, sent), daemon=True).start()
    wait_for("a scale-out", lambda: app.status().get("desiredCount", 0), timeout=LOAD_SECONDS,
             until=lambda count: count > 1)
    scale_out = time.monotonic() - start
    assert replicas(app) > 1
    done.wait(LOAD_SECONDS + 15)
    load_end = time.monotonic()
    peak = max(replicas(app), app.status().get("desiredCount", 0))
    print(f"\n[measure] load start → first scale-out: {scale_out:.1f}s; {sent[0]} requests in "
          f"{load_end - start:.1f}s; peak {peak} tasks")
    # While the policy is active the operator leaves the count to the HPA, even when desiredCount changes.
    app.patch_service({"spec": {"desiredCount": 3}})
    wait_for("the scale-in to 1 task", lambda: (replicas(app), app.status().get("desiredCount")), timeout=300,
             every=2.0, until=lambda seen: seen == (1, 1))
    scale_in = time.monotonic() - load_end
    print(f"[measure] load end → scale-in to 1 task: {scale_in:.1f}s")
    record_property("scale_out_seconds", round(scale_out, 1))
    record_property("scale_in_seconds", round(scale_in, 1))

    activities = messages(app.namespace, app.name, "ScalableTarget")
    assert any(f"Successfully set desired count to {n}. Change successfully fulfilled by ecs." in m
               for m in activities for n in range(2, 5)), activities
    assert any("Successfully set desired count to 1." in m for m in activities), activities
    on_service = messages(app.namespace, app.name, "Service")
    assert any(m.startswith("Application Auto Scaling: Successfully set desired count to") for m in on_service)
    ecs_events = [e["message"] for e in app.status().get("events", [])]
    assert any(f"(service {app.name}) has started" in m for m in ecs_events), ecs_events

    # The policy goes: the HPA goes, and the Service runs desiredCount again.
    kubectl("delete", f"scalingpolicies.{GROUP}", "cpu50", "-n", app.namespace)
    wait_for("the HPA removed", lambda: not hpa(app), timeout=60)
    wait_for("desiredCount 3 back in force", lambda: (replicas(app), app.status().get("desiredCount")), timeout=60,
             until=lambda seen: seen == (3, 3))
    app.wait_ready()
