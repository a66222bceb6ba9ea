from kube_ecs.ecs.normalize import normalize_task_definition
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.services import reconcile_service

from .fake import FakeClient

PRIVILEGED, _ = normalize_task_definition({"family": "agent", "networkMode": "host", "pidMode": "host",
                                           "volumes": [{"name": "root", "host": {"sourcePath": "/"}}],
                                           "containerDefinitions": [{"name": "agent", "image": "busybox",
                                                                     "memory": 64, "privileged": True}]})
REVISIONS = [rev.Revision("agent", 1, rev.ACTIVE, PRIVILEGED, rev.digest(PRIVILEGED))]


def service():
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "agent", "namespace": "demo", "uid": "u-agent", "generation": 1},
            "spec": {"taskDefinition": "agent", "desiredCount": 1}}


def run(client, body, *, cluster_spec=None, levels=None):
    return reconcile_service(client, body, clusters={"demo": "demo"}, revisions_of=lambda family: REVISIONS,
                             replica_sets=[], tasks=[], known_tasks=None, now="t",
                             cluster_specs={"demo": cluster_spec or {}}, levels=levels)


def ready(outcome):
    return {c["type"]: c for c in outcome.status["conditions"]}["Ready"]


def test_default_cluster_refuses_the_privileged_task_in_status_and_an_event():
    client = FakeClient()
    outcome = run(client, service())
    assert not any(ref.kind == "Deployment" for ref in client.objects)
    condition = ready(outcome)
    assert condition["reason"] == "PodSecurity"
    assert "containerDefinitions[0].privileged" in condition["message"]
    assert "Pod Security level 'baseline'" in condition["message"]
    assert any(e.warning and "Pod Security level" in e.message for e in outcome.events)


def test_privileged_cluster_runs_it():
    client = FakeClient()
    run(client, service(), cluster_spec={"podSecurity": {"enforce": "privileged"}})
    assert Ref("apps/v1", "Deployment", "agent", "demo") in client.objects


def test_raising_the_level_leaves_running_tasks_alone_and_refuses():
    client = FakeClient()
    run(client, service(), cluster_spec={"podSecurity": {"enforce": "privileged"}})
    before = client.objects[Ref("apps/v1", "Deployment", "agent", "demo")]
    outcome = run(client, service(), cluster_spec={"podSecurity": {"enforce": "baseline"}})
    assert client.objects[Ref("apps/v1", "Deployment", "agent", "demo")] == before
    assert ready(outcome)["reason"] == "PodSecurity"


def test_the_level_from_the_index_wins_over_the_spec():
    client = FakeClient()
    outcome = run(client, service(), cluster_spec={"podSecurity": {"enforce": "privileged"}},
                  levels={"demo": "baseline"})
    assert ready(outcome)["reason"] == "PodSecurity"


def test_a_privileged_cluster_still_never_runs_it_on_fargate():
    client = FakeClient()
    body = service()
    body["spec"]["launchType"] = "FARGATE"
    outcome = run(client, body, cluster_spec={"podSecurity": {"enforce": "privileged"}})
    assert "Fargate does not support privileged containers" in ready(outcome)["message"]
    assert not any(ref.kind == "Deployment" for ref in client.objects)


def test_the_namespace_label_decides_when_the_index_lags_behind():
    """A Cluster lowered to privileged: its Namespace says so before the index sees the new status."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "demo", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}
    client = FakeClient(namespace)
    run(client, service(), cluster_spec={"podSecurity": {"enforce": "privileged"}}, levels={"demo": "baseline"})
    assert Ref("apps/v1", "Deployment", "agent", "demo") in client.objects
