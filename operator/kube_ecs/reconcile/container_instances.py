"""Container instances: keep each one's `ContainerInstance` view, and drain cordoned ones the way
ECS drains a DRAINING instance.

Draining (docs/decisions.md): Service tasks on the node are evicted (the Eviction API, so
PodDisruptionBudgets hold too) and their Deployment starts replacements on other nodes. How many
may be down at once is the Deployment's maxUnavailable, which the builder derives from the Service's
minimumHealthyPercent, and at least one, so a Service at 100% still drains one task at a time,
each after the last replacement is running (ECS would surge instead; Kubernetes cannot start a
replacement for one chosen pod). Tasks not yet running cost nothing and go at once. DAEMON tasks
stop last, once no replica task is left: the node is tainted so the DaemonSet does not restart them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kube_ecs import API_VERSION, GROUP
from kube_ecs.reconcile.apply import Applied, apply_child, controller_uid
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.kube import Client, Ref
from kube_ecs.reconcile.service_status import Task, task_of
from kube_ecs.resources import meta
from kube_ecs.resources.container_instance import (
    KIND,
    Usage,
    build_container_instance,
    is_container_instance_node,
    pod_requests,
)

DRAINING_TAINT = {"key": f"{GROUP}/draining", "value": "true", "effect": "NoSchedule"}
DEFAULT_MAX_UNAVAILABLE = "25%"  # Kubernetes' own default for a Deployment


def view_ref(node_name: str) -> Ref:
    return Ref(API_VERSION, KIND, node_name)


@dataclass(frozen=True)
class PodOnNode:
    """A pod as the container instance needs it (the Kopf index keeps these, not whole pods)."""

    namespace: str
    name: str
    cpu_millicores: int
    memory_bytes: int
    # Set for kube-ecs tasks: the task, its Service label, and its workload (kind, name).
    task: Task | None = None
    service: str = ""
    workload: tuple[str, str] | None = None

    def live_task_of(self, kind: str) -> bool:
        """A task of a `kind` workload ("Deployment", "DaemonSet") that is not on its way out."""
        return (self.task is not None and not self.task.terminating and self.workload is not None
                and self.workload[0] == kind)

    @property
    def running(self) -> bool:
        return self.task is not None and self.task.running


def _workload(pod: dict) -> tuple[str, str] | None:
    """The Deployment or DaemonSet a task belongs to. A ReplicaSet is named after its Deployment
    plus the pod-template-hash, which the pod carries as a label."""
    metadata = pod["metadata"]
    owner = next((r for r in metadata.get("ownerReferences") or [] if r.get("controller")), None)
    if owner is None:
        return None
    if owner["kind"] == "ReplicaSet":
        suffix = "-" + (metadata.get("labels") or {}).get("pod-template-hash", "")
        return ("Deployment", owner["name"].removesuffix(suffix)) if owner["name"].endswith(suffix) else None
    return ("DaemonSet", owner["name"]) if owner["kind"] == "DaemonSet" else None


def pod_on_node(pod: dict) -> PodOnNode | None:
    """None for a pod that holds nothing on a node: not bound to one, or finished."""
    spec, status, metadata = pod.get("spec") or {}, pod.get("status") or {}, pod["metadata"]
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return None
    cpu, memory = pod_requests(pod)
    labels = metadata.get("labels") or {}
    found = PodOnNode(metadata["namespace"], metadata["name"], cpu, memory)
    if labels.get("app.kubernetes.io/managed-by") != meta.MANAGED_BY or meta.SERVICE_LABEL not in labels:
        return found
    return PodOnNode(found.namespace, found.name, cpu, memory, task=task_of(pod), service=labels[meta.SERVICE_LABEL],
                     workload=_workload(pod))


def slim_node(node: dict) -> dict:
    """What the view and the drain read of a Node (its image list alone can be kilobytes)."""
    metadata, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    return {
        "metadata": {k: metadata[k] for k in ("name", "uid", "labels", "creationTimestamp", "resourceVersion")
                     if k in metadata},
        "spec": {k: spec[k] for k in ("unschedulable", "providerID", "taints") if k in spec},
        "status": {"allocatable": status.get("allocatable") or {},
                   "conditions": [c for c in status.get("conditions") or [] if c.get("type") == "Ready"],
                   "nodeInfo": status.get("nodeInfo") or {}},
    }


def usage(pods: Iterable[PodOnNode]) -> Usage:
    cpu = memory = running = pending = 0
    for pod in pods:
        cpu, memory = cpu + pod.cpu_millicores, memory + pod.memory_bytes
        if pod.task is not None and not pod.task.terminating:
            running, pending = running + pod.task.running, pending + (not pod.task.running)
    return Usage(cpu, memory, running, pending)


def ensure_view(client: Client, node: dict) -> Applied | None:
    """The view of a container instance exists; a node that stopped being one (moved to the Fargate
    pool) loses its view. A view is only ever touched if its Node controls it."""
    ref = view_ref(node["metadata"]["name"])
    if is_container_instance_node(node):
        return apply_child(client, build_container_instance(node))
    live = client.get(ref)
    if live is not None and controller_uid(live) == node["metadata"]["uid"]:
        client.delete(ref)
    return None


def max_unavailable(deployment: dict) -> int:
    """A Deployment's maxUnavailable as a task count (percentages round down, as Kubernetes does)."""
    spec = deployment.get("spec") or {}
    value = ((spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable", DEFAULT_MAX_UNAVAILABLE)
    if isinstance(value, str) and value.endswith("%"):
        return spec.get("replicas", 1) * int(value[:-1]) // 100
    return int(value)


def replica_evictions(pods: list[PodOnNode], *, deployments: dict[tuple[str, str], dict | None],
                      tasks: dict[tuple[str, str], list[Task]], evicted: set[str]) -> list[PodOnNode]:
    """The Deployment tasks on a draining node to evict now. `deployments` by (namespace, name), None
    when gone; `tasks` every task of each Service, by (namespace, service label); `evicted` the pods
    evicted before whose deletion the index may not show yet (they count as down)."""
    chosen = []
    by_deployment: dict[tuple[str, str], list[PodOnNode]] = {}
    for pod in pods:
        if pod.live_task_of("Deployment") and pod.workload:
            by_deployment.setdefault((pod.namespace, pod.workload[1]), []).append(pod)
    for key, group in sorted(by_deployment.items()):
        deployment = deployments.get(key)
        if deployment is None:
            continue
        chosen += [pod for pod in group if not pod.running]
        # Both are upper bounds of what is up: the Deployment's status counts only its own tasks (a
        # Service may have one Deployment per capacity provider) but lags an eviction; the Service's
        # running tasks leave out the ones just evicted.
        running = [t for t in tasks.get((group[0].namespace, group[0].service), [])
                   if t.running and not t.terminating and t.name not in evicted]
        up = min((deployment.get("status") or {}).get("availableReplicas", 0), len(running))
        down = (deployment.get("spec") or {}).get("replicas", 1) - up
        room = max(1, max_unavailable(deployment)) - down
        chosen += [pod for pod in group if pod.running][:max(0, room)]
    return chosen


@dataclass
class Drained:
    events: list[Event]
    evicted: set[str]


def _taint(client: Client, node: dict, taints: list[dict]) -> None:
    # resourceVersion makes the write fail rather than overwrite a taint someone added meanwhile.
    client.patch(Ref("v1", "Node", node["metadata"]["name"]),
                 {"metadata": {"resourceVersion": node["metadata"]["resourceVersion"]}, "spec": {"taints": taints}})


def drain(client: Client, node: dict, pods: list[PodOnNode], *, tasks: dict[tuple[str, str], list[Task]],
          evicted: set[str]) -> Drained:
    """One pass of draining `node` (or of undoing it, once uncordoned): evictions within each Service's
    budget, then the DAEMON tasks. Level-triggered: each pass looks at what is there now."""
    taints = (node.get("spec") or {}).get("taints") or []
    tainted = DRAINING_TAINT in taints
    if not (node.get("spec") or {}).get("unschedulable"):
        if tainted:
            _taint(client, node, [t for t in taints if t != DRAINING_TAINT])
        return Drained([], set())
    names = {(p.namespace, p.workload[1]) for p in pods if p.live_task_of("Deployment") and p.workload}
    deployments = {key: client.get(Ref("apps/v1", "Deployment", key[1], key[0])) for key in sorted(names)}
    stop = replica_evictions(pods, deployments=deployments, tasks=tasks, evicted=evicted)
    replicas_left = any(p.live_task_of("Deployment") for p in pods)
    daemons = [p for p in pods if p.live_task_of("DaemonSet")]
    if not replicas_left and daemons:
        if not tainted:
            _taint(client, node, [*taints, DRAINING_TAINT])
            return Drained([], evicted)  # the DAEMON tasks stop on the next pass, once the taint holds
        stop = daemons
    events, done = [], set(evicted)
    for pod in stop:
        if pod.name in done:
            continue
        if client.evict(pod.namespace, pod.name):
            done.add(pod.name)
            events.append(Event(f"Stopping task {pod.namespace}/{pod.name} of service {pod.service}: "
                                f"the container instance is DRAINING.", "TaskStopping"))
    return Drained(events, done & {p.name for p in pods})
