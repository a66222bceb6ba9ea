from kube_ecs.reconcile.apply import HASH_ANNOTATION
from kube_ecs.reconcile.container_instances import (
    DRAINING_TAINT,
    PodOnNode,
    drain,
    ensure_view,
    max_unavailable,
    pod_on_node,
    replica_evictions,
    slim_node,
    usage,
    view_ref,
)
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.service_status import Task
from kube_ecs.resources.container_instance import Usage

from .fake import FakeClient


def node(name="worker", labels=None, unschedulable=False, taints=None, uid="u-worker"):
    spec = {"unschedulable": True} if unschedulable else {}
    if taints:
        spec["taints"] = taints
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": uid, "resourceVersion": "7",
                         "labels": {"ecs.kube-ecs.dev/node-pool": "ec2"} if labels is None else labels},
            "spec": spec,
            "status": {"allocatable": {"cpu": "2", "memory": "4Gi"}, "images": [{"names": ["big"]}],
                       "conditions": [{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}]}}


def pod(name, *, node_name="worker", owner=("ReplicaSet", "web-5d8f"), hash_="5d8f", managed=True, phase="Running",
        ready=True):
    labels = {"pod-template-hash": hash_}
    if managed:
        labels |= {"app.kubernetes.io/managed-by": "kube-ecs", "ecs.kube-ecs.dev/service": "web"}
    return {"metadata": {"name": name, "namespace": "demo", "labels": labels,
                         "ownerReferences": [{"kind": owner[0], "name": owner[1], "controller": True}]},
            "spec": {"nodeName": node_name, "containers": [{"resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}}]},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def task(name, running=True, terminating=False):
    return Task(name=name, revision="1", template_hash="5d8f", running=running, terminating=terminating, restarts=0)


def deployment(replicas=3, max_unavailable=0, available=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "demo"},
            "spec": {"replicas": replicas, "strategy": {"rollingUpdate": {"maxUnavailable": max_unavailable}}},
            "status": {"availableReplicas": replicas if available is None else available}}


def on_a_node(pod: dict) -> PodOnNode:
    """pod_on_node of a pod the test expects to hold something on its node."""
    found = pod_on_node(pod)
    assert found is not None
    return found


def test_pod_on_node_keeps_requests_and_the_task():
    found = on_a_node(pod("web-5d8f-a"))
    assert (found.cpu_millicores, found.memory_bytes) == (250, 512 * 1024 * 1024)
    assert found.running and found.service == "web" and found.workload == ("Deployment", "web")
    other = on_a_node(pod("sys", managed=False))
    assert other.task is None and other.cpu_millicores == 250
    assert pod_on_node(pod("done", phase="Succeeded")) is None
    assert pod_on_node(pod("unbound", node_name="")) is None
    assert on_a_node(pod("agent-x", owner=("DaemonSet", "agent"))).workload == ("DaemonSet", "agent")


def test_usage_counts_every_pod_and_kube_ecs_tasks_by_state():
    pods = [on_a_node(p) for p in (pod("a"), pod("b", ready=False, phase="Pending"), pod("sys", managed=False))]
    assert usage(pods) == Usage(cpu_millicores=750, memory_bytes=1536 * 1024 * 1024, running_tasks=1, pending_tasks=1)


def test_slim_node_drops_what_the_view_never_reads():
    slim = slim_node(node())
    assert "images" not in slim["status"] and [c["type"] for c in slim["status"]["conditions"]] == ["Ready"]


def view_action(client: FakeClient, node: dict) -> str:
    """What ensure_view did with the view of a container instance (one it keeps a view of)."""
    applied = ensure_view(client, node)
    assert applied is not None
    return applied.action


def test_view_is_made_once_and_removed_when_the_node_leaves_the_ec2_pool():
    client = FakeClient()
    assert view_action(client, node()) == "created"
    view = client.objects[view_ref("worker")]
    assert view["metadata"]["ownerReferences"][0]["uid"] == "u-worker" and HASH_ANNOTATION in view["metadata"]["annotations"]
    client.writes.clear()
    assert view_action(client, node()) == "unchanged" and client.writes == []
    ensure_view(client, node(labels={"ecs.kube-ecs.dev/node-pool": "fargate"}))
    assert view_ref("worker") not in client.objects


def test_a_view_of_a_node_with_the_same_name_is_not_touched():
    client = FakeClient()
    ensure_view(client, node(uid="old"))
    assert view_action(client, node(uid="new")) == "conflict"
    ensure_view(client, node(uid="new", labels={"node-role.kubernetes.io/control-plane": ""}))
    assert view_ref("worker") in client.objects


def test_max_unavailable_counts_percentages_down():
    assert max_unavailable(deployment(max_unavailable=1)) == 1
    assert max_unavailable(deployment(replicas=3, max_unavailable="50%")) == 1
    assert max_unavailable({"spec": {"replicas": 8}}) == 2  # Kubernetes' default 25%


def on_node(*names, running=True):
    return [PodOnNode("demo", n, 250, 0, task=task(n, running=running), service="web", workload=("Deployment", "web"))
            for n in names]


def test_at_100_percent_one_task_moves_at_a_time_after_its_replacement_runs():
    pods = on_node("a", "b")
    everyone = {("demo", "web"): [task("a"), task("b"), task("c")]}
    deployments = {("demo", "web"): deployment(replicas=3, max_unavailable=0)}
    assert [p.name for p in replica_evictions(pods, deployments=deployments, tasks=everyone, evicted=set())] == ["a"]
    # "a" evicted; its replacement not running yet: nothing more.
    assert replica_evictions(pods, deployments=deployments, tasks=everyone, evicted={"a"}) == []
    waiting = {("demo", "web"): [task("a", terminating=True), task("b"), task("c"), task("d", running=False)]}
    assert replica_evictions(pods[1:], deployments=deployments, tasks=waiting, evicted=set()) == []


def test_a_deployment_short_of_tasks_waits_even_if_the_service_has_more_elsewhere():
    # One Deployment per capacity provider: the Service's other Deployment runs tasks too.
    everyone = {("demo", "web"): [task("a"), task("b"), task("x1"), task("x2")]}
    short = {("demo", "web"): deployment(replicas=2, max_unavailable=0, available=1)}
    assert replica_evictions(on_node("a"), deployments=short, tasks=everyone, evicted=set()) == []


def test_a_lower_minimum_healthy_drains_several_at_once_and_pending_tasks_go_at_once():
    pods = on_node("a", "b", "c") + on_node("p", running=False)
    everyone = {("demo", "web"): [task("a"), task("b"), task("c"), task("d"), task("p", running=False)]}
    deployments = {("demo", "web"): deployment(replicas=5, max_unavailable=3)}
    chosen = replica_evictions(pods, deployments=deployments, tasks=everyone, evicted=set())
    # 4 of 5 running: one is down already, so two more may go; the pending one costs nothing.
    assert [p.name for p in chosen] == ["p", "a", "b"]
    assert replica_evictions(pods, deployments={("demo", "web"): None}, tasks=everyone, evicted=set()) == []


def test_drain_evicts_within_the_budget_and_remembers_what_it_evicted():
    client = FakeClient(deployment(replicas=2, max_unavailable=0))
    pods = on_node("a", "b")
    tasks = {("demo", "web"): [task("a"), task("b")]}
    drained = drain(client, slim_node(node(unschedulable=True)), pods, tasks=tasks, evicted=set())
    assert client.evicted == ["a"] and drained.evicted == {"a"}
    assert [e.reason for e in drained.events] == ["TaskStopping"] and "demo/a" in drained.events[0].message
    again = drain(client, slim_node(node(unschedulable=True)), pods, tasks=tasks, evicted=drained.evicted)
    assert client.evicted == ["a"] and again.events == []


def test_a_refused_eviction_is_retried_on_a_later_pass():
    client = FakeClient(deployment(replicas=2, max_unavailable=0), refuse_evictions={"a"})
    drained = drain(client, slim_node(node(unschedulable=True)), on_node("a"), tasks={("demo", "web"): [task("a"), task("b")]},
                    evicted=set())
    assert drained.evicted == set() and drained.events == []


def test_daemon_tasks_stop_last_behind_a_taint_which_goes_on_uncordon():
    daemon = [PodOnNode("demo", "agent-x", 0, 0, task=task("agent-x"), service="agent", workload=("DaemonSet", "agent"))]
    client = FakeClient(node(unschedulable=True))
    cordoned = slim_node(node(unschedulable=True))
    # A replica task still there: the daemon task stays.
    client_with_replicas = FakeClient(deployment(replicas=1), node(unschedulable=True))
    drain(client_with_replicas, cordoned, daemon + on_node("a"), tasks={("demo", "web"): [task("a")]}, evicted=set())
    assert client_with_replicas.evicted == ["a"]
    # Replicas gone: taint first, then stop the daemon task.
    drain(client, cordoned, daemon, tasks={}, evicted=set())
    assert client.evicted == [] and client.objects[Ref("v1", "Node", "worker")]["spec"]["taints"] == [DRAINING_TAINT]
    drain(client, slim_node(node(unschedulable=True, taints=[DRAINING_TAINT])), daemon, tasks={}, evicted=set())
    assert client.evicted == ["agent-x"]
    # Uncordoned: the taint goes, nothing is evicted.
    other = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    drain(client, slim_node(node(taints=[other, DRAINING_TAINT])), daemon, tasks={}, evicted=set())
    assert client.objects[Ref("v1", "Node", "worker")]["spec"]["taints"] == [other] and client.evicted == ["agent-x"]


def test_an_active_instance_without_our_taint_is_left_alone():
    client = FakeClient(node())
    assert drain(client, slim_node(node()), on_node("a"), tasks={}, evicted={"gone"}).evicted == set()
    assert client.writes == [] and client.evicted == []


def test_the_fake_eviction_deletes_the_pod_unless_refused():
    stored = {"apiVersion": "v1", "kind": "Pod", **pod("a")}
    client = FakeClient(stored, {**stored, "metadata": {**stored["metadata"], "name": "b"}}, refuse_evictions={"b"})
    assert client.evict("demo", "a") and not client.evict("demo", "b")
    assert Ref("v1", "Pod", "a", "demo") not in client.objects and Ref("v1", "Pod", "b", "demo") in client.objects
    assert client.evicted == ["a"] and client.writes == [("evict", Ref("v1", "Pod", "a", "demo"))]
