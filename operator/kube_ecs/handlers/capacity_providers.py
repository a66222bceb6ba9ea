"""CapacityProviders: their status (the nodes of their pool), and the Services that may run on them
re-read their nodeSelector when one changes (docs/capacity.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping

import kopf

from kube_ecs import API_VERSION
from kube_ecs.handlers import common
from kube_ecs.handlers.wakers import poke_all
from kube_ecs.reconcile.capacity_providers import capacity_provider_status
from kube_ecs.reconcile.conditions import condition_events, now_iso
from kube_ecs.reconcile.kube import Ref

NODES_INTERVAL = 10.0


async def _write(snapshot: dict, node_labels: Mapping[str, Collection[dict]]) -> None:
    status = capacity_provider_status(body=snapshot, nodes=common.values(node_labels), now=now_iso())
    ref = Ref(API_VERSION, "CapacityProvider", snapshot["metadata"]["name"])
    if await asyncio.to_thread(common.write_status, ref, snapshot.get("status"), status):
        common.post(snapshot, condition_events((snapshot.get("status") or {}).get("conditions"),
                                               status["conditions"]))


@kopf.on.resume(API_VERSION, "capacityproviders")
@kopf.on.create(API_VERSION, "capacityproviders")
# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.on.update(API_VERSION, "capacityproviders", field="spec")  # type: ignore[arg-type]
async def capacity_provider_reconcile(body: kopf.Body, node_labels: kopf.Index, services_by_namespace: kopf.Index,
                                      **_) -> None:
    await _write(dict(body), node_labels)
    poke_all(services_by_namespace)


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.on.delete(API_VERSION, "capacityproviders", optional=True)  # type: ignore[arg-type]
async def capacity_provider_deleted(services_by_namespace: kopf.Index, **_) -> None:
    """Services on a deleted provider report it missing (no finalizer: ECS's DeleteCapacityProvider
    refusal while in use is not modelled)."""
    poke_all(services_by_namespace)


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.timer(API_VERSION, "capacityproviders", interval=NODES_INTERVAL, initial_delay=NODES_INTERVAL)  # type: ignore[arg-type]
async def capacity_provider_nodes(body: kopf.Body, node_labels: kopf.Index, **_) -> None:
    """The pool's node count follows the nodes; written only when it changes."""
    await _write(dict(body), node_labels)
