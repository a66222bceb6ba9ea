"""Tasks (RunTask requests): one Kopf daemon per Task, poked by its own spec changes (StopTask), by
its Pods' events and, until it launches, by its family's new revisions, as a Service's daemon is
(docs/design.md). Stopped Tasks keep their daemon: it has nothing to write, and deletes the Task once
its ttlSecondsAfterStopped has passed."""

from __future__ import annotations

import asyncio
import copy

import kopf

from kube_ecs import API_VERSION, metrics
from kube_ecs.handlers import common, wakers
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.conditions import now_iso
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.tasks import reconcile_task, task_ref
from kube_ecs.resources import names
from kube_ecs.resources.task import TASK_LABEL

RESYNC_SECONDS = 60.0
RETRY_SECONDS = 5.0
KIND = "task"


class _State:
    """The status a daemon wrote last (the watch may not have delivered it yet) and the last error said."""

    def __init__(self) -> None:
        self.status: dict | None = None
        self.error: str | None = None
        self.registration = common.RegistrationWait()


@metrics.reconciled("Task")
def _reconcile_once(body: dict, state: _State, *, pods: dict[str, dict], clusters: dict[str, str],
                    revisions: list[rev.Revision], cluster_specs: dict[str, dict], providers: dict[str, dict],
                    levels: dict[str, str]) -> bool:
    """One pass, in a worker thread. False when it failed and should be retried soon."""
    previous = state.status if state.status is not None else body.get("status")
    body = {**body, "status": previous}
    meta_ = body["metadata"]
    try:
        outcome = reconcile_task(common.client(), body, pods=pods, clusters=clusters,
                                 revisions_of=lambda family: revisions, now=now_iso(), cluster_specs=cluster_specs,
                                 providers=providers, levels=levels,
                                 wait_for_registration=state.registration.patient())
        state.registration.waited(False)
        common.write_status(task_ref(meta_["namespace"], meta_["name"]), previous, outcome.status)
    except rev.Registering:
        state.registration.waited(True)
        return True  # not launched: tried again soon, or when the new revision's event pokes the daemon
    except Exception as e:  # noqa: BLE001 - one bad object must never stop the operator
        message = common.failure("Task", body, e)
        if message != state.error:  # said once, not at every retry
            state.error = message
            common.post(body, [Event(message, "ReconcileError", True)])
        return False
    state.status, state.error = outcome.status, None
    common.post(body, outcome.events)
    return True


# The backoff is the time a stopping daemon gets to finish its pass before Kopf cancels it.
# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.daemon(API_VERSION, "tasks", cancellation_backoff=wakers.DEBOUNCE_SECONDS + 5.0,  # type: ignore[arg-type]
             cancellation_timeout=5.0)
async def task_daemon(body: kopf.Body, namespace: str | None, name: str, stopped: kopf.DaemonStopped,
                      pods_by_task: kopf.Index, clusters_by_namespace: kopf.Index, revisions_by_family: kopf.Index,
                      cluster_specs: kopf.Index, capacity_providers: kopf.Index, cluster_pod_security: kopf.Index,
                      **_) -> None:
    assert namespace is not None  # Tasks are namespaced
    state = _State()

    async def one_pass() -> float:
        # Snapshots are taken here, in the event loop that updates the indexes.
        snapshot = copy.deepcopy(dict(body))
        pods = {p["metadata"]["name"]: copy.deepcopy(p)
                for p in pods_by_task.get((namespace, names.label_value(name)), [])}
        ok = await asyncio.to_thread(
            _reconcile_once, snapshot, state, pods=pods, clusters=common.values(clusters_by_namespace),
            revisions=list(revisions_by_family.get(common.family_of(snapshot), [])),
            cluster_specs=copy.deepcopy(common.values(cluster_specs)),
            providers=copy.deepcopy(common.values(capacity_providers)),
            levels=common.values(cluster_pod_security))
        # Not launched yet: its task definition or Cluster may be on the way (applied in the same file).
        launched = bool((state.status or {}).get("tasks"))
        return RESYNC_SECONDS if ok and launched else RETRY_SECONDS

    await wakers.run_daemon(wakers.object_key(KIND, namespace, name), stopped, one_pass)


@kopf.on.event(API_VERSION, "tasks", when=common.spec_ahead_of_status, id="poke-task")
async def task_changed(namespace: str | None, name: str, **_) -> None:
    assert namespace is not None  # Tasks are namespaced
    wakers.poke(wakers.object_key(KIND, namespace, name))


@kopf.on.event("v1", "pods", labels={TASK_LABEL: kopf.PRESENT}, id="poke-task-of-pod")
async def task_pod_changed(namespace: str | None, labels: kopf.Labels, **_) -> None:
    assert namespace is not None  # Pods are namespaced
    wakers.poke(wakers.object_key(KIND, namespace, labels[TASK_LABEL]))


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.on.event(API_VERSION, "taskdefinitionrevisions", id="poke-tasks-of-family")  # type: ignore[arg-type]
async def revision_registered(spec: kopf.Spec, unlaunched_tasks_by_family: kopf.Index, **_) -> None:
    """A Task applied with its TaskDefinition launches as soon as the revision is registered."""
    for namespace, name in unlaunched_tasks_by_family.get(spec.get("family", ""), []):
        wakers.poke(wakers.object_key(KIND, namespace, name))
