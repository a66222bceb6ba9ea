"""Leader election on a coordination.k8s.io Lease: any number of `kube-ecs run` replicas, one active.

Why a Lease and not Kopf's peering (docs/decisions.md, "Failover"): a standby here runs nothing (no
watches, no webhook server, no caches), so two replicas cost one operator's API load and memory;
Kopf's peering runs every replica in full and pauses the lower-priority ones, and with equal
priorities pauses them all. Only the active replica serves the webhook and publishes its CA bundle,
so two replicas never fight over the ValidatingWebhookConfiguration's caBundle.

The rules, as client-go's leader election has them:
- a replica acquires the Lease when it is free, expired (renewTime + leaseDurationSeconds in the
  past) or already its own (a restarted container of the same pod); every write carries the
  resourceVersion it read, so of two replicas racing for it exactly one wins;
- the holder renews it every RENEW_SECONDS; a holder that finds another holder exits at once
  (the pod restarts and stands by);
- a holder that could not renew for LEASE_SECONDS may have lost it without knowing: until a renewal
  succeeds, `may_write()` is False and the operator's own client refuses to write;
- a holder that stops cleanly releases the Lease (holderIdentity cleared), so a standby takes over
  within one RETRY_SECONDS instead of waiting for the expiry.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes.client.exceptions import ApiException

from kube_ecs.reconcile.kube import Conflict, Kube, Ref

log = logging.getLogger(__name__)

LEASE_SECONDS = 8
RENEW_SECONDS = 2.0
RETRY_SECONDS = 1.0
API_VERSION = "coordination.k8s.io/v1"


def identity() -> str:
    """The pod's name in a pod (HOSTNAME), so a restarted container takes its own Lease back at once."""
    return os.environ.get("POD_NAME") or f"{socket.gethostname()}-{os.getpid()}"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _format(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def free_for(lease: dict | None, me: str, now: datetime.datetime) -> bool:
    """Whether `me` may take this Lease now."""
    if lease is None:
        return True
    spec = lease.get("spec") or {}
    holder = spec.get("holderIdentity") or ""
    if holder in ("", me):
        return True
    renewed = _parse(spec.get("renewTime")) or _parse(spec.get("acquireTime"))
    if renewed is None:
        return True
    duration = spec.get("leaseDurationSeconds") or LEASE_SECONDS
    return renewed + datetime.timedelta(seconds=duration) < now


class Elector:
    """Blocking `acquire()`, then a renewal thread; `release()` on a clean stop. `client` must not be
    the operator's own (whose writes this elector guards): a Kube of its own, or a test's fake."""

    def __init__(self, client: Kube | Any, namespace: str, name: str, me: str | None = None,
                 on_lost: Callable[[], None] | None = None):
        self.client, self.namespace, self.name = client, namespace, name
        self.me = me or identity()
        self.on_lost = on_lost or (lambda: os._exit(1))
        self._renewed = 0.0  # monotonic time of the last confirmed hold
        self.attempted = time.monotonic()  # of the last acquire attempt, for the standby's liveness
        self.active_since: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ref(self) -> Ref:
        return Ref(API_VERSION, "Lease", self.name, self.namespace)

    def may_write(self) -> bool:
        return time.monotonic() - self._renewed < LEASE_SECONDS

    def _body(self, now: datetime.datetime, acquire: bool, transitions: int) -> dict:
        spec: dict[str, Any] = {"holderIdentity": self.me, "leaseDurationSeconds": LEASE_SECONDS,
                                "renewTime": _format(now)}
        if acquire:
            spec.update(acquireTime=_format(now), leaseTransitions=transitions)
        return spec

    def try_acquire(self) -> bool:
        """One attempt: True when the Lease is now ours."""
        now = _now()
        lease = self.client.get(self.ref)
        if not free_for(lease, self.me, now):
            return False
        try:
            if lease is None:
                self.client.create({"apiVersion": API_VERSION, "kind": "Lease",
                                    "metadata": {"name": self.name, "namespace": self.namespace},
                                    "spec": self._body(now, True, 0)})
            else:
                spec = lease.get("spec") or {}
                ours = spec.get("holderIdentity") == self.me
                transitions = (spec.get("leaseTransitions") or 0) + (0 if ours else 1)
                # The resourceVersion makes the patch conditional: a racing replica's write fails with 409.
                self.client.patch(self.ref, {"metadata": {"resourceVersion": lease["metadata"]["resourceVersion"]},
                                             "spec": self._body(now, not ours, transitions)})
        except Conflict:
            return False
        except ApiException as e:
            if e.status == 409:
                return False
            raise
        self._renewed = time.monotonic()
        return True

    def acquire(self) -> None:
        """Block until the Lease is ours, then keep renewing it in a thread."""
        waiting_logged = False
        while True:
            self.attempted = time.monotonic()
            try:
                if self.try_acquire():
                    break
            except Exception as e:  # noqa: BLE001 - the API server may be away: keep trying
                log.warning("Lease %s/%s: cannot acquire yet: %s", self.namespace, self.name, e)
            if not waiting_logged:
                log.info("Lease %s/%s is held by another replica: standing by", self.namespace, self.name)
                waiting_logged = True
            time.sleep(RETRY_SECONDS)
        log.info("Lease %s/%s acquired by %s: active", self.namespace, self.name, self.me)
        self.active_since = time.monotonic()
        self._thread = threading.Thread(target=self._renew_loop, name="lease-renewal", daemon=True)
        self._thread.start()

    def _renew_loop(self) -> None:
        # After a failed renewal, sooner: once the API server is back, writes wait on the next success.
        wait = RENEW_SECONDS
        while not self._stop.wait(wait):
            wait = RETRY_SECONDS
            try:
                lease = self.client.get(self.ref)
                holder = ((lease or {}).get("spec") or {}).get("holderIdentity")
                if lease is not None and holder not in (self.me, "", None):
                    log.error("Lease %s/%s is now held by %s: stopping", self.namespace, self.name, holder)
                    self.on_lost()
                    return
                if not self.try_acquire():
                    log.error("Lease %s/%s lost: stopping", self.namespace, self.name)
                    self.on_lost()
                    return
                wait = RENEW_SECONDS
            except Exception as e:  # noqa: BLE001 - a failed renewal is retried; may_write() guards meanwhile
                log.warning("Lease %s/%s: renewal failed: %s", self.namespace, self.name, e)

    def release(self) -> None:
        """Clear holderIdentity so a standby takes over at once."""
        self._stop.set()
        if not self.may_write():
            return
        try:
            lease = self.client.get(self.ref)
            if lease and (lease.get("spec") or {}).get("holderIdentity") == self.me:
                self.client.patch(self.ref, {"metadata": {"resourceVersion": lease["metadata"]["resourceVersion"]},
                                             "spec": {"holderIdentity": None}})
                log.info("Lease %s/%s released", self.namespace, self.name)
        except Exception as e:  # noqa: BLE001 - the Lease expires on its own
            log.warning("Lease %s/%s: cannot release: %s", self.namespace, self.name, e)
        self._renewed = 0.0


# The process's elector, when `kube-ecs run` elects one: the operator's client asks it before writing.
_elector: Elector | None = None


def install(elector: Elector | None) -> None:
    global _elector
    _elector = elector


def may_write() -> bool:
    return _elector is None or _elector.may_write()


class Liveness:
    """`GET /livez` on its own port, for the pod's livenessProbe, in both roles: a standby has no Kopf
    and so no Kopf health endpoint, and must not pass the readinessProbe (Kopf's `/healthz`): the
    webhook Service must send reviews to the active replica only. A standby is alive while its
    acquire loop runs; the active replica is alive while Kopf's own endpoint (`upstream`) answers,
    after a grace for Kopf's start-up."""

    GRACE_SECONDS = 60.0

    def __init__(self, listen: str, upstream: str, elector: Elector | None):
        self.upstream, self.elector = upstream, elector
        host, _, port = listen.rpartition(":")
        self.address = (host or "0.0.0.0", int(port))
        self.started = time.monotonic()

    def alive(self) -> bool:
        import urllib.request

        active_since = self.started if self.elector is None else self.elector.active_since
        if active_since is None:  # standing by
            assert self.elector is not None
            return time.monotonic() - self.elector.attempted < 30.0
        if time.monotonic() - active_since < self.GRACE_SECONDS or not self.upstream:
            return True
        try:
            with urllib.request.urlopen(self.upstream, timeout=3) as response:
                return response.status == 200
        except OSError:
            return False

    def serve(self) -> None:
        import http.server

        liveness = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                ok = self.path == "/livez" and liveness.alive()
                self.send_response(200 if ok else 503)
                self.end_headers()
                self.wfile.write(b"ok\n" if ok else b"not alive\n")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - probes every few seconds
                pass

        server = http.server.ThreadingHTTPServer(self.address, Handler)
        threading.Thread(target=server.serve_forever, name="livez", daemon=True).start()
