"""The smaller objects: Namespace, ServiceAccount, Service ports, Ingress rules."""

from __future__ import annotations

import pytest

from kube_ecs.resources.ingress import build_ingress
from kube_ecs.resources.namespace import build_namespace, namespace_name
from kube_ecs.resources.service import service_ports
from kube_ecs.resources.service_account import build_service_account

from .cases import OWNER
from .conftest import validate

CLUSTER_OWNER = {**OWNER, "kind": "Cluster", "name": "Demo_Cluster"}


def test_namespace():
    namespace = build_namespace(
        cluster="Demo_Cluster", spec={"tags": [{"key": "env", "value": "prod"}]}, owner=CLUSTER_OWNER
    )
    validate(namespace)
    assert namespace["metadata"]["name"] == "demo-cluster"
    assert namespace["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "kube-ecs",
        "ecs.kube-ecs.dev/cluster": "Demo_Cluster",
        "env": "prod",
        **{f"pod-security.kubernetes.io/{mode}{suffix}": value for mode in ("enforce", "warn", "audit")
           for suffix, value in (("", "baseline"), ("-version", "latest"))},
    }
    assert namespace["metadata"]["ownerReferences"][0]["controller"] is True


def test_namespace_pod_security_from_the_cluster_and_tags_cannot_lower_it():
    spec = {"podSecurity": {"enforce": "privileged", "warn": "restricted"},
            "tags": [{"key": "pod-security.kubernetes.io/audit", "value": "privileged"}]}
    labels = build_namespace(cluster="demo", spec=spec)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "privileged"  # follows enforce, not the tag


@pytest.mark.parametrize("cluster, namespace", [
    ("demo", "demo"), ("a--b", "a--b"), ("web.prod", "web-prod"), ("x" * 70, None),
])
def test_namespace_is_the_cluster_name_where_valid(cluster, namespace):
    name = namespace_name(cluster)
    assert name == namespace if namespace else len(name) <= 63 and name.startswith("x")


def test_adopted_namespace_has_no_owner():
    assert "ownerReferences" not in build_namespace(cluster="default")["metadata"]


def test_service_account_is_shared():
    account = build_service_account(
        role_arn="arn:aws:iam::123456789012:role/web-role", namespace="demo", cluster="demo", owner=OWNER
    )
    validate(account)
    assert account["metadata"]["name"] == "web-role"
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/web-role"}
    assert account["metadata"]["ownerReferences"][0]["controller"] is False


def test_service_ports_cover_mappings_and_load_balancers():
    taskdef = {"containerDefinitions": [
        {"name": "a", "portMappings": [{"containerPort": 8080, "protocol": "tcp", "name": "web"}, {"containerPortRange": "9000-9100"}]},
        {"name": "b", "portMappings": [{"containerPort": 53, "protocol": "udp"}]},
    ]}
    ports = service_ports(taskdef, [{"containerName": "a", "containerPort": 8080}, {"containerName": "a", "containerPort": 7000}])
    assert ports == [
        {"name": "udp-53", "port": 53, "targetPort": 53, "protocol": "UDP"},
        {"name": "tcp-7000", "port": 7000, "targetPort": 7000, "protocol": "TCP"},
        {"name": "web", "port": 8080, "targetPort": "web", "protocol": "TCP"},
    ]


def test_ingress_rules_grouped_by_host_and_deduplicated():
    service = {"loadBalancers": [
        {"containerName": "a", "containerPort": 80, "ingress": {"host": "b.example.com", "path": "api"}},
        {"containerName": "a", "containerPort": 81, "ingress": {"host": "b.example.com", "path": "/api"}},
        {"containerName": "a", "containerPort": 80, "ingress": {"host": "a.example.com"}},
        {"containerName": "a", "containerPort": 80},
    ]}
    ingress = build_ingress(metadata={"name": "x", "namespace": "demo"}, backend_service="x", service=service)
    assert ingress is not None
    validate(ingress)
    rules = [(r.get("host"), [(p["path"], p["backend"]["service"]["port"]["number"]) for p in r["http"]["paths"]])
             for r in ingress["spec"]["rules"]]
    assert rules == [(None, [("/", 80)]), ("a.example.com", [("/", 80)]), ("b.example.com", [("/api", 80)])]
    assert "ingressClassName" not in ingress["spec"]


def test_no_load_balancers_no_ingress():
    assert build_ingress(metadata={"name": "x"}, backend_service="x", service={}) is None
