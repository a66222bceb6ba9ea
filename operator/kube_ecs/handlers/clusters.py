"""ECS Clusters: the Namespace, describe-clusters' counts, and ECS's refusal to delete a Cluster that
still has Services, active Tasks or ScheduledTasks (the finalizer holds until the namespace is empty of
them)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping

import kopf

from kube_ecs import API_VERSION, metrics
from kube_ecs.handlers import common
from kube_ecs.handlers.wakers import poke_namespace
from kube_ecs.reconcile.clusters import Counts, NamespaceState, cluster_status, deletion_refusals, ensure_namespace
from kube_ecs.reconcile.conditions import condition_events, now_iso
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.service_status import Task
from kube_ecs.resources.namespace import namespace_name

COUNTS_INTERVAL = 10.0


def cluster_ref(name: str) -> Ref:
    return Ref(API_VERSION, "Cluster", name)


_NONE: Mapping[str, Collection[str]] = {}


def counts(namespace: str, services_by_namespace: Mapping[str, Collection[str]],
           tasks_by_service: Mapping[tuple[str, str], Collection[Task]],
           container_instance_nodes: Mapping[str, Collection[object]], *,
           active_tasks: Mapping[str, Collection[str]] = _NONE,
           scheduled_tasks: Mapping[str, Collection[str]] = _NONE) -> Counts:
    """Read in the event loop, where the indexes are updated (a kopf.Index fits these read-only
    mappings; so does a plain dict in tests). Every container instance serves every Cluster: nodes
    are not split between namespaces. Standalone tasks' Pods are among `tasks_by_service`'s."""
    tasks = [t for (ns, _), store in tasks_by_service.items() if ns == namespace for t in store if not t.terminating]
    running = sum(t.running for t in tasks)
    return Counts(services=len(list(services_by_namespace.get(namespace, []))), running=running,
                  pending=len(tasks) - running, instances=len(container_instance_nodes),
                  tasks=len(list(active_tasks.get(namespace, []))),
                  scheduled=len(list(scheduled_tasks.get(namespace, []))))


@kopf.on.resume(API_VERSION, "clusters")
@kopf.on.create(API_VERSION, "clusters")
# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.on.update(API_VERSION, "clusters")  # type: ignore[arg-type]
@metrics.reconciled("Cluster")
async def cluster_reconcile(body: kopf.Body, name: str, services_by_namespace: kopf.Index,
                            tasks_by_service: kopf.Index, container_instance_nodes: kopf.Index,
                            capacity_providers: kopf.Index, **_) -> None:
    snapshot = dict(body)  # a plain dict for the pure functions and the worker thread
    namespace = await asyncio.to_thread(ensure_namespace, common.client(), snapshot)
    status = cluster_status(body=snapshot, namespace=namespace, now=now_iso(), deleting=False,
                            counts=counts(namespace.name, services_by_namespace, tasks_by_service,
                                          container_instance_nodes),
                            providers=common.values(capacity_providers))
    await asyncio.to_thread(common.write_status, cluster_ref(name), snapshot.get("status"), status)
    # A Namespace conflict, or Ready again.
    common.post(snapshot, condition_events((snapshot.get("status") or {}).get("conditions"), status["conditions"]))
    poke_namespace(namespace.name, services_by_namespace)


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.timer(API_VERSION, "clusters", interval=COUNTS_INTERVAL, initial_delay=COUNTS_INTERVAL)  # type: ignore[arg-type]
async def cluster_counts(body: kopf.Body, name: str, services_by_namespace: kopf.Index,
                         tasks_by_service: kopf.Index, container_instance_nodes: kopf.Index,
                         capacity_providers: kopf.Index, **_) -> None:
    """Counts follow Services and tasks, capacity problems CapacityProviders; written only when they change."""
    snapshot = dict(body)
    namespace = (snapshot.get("status") or {}).get("namespace") or namespace_name(name)
    status = cluster_status(body=snapshot, namespace=None, now=now_iso(), deleting=False,
                            counts=counts(namespace, services_by_namespace, tasks_by_service, container_instance_nodes),
                            providers=common.values(capacity_providers))
    await asyncio.to_thread(common.write_status, cluster_ref(name), snapshot.get("status"), status)


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.on.delete(API_VERSION, "clusters")  # type: ignore[arg-type]
async def cluster_delete(body: kopf.Body, name: str, services_by_namespace: kopf.Index,
                         tasks_by_service: kopf.Index, container_instance_nodes: kopf.Index,
                         capacity_providers: kopf.Index, active_tasks_by_namespace: kopf.Index,
                         scheduled_tasks_by_namespace: kopf.Index, **_) -> None:
    """ECS refuses DeleteCluster while Services or Tasks are active (ClusterContainsServicesException,
    ClusterContainsTasksException); ScheduledTasks that target the Cluster hold it too."""
    snapshot = dict(body)
    previous = snapshot.get("status") or {}
    namespace = previous.get("namespace") or namespace_name(name)
    found = counts(namespace, services_by_namespace, tasks_by_service, container_instance_nodes,
                   active_tasks=active_tasks_by_namespace, scheduled_tasks=scheduled_tasks_by_namespace)
    status = cluster_status(body=snapshot, namespace=NamespaceState(namespace, previous.get("namespaceOwned", True)),
                            counts=found, deleting=True, now=now_iso(), providers=common.values(capacity_providers))
    await asyncio.to_thread(common.write_status, cluster_ref(name), previous, status)
    # ClusterContainsServicesException, once per refused deletion.
    common.post(snapshot, condition_events(previous.get("conditions"), status["conditions"]))
    if refusals := deletion_refusals(found):
        raise kopf.TemporaryError(" ".join(message for _, message in refusals), delay=5)
