"""The daemons' wakers and loop: each daemon (one per Service, Task or ScheduledTask) registers an
asyncio.Event under its key and waits on it; the watches (in any handler module) poke it when something
the object depends on changes. Touched only from the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import kopf

from kube_ecs.resources import names

# Index keys of a Service's objects: (namespace, value of its service label). Tasks and ScheduledTasks
# use (namespace, "<kind>/<name>"): a "/" is in no label value, so no key is a Service's too.
ServiceKey = tuple[str, str]
DEBOUNCE_SECONDS = 0.1

_wakers: dict[ServiceKey, asyncio.Event] = {}


def service_key(namespace: str, name: str) -> ServiceKey:
    return namespace, names.label_value(name)


def register(key: ServiceKey) -> asyncio.Event:
    """A new waker for the daemon of `key` (replacing a stopping daemon's)."""
    waker = _wakers[key] = asyncio.Event()
    return waker


def unregister(key: ServiceKey, waker: asyncio.Event) -> None:
    """Forget `waker`, unless a newer daemon of the same Service has registered its own."""
    if _wakers.get(key) is waker:
        del _wakers[key]


def poke(key: ServiceKey) -> None:
    waker = _wakers.get(key)
    if waker is not None:
        waker.set()


def poke_namespace(namespace: str, services_by_namespace: kopf.Index) -> None:
    """Wake every Service of a namespace (its Cluster appeared or changed)."""
    for name in services_by_namespace.get(namespace, []):
        poke(service_key(namespace, name))


def poke_all(services_by_namespace: kopf.Index) -> None:
    """Wake every Service (a CapacityProvider they may run on appeared or changed)."""
    for namespace in list(services_by_namespace):
        poke_namespace(namespace, services_by_namespace)


def service_wakers() -> dict[ServiceKey, asyncio.Event]:
    """The Service daemons' wakers (the metrics' gauges count those), not the Tasks' or ScheduledTasks'."""
    return {key: waker for key, waker in _wakers.items() if "/" not in key[1]}


def object_key(kind: str, namespace: str, name: str) -> ServiceKey:
    """The waker key of a Task's or ScheduledTask's daemon."""
    return namespace, f"{kind}/{names.label_value(name)}"


async def poked_or_stopped(waker: asyncio.Event, stopped: kopf.DaemonStopped, timeout: float) -> None:
    """Returning on `stopped` lets a deleted object's daemon end on its own, between passes, instead of
    being cancelled (which Kopf logs as a warning) mid-reconcile."""
    waits = [asyncio.ensure_future(waker.wait()), asyncio.ensure_future(stopped.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def debounce(passed: float, now: float) -> float:
    """How long to wait before the next pass: passes are at least DEBOUNCE_SECONDS apart, so a burst
    of pokes (a rollout's pod events) makes one pass, but a poke after a quiet spell (a pod becoming
    ready, a spec change) is acted on at once rather than DEBOUNCE_SECONDS late."""
    return max(0.0, passed + DEBOUNCE_SECONDS - now)


async def run_daemon(key: ServiceKey, stopped: kopf.DaemonStopped, one_pass: Callable[[], Awaitable[float]]) -> None:
    """A daemon's loop: a pass (`one_pass` returns how long it may wait for a poke before the next),
    then wait until poked, stopped or that timeout, debounced."""
    waker = register(key)
    loop = asyncio.get_running_loop()
    try:
        while not stopped:
            waker.clear()
            timeout = await one_pass()
            passed = loop.time()
            await poked_or_stopped(waker, stopped, timeout)
            await asyncio.sleep(debounce(passed, loop.time()))
    finally:
        unregister(key, waker)
