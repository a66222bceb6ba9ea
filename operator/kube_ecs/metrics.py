"""Prometheus metrics (`kube-ecs run --metrics`): reconciles, errors and durations per kind, admission
reviews, and the Service daemons' queue. Names and labels are listed in docs/metrics.md.

Instrumentation is a decorator on the handlers' entry points, so reconcile/ knows nothing of it.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import prometheus_client
from prometheus_client import Counter, Gauge, Histogram

RECONCILES = Counter("kube_ecs_reconciles_total", "Reconcile passes, by kind.", ["kind"])
ERRORS = Counter("kube_ecs_reconcile_errors_total", "Reconcile passes that failed (to be retried), by kind.",
                 ["kind"])
DURATION = Histogram("kube_ecs_reconcile_duration_seconds", "Time of one reconcile pass, by kind.", ["kind"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ADMISSIONS = Counter("kube_ecs_admission_reviews_total", "Admission reviews answered, by kind and verdict.",
                     ["kind", "allowed"])
ADMISSION_DURATION = Histogram("kube_ecs_admission_duration_seconds", "Time to answer one admission review.",
                               ["kind"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
DAEMONS = Gauge("kube_ecs_service_daemons", "Service daemons running (one per ECS Service).")
# Decorators return the function's own type, so Kopf's callback protocols still check the handlers.
F = TypeVar("F", bound=Callable[..., Any])
POKED = Gauge("kube_ecs_service_daemons_poked", "Service daemons poked and waiting for their next pass.")


def reconciled(kind: str) -> Callable[[F], F]:
    """Count and time each call of a reconcile entry point (sync or async). A call that raises, or that
    returns False (a pass that reports its own failure), counts as an error."""
    def decorate(fn: F) -> F:
        def record(start: float, failed: bool) -> None:
            RECONCILES.labels(kind).inc()
            DURATION.labels(kind).observe(time.perf_counter() - start)
            if failed:
                ERRORS.labels(kind).inc()

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                start, failed = time.perf_counter(), True
                try:
                    result = await fn(*args, **kwargs)
                    failed = result is False
                    return result
                finally:
                    record(start, failed)
            return cast(F, async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start, failed = time.perf_counter(), True
            try:
                result = fn(*args, **kwargs)
                failed = result is False
                return result
            finally:
                record(start, failed)
        return cast(F, wrapper)
    return decorate


def admission(kind: str) -> Callable[[F], F]:
    """Count and time an admission handler; whatever it raises (a `kopf.AdmissionError`) is a refusal."""
    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start, allowed = time.perf_counter(), "false"
            try:
                result = fn(*args, **kwargs)
                allowed = "true"
                return result
            finally:
                ADMISSIONS.labels(kind, allowed).inc()
                ADMISSION_DURATION.labels(kind).observe(time.perf_counter() - start)
        return cast(F, wrapper)
    return decorate


def watch_daemons(wakers: Callable[[], Mapping[Any, Any]]) -> None:
    """Queue depth, read at scrape time from the daemons' wakers (an asyncio.Event each, set = poked).
    tuple() copies the values in one C call, safe against the event loop changing the dict."""
    DAEMONS.set_function(lambda: len(wakers()))
    POKED.set_function(lambda: sum(waker.is_set() for waker in tuple(wakers().values())))


def serve(address: str) -> None:
    """`host:port`; the server runs in a daemon thread of its own."""
    host, _, port = address.rpartition(":")
    prometheus_client.start_http_server(int(port), addr=host or "0.0.0.0")
