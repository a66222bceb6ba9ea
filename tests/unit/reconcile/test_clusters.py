from kube_ecs.reconcile.apply import HASH_ANNOTATION
from kube_ecs.reconcile.clusters import (
    ADMITTED_FOR,
    CONTAINS_SCHEDULED_TASKS,
    CONTAINS_SERVICES,
    CONTAINS_TASKS,
    Counts,
    NamespaceState,
    cluster_status,
    deletion_refusals,
    ensure_namespace,
    namespace_at_admission,
)
from kube_ecs.reconcile.conditions import condition_events
from kube_ecs.reconcile.kube import Ref

from .fake import FakeClient


def cluster(spec=None, status=None):
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Cluster",
            "metadata": {"name": "demo", "uid": "u-demo", "generation": 1}, "spec": spec or {}, "status": status}


def test_new_namespace_is_owned():
    client = FakeClient()
    state = ensure_namespace(client, cluster({"tags": [{"key": "team", "value": "cats"}]}))
    assert state == NamespaceState("demo", True)
    ns = client.objects[Ref("v1", "Namespace", "demo")]
    assert ns["metadata"]["ownerReferences"][0]["uid"] == "u-demo"
    assert ns["metadata"]["labels"]["team"] == "cats"


def test_existing_namespace_is_labelled_not_owned():
    client = FakeClient({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo", "labels": {"a": "b"}}})
    state = ensure_namespace(client, cluster())
    assert state == NamespaceState("demo", False)
    ns = client.objects[Ref("v1", "Namespace", "demo")]
    assert "ownerReferences" not in ns["metadata"]
    assert ns["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kube-ecs"
    assert HASH_ANNOTATION in ns["metadata"]["annotations"]


def test_namespace_made_at_admission_is_owned_by_that_cluster_only():
    client = FakeClient()
    namespace_at_admission(client, cluster({"tags": [{"key": "team", "value": "cats"}]}))
    ns = client.objects[Ref("v1", "Namespace", "demo")]
    assert ns["metadata"]["annotations"][ADMITTED_FOR] == "u-demo" and "ownerReferences" not in ns["metadata"]
    assert ns["metadata"]["labels"]["team"] == "cats"
    assert ensure_namespace(client, cluster()) == NamespaceState("demo", True)
    [owner] = client.objects[Ref("v1", "Namespace", "demo")]["metadata"]["ownerReferences"]
    assert (owner["uid"], owner["controller"]) == ("u-demo", True)
    # A Cluster of the same name that was never stored: a later one (another uid) does not own it.
    other = FakeClient()
    namespace_at_admission(other, cluster())
    later = cluster()
    later["metadata"]["uid"] = "u-later"
    assert ensure_namespace(other, later) == NamespaceState("demo", False)


def test_admission_leaves_an_existing_namespace_alone():
    client = FakeClient({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    namespace_at_admission(client, cluster())
    assert client.writes == []


def test_namespace_controlled_by_someone_else_is_a_problem():
    client = FakeClient({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "demo", "ownerReferences": [{"uid": "x", "controller": True, "kind": "Other", "name": "o"}]}})
    assert ensure_namespace(client, cluster()).problem


def test_status_mirrors_describe_clusters():
    status = cluster_status(body=cluster({"capacityProviders": ["FARGATE"], "tags": [],
                                                   "settings": [{"name": "containerInsights", "value": "enabled"}]}),
                            namespace=NamespaceState("demo", True), counts=Counts(1, 2, 1, 1), deleting=False, now="t")
    assert status["status"] == "ACTIVE"
    assert (status["activeServicesCount"], status["runningTasksCount"], status["pendingTasksCount"],
            status["registeredContainerInstancesCount"]) == (1, 2, 1, 1)
    assert status["warnings"] == ["settings: not supported on Kubernetes: ignored "
                                  "(Container Insights: use the cluster's own monitoring)"]
    assert [c["type"] for c in status["conditions"]] == ["Ready"]
    assert (status["capacityProviders"], status["defaultCapacityProviderStrategy"]) == (["FARGATE"], [])


def test_capacity_providers_ecs_would_refuse_degrade_the_cluster():
    spec = {"capacityProviders": ["FARGATE", "compute"],
            "defaultCapacityProviderStrategy": [{"capacityProvider": "compute", "weight": 1}]}
    status = cluster_status(body=cluster(spec), namespace=NamespaceState("demo", True), counts=Counts(),
                            deleting=False, now="t")
    ready, degraded = status["conditions"]
    assert ready["status"] == "True" and degraded["status"] == "True" and degraded["reason"] == "InvalidParameter"
    assert degraded["message"] == ("InvalidParameterException: capacityProviders[1]: The specified capacity provider "
                                   "compute does not exist: create a CapacityProvider named compute, or use FARGATE "
                                   "or FARGATE_SPOT.")
    fixed = cluster_status(body=cluster(spec, status), namespace=NamespaceState("demo", True), counts=Counts(),
                           deleting=False, now="t", providers={"compute": {"name": "compute"}})
    assert fixed["conditions"][1]["status"] == "False"
    spec["defaultCapacityProviderStrategy"] = [{"capacityProvider": "FARGATE_SPOT"}]
    status = cluster_status(body=cluster(spec), namespace=NamespaceState("demo", True), counts=Counts(),
                            deleting=False, now="t", providers={"compute": {"name": "compute"}})
    assert "not associated with the cluster" in status["conditions"][1]["message"]


def test_deletion_with_services_is_blocked():
    status = cluster_status(body=cluster(), namespace=NamespaceState("demo", True), counts=Counts(services=1),
                            deleting=True, now="t")
    blocked = {c["type"]: c for c in status["conditions"]}["DeletionBlocked"]
    assert blocked["status"] == "True" and blocked["message"] == CONTAINS_SERVICES
    assert blocked["reason"] == "ClusterContainsServicesException"


def test_deletion_with_active_tasks_or_scheduled_tasks_is_blocked():
    status = cluster_status(body=cluster(), namespace=NamespaceState("demo", True), counts=Counts(tasks=2),
                            deleting=True, now="t")
    blocked = {c["type"]: c for c in status["conditions"]}["DeletionBlocked"]
    assert (blocked["reason"], blocked["message"]) == ("ClusterContainsTasksException", CONTAINS_TASKS)
    status = cluster_status(body=cluster(), namespace=NamespaceState("demo", True),
                            counts=Counts(services=1, scheduled=1), deleting=True, now="t")
    blocked = {c["type"]: c for c in status["conditions"]}["DeletionBlocked"]
    assert blocked["reason"] == "ClusterContainsServicesException"
    assert blocked["message"] == f"{CONTAINS_SERVICES} {CONTAINS_SCHEDULED_TASKS}"
    assert deletion_refusals(Counts(running=3)) == []  # tasks of no Task object (a Service's) count as Services


def test_counts_refresh_keeps_namespace_state():
    first = cluster_status(body=cluster(), namespace=NamespaceState("demo", False, "conflict!"), counts=Counts(),
                           deleting=False, now="t1")
    again = cluster_status(body=cluster(status=first), namespace=None, counts=Counts(), deleting=False, now="t2")
    assert again == first


def test_condition_changes_are_events_a_refused_deletion_once():
    conflict = cluster_status(body=cluster(), namespace=NamespaceState("demo", False, "Namespace demo is taken"),
                              counts=Counts(), deleting=False, now="t1")
    assert [(e.message, e.reason, e.warning) for e in condition_events(None, conflict["conditions"])] == [
        ("Ready=False: Namespace demo is taken", "NamespaceConflict", True)]
    blocked = cluster_status(body=cluster(status=conflict), namespace=NamespaceState("demo", True),
                             counts=Counts(services=1), deleting=True, now="t2")
    events = condition_events(conflict["conditions"], blocked["conditions"])
    assert [(e.message, e.reason, e.warning) for e in events] == [
        ("Ready=True: Namespace demo holds this Cluster's Services.", "Active", False),
        (f"DeletionBlocked=True: {CONTAINS_SERVICES}", "ClusterContainsServicesException", True)]
    again = cluster_status(body=cluster(status=blocked), namespace=NamespaceState("demo", True),
                           counts=Counts(services=1), deleting=True, now="t3")
    assert condition_events(blocked["conditions"], again["conditions"]) == []


PSA = "pod-security.kubernetes.io/"


def _levels(client):
    labels = client.objects[Ref("v1", "Namespace", "demo")]["metadata"]["labels"]
    return {mode: labels[PSA + mode] for mode in ("enforce", "warn", "audit")}


def test_namespace_levels_follow_the_cluster_setting():
    client = FakeClient()
    state = ensure_namespace(client, cluster())
    assert state.pod_security == _levels(client) == dict.fromkeys(("enforce", "warn", "audit"), "baseline")
    ensure_namespace(client, cluster({"podSecurity": {"enforce": "privileged", "warn": "baseline"}}))
    assert _levels(client) == {"enforce": "privileged", "warn": "baseline", "audit": "privileged"}
    ensure_namespace(client, cluster({"podSecurity": {"enforce": "restricted"}}))
    assert _levels(client) == dict.fromkeys(("enforce", "warn", "audit"), "restricted")


def test_adopted_namespace_keeps_its_stricter_level_even_after_relabelling():
    client = FakeClient({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "demo", "labels": {PSA + "enforce": "restricted", PSA + "warn": "privileged"}}})
    state = ensure_namespace(client, cluster({"podSecurity": {"enforce": "privileged"}}))
    assert not state.owned
    assert _levels(client) == {"enforce": "restricted", "warn": "privileged", "audit": "privileged"}
    # Raised, then lowered again: the namespace's own restricted stays the floor, not our own labels.
    ensure_namespace(client, cluster({"podSecurity": {"enforce": "baseline", "warn": "restricted"}}))
    assert _levels(client)["warn"] == "restricted"
    ensure_namespace(client, cluster({"podSecurity": {"enforce": "privileged"}}))
    assert _levels(client) == {"enforce": "restricted", "warn": "privileged", "audit": "privileged"}


def test_status_says_the_levels():
    status = cluster_status(body=cluster({"podSecurity": {"enforce": "privileged"}}),
                            namespace=NamespaceState("demo", True, None, {"enforce": "privileged", "warn": "privileged",
                                                                          "audit": "privileged"}),
                            counts=Counts(), deleting=False, now="2026-01-01T00:00:00Z")
    assert status["podSecurity"]["enforce"] == "privileged"
