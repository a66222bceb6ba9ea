"""loadBalancers → an Ingress (networking.k8s.io/v1) routing to the Kubernetes Service.

Each entry is a rule for host `ingress.host` (default: any host) and path prefix `ingress.path`
(default "/") to the Service port of its containerPort. No ingressClassName: the cluster's default
IngressClass serves it, as an ECS service uses whatever load balancer its target group belongs to.
Entries that land on the same host and path (e.g. an ALB and an NLB target group) make one rule.
"""

from __future__ import annotations


def build_ingress(*, metadata: dict, backend_service: str, service: dict) -> dict | None:
    """The Ingress for the Service's loadBalancers, or None without any."""
    routes: dict[str, dict[str, int]] = {}
    for entry in service.get("loadBalancers", []):
        extension = entry.get("ingress") or {}
        path = "/" + extension.get("path", "/").lstrip("/")
        routes.setdefault(extension.get("host", ""), {}).setdefault(path, entry["containerPort"])
    if not routes:
        return None
    rules = []
    for host in sorted(routes):
        paths = [
            {
                "path": path,
                "pathType": "Prefix",
                "backend": {"service": {"name": backend_service, "port": {"number": port}}},
            }
            for path, port in sorted(routes[host].items())
        ]
        rules.append({**({"host": host} if host else {}), "http": {"paths": paths}})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": {"rules": rules},
    }
