"""reconcile_service with capacity providers (docs/capacity.md): the strategy it runs by, one
Deployment per provider, ECS's refusals, status per provider."""

from __future__ import annotations

from kube_ecs.ecs.normalize import normalize_task_definition
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.services import reconcile_service

from .fake import FakeClient

TASKDEF, _ = normalize_task_definition({"family": "cats", "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                                        "containerDefinitions": [{"name": "cats", "image": "kube-ecs/cats:1.0"}]})
BRIDGE, _ = normalize_task_definition({"family": "cats", "containerDefinitions": [
    {"name": "cats", "image": "kube-ecs/cats:1.0", "memory": 128}]})
CLUSTER = {"capacityProviders": ["compute", "FARGATE", "FARGATE_SPOT"],
           "defaultCapacityProviderStrategy": [{"capacityProvider": "compute", "weight": 1}]}
PROVIDERS = {"compute": {"name": "compute", "nodeSelector": {"node.kubernetes.io/instance-type": "c5.xlarge"}}}
SPLIT = [{"capacityProvider": "compute", "base": 1, "weight": 1}, {"capacityProvider": "FARGATE", "weight": 1}]


def service(**spec):
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "cats", "namespace": "demo", "uid": "u-cats", "generation": 1},
            "spec": {"taskDefinition": "cats", "desiredCount": 5, **spec}}


def run(client, body, *, cluster=CLUSTER, taskdef=TASKDEF, providers=PROVIDERS, pruned=None):
    revisions = [rev.Revision("cats", 1, rev.ACTIVE, taskdef, rev.digest(taskdef))]
    return reconcile_service(client, body, clusters={"demo": "demo"}, revisions_of=lambda family: revisions,
                             replica_sets=[], tasks=[], known_tasks=None, now="t", pruned=pruned,
                             cluster_specs={"demo": cluster}, providers=providers)


def deployments(client):
    return {ref.name: obj["spec"] for ref, obj in client.objects.items() if ref.kind == "Deployment"}


def degraded(outcome):
    return {c["type"]: c for c in outcome.status["conditions"]}["Degraded"]


def test_a_strategy_of_several_providers_makes_a_deployment_each():
    client = FakeClient()
    outcome = run(client, service(capacityProviderStrategy=SPLIT))
    made = deployments(client)
    assert {name: spec["replicas"] for name, spec in made.items()} == {"cats-compute": 3, "cats-fargate": 2}
    assert made["cats-compute"]["template"]["spec"]["nodeSelector"] == PROVIDERS["compute"]["nodeSelector"]
    assert outcome.status["capacityProviders"] == [
        {"capacityProvider": "compute", "desiredCount": 3, "runningCount": 0, "pendingCount": 0},
        {"capacityProvider": "FARGATE", "desiredCount": 2, "runningCount": 0, "pendingCount": 0}]
    assert outcome.status["capacityProviderStrategy"][0] == {"capacityProvider": "compute", "base": 1, "weight": 1}
    assert outcome.status["desiredCount"] == 5


def test_going_back_to_one_provider_prunes_the_per_provider_deployments():
    client = FakeClient()
    first = run(client, service(capacityProviderStrategy=SPLIT))
    body = service(capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT"}])
    body["metadata"]["generation"] = 2
    run(client, body, pruned=first.prune_key)
    made = deployments(client)
    assert list(made) == ["cats"] and made["cats"]["replicas"] == 5
    assert made["cats"]["template"]["spec"]["nodeSelector"] == {"ecs.kube-ecs.dev/node-pool": "fargate"}


def test_the_clusters_default_strategy_when_the_service_names_none():
    client = FakeClient()
    outcome = run(client, service())
    assert deployments(client)["cats"]["template"]["spec"]["nodeSelector"] == PROVIDERS["compute"]["nodeSelector"]
    assert outcome.status["capacityProviderStrategy"] == [{"capacityProvider": "compute", "base": 0, "weight": 1}]
    outcome = run(FakeClient(), service(), cluster={})
    assert outcome.status["launchType"] == "EC2"


def test_a_provider_the_cluster_does_not_list_is_refused_and_nothing_is_made():
    client = FakeClient()
    outcome = run(client, service(capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT"}]),
                  cluster={"capacityProviders": ["FARGATE"]})
    assert client.objects == {}
    assert degraded(outcome)["message"] == (
        "InvalidParameterException: capacityProviderStrategy[0].capacityProvider: The specified capacity provider "
        "strategy cannot contain a capacity provider that is not associated with the cluster. Associate the "
        "capacity provider with the cluster or specify a valid capacity provider and try again.")


def test_a_listed_provider_that_does_not_exist_is_refused():
    outcome = run(FakeClient(), service(), providers={})
    assert degraded(outcome)["message"].startswith(
        "InvalidParameterException: the Cluster's defaultCapacityProviderStrategy[0].capacityProvider: The "
        "specified capacity provider compute does not exist")


def test_fargate_refuses_a_task_definition_it_cannot_run():
    client = FakeClient()
    outcome = run(client, service(launchType="FARGATE"), taskdef=BRIDGE)
    assert client.objects == {}
    assert "Task definition does not support launch_type FARGATE." in degraded(outcome)["message"]
    assert "networkMode: Fargate only supports network mode 'awsvpc'." in degraded(outcome)["message"]


def test_a_daemon_service_runs_on_every_container_instance_whatever_the_default():
    client = FakeClient()
    outcome = run(client, service(schedulingStrategy="DAEMON", desiredCount=None), taskdef=BRIDGE)
    daemonset = client.objects[Ref("apps/v1", "DaemonSet", "cats", "demo")]
    assert "nodeSelector" not in daemonset["spec"]["template"]["spec"]
    assert outcome.status["launchType"] == "EC2"
