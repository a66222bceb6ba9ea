"""The ownership rule (the Service's apply leaves replicas to the HPA while a policy is active, and takes
them back when it goes) and the ScalableTarget's HPA, status and events."""

from kube_ecs.reconcile.autoscaling import HANDOVER_MANAGER, policy_status, reconcile_scalable_target
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.services import reconcile_service

from .fake import FakeClient
from .test_services import REVISIONS, run, service

DEPLOYMENT = Ref("apps/v1", "Deployment", "cats", "demo")
HPA = Ref("autoscaling/v2", "HorizontalPodAutoscaler", "cats", "demo")
SERVICE = Ref("ecs.kube-ecs.dev/v1alpha1", "Service", "cats", "demo")


def scaled(client, body, autoscaled=("cats",)):
    return reconcile_service(client, body, clusters={"demo": "demo"}, revisions_of=lambda family: REVISIONS,
                             replica_sets=[], tasks=[], known_tasks=None, now="t", autoscaled=autoscaled)


def replicas(client):
    return client.objects[DEPLOYMENT]["spec"].get("replicas")


def test_apply_leaves_replicas_to_the_hpa_and_takes_them_back():
    client = FakeClient()
    run(client, service(desiredCount=2))
    assert replicas(client) == 2
    # An HPA appears: the count survives our first apply without it (handed over, not removed).
    scaled(client, service(desiredCount=2))
    assert replicas(client) == 2
    assert ("apply", DEPLOYMENT) in client.writes
    # The HPA scales out (an Update under its own manager); a spec change does not undo it.
    client.patch(DEPLOYMENT, {"spec": {"replicas": 4}}, field_manager="horizontal-pod-autoscaler")
    outcome = scaled(client, {**service(desiredCount=3, tags=[{"key": "team", "value": "cats"}])})
    assert replicas(client) == 4
    assert outcome.status["desiredCount"] == 4
    # The rollout percentages follow the autoscaler's count (4 tasks at 100/200: surge 4).
    assert client.objects[DEPLOYMENT]["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 4}
    # A second pass with nothing new writes nothing.
    client.writes.clear()
    scaled(client, {**service(desiredCount=3, tags=[{"key": "team", "value": "cats"}])})
    assert client.writes == []
    # The policy goes (no HPA): desiredCount is ours again.
    outcome = run(client, service(desiredCount=3, tags=[{"key": "team", "value": "cats"}]))
    assert replicas(client) == 3 and outcome.status["desiredCount"] == 3


def test_without_the_handover_an_apply_would_drop_the_count():
    """What the handover manager is for: the fake, like the API server, removes a field its only
    manager stops sending."""
    client = FakeClient()
    run(client, service(desiredCount=2))
    owners = [m for m, fields in client.managed[DEPLOYMENT].items() if ("spec", "replicas") in fields]
    assert owners == [("kube-ecs", "Apply")]
    scaled(client, service(desiredCount=2))
    handed = {m[0] for m, fields in client.managed[DEPLOYMENT].items() if ("spec", "replicas") in fields}
    assert handed == {HANDOVER_MANAGER}


TARGET_SPEC = {"ServiceNamespace": "ecs", "ResourceId": "service/demo/cats",
               "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 4}


def target(status=None):
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "ScalableTarget",
            "metadata": {"name": "cats", "namespace": "demo", "uid": "u-target", "generation": 1},
            "spec": TARGET_SPEC, "status": status}


def policy(name="cpu50", **config):
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "ScalingPolicy",
            "metadata": {"name": name, "namespace": "demo", "generation": 1},
            "spec": {"ServiceNamespace": "ecs", "ResourceId": "service/demo/cats",
                     "ScalableDimension": "ecs:service:DesiredCount", "PolicyType": "TargetTrackingScaling",
                     "TargetTrackingScalingPolicyConfiguration": {
                         "TargetValue": 50.0, "ScaleInCooldown": 30, "ScaleOutCooldown": 0,
                         "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                         **config}}}


def with_service():
    client = FakeClient()
    run(client, service(desiredCount=1))
    client.objects[SERVICE] = {**service(desiredCount=1)}
    return client


def reconcile(client, body, policies):
    return reconcile_scalable_target(client, body, policies=policies, clusters={"demo": "demo"}, now="t")


def test_target_and_policy_make_an_hpa_owned_by_the_target():
    client = with_service()
    outcome = reconcile(client, target(), [policy()])
    hpa = client.objects[HPA]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "cats"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 4)
    assert hpa["spec"]["behavior"]["scaleDown"] == {"stabilizationWindowSeconds": 30}
    assert hpa["metadata"]["ownerReferences"][0]["uid"] == "u-target"
    assert hpa["metadata"]["labels"]["ecs.kube-ecs.dev/service"] == "cats"
    assert outcome.status["policies"] == ["cpu50"] and outcome.status["MaxCapacity"] == 4
    ready = {c["type"]: c for c in outcome.status["conditions"]}["Ready"]
    assert ready["status"] == "True" and ready["reason"] == "Active"


def test_a_count_change_of_the_hpa_is_a_scaling_activity_on_target_and_service():
    client = with_service()
    first = reconcile(client, target(), [policy()])
    client.objects[HPA]["status"] = {"currentReplicas": 1, "desiredReplicas": 1}
    steady = reconcile(client, target(first.status), [policy()])
    assert steady.status["desiredCount"] == 1 and not [e for e in steady.events if e.reason == "ScalingActivity"]
    client.objects[HPA]["status"] = {"currentReplicas": 1, "desiredReplicas": 4, "lastScaleTime": "t1",
                                     "currentMetrics": [{"type": "Resource", "resource": {
                                         "name": "cpu", "current": {"averageUtilization": 180}}}]}
    out = reconcile(client, target(steady.status), [policy()])
    activity = out.status["lastScalingActivity"]
    assert activity["StatusMessage"] == "Successfully set desired count to 4. Change successfully fulfilled by ecs."
    assert "cpu 180%" in activity["Cause"] and "cpu 50%" in activity["Cause"]
    assert [e.message for e in out.service_events] == [
        "Application Auto Scaling: Successfully set desired count to 4. Change successfully fulfilled by ecs."]
    assert out.service is not None and out.service["metadata"]["name"] == "cats"


def test_removing_the_policy_removes_the_hpa():
    client = with_service()
    first = reconcile(client, target(), [policy()])
    out = reconcile(client, target(first.status), [])
    assert HPA not in client.objects
    assert {c["type"]: c for c in out.status["conditions"]}["Ready"]["reason"] == "NoActivePolicy"


def test_unmapped_policies_make_no_hpa_and_say_why():
    client = with_service()
    alb = policy("alb", PredefinedMetricSpecification={"PredefinedMetricType": "ALBRequestCountPerTarget"})
    out = reconcile(client, target(), [alb])
    assert HPA not in client.objects
    assert any("alb is not mapped" in w and "metrics adapter" in w for w in out.status["warnings"])


def test_missing_service_and_daemon_service_are_refused():
    client = FakeClient()
    out = reconcile(client, target(), [policy()])
    ready = {c["type"]: c for c in out.status["conditions"]}["Ready"]
    assert ready["status"] == "False" and "ECS service doesn't exist: service/demo/cats" in ready["message"]
    client.objects[SERVICE] = service(schedulingStrategy="DAEMON")
    out = reconcile(client, target(), [policy()])
    assert "DAEMON" in {c["type"]: c for c in out.status["conditions"]}["Ready"]["message"]


def test_policy_status_needs_a_scalable_target():
    status = policy_status(policy(), has_target=False, now="t")
    assert status["conditions"][0]["reason"] == "NoScalableTarget"
    assert "ObjectNotFoundException: No scalable target registered" in status["conditions"][0]["message"]
    assert policy_status(policy(), has_target=True, now="t")["conditions"][0]["status"] == "True"
