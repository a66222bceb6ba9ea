"""Container instances: a `ContainerInstance` view per container-instance node, made on Node events,
refreshed and drained by a timer on the view itself.

The timer sits on the view, not the Node: Kopf puts a finalizer on every object with a timer, and
the operator must not hold up the deletion of Nodes. Every pass reads only Kopf's indexes until it
has something to write, so a steady cluster costs no API calls.
"""

from __future__ import annotations

import asyncio
import logging

import kopf
from kubernetes.client.exceptions import ApiException

from kube_ecs import API_VERSION
from kube_ecs.handlers import common
from kube_ecs.reconcile.container_instances import drain, ensure_view, pod_on_node, slim_node, usage, view_ref
from kube_ecs.reconcile.kube import api_error_message
from kube_ecs.resources.container_instance import container_instance_status, is_container_instance_node

log = logging.getLogger(__name__)

REFRESH_SECONDS = 3.0


@kopf.index("v1", "nodes")
def container_instance_nodes(name: str, body: kopf.Body, **_) -> dict:
    node = dict(body)
    return {name: slim_node(node)} if is_container_instance_node(node) else {}


@kopf.index("v1", "pods")
def pods_by_node(body: kopf.Body, **_) -> dict:
    pod = pod_on_node(dict(body))
    return {body["spec"]["nodeName"]: pod} if pod else {}


@kopf.on.event("v1", "nodes", id="container-instance-view")
async def node_changed(type: str, body: kopf.Body, **_) -> None:
    # A deleted Node's view goes with it (ownerReference); Kopf re-lists nodes on every watch restart,
    # so a view deleted by hand comes back within minutes.
    if type != "DELETED":
        await asyncio.to_thread(ensure_view, common.client(), dict(body))


def _refresh(body: dict, node: dict, pods: list, tasks: dict, memo: kopf.Memo) -> None:
    name = node["metadata"]["name"]
    common.write_status(view_ref(name), body.get("status"), container_instance_status(node, usage(pods)))
    try:
        drained = drain(common.client(), node, pods, tasks=tasks, evicted=memo.get("evicted", set()))
    except ApiException as e:
        # A taint written meanwhile (409) or a refused eviction: the next pass decides again.
        log.warning("ContainerInstance %s: drain pass failed: %s", name, api_error_message(e))
        return
    memo["evicted"] = drained.evicted
    common.post(body, drained.events)


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.timer(API_VERSION, "containerinstances", interval=REFRESH_SECONDS)  # type: ignore[arg-type]
async def container_instance_refresh(name: str, body: kopf.Body, memo: kopf.Memo,
                                     container_instance_nodes: kopf.Index, pods_by_node: kopf.Index,
                                     tasks_by_service: kopf.Index, **_) -> None:
    nodes = list(container_instance_nodes.get(name, []))
    if not nodes:
        return  # no longer a container instance: the Node handler deletes the view
    # Snapshots are taken here, in the event loop that updates the indexes.
    pods = list(pods_by_node.get(name, []))
    tasks = {key: list(tasks_by_service.get(key, [])) for key in {(p.namespace, p.service) for p in pods if p.task}}
    await asyncio.to_thread(_refresh, dict(body), nodes[0], pods, tasks, memo)
