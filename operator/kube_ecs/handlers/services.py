"""ECS Services: one Kopf daemon per Service reconciles it whenever something it depends on changes.

A daemon (rather than create/update handlers) because a Service depends on more than its own spec:
its children (a hand-deleted Deployment is recreated), its pods (status counts) and its task
definition's revisions (a follow-latest Service rolls to a new revision). Watches on those poke the
Service's daemon; the daemon reconciles, level-triggered, at once on a poke but never twice within
the debounce interval, and resyncs on its own now and then. One daemon per Service also means one
reconcile at a time per Service, without locks.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Mapping
from typing import Any

import kopf
from kubernetes.client.exceptions import ApiException

from kube_ecs import API_VERSION, metrics
from kube_ecs.handlers import common, wakers
from kube_ecs.handlers.common import MANAGED
from kube_ecs.handlers.wakers import DEBOUNCE_SECONDS, poke, service_key
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.circuit_breaker import FORCE_ANNOTATION
from kube_ecs.reconcile.conditions import now_iso
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.service_status import Task, failed
from kube_ecs.reconcile.services import reconcile_service, service_ref
from kube_ecs.resources import meta

log = logging.getLogger(__name__)

RESYNC_SECONDS = 60.0
RETRY_SECONDS = 5.0

class _State:
    """What a daemon remembers between passes: the tasks it has seen (for "has started N tasks") and
    the status it wrote last (the watch may not have delivered it yet)."""

    def __init__(self) -> None:
        self.known_tasks: set[str] | None = None
        self.status: dict | None = None
        self.pruned: object = None
        self.wake_in: float | None = None
        self.registration = common.RegistrationWait()


@metrics.reconciled("Service")
def _reconcile_once(body: dict, state: _State, *, clusters: dict[str, str], revisions: list[rev.Revision],
                    replica_sets: list[dict], tasks: list[Task], cluster_specs: dict[str, dict],
                    providers: dict[str, dict], levels: dict[str, str],
                    autoscaled: frozenset[str] = frozenset()) -> bool:
    """One pass, in a worker thread. False when it failed and should be retried soon."""
    previous = state.status if state.status is not None else body.get("status")
    body = {**body, "status": previous}
    meta_ = body["metadata"]
    try:
        outcome = reconcile_service(
            common.client(), body, clusters=clusters, revisions_of=lambda family: revisions,
            replica_sets=replica_sets, tasks=tasks, known_tasks=state.known_tasks, now=now_iso(),
            pruned=state.pruned, cluster_specs=cluster_specs, providers=providers, levels=levels,
            autoscaled=autoscaled, wait_for_registration=state.registration.patient())
        state.registration.waited(False)
        common.write_status(service_ref(meta_["namespace"], meta_["name"]), previous, outcome.status)
    except rev.Registering:
        state.registration.waited(True)
        state.wake_in = RETRY_SECONDS  # or sooner: the new revision's event pokes the daemon
        return True
    except Exception as e:  # noqa: BLE001 - one bad object must never stop the operator
        message = common.failure("Service", body, e)
        status = failed(previous, generation=meta_.get("generation", 0), reason="ReconcileError", message=message,
                        now=now_iso())
        try:
            if common.write_status(service_ref(meta_["namespace"], meta_["name"]), previous, status):
                state.status = status
                common.post(body, [Event(message, "ReconcileError", True)])
        except ApiException:
            log.exception("Service %s/%s: cannot write status", meta_["namespace"], meta_["name"])
        return False
    state.known_tasks, state.status, state.pruned = outcome.known_tasks, outcome.status, outcome.prune_key
    state.wake_in = outcome.wake_in
    common.post(body, outcome.events)
    return True


# The backoff is the time a stopping daemon gets to finish its pass before Kopf cancels it.
# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.daemon(API_VERSION, "services", cancellation_backoff=DEBOUNCE_SECONDS + 5.0, cancellation_timeout=5.0)  # type: ignore[arg-type]
async def service_daemon(body: kopf.Body, namespace: str | None, name: str, stopped: kopf.DaemonStopped,
                         clusters_by_namespace: kopf.Index, revisions_by_family: kopf.Index,
                         replicasets_by_service: kopf.Index, tasks_by_service: kopf.Index,
                         cluster_specs: kopf.Index, capacity_providers: kopf.Index,
                         cluster_pod_security: kopf.Index, hpas_by_service: kopf.Index, **_) -> None:
    assert namespace is not None  # Services are namespaced
    key = service_key(namespace, name)
    state = _State()

    async def one_pass() -> float:
        # Snapshots are taken here, in the event loop that updates the indexes.
        snapshot = copy.deepcopy(dict(body))
        family = common.family_of(snapshot)
        ok = await asyncio.to_thread(
            _reconcile_once, snapshot, state,
            clusters=common.values(clusters_by_namespace),
            revisions=list(revisions_by_family.get(family, [])),
            replica_sets=list(replicasets_by_service.get(key, [])),
            tasks=list(tasks_by_service.get(key, [])),
            cluster_specs=copy.deepcopy(common.values(cluster_specs)),
            providers=copy.deepcopy(common.values(capacity_providers)),
            levels=common.values(cluster_pod_security),
            autoscaled=frozenset(hpas_by_service.get(key, [])),
        )
        if not ok:
            return RETRY_SECONDS
        # A bake time that ends sooner than the resync wakes the daemon then (0: at once).
        return RESYNC_SECONDS if state.wake_in is None else min(RESYNC_SECONDS, state.wake_in)

    await wakers.run_daemon(key, stopped, one_pass)


def _spec_changed(body: Mapping[str, Any], **_) -> bool:
    """A spec change, or a new forceNewDeployment token (an annotation: no new generation)."""
    status = body.get("status") or {}
    force = ((status.get("rollout") or {}).get("current") or {}).get("force", "")
    return body["metadata"].get("generation") != status.get("observedGeneration") or \
        (body["metadata"].get("annotations") or {}).get(FORCE_ANNOTATION, "") != force


@kopf.on.event(API_VERSION, "services", when=_spec_changed, id="poke-service")
async def service_changed(namespace: str | None, name: str, **_) -> None:
    assert namespace is not None  # Services are namespaced
    poke(service_key(namespace, name))


async def _poke_owner(namespace: str | None, labels: kopf.Labels, **_) -> None:
    assert namespace is not None  # every watched kind is namespaced
    poke((namespace, labels.get(meta.SERVICE_LABEL, "")))


# Children and pods: a change (a hand edit, a deletion, a pod becoming ready) re-reconciles the owner.
for _resource in (("apps/v1", "deployments"), ("apps/v1", "daemonsets"), ("apps/v1", "replicasets"),
                  ("v1", "pods"), ("v1", "services"), ("networking.k8s.io/v1", "ingresses"),
                  ("autoscaling/v2", "horizontalpodautoscalers")):
    kopf.on.event(*_resource, labels=MANAGED, id=f"poke-owner-{_resource[1]}")(_poke_owner)


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.on.event(API_VERSION, "taskdefinitionrevisions", id="poke-family")  # type: ignore[arg-type]
async def revision_changed(spec: kopf.Spec, services_by_family: kopf.Index, **_) -> None:
    """A new or deregistered revision: Services of that family re-resolve their reference."""
    for namespace, name in services_by_family.get(spec.get("family", ""), []):
        poke(service_key(namespace, name))
