"""ScheduledTasks: one Kopf daemon per ScheduledTask fires its runs (docs/tasks.md). It sleeps until the
next fire time (at most a minute), and is poked by its own spec changes and its runs' (Tasks') events,
so the runs in status follow them."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime
from typing import Literal

import kopf

from kube_ecs import API_VERSION, metrics
from kube_ecs.handlers import common, wakers
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.scheduled_tasks import SCHEDULED_TASK_LABEL, reconcile_scheduled_task
from kube_ecs.resources import names

RETRY_SECONDS = 5.0
KIND = "scheduledtask"


def scheduled_task_ref(namespace: str, name: str) -> Ref:
    return Ref(API_VERSION, "ScheduledTask", name, namespace)


@metrics.reconciled("ScheduledTask")
def _reconcile_once(body: dict, state: dict, runs: list[dict]) -> float | Literal[False]:
    """One pass, in a worker thread: how long to wait before the next; False when it failed (retried soon)."""
    previous = state.get("status") if state.get("status") is not None else body.get("status")
    body = {**body, "status": previous}
    meta_ = body["metadata"]
    try:
        outcome, wait = reconcile_scheduled_task(common.client(), body, runs=runs, now=datetime.now(UTC))
        common.write_status(scheduled_task_ref(meta_["namespace"], meta_["name"]), previous, outcome.status)
    except Exception as e:  # noqa: BLE001 - one bad object must never stop the operator
        message = common.failure("ScheduledTask", body, e)
        if message != state.get("error"):  # said once, not at every retry
            state["error"] = message
            common.post(body, [Event(message, "ReconcileError", True)])
        return False
    state.update(status=outcome.status, error=None)
    common.post(body, outcome.events)
    return wait


# Kopf's callback protocols cannot declare index kwargs: hence the ignore below (handlers/__init__.py).
@kopf.daemon(API_VERSION, "scheduledtasks", cancellation_backoff=wakers.DEBOUNCE_SECONDS + 5.0,  # type: ignore[arg-type]
             cancellation_timeout=5.0)
async def scheduled_task_daemon(body: kopf.Body, namespace: str | None, name: str, stopped: kopf.DaemonStopped,
                                runs_by_scheduled_task: kopf.Index, **_) -> None:
    assert namespace is not None  # ScheduledTasks are namespaced
    state: dict = {}
    key = wakers.object_key(KIND, namespace, name)

    async def one_pass() -> float:
        # Snapshots are taken here, in the event loop that updates the index.
        snapshot = copy.deepcopy(dict(body))
        runs = copy.deepcopy(list(runs_by_scheduled_task.get((namespace, names.label_value(name)), [])))
        wait = await asyncio.to_thread(_reconcile_once, snapshot, state, runs)
        return RETRY_SECONDS if wait is False else wait

    await wakers.run_daemon(key, stopped, one_pass)


@kopf.on.event(API_VERSION, "scheduledtasks", when=common.spec_ahead_of_status, id="poke-scheduled-task")
async def scheduled_task_changed(namespace: str | None, name: str, **_) -> None:
    assert namespace is not None  # ScheduledTasks are namespaced
    wakers.poke(wakers.object_key(KIND, namespace, name))


@kopf.on.event(API_VERSION, "tasks", labels={SCHEDULED_TASK_LABEL: kopf.PRESENT}, id="poke-scheduled-task-of-run")
async def run_changed(namespace: str | None, labels: kopf.Labels, **_) -> None:
    assert namespace is not None  # Tasks are namespaced
    wakers.poke(wakers.object_key(KIND, namespace, labels[SCHEDULED_TASK_LABEL]))
