"""Bounded API calls and leader election (docs/decisions.md, "Resilience" and "Failover")."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import kopf
import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from kube_ecs import lease, runner
from kube_ecs.reconcile import kube
from kube_ecs.reconcile.kube import Conflict, Kube, NotLeader, Ref


def test_kopf_retries_api_errors_without_end_and_briefly():
    settings = kopf.OperatorSettings()
    runner.configure(settings)
    backoffs = settings.networking.error_backoffs
    assert isinstance(backoffs, runner.Backoffs)
    first = list(itertools.islice(iter(backoffs), 1000))
    assert len(first) == 1000 and max(first) <= runner.RETRY_CAP and first[0] < 1
    # A fresh sequence for every request: Kopf iterates the setting once per request.
    assert list(itertools.islice(iter(backoffs), 3)) == first[:3]
    assert not hasattr(backoffs, "__len__")  # Kopf counts attempts only of a sized sequence
    assert settings.networking.request_timeout and settings.networking.request_timeout <= 60
    assert settings.networking.connect_timeout and settings.networking.connect_timeout <= 10
    assert settings.watching.connect_timeout and settings.watching.connect_timeout <= 10
    assert settings.watching.inactivity_timeout < settings.watching.server_timeout  # type: ignore[operator]


def test_reconciles_have_threads_and_connections_to_spare():
    """A few passes stalled on a slow API server must not hold up the others: both thread pools and
    the connection pool are sized past Python's default on the project's two-core machine (six)."""
    import asyncio

    settings = kopf.OperatorSettings()
    runner.configure(settings)
    assert settings.execution.max_workers == kube.CONCURRENT_CALLS > 2 + 4
    assert kube.default_api_client().configuration.connection_pool_maxsize == kube.CONCURRENT_CALLS

    async def default_pool_size() -> int:
        await runner._configure_threads()
        return asyncio.get_running_loop()._default_executor._max_workers  # type: ignore[attr-defined]

    assert asyncio.run(default_pool_size()) == kube.CONCURRENT_CALLS


class RecordingApi:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def call_api(self, path: str, method: str, **kwargs: Any) -> dict:
        self.calls.append({"path": path, "method": method, **kwargs})
        return {}


def test_every_call_of_the_operators_client_is_bounded():
    api = RecordingApi()
    client = Kube(api)
    client.get(Ref("apps/v1", "Deployment", "web", "demo"))
    client.patch(Ref("apps/v1", "Deployment", "web", "demo"), {"spec": {}})
    for call in api.calls:
        connect, read = call["_request_timeout"]
        assert 0 < connect <= 5 and 0 < read <= 30


def test_connect_failures_are_retried_briefly_and_reads_never():
    retry = kube.retries()
    assert isinstance(retry, urllib3.Retry)
    assert retry.connect == 3 and retry.read == 0 and retry.status == 0
    # Worst case against a black-holed API server: 4 connects and 3 short backoffs.
    assert 4 * kube.CONNECT_TIMEOUT + 3 * 0.2 * 4 < 15


def test_a_replica_that_cannot_confirm_its_lease_writes_nothing():
    api = RecordingApi()
    allowed = [True]
    client = Kube(api, may_write=lambda: allowed[0])
    ref = Ref("apps/v1", "Deployment", "web", "demo")
    client.patch(ref, {"spec": {}})
    allowed[0] = False
    assert client.get(ref) == {}  # reads go on
    with pytest.raises(NotLeader) as refused:
        client.patch(ref, {"spec": {}})
    assert isinstance(refused.value, ApiException) and refused.value.status == 503
    assert [c["method"] for c in api.calls] == ["PATCH", "GET"]


NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def held(holder: str, seconds_ago: float, duration: int = 8) -> dict:
    renewed = NOW - datetime.timedelta(seconds=seconds_ago)
    return {"spec": {"holderIdentity": holder, "leaseDurationSeconds": duration,
                     "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}}


@pytest.mark.parametrize(("lease_", "free"), [
    (None, True),
    (held("", 1), True),             # released
    (held("me", 1), True),           # ours: a restarted container takes it back
    (held("other", 1), False),
    (held("other", 9), True),        # expired
    (held("other", 9, duration=15), False),
])
def test_when_a_lease_is_free(lease_, free):
    assert lease.free_for(lease_, "me", NOW) is free


class Leases:
    """The API server's optimistic concurrency on one Lease: a patch carrying a stale resourceVersion
    is refused (409), as a merge patch with metadata.resourceVersion is."""

    def __init__(self) -> None:
        self.obj: dict | None = None
        self.version = 0

    def get(self, ref: Ref) -> dict | None:
        return None if self.obj is None else {**self.obj, "metadata": {**self.obj["metadata"]}}

    def create(self, obj: dict) -> dict:
        if self.obj is not None:
            raise Conflict(obj["metadata"]["name"])
        self.version += 1
        self.obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self.version)}}
        return self.obj

    def patch(self, ref: Ref, patch: dict, **_: Any) -> dict:
        assert self.obj is not None
        if patch["metadata"]["resourceVersion"] != self.obj["metadata"]["resourceVersion"]:
            raise ApiException(status=409)
        self.version += 1
        self.obj = {**self.obj, "spec": {**self.obj["spec"], **patch["spec"]},
                    "metadata": {**self.obj["metadata"], "resourceVersion": str(self.version)}}
        return self.obj


def test_one_replica_holds_the_lease_and_hands_it_over_on_release():
    leases = Leases()
    a, b = (lease.Elector(leases, "kube-ecs-system", "kube-ecs-operator", me=me) for me in ("a", "b"))
    assert a.try_acquire() and a.may_write()
    assert not b.try_acquire() and not b.may_write()
    assert a.try_acquire()  # renewal
    assert leases.obj is not None and leases.obj["spec"]["leaseTransitions"] == 0
    a.release()
    spec = leases.obj["spec"]
    assert not a.may_write() and spec["holderIdentity"] is None
    assert b.try_acquire()
    assert leases.obj["spec"]["holderIdentity"] == "b" and leases.obj["spec"]["leaseTransitions"] == 1


def test_of_two_replicas_racing_for_a_free_lease_one_wins():
    leases = Leases()
    a, b = (lease.Elector(leases, "ns", "l", me=me) for me in ("a", "b"))
    assert a.try_acquire()
    a.release()
    seen = leases.get(a.ref)  # both read the released Lease...
    leases.get = lambda ref: seen  # type: ignore[method-assign]
    assert a.try_acquire()
    assert not b.try_acquire()  # ...and the second write, on the stale resourceVersion, is refused


def test_a_holder_that_sees_another_holder_stops():
    leases = Leases()
    lost: list[bool] = []
    a = lease.Elector(leases, "ns", "l", me="a", on_lost=lambda: lost.append(True))
    assert a.try_acquire()
    assert leases.obj is not None
    leases.obj["spec"]["holderIdentity"] = "b"
    a._stop.set()  # one pass of the loop by hand
    a._stop.clear()
    a._stop.wait = lambda timeout=None: bool(lost)  # type: ignore[method-assign]
    a._renew_loop()
    assert lost == [True]
