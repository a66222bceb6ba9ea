"""The admission webhook's server: Kopf's WebhookServer on the certificate certs.py issues, behind the
Service `kube-ecs-webhook` that manifests/operator/webhook.yaml ships with the
ValidatingWebhookConfiguration `kube-ecs` (docs/decisions.md says why not Kopf's managed mode).

The operator issues a new CA and serving certificate at start-up and again before they expire, and
patches the configuration's caBundle with the new CA and the one before it: the API server keeps
trusting the certificate still being served until Kopf's server reloads the files. The caBundle is
checked every CHECK_SECONDS and put back when it differs (a `kubectl apply` of webhook.yaml removes
it): level-triggered, and a check that finds it right writes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import kopf
from kubernetes.client.exceptions import ApiException

from kube_ecs import certs
from kube_ecs.reconcile.kube import Client, NotFound, Ref, api_error_message

log = logging.getLogger(__name__)

CONFIGURATION = Ref("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "kube-ecs")
SERVICE, NAMESPACE = "kube-ecs-webhook", "kube-ecs-system"
PORT = 9443
VALID_FOR = datetime.timedelta(days=30)
# Renewed with a third of the validity left, so a failing patch has days of retries before expiry.
RENEW_AFTER = VALID_FOR * 2 / 3
# Until the first patch lands, the API server cannot call the webhook (failurePolicy Ignore admits all).
RETRY_SECONDS = 3.0
# How often the published caBundle is compared with the one the operator serves.
CHECK_SECONDS = 10.0
# How often Kopf's server re-reads the files: the window in which the old CA must still be trusted.
FILE_CHECK_SECONDS = 10.0


def ca_bundle_patch(configuration: dict, bundle: bytes) -> list[dict]:
    """A JSON patch setting every webhook's caBundle; each `test` makes it fail rather than patch a
    list that changed between the read and the write."""
    value = base64.b64encode(bundle).decode()
    patch = []
    for i, webhook in enumerate(configuration.get("webhooks") or []):
        patch.append({"op": "test", "path": f"/webhooks/{i}/name", "value": webhook["name"]})
        patch.append({"op": "add", "path": f"/webhooks/{i}/clientConfig/caBundle", "value": value})
    return patch


def published(configuration: dict, bundle: bytes) -> bool:
    """Does every webhook of the configuration already trust exactly `bundle`?"""
    value = base64.b64encode(bundle).decode()
    configs = [w.get("clientConfig") or {} for w in configuration.get("webhooks") or []]
    return all(c.get("caBundle") == value for c in configs)


def publish_ca(client: Client, bundle: bytes) -> bool:
    """Patch the configuration's caBundle unless it is `bundle` already; False (logged) when it cannot
    be done now."""
    try:
        live = client.get(CONFIGURATION)
        if live is None:
            log.warning("%s not found: the API server cannot call the webhook (apply manifests/operator/webhook.yaml)",
                        CONFIGURATION)
            return False
        if published(live, bundle):
            return True
        client.patch(CONFIGURATION, ca_bundle_patch(live, bundle), json_patch=True)
        log.info("caBundle of %s set", CONFIGURATION)
    except (ApiException, NotFound) as e:
        log.warning("cannot set the caBundle of %s: %s", CONFIGURATION, api_error_message(e))
        return False
    except Exception as e:  # noqa: BLE001 - an API server away at start-up raises urllib3's errors:
        # were they to end keep_trusted, no caBundle would ever be set and every apply be admitted.
        log.warning("cannot set the caBundle of %s: %r", CONFIGURATION, e)
        return False
    return True


def _write(path: Path, data: bytes) -> None:
    """Atomically, so the server never loads a certificate with the other one's key."""
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Server(kopf.WebhookServer):
    """Kopf's WebhookServer, with the certificate files issued and renewed by the operator itself."""

    def __init__(self, *, directory: Path, client: Callable[[], Client], port: int = PORT,
                 now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)) -> None:
        super().__init__(addr="0.0.0.0", port=port, certfile=directory / "tls.crt", pkeyfile=directory / "tls.key",
                         file_check_interval=FILE_CHECK_SECONDS)
        self.directory = directory
        self._client, self._now = client, now
        self.current: certs.Issued | None = None
        self.pending: certs.Issued | None = None
        # The one `current` replaced: trusted until the next renewal, as Kopf's server may present it
        # for up to FILE_CHECK_SECONDS after the swap, and a check may come within that.
        self.previous: certs.Issued | None = None

    def _issue(self) -> certs.Issued:
        return certs.issue(certs.service_dns_names(SERVICE, NAMESPACE), now=self._now(), valid_for=VALID_FOR)

    def _install(self, issued: certs.Issued) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _write(self.directory / "tls.key", issued.key)
        _write(self.directory / "tls.crt", issued.cert)
        self.previous, self.current, self.pending = self.current, issued, None

    def bundle(self) -> bytes:
        """What the API server must trust: the served CA, the next one once it is issued, and the one
        served before."""
        return b"".join(i.ca for i in (self.pending, self.current, self.previous) if i is not None)

    def start(self) -> None:
        """At start-up nothing is being served yet: the files are written at once."""
        self._install(self._issue())

    def renew(self) -> None:
        self.pending = self._issue()

    async def keep_trusted(self) -> None:
        """Keep the bundle published (retrying until the API accepts it), and only then swap in a
        pending certificate, so the API server never meets one it does not trust; renew when due."""
        loop = asyncio.get_running_loop()
        renew_at = loop.time() + RENEW_AFTER.total_seconds()
        while True:
            if not await asyncio.to_thread(publish_ca, self._client(), self.bundle()):
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if self.pending is not None:
                self._install(self.pending)
            if loop.time() >= renew_at:
                await asyncio.to_thread(self.renew)
                renew_at = loop.time() + RENEW_AFTER.total_seconds()
                continue
            await asyncio.sleep(min(CHECK_SECONDS, renew_at - loop.time()))

    async def __call__(self, fn):
        await asyncio.to_thread(self.start)
        trusting = asyncio.create_task(self.keep_trusted())
        try:
            served: AsyncIterator = super().__call__(fn)
            async for client_config in served:
                yield client_config
        finally:
            trusting.cancel()
