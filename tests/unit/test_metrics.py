import asyncio
import urllib.request

import pytest
from prometheus_client import REGISTRY

from kube_ecs import metrics


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_sync_passes_count_time_and_errors():
    before = {n: value(n, kind="T1") for n in ("kube_ecs_reconciles_total", "kube_ecs_reconcile_errors_total",
                                               "kube_ecs_reconcile_duration_seconds_count")}

    @metrics.reconciled("T1")
    def ok() -> bool:
        return True

    @metrics.reconciled("T1")
    def reports_failure() -> bool:
        return False

    @metrics.reconciled("T1")
    def raises() -> None:
        raise RuntimeError("boom")

    assert ok() is True and reports_failure() is False
    with pytest.raises(RuntimeError):
        raises()
    assert value("kube_ecs_reconciles_total", kind="T1") - before["kube_ecs_reconciles_total"] == 3
    assert value("kube_ecs_reconcile_errors_total", kind="T1") - before["kube_ecs_reconcile_errors_total"] == 2
    assert value("kube_ecs_reconcile_duration_seconds_count", kind="T1") - \
        before["kube_ecs_reconcile_duration_seconds_count"] == 3


def test_async_handlers_stay_coroutines_for_kopf():
    @metrics.reconciled("T2")
    async def handler(**_) -> None:
        await asyncio.sleep(0)

    assert asyncio.iscoroutinefunction(handler)
    asyncio.run(handler(body={}))
    assert value("kube_ecs_reconciles_total", kind="T2") == 1
    assert value("kube_ecs_reconcile_errors_total", kind="T2") == 0


def test_admission_counts_refusals():
    @metrics.admission("T3")
    def check(refuse: bool) -> None:
        if refuse:
            raise ValueError("no")

    check(False)
    with pytest.raises(ValueError):
        check(True)
    assert value("kube_ecs_admission_reviews_total", kind="T3", allowed="true") == 1
    assert value("kube_ecs_admission_reviews_total", kind="T3", allowed="false") == 1
    assert value("kube_ecs_admission_duration_seconds_count", kind="T3") == 2


def test_queue_depth_is_read_from_the_wakers_at_scrape_time():
    wakers = {("ns", "a"): asyncio.Event(), ("ns", "b"): asyncio.Event()}
    metrics.watch_daemons(lambda: wakers)
    wakers[("ns", "a")].set()
    assert value("kube_ecs_service_daemons") == 2
    assert value("kube_ecs_service_daemons_poked") == 1
    wakers.clear()
    assert value("kube_ecs_service_daemons_poked") == 0


def test_serve_exposes_the_text_format():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    metrics.serve(f"127.0.0.1:{port}")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert "# TYPE kube_ecs_reconciles_total counter" in text
    assert "kube_ecs_service_daemons_poked" in text
