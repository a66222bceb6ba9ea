"""`kube-ecs run`: the operator. Kopf with kube-ecs's handlers and settings."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from kube_ecs import GROUP

if TYPE_CHECKING:
    import kopf

# Watches are re-opened by us before the server or a middlebox drops them silently (a stalled stream
# is a Kopf user's most reported failure); the client timeout catches a stream that stops mid-way.
WATCH_SERVER_TIMEOUT = 270
WATCH_CLIENT_TIMEOUT = 300


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

    settings.persistence.finalizer = f"{GROUP}/finalizer"
    # Annotations, not status: our status is the ECS status, and Kopf's progress does not belong in it.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration")
    settings.watching.server_timeout = WATCH_SERVER_TIMEOUT
    settings.watching.client_timeout = WATCH_CLIENT_TIMEOUT
    settings.watching.connect_timeout = 10
    # Users get the Events we post on purpose; Kopf's own INFO logs ("Handler succeeded") would drown them.
    settings.posting.level = logging.WARNING
    # One replica, no peering objects: nothing to stall during a rolling update of the operator.
    settings.peering.standalone = True
    # CRDs are installed before the operator; not scanning for new ones spares list/watch on all CRDs.
    settings.scanning.disabled = True


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

        metrics.watch_daemons(lambda: wakers._wakers)
        metrics.serve(args.metrics)
    kopf.configure(verbose=args.verbose)
    # Probes hit the liveness endpoint every few seconds; their access lines would drown the log.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("kopf.objects").addFilter(_not_plumbing_success)
    kopf.on.startup()(configure)
    kopf.run(clusterwide=True, standalone=True, liveness_endpoint=args.liveness or None)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the operator against the current kube context")
    parser.add_argument("--liveness", default="http://0.0.0.0:8080/healthz",
                        help="health endpoint for the pod's probes, '' for none (default: %(default)s)")
    parser.add_argument("--webhook", default="",
                        help="directory for the admission webhook's certificate files (in the pod: an emptyDir); "
                             "'' (the default) runs no webhook")
    parser.add_argument("--metrics", default="",
                        help="host:port to serve Prometheus metrics on, e.g. 0.0.0.0:9090; '' (the default): none")
    parser.add_argument("--verbose", action="store_true", help="log every event Kopf handles")
    parser.set_defaults(func=run)
