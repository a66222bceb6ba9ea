"""What the scale benchmark and the chaos suite share: many 0-task Services in one Cluster, the
children the operator makes for them, and figures read from the operator's pod."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
import yaml  # noqa: E402
from cluster import CONTEXT, KUBECTL, OPERATOR_LABEL, OPERATOR_NAMESPACE, condition, get, kubectl  # noqa: E402

ESVC = "services.ecs.kube-ecs.dev"
SERVICE_LABEL = "ecs.kube-ecs.dev/service"


def cluster(name: str) -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Cluster", "metadata": {"name": name},
            "spec": {"clusterName": name}}


def taskdef(family: str) -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": family},
            "spec": {"family": family, "containerDefinitions": [
                {"name": "web", "image": "localhost:5001/cats:1.0", "essential": True, "memoryReservation": 32,
                 "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}]}}


def service(name: str, cluster_name: str, family: str, count: int = 0) -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": name, "namespace": cluster_name},
            "spec": {"cluster": cluster_name, "serviceName": name, "taskDefinition": family, "desiredCount": count}}


def kubectl_apply(objects: list[dict], *, check: bool = True, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """One `kubectl apply` of every object (kubectl's own client, one request at a time)."""
    result = subprocess.run([KUBECTL, "--context", CONTEXT, "apply", *extra, "-f", "-"],
                            input=yaml.safe_dump_all(objects), capture_output=True, text=True, timeout=1800)
    if check and result.returncode:
        raise AssertionError(f"kubectl apply failed: {result.stderr[-2000:]}")
    return result


def listed(kind: str, namespace: str, *selector: str) -> list[dict]:
    result = kubectl("get", kind, "-n", namespace, *selector, "-o", "json", "--chunk-size=500", check=False)
    return json.loads(result.stdout)["items"] if result.returncode == 0 else []


def ready_services(namespace: str) -> int:
    count = 0
    for obj in listed(ESVC, namespace):
        cond = condition(obj, "Ready")
        if cond.get("status") == "True" and cond.get("observedGeneration") == obj["metadata"]["generation"]:
            count += 1
    return count


def all_of(count: int, target: int) -> bool | int:
    """For `wait`: True when done, else the count so far (shown if it times out)."""
    return True if count == target else count


def gone(kind: str, namespace: str) -> bool | int:
    return all_of(len(listed(kind, namespace)), 0)


def wait(what: str, probe, timeout: float, every: float = 1.0) -> float:
    """Seconds until `probe()` is truthy; fails saying what never happened."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < timeout:
        last = probe()
        if last is True:
            return time.monotonic() - start
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def operator_pod() -> dict:
    """The active replica: the Lease's holder when there is one, else the only pod."""
    lease = get("lease", "kube-ecs-operator", "-n", OPERATOR_NAMESPACE) or {}
    holder = (lease.get("spec") or {}).get("holderIdentity")
    pods = listed("pods", OPERATOR_NAMESPACE, "-l", OPERATOR_LABEL)
    pods = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    for pod in pods:
        if pod["metadata"]["name"] == holder:
            return pod
    assert pods, "no operator pod"
    return pods[0]


def operator_restarts() -> int:
    return sum(c.get("restartCount", 0) for p in listed("pods", OPERATOR_NAMESPACE, "-l", OPERATOR_LABEL)
               for c in (p.get("status") or {}).get("containerStatuses") or [])


def _proc(pod: str, path: str) -> str:
    return kubectl("exec", "-n", OPERATOR_NAMESPACE, pod, "--", "cat", path).stdout


def operator_rss_mib(pod: str) -> float:
    status = _proc(pod, "/proc/1/status")
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


def operator_cpu_seconds(pod: str) -> float:
    fields = _proc(pod, "/proc/1/stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks (USER_HZ 100)


def versions(namespace: str) -> dict[str, str]:
    """uid → resourceVersion of everything the operator writes for a Cluster's Services."""
    found = {}
    for kind in (ESVC, "deployments", "services", "ingresses", "serviceaccounts"):
        for obj in listed(kind, namespace):
            found[obj["metadata"]["uid"]] = obj["metadata"]["resourceVersion"]
    return found
