"""Whole manifests from build_service_manifests: golden YAML + Kubernetes 1.34 schema."""

from __future__ import annotations

import copy

import pytest

from kube_ecs.resources import build_service_manifests

from .cases import CASES, OWNER
from .conftest import validate


def build(case: str) -> list[dict]:
    service, taskdef = CASES[case]
    return build_service_manifests(
        service=service,
        service_name=service["serviceName"],
        taskdef=taskdef,
        family=taskdef["family"],
        revision=3,
        namespace="demo",
        cluster="demo",
        owner={**OWNER, "name": service["serviceName"]},
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case, golden):
    golden(case, build(case))


@pytest.mark.parametrize("case", sorted(CASES))
def test_valid_for_kubernetes(case):
    for manifest in build(case):
        validate(manifest)


@pytest.mark.parametrize("case", sorted(CASES))
def test_pure_and_deterministic(case):
    service, taskdef = CASES[case]
    before = copy.deepcopy((service, taskdef))
    assert build(case) == build(case)
    assert (service, taskdef) == before


def test_kinds_in_order():
    assert [m["kind"] for m in build("full")] == ["ServiceAccount", "Deployment", "Service", "Ingress"]
    assert [m["kind"] for m in build("daemon")] == ["DaemonSet", "Service"]
    assert [m["kind"] for m in build("worker")] == ["Deployment"]
    assert [m["kind"] for m in build("spot")] == ["Deployment", "Deployment", "Service", "Ingress"]


def test_without_owner_no_owner_references():
    service, taskdef = CASES["web"]
    manifests = build_service_manifests(
        service=service, service_name="web", taskdef=taskdef, family="web", revision=1, namespace="demo", cluster="demo"
    )
    assert all("ownerReferences" not in m["metadata"] for m in manifests)
