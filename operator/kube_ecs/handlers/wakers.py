"""The Service daemons' wakers: each Service daemon registers an asyncio.Event under its key and
waits on it; the watches (in any handler module) poke it when something the Service depends on
changes. Touched only from the event loop."""

from __future__ import annotations

import asyncio

import kopf

from kube_ecs.resources import names

# Index keys of a Service's objects: (namespace, value of its service label).
ServiceKey = tuple[str, str]

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
