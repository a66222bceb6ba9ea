"""The kind cluster itself, before any operator: the sample app as a plain Deployment, Service and
Ingress (locally built image, no pulls) answers through the ingress controller from the host."""

from __future__ import annotations

import uuid

import pytest
from cluster import apply, get, kubectl, wait_http_ok

pytestmark = pytest.mark.e2e


def test_node_and_system_pods_are_ready():
    nodes = get("nodes")["items"]
    assert len(nodes) >= 3  # the control plane, EC2 container instances, the Fargate pool
    for node in nodes:
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])
    pods = get("pods", "-n", "kube-system")["items"]
    names = [p["metadata"]["name"] for p in pods]
    for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns"):
        assert any(n.startswith(component) for n in names), f"no {component} pod in kube-system: {names}"
    assert all(p["status"]["phase"] == "Running" for p in pods), [p["metadata"]["name"] for p in pods]


def test_sample_app_is_served_through_the_ingress():
    name = f"smoke-{uuid.uuid4().hex[:6]}"
    host = f"{name}.localhost"
    labels = {"app": name}
    kubectl("create", "namespace", name)
    try:
        apply(
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": name},
             "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
                 "metadata": {"labels": labels},
                 "spec": {"containers": [{"name": "cats", "image": "localhost:5001/cats:1.0",
                                          "ports": [{"containerPort": 80}],
                                          "readinessProbe": {"httpGet": {"path": "/healthz", "port": 80}}}]}}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": name},
             "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 80}]}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": name},
             "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                 "service": {"name": name, "port": {"number": 80}}}}]}}]}},
        )
        kubectl("rollout", "status", f"deployment/{name}", "-n", name, "--timeout=120s")
        body = wait_http_ok(host)
        assert "A container of cats" in body
        [pod] = get("pods", "-n", name, "-l", f"app={name}")["items"]
        assert pod["metadata"]["name"] in body, "the page names the task (pod) that served it"
    finally:
        kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_workers_are_container_instances_and_a_fargate_pool():
    """Workers carry the labels ECS placement reads (zone, instance type, pool); the Fargate pool is
    tainted so only Fargate tasks land there."""
    workers = get("nodes", "-l", "!node-role.kubernetes.io/control-plane")["items"]
    pools: dict[str, list[dict]] = {}
    for node in workers:
        labels = node["metadata"]["labels"]
        for key in ("topology.kubernetes.io/zone", "node.kubernetes.io/instance-type"):
            assert labels.get(key), f"{node['metadata']['name']} has no {key}"
        pools.setdefault(labels.get("ecs.kube-ecs.dev/node-pool", ""), []).append(node)
    assert set(pools) == {"ec2", "fargate"}, pools.keys()
    assert len({n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in pools["ec2"]}) >= 2 or \
        len(pools["ec2"]) == 1
    for node in pools["fargate"]:
        assert {"key": "ecs.kube-ecs.dev/fargate", "value": "true", "effect": "NoSchedule"} in node["spec"]["taints"]
    for node in pools["ec2"]:
        assert not node["spec"].get("taints")
