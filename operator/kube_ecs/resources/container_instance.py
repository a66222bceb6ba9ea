"""Container instances: the nodes ECS tasks run on, and the `ContainerInstance` view of each
(describe-container-instances, field names as botocore's `ContainerInstance` shape spells them).

A node is a container instance unless it is a control-plane node or in the Fargate pool: that
works on any cluster (every worker counts where nothing is labelled) and matches the EC2 pool of
ours (docs/decisions.md, "Container instances").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from kubernetes.utils import parse_quantity

from kube_ecs import API_VERSION
from kube_ecs.resources import capacity, meta
from kube_ecs.resources.placement import ZONE_LABEL, node_attributes

KIND = "ContainerInstance"
REGION_LABEL = "topology.kubernetes.io/region"
# ARNs need an account; a cluster has none, so every ARN kube-ecs writes uses this one.
ACCOUNT = "000000000000"
# An AWS zone name is its region plus a letter (us-east-1a).
_AWS_ZONE = re.compile(r"^([a-z]{2}(-[a-z]+)+-\d+)[a-z]$")
MIB = 1024 * 1024


def is_container_instance_node(node: dict) -> bool:
    return capacity.is_container_instance(node.get("metadata", {}).get("labels") or {})


@dataclass(frozen=True)
class Usage:
    """What the pods on a node hold: every pod's requests, and kube-ecs tasks by state."""

    cpu_millicores: int = 0
    memory_bytes: int = 0
    running_tasks: int = 0
    pending_tasks: int = 0


def _requests(container: dict) -> tuple[Decimal, Decimal]:
    requests = (container.get("resources") or {}).get("requests") or {}
    return parse_quantity(requests.get("cpu", 0)), parse_quantity(requests.get("memory", 0))


def pod_requests(pod: dict) -> tuple[int, int]:
    """(millicores, bytes) the scheduler reserves for `pod`, by Kubernetes' own rule: containers plus
    sidecars (restartable init containers), or the largest init step if more, plus the pod overhead."""
    spec = pod.get("spec") or {}
    cpu = memory = Decimal(0)
    for container in spec.get("containers") or []:
        c, m = _requests(container)
        cpu, memory = cpu + c, memory + m
    sidecar_cpu = sidecar_memory = init_cpu = init_memory = Decimal(0)
    for container in spec.get("initContainers") or []:
        c, m = _requests(container)
        if container.get("restartPolicy") == "Always":
            sidecar_cpu, sidecar_memory = sidecar_cpu + c, sidecar_memory + m
            step_cpu, step_memory = sidecar_cpu, sidecar_memory
        else:
            step_cpu, step_memory = c + sidecar_cpu, m + sidecar_memory
        init_cpu, init_memory = max(init_cpu, step_cpu), max(init_memory, step_memory)
    overhead = spec.get("overhead") or {}
    cpu = max(cpu + sidecar_cpu, init_cpu) + parse_quantity(overhead.get("cpu", 0))
    memory = max(memory + sidecar_memory, init_memory) + parse_quantity(overhead.get("memory", 0))
    return int(cpu * 1000), int(memory)


def cpu_units(millicores: int) -> int:
    """Kubernetes millicores → ECS cpu units (1024 per core), the inverse of the builders' mapping."""
    return round(millicores * 1024 / 1000)


def region(labels: dict) -> str:
    zone = labels.get(ZONE_LABEL, "")
    found = _AWS_ZONE.match(zone)
    return labels.get(REGION_LABEL) or (found.group(1) if found else "local")


def container_instance_arn(node: dict) -> str:
    """The older ARN form without a cluster name: one node serves every ECS Cluster. The id is the
    node's uid, 32 hex digits as ECS's own ids."""
    metadata = node["metadata"]
    node_id = metadata["uid"].replace("-", "")
    return f"arn:aws:ecs:{region(metadata.get('labels') or {})}:{ACCOUNT}:container-instance/{node_id}"


def instance_id(node: dict) -> str:
    """The EC2 instance id where the node says it (EKS: providerID aws:///zone/i-…), else the node name."""
    provider = (node.get("spec") or {}).get("providerID", "")
    last = provider.rsplit("/", 1)[-1]
    return last if provider.startswith("aws://") and last.startswith("i-") else node["metadata"]["name"]


def _resources(cpu: int, memory: int) -> list[dict]:
    # CPU first, then MEMORY, as ECS lists them (the printer columns rely on nothing but the names).
    return [{"name": "CPU", "type": "INTEGER", "integerValue": cpu},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory}]


def build_container_instance(node: dict) -> dict:
    """The view object, owned by its Node so it goes with it; its content is the status."""
    metadata = node["metadata"]
    owner = {"apiVersion": "v1", "kind": "Node", "name": metadata["name"], "uid": metadata["uid"]}
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": meta.object_meta(metadata["name"], labels={"app.kubernetes.io/managed-by": meta.MANAGED_BY},
                                     owner=owner, block_owner_deletion=False),
    }


def container_instance_status(node: dict, usage: Usage) -> dict:
    """describe-container-instances for `node`: cordoned is DRAINING (UpdateContainerInstancesState),
    a Ready kubelet is a connected agent; registered resources are the node's allocatable ones,
    remaining what the requests of the pods on it leave."""
    metadata, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    allocatable = status.get("allocatable") or {}
    cpu = int(parse_quantity(allocatable.get("cpu", 0)) * 1000)
    memory = int(parse_quantity(allocatable.get("memory", 0)))
    info = status.get("nodeInfo") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    return {
        "containerInstanceArn": container_instance_arn(node),
        "ec2InstanceId": instance_id(node),
        "status": "DRAINING" if spec.get("unschedulable") else "ACTIVE",
        "agentConnected": ready,
        "runningTasksCount": usage.running_tasks,
        "pendingTasksCount": usage.pending_tasks,
        "registeredResources": _resources(cpu_units(cpu), memory // MIB),
        "remainingResources": _resources(cpu_units(cpu - usage.cpu_millicores),
                                         (memory - usage.memory_bytes) // MIB),
        "attributes": node_attributes(metadata.get("labels") or {}),
        "versionInfo": {"agentVersion": info.get("kubeletVersion", ""),
                        "dockerVersion": info.get("containerRuntimeVersion", "")},
        "registeredAt": metadata.get("creationTimestamp", ""),
    }
