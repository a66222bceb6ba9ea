import asyncio
import base64
import contextlib
import copy
import socket
import ssl
from typing import Any, cast

import aiohttp
import urllib3

from kube_ecs import webhook
from kube_ecs.certs import Issued
from kube_ecs.reconcile.kube import Client, NotFound, Ref

CONFIG = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
          "metadata": {"name": "kube-ecs"},
          "webhooks": [{"name": "a.ecs.kube-ecs.dev", "clientConfig": {"service": {"name": "kube-ecs-webhook"}}},
                       {"name": "b.ecs.kube-ecs.dev", "clientConfig": {"service": {"name": "kube-ecs-webhook"}}}]}


class ConfigClient:
    """Just the ValidatingWebhookConfiguration, with the JSON patch ops webhook.py sends."""

    def __init__(self, config: dict | None):
        self.config: Any = copy.deepcopy(config)
        self.patches = 0

    def get(self, ref: Ref) -> Any:
        assert ref == webhook.CONFIGURATION
        return copy.deepcopy(self.config)

    def patch(self, ref: Ref, patch: list, *, json_patch: bool = False, subresource: str = "") -> dict:
        assert json_patch and ref == webhook.CONFIGURATION
        if self.config is None:
            raise NotFound(str(ref))
        for op in patch:
            _, _, i, *rest = op["path"].split("/")
            hook = self.config["webhooks"][int(i)]
            if op["op"] == "test":
                assert hook["name"] == op["value"]
            else:
                hook["clientConfig"]["caBundle"] = op["value"]
        self.patches += 1
        return self.config

    def bundles(self) -> set[str]:
        return {base64.b64decode(h["clientConfig"]["caBundle"]).decode() for h in self.config["webhooks"]}


def issued(cert: Issued | None) -> Issued:
    assert cert is not None
    return cert


def test_ca_bundle_patch_tests_each_name_and_sets_each_bundle():
    patch = webhook.ca_bundle_patch(CONFIG, b"PEM")
    assert patch == [
        {"op": "test", "path": "/webhooks/0/name", "value": "a.ecs.kube-ecs.dev"},
        {"op": "add", "path": "/webhooks/0/clientConfig/caBundle", "value": "UEVN"},
        {"op": "test", "path": "/webhooks/1/name", "value": "b.ecs.kube-ecs.dev"},
        {"op": "add", "path": "/webhooks/1/clientConfig/caBundle", "value": "UEVN"},
    ]


def test_publish_ca_without_a_configuration_is_reported_not_raised(caplog):
    assert webhook.publish_ca(cast(Client, ConfigClient(None)), b"PEM") is False
    assert "not found" in caplog.text


def test_publish_ca_with_the_api_server_away_is_reported_not_raised(caplog):
    """A connection error is no ApiException: raised, it would end keep_trusted, and no caBundle
    would ever be set."""

    class Away(ConfigClient):
        def get(self, ref: Ref) -> Any:
            raise urllib3.exceptions.MaxRetryError(None, "/apis", reason="connection refused")  # type: ignore[arg-type]

    assert webhook.publish_ca(cast(Client, Away(CONFIG)), b"PEM") is False
    assert "connection refused" in caplog.text


def test_renewal_trusts_old_and_new_ca_until_the_new_certificate_is_served(tmp_path):
    client: Any = ConfigClient(CONFIG)
    server = webhook.Server(directory=tmp_path, client=lambda: client)
    server.start()
    first = issued(server.current)
    assert (tmp_path / "tls.crt").read_bytes() == first.cert
    assert webhook.publish_ca(client, server.bundle())
    assert client.bundles() == {first.ca.decode()}
    server.renew()
    # Before the swap: the files still hold the first certificate, the bundle trusts both CAs.
    assert (tmp_path / "tls.crt").read_bytes() == first.cert
    assert server.bundle() == issued(server.pending).ca + first.ca


def keep_trusted_until_it_sleeps(server: webhook.Server, monkeypatch) -> list[float]:
    """Run keep_trusted up to its first sleep; return the sleeps asked for."""
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)
        raise asyncio.CancelledError

    monkeypatch.setattr(webhook.asyncio, "sleep", sleep)
    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(server.keep_trusted())
    return sleeps


def test_keep_trusted_publishes_then_swaps_in_the_pending_certificate(tmp_path, monkeypatch):
    client: Any = ConfigClient(CONFIG)
    server = webhook.Server(directory=tmp_path, client=lambda: client)
    server.start()
    first = issued(server.current)
    server.renew()
    pending = issued(server.pending)
    sleeps = keep_trusted_until_it_sleeps(server, monkeypatch)
    assert client.bundles() == {(pending.ca + first.ca).decode()}
    assert server.current is pending and server.pending is None
    assert (tmp_path / "tls.crt").read_bytes() == pending.cert
    assert sleeps == [webhook.CHECK_SECONDS]


def test_a_published_bundle_is_not_written_again_and_a_removed_one_is_put_back():
    """Level-triggered: `kubectl apply -f webhook.yaml` drops the caBundle; the next check restores it."""
    client: Any = ConfigClient(CONFIG)
    assert webhook.publish_ca(client, b"PEM") and client.patches == 1
    assert webhook.publish_ca(client, b"PEM") and client.patches == 1
    del client.config["webhooks"][1]["clientConfig"]["caBundle"]
    assert webhook.publish_ca(client, b"PEM") and client.patches == 2
    assert client.bundles() == {"PEM"}


def test_keep_trusted_renews_when_due_and_publishes_the_new_bundle_at_once(tmp_path, monkeypatch):
    client: Any = ConfigClient(CONFIG)
    server = webhook.Server(directory=tmp_path, client=lambda: client)
    server.start()
    first = issued(server.current)
    renew = server.renew
    monkeypatch.setattr(webhook, "RENEW_AFTER", webhook.datetime.timedelta(0))  # due at once

    def renew_once() -> None:
        renew()
        monkeypatch.setattr(webhook, "RENEW_AFTER", webhook.datetime.timedelta(days=20))

    monkeypatch.setattr(server, "renew", renew_once)
    sleeps = keep_trusted_until_it_sleeps(server, monkeypatch)
    # Published, renewed (due), both CAs published without a sleep between, the new one served.
    second = issued(server.current)
    assert second is not first and server.pending is None
    assert client.patches == 2 and client.bundles() == {(second.ca + first.ca).decode()}
    assert sleeps == [webhook.CHECK_SECONDS]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serves_https_that_the_api_server_would_trust(tmp_path):
    """The API server dials <service>.<namespace>.svc and verifies against the caBundle it was given."""
    client: Any = ConfigClient(CONFIG)
    port = _free_port()
    server = webhook.Server(directory=tmp_path, client=lambda: client, port=port)

    async def fn(request, *, webhook=None, headers=None, sslpeer=None):
        return {"response": {"uid": request["request"]["uid"], "allowed": True}, "webhook": webhook}

    async def scenario():
        served = server(fn)
        await served.__anext__()
        for _ in range(50):  # the caBundle is published by a task of its own
            if client.patches:
                break
            await asyncio.sleep(0.05)
        context = ssl.create_default_context(cadata=client.bundles().pop())
        async with aiohttp.ClientSession() as session, session.post(
                f"https://127.0.0.1:{port}/services", json={"request": {"uid": "u1"}}, ssl=context,
                server_hostname="kube-ecs-webhook.kube-ecs-system.svc") as r:
            body = await r.json()
        await served.aclose()
        return body

    assert asyncio.run(scenario()) == {"response": {"uid": "u1", "allowed": True}, "webhook": "services"}
