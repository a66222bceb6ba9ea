import pytest

from kube_ecs.ecs.normalize import normalize_task_definition
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.outcome import status_patch
from kube_ecs.reconcile.services import reconcile_service

from .fake import FakeClient

TASKDEF, _ = normalize_task_definition({"family": "cats", "containerDefinitions": [
    {"name": "cats", "image": "kube-ecs/cats:1.0", "portMappings": [{"containerPort": 80}]}]})
REVISIONS = [rev.Revision("cats", 1, rev.ACTIVE, TASKDEF, rev.digest(TASKDEF))]
LB = [{"containerName": "cats", "containerPort": 80, "ingress": {"host": "cats.localhost"}}]


def service(**spec):
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "cats", "namespace": "demo", "uid": "u-cats", "generation": 1},
            "spec": {"taskDefinition": "cats", "desiredCount": 2, "loadBalancers": LB, **spec}}


def run(client, body, clusters=None, revisions=REVISIONS):
    return reconcile_service(client, body, clusters={"demo": "demo"} if clusters is None else clusters,
                             revisions_of=lambda family: revisions if family == "cats" else [],
                             replica_sets=[], tasks=[], known_tasks=None, now="t")


def kinds(client):
    return sorted(ref.kind for ref in client.objects)


def test_children_are_created_owned_and_labelled():
    client = FakeClient()
    outcome = run(client, service())
    assert kinds(client) == ["Deployment", "Ingress", "Service"]
    for obj in client.objects.values():
        [owner] = obj["metadata"]["ownerReferences"]
        assert owner["uid"] == "u-cats" and owner["controller"]
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kube-ecs"
    assert {e.reason for e in outcome.events} >= {"ChildCreated"}
    ready = {c["type"]: c for c in outcome.status["conditions"]}["Ready"]
    assert ready["status"] == "False" and outcome.status["taskDefinition"] == "cats:1"


def test_second_pass_writes_nothing():
    client = FakeClient()
    first = run(client, service())
    client.writes.clear()
    again = run(client, {**service(), "status": first.status})
    assert client.writes == []
    assert status_patch(first.status, again.status) is None


def test_no_loadbalancers_prunes_the_ingress():
    # The Kubernetes Service stays: the task's ports are still found by its DNS name (service.py).
    client = FakeClient()
    run(client, service())
    run(client, service(loadBalancers=[]))
    assert kinds(client) == ["Deployment", "Service"]


def test_missing_cluster_is_reported_and_nothing_is_made():
    client = FakeClient()
    outcome = run(client, service(), clusters={})
    assert client.objects == {}
    degraded = {c["type"]: c for c in outcome.status["conditions"]}["Degraded"]
    assert degraded["reason"] == "ClusterNotFound" and "ClusterNotFoundException" in degraded["message"]


@pytest.mark.parametrize("balancer, path", [
    ({"containerName": "dogs", "containerPort": 80}, "loadBalancers[0].containerName"),
    ({"containerName": "cats", "containerPort": 8080}, "loadBalancers[0].containerPort"),
])
def test_load_balancer_must_name_a_container_port_of_the_task(balancer, path):
    client = FakeClient()
    outcome = run(client, service(loadBalancers=[balancer]))
    assert client.objects == {}
    degraded = {c["type"]: c for c in outcome.status["conditions"]}["Degraded"]
    assert degraded["reason"] == "InvalidParameter" and path in degraded["message"]


def test_cluster_named_with_double_hyphens_is_its_namespace():
    client = FakeClient()
    outcome = run(client, service(cluster="web--prod"), clusters={"demo": "web--prod"})
    assert kinds(client) == ["Deployment", "Ingress", "Service"], outcome.status["conditions"]


def task_definition(generation, status=None, **metadata):
    """The family's TaskDefinition object, as the Service's pass reads it when a reference resolves to nothing."""
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": "cats", "generation": generation, **metadata}, **({"status": status} if status else {})}


REVISION_1 = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinitionRevision", "metadata": {"name": "cats-1"}}
REGISTERED = {"observedGeneration": 1, "revision": 1}


@pytest.mark.parametrize(("reference", "objects", "seen"), [
    ("cats", [task_definition(1)], []),  # applied in the same file: not registered yet
    ("cats", [task_definition(1, REGISTERED), REVISION_1], []),  # registered, its event not seen yet
    ("cats:2", [task_definition(2, REGISTERED)], REVISIONS),  # its edit not registered yet
])
def test_a_revision_being_registered_is_waited_for_not_reported_missing(reference, objects, seen):
    client = FakeClient(*objects)
    with pytest.raises(rev.Registering):
        run(client, service(taskDefinition=reference), revisions=seen)
    assert client.writes == [] and "Deployment" not in kinds(client)


@pytest.mark.parametrize(("objects", "seen"), [
    ([], REVISIONS),  # no such family
    ([task_definition(1, REGISTERED)], REVISIONS),  # settled: revision 2 is not coming
    ([task_definition(1, REGISTERED)], []),  # its latest revision deleted by hand
    ([task_definition(1, deletionTimestamp="t"), REVISION_1], []),  # the family is being deleted
])
def test_a_revision_no_registration_will_make_is_not_found(objects, seen):
    client = FakeClient(*objects)
    outcome = run(client, service(taskDefinition="cats:2" if seen else "cats"), revisions=seen)
    ready = {c["type"]: c for c in outcome.status["conditions"]}["Ready"]
    assert ready["reason"] == "TaskDefinitionNotFound", ready


def test_past_its_patience_a_service_says_its_revision_is_not_found():
    client = FakeClient(task_definition(1))
    outcome = reconcile_service(client, service(), clusters={"demo": "demo"}, revisions_of=lambda family: [],
                                replica_sets=[], tasks=[], known_tasks=None, now="t", wait_for_registration=False)
    ready = {c["type"]: c for c in outcome.status["conditions"]}["Ready"]
    assert ready["reason"] == "TaskDefinitionNotFound", ready


def test_unknown_revision_leaves_running_children_alone():
    client = FakeClient()
    run(client, service())
    deployment = client.get(Ref("apps/v1", "Deployment", "cats", "demo"))
    client.writes.clear()
    outcome = run(client, service(taskDefinition="cats:9"))
    assert client.writes == []
    assert client.get(Ref("apps/v1", "Deployment", "cats", "demo")) == deployment
    assert {c["type"]: c["reason"] for c in outcome.status["conditions"]}["Ready"] == "TaskDefinitionNotFound"
    assert any(e.warning and "revision 9 does not exist" in e.message for e in outcome.events)


def test_cluster_argument_must_match_the_namespace():
    outcome = run(FakeClient(), service(cluster="arn:aws:ecs:us-east-1:1:cluster/other"))
    assert {c["type"]: c["reason"] for c in outcome.status["conditions"]}["Ready"] == "InvalidParameter"


def test_status_patch_nulls_removed_keys():
    assert status_patch({"a": 1, "b": 2}, {"a": 1}) == {"b": None, "a": 1}
    assert status_patch({"a": 1}, {"a": 1}) is None
    # Nested objects too: a merge patch would keep a key dropped from one.
    assert status_patch({"r": {"x": 1, "y": {"z": 1}}}, {"r": {"y": {}}}) == {"r": {"x": None, "y": {"z": None}}}
