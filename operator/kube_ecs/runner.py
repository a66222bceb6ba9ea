"""`kube-ecs run`: the operator. Kopf with kube-ecs's handlers and settings."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kube_ecs import GROUP

if TYPE_CHECKING:
    import kopf

    from kube_ecs import lease

# Watches are re-opened by us before the server or a middlebox drops them silently (a stalled stream
# is a Kopf user's most reported failure); the client timeout catches a stream that stops mid-way.
WATCH_SERVER_TIMEOUT = 270
WATCH_CLIENT_TIMEOUT = 300
# A connect to a live API server takes milliseconds; one that takes longer is to a dead one.
CONNECT_TIMEOUT = 5
# Kopf's own short requests (patches of annotations and finalizers, lists, Events).
REQUEST_TIMEOUT = 30
# The longest pause between two attempts of a failed API request (Kopf's and its watch streams').
RETRY_CAP = 2.0


class Backoffs:
    """Kopf's `networking.error_backoffs`: 0.5, 1, 2, 2, 2, … without end, a fresh iterator per request.

    Kopf's default (1, 1, 2, 3, 5, 8, 13, 21) has two flaws for an API server outage: once the server
    is back, a stream may still sleep 13 or 21 s before its next attempt; and after the ninth attempt
    the error escalates, and a watch stream whose request escalates with a 5xx or a 403 (what a
    restarting API server answers before its caches are warm) ends for good: Kopf does not restart
    it, so the operator never again hears of that kind. Without end, no stream is abandoned however
    long the outage, and each attempt is at most RETRY_CAP after the server returns. Kopf retries only
    what may pass later (connection errors, timeouts, 5xx, 403, 429); other errors still fail at once."""

    def __iter__(self) -> Iterator[float]:
        delay = 0.5
        while True:
            yield delay
            delay = min(delay * 2, RETRY_CAP)


def _not_plumbing_success(record: logging.LogRecord) -> bool:
    """Handlers that only wake a Service's daemon (ids `poke-*`, on every pod and child event), the
    Node handler keeping container-instance views (every node on every re-list) and the timers (every
    few seconds) succeed all the time; a line each would bury the log. Their failures, and everything
    the daemons do, still log."""
    message = record.getMessage()
    return not (message.startswith(("Handler 'poke-", "Handler 'container-instance-view'", "Timer "))
                and message.endswith(" succeeded."))


def configure(settings: kopf.OperatorSettings, **_) -> None:
    import kopf

    from kube_ecs.reconcile.kube import CONCURRENT_CALLS

    settings.persistence.finalizer = f"{GROUP}/finalizer"
    # Annotations, not status: our status is the ECS status, and Kopf's progress does not belong in it.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration")
    settings.watching.server_timeout = WATCH_SERVER_TIMEOUT
    settings.watching.client_timeout = WATCH_CLIENT_TIMEOUT
    settings.watching.connect_timeout = CONNECT_TIMEOUT
    settings.networking.connect_timeout = CONNECT_TIMEOUT
    settings.networking.request_timeout = REQUEST_TIMEOUT
    settings.networking.error_backoffs = Backoffs()
    # Users get the Events we post on purpose; Kopf's own INFO logs ("Handler succeeded") would drown them.
    settings.posting.level = logging.WARNING
    # One replica, no peering objects: nothing to stall during a rolling update of the operator.
    settings.peering.standalone = True
    # CRDs are installed before the operator; not scanning for new ones spares list/watch on all CRDs.
    settings.scanning.disabled = True
    settings.execution.max_workers = CONCURRENT_CALLS


async def _configure_threads(**_) -> None:
    """The pool behind asyncio.to_thread (every daemon's and handler's reconcile) and Kopf's own for
    sync handlers: CONCURRENT_CALLS threads each (reconcile/kube.py says why)."""
    import concurrent.futures

    from kube_ecs.reconcile.kube import CONCURRENT_CALLS

    asyncio.get_running_loop().set_default_executor(
        concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENT_CALLS, thread_name_prefix="reconcile"))


def _enable_webhook(directory: Path) -> None:
    """Admission handlers only with a server: Kopf refuses to start with handlers and no server."""
    import kopf

    import kube_ecs.handlers.admission  # noqa: F401
    from kube_ecs import webhook
    from kube_ecs.handlers import common

    server = webhook.Server(directory=directory, client=common.client)

    @kopf.on.startup(id="webhook-server")
    def configure_webhook(settings: kopf.OperatorSettings, **_) -> None:
        settings.admission.server = server


def run(args: argparse.Namespace) -> int:
    # Imported here, not at module level: `kube-ecs` imports every command module to register it, and
    # Kopf with the Kubernetes client takes longer to import than a whole `kube-ecs validate`.
    import kopf

    import kube_ecs.handlers  # noqa: F401

    if args.webhook:
        _enable_webhook(Path(args.webhook))
    if args.metrics:
        from kube_ecs import metrics
        from kube_ecs.handlers import wakers

        metrics.watch_daemons(wakers.service_wakers)
        metrics.serve(args.metrics)
    kopf.configure(verbose=args.verbose)
    # Probes hit the liveness endpoint every few seconds; their access lines would drown the log.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("kopf.objects").addFilter(_not_plumbing_success)
    kopf.on.startup()(configure)
    kopf.on.startup()(_configure_threads)
    elector = _elect(args)
    try:
        kopf.run(clusterwide=True, standalone=True, liveness_endpoint=args.liveness or None)
    finally:
        if elector is not None:
            elector.release()
    return 0


def _elect(args: argparse.Namespace) -> lease.Elector | None:
    """With `--lease`, block until this replica holds the Lease (a standby waits here, running
    nothing but `--livez`); without, run at once (one replica, or tests)."""
    from kube_ecs import lease

    elector = None
    if args.lease:
        import kubernetes

        from kube_ecs.reconcile.kube import Kube

        kubernetes.config.load_config()
        namespace = args.lease_namespace or os.environ.get("POD_NAMESPACE") or "kube-ecs-system"
        # A client of its own: the operator's client refuses writes while the Lease is unconfirmed.
        elector = lease.Elector(Kube(), namespace, args.lease)
        lease.install(elector)
    if args.livez:
        lease.Liveness(args.livez, args.liveness, elector).serve()
    if elector is not None:
        elector.acquire()
    return elector


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the operator against the current kube context")
    parser.add_argument("--liveness", default="http://0.0.0.0:8080/healthz",
                        help="health endpoint for the pod's probes, '' for none (default: %(default)s)")
    parser.add_argument("--webhook", default="",
                        help="directory for the admission webhook's certificate files (in the pod: an emptyDir); "
                             "'' (the default) runs no webhook")
    parser.add_argument("--metrics", default="",
                        help="host:port to serve Prometheus metrics on, e.g. 0.0.0.0:9090; '' (the default): none")
    parser.add_argument("--lease", default="",
                        help="name of a coordination.k8s.io Lease to elect the active replica by: replicas "
                             "without it stand by (docs/decisions.md, Failover); '' (the default): no election")
    parser.add_argument("--lease-namespace", default="",
                        help="namespace of the Lease (default: $POD_NAMESPACE, else kube-ecs-system)")
    parser.add_argument("--livez", default="",
                        help="host:port to serve /livez on, for a livenessProbe that a standby passes too; "
                             "'' (the default): none")
    parser.add_argument("--verbose", action="store_true", help="log every event Kopf handles")
    parser.set_defaults(func=run)
