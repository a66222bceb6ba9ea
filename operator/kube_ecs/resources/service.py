"""The task's ports → a ClusterIP Kubernetes Service (load balancer target and service discovery).

Every portMapping of the task definition is a Service port, whether or not the ECS Service has
loadBalancers: on ECS, service discovery (serviceRegistries, Service Connect) finds a task by its
ports, and the Kubernetes Service's DNS name is what plays that role here. A loadBalancers entry
whose containerPort no portMapping declares still gets a port (by number). No ports, no Service.
"""

from __future__ import annotations

from kube_ecs.resources import names


def _port(container_port: int, mapping: dict) -> dict:
    protocol = mapping.get("protocol", "tcp").upper()
    port: dict = {
        "name": names.port_name(mapping["name"]) if mapping.get("name") else f"{protocol.lower()}-{container_port}",
        "port": container_port,
        "targetPort": names.port_name(mapping["name"]) if mapping.get("name") else container_port,
        "protocol": protocol,
    }
    if mapping.get("appProtocol"):
        port["appProtocol"] = mapping["appProtocol"].lower()
    return port


def service_ports(taskdef: dict, load_balancers: list[dict]) -> list[dict]:
    """Service ports, one per (containerPort, protocol), sorted."""
    ports: dict[tuple[int, str], dict] = {}
    for container in taskdef["containerDefinitions"]:
        for mapping in container.get("portMappings", []):
            if "containerPort" in mapping:
                port = _port(mapping["containerPort"], mapping)
                ports.setdefault((port["port"], port["protocol"]), port)
    for entry in load_balancers:
        ports.setdefault((entry["containerPort"], "TCP"), _port(entry["containerPort"], {}))
    return [ports[key] for key in sorted(ports)]


def build_service(*, metadata: dict, selector: dict[str, str], taskdef: dict, service: dict) -> dict | None:
    """The ClusterIP Service selecting the Service's pods, or None when the task has no ports."""
    ports = service_ports(taskdef, service.get("loadBalancers", []))
    if not ports:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {"type": "ClusterIP", "selector": selector, "ports": ports},
    }
