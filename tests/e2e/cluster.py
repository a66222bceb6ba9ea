"""Shared by the end-to-end tests: kubectl against the kind cluster `make cluster` brings up, and
bounded waits that say what they waited for."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml

REPO = Path(__file__).resolve().parents[2]
CONTEXT = os.environ.get("KUBE_CONTEXT", "kind-kube-ecs")
INGRESS = os.environ.get("KUBE_ECS_INGRESS", "http://127.0.0.1:8080")
KUBECTL = shutil.which("kubectl", path=f"{Path.home()}/.cache/kube-ecs/bin:{os.environ.get('PATH', '')}") or "kubectl"
READY_TIMEOUT = 180

T = TypeVar("T")


def kubectl(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([KUBECTL, "--context", CONTEXT, *args], input=input, capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def get(*args: str) -> dict | None:
    result = kubectl("get", *args, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def items(*args: str) -> list[dict]:
    """The objects of a list `get`; a failed kubectl fails the test (or is retried inside wait_for)."""
    listed = get(*args)
    assert listed is not None, f"kubectl get {' '.join(args)} failed"
    return listed["items"]


def apply(*objects: dict) -> None:
    kubectl("apply", "-f", "-", input=yaml.safe_dump_all(objects))


def wait_for(what: str, probe: Callable[[], T], timeout: float = READY_TIMEOUT, every: float = 1.0,
             until: Callable[[T], object] | None = None) -> T:
    """Poll `probe` until what it returns is truthy (or satisfies `until`), and return that; fail saying
    what never happened."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = last = probe()
            done = until(value) if until else value
        except (AssertionError, KeyError, IndexError, TypeError) as e:
            last, done = e, False
        if done:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last seen: {last!r})")


def condition(obj: dict | None, type_: str) -> dict:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond["type"] == type_:
            return cond
    return {}


def http_get(host: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{INGRESS}/", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode(errors="replace")
    except OSError as e:
        return getattr(e, "code", 0), str(e)


def wait_http_ok(host: str) -> str:
    """The page `host` serves through the ingress, once it answers 200."""
    return wait_for(f"HTTP 200 from {host} through the ingress", lambda: http_get(host), timeout=60,
                    until=lambda response: response[0] == 200)[1]


def events_for(namespace: str | None, name: str) -> list[dict]:
    scope = ["-n", namespace] if namespace else ["-A"]
    return (get("events", *scope, "--field-selector", f"involvedObject.name={name}") or {}).get("items", [])


ESVC = "services.ecs.kube-ecs.dev"


def sample() -> list[dict]:
    return list(yaml.safe_load_all((REPO / "manifests/samples/cats.yaml").read_text()))


class App:
    """The cats sample under unique names: Cluster `name` (namespace `name`), TaskDefinition and
    Service `name`, Ingress host `<name>.localhost`. Tasks ask for `cpu` units (None: no task size, so no
    request), less than the sample's 256: the node's 2 cores also hold the control plane, the sample and
    rollouts that surge to twice the tasks (scheduling would otherwise wait for them)."""

    def __init__(self, name: str, cpu: str | None = "128"):
        self.name = self.namespace = name
        self.host = f"{name}.localhost"
        cluster, taskdef, service = copy.deepcopy(sample())
        cluster["metadata"]["name"] = cluster["spec"]["clusterName"] = name
        taskdef["metadata"]["name"] = taskdef["spec"]["family"] = name
        if cpu is None:
            del taskdef["spec"]["cpu"]
        else:
            taskdef["spec"]["cpu"] = cpu
        service["metadata"].update(name=name, namespace=name)
        service["spec"].update(cluster=name, serviceName=name, taskDefinition=name)
        service["spec"]["loadBalancers"][0]["ingress"]["host"] = self.host
        self.cluster, self.taskdef, self.service = cluster, taskdef, service

    def create_cluster(self) -> None:
        """Its namespace exists once it is Ready, as create-cluster comes before create-service in ECS."""
        apply(self.cluster)
        wait_for(f"Cluster {self.name} Ready", lambda: condition(get("clusters.ecs.kube-ecs.dev", self.name),
                                                                 "Ready").get("status") == "True", timeout=60)

    def create(self, *objects: dict) -> None:
        """The Cluster, then `objects` (default: the task definition and the Service)."""
        self.create_cluster()
        apply(*(objects or (self.taskdef, self.service)))

    def delete(self) -> None:
        """The Service first: ECS (and the Cluster's finalizer) refuse to delete a Cluster that has one."""
        kubectl("delete", ESVC, self.name, "-n", self.namespace, "--ignore-not-found", "--wait=true",
                "--timeout=90s", check=False)
        kubectl("delete", "taskdefinitions.ecs.kube-ecs.dev", self.name, "--ignore-not-found", "--timeout=60s",
                check=False)
        kubectl("delete", "clusters.ecs.kube-ecs.dev", self.name, "--ignore-not-found", "--timeout=90s", check=False)

    def esvc(self) -> dict | None:
        return get(ESVC, self.name, "-n", self.namespace)

    def status(self) -> dict:
        return (self.esvc() or {}).get("status") or {}

    def ready(self) -> dict | None:
        obj = self.esvc()
        cond = condition(obj, "Ready")
        fresh = obj and cond.get("observedGeneration") == obj["metadata"]["generation"]
        return obj["status"] if fresh and cond.get("status") == "True" else None

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> dict:
        return wait_for(f"Service {self.name} Ready (status: {self.status().get('conditions')})", self.ready, timeout)

    def patch_service(self, patch: dict) -> None:
        kubectl("patch", ESVC, self.name, "-n", self.namespace, "--type", "merge", "-p", json.dumps(patch))

    def deployment(self) -> dict | None:
        return get("deployment", self.name, "-n", self.namespace)


CONTROL_PLANE = os.environ.get("KUBE_ECS_CONTROL_PLANE", "kube-ecs-control-plane")
OPERATOR_NAMESPACE = "kube-ecs-system"
OPERATOR_LABEL = "app.kubernetes.io/name=kube-ecs-operator"
APISERVER_MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"


def api_answers() -> bool:
    result = subprocess.run([KUBECTL, "--context", CONTEXT, "get", "--raw", "/readyz", "--request-timeout=2s"],
                            capture_output=True, text=True, timeout=10)
    return result.returncode == 0 and result.stdout.strip() == "ok"


def api_server_outage(seconds: float) -> float:
    """Take the API server away (its static pod's manifest out of the kubelet's directory), keep it down
    `seconds` after it stops answering, bring it back; returns the monotonic time it answered again."""
    docker = shutil.which("docker") or "docker"
    node = [docker, "exec", CONTROL_PLANE]
    subprocess.run([*node, "mv", APISERVER_MANIFEST, "/etc/kubernetes/kube-apiserver.yaml.away"], check=True,
                   timeout=30)
    try:
        wait_for("the API server to stop answering", lambda: not api_answers(), timeout=90, every=0.5)
        time.sleep(seconds)
    finally:
        subprocess.run([*node, "mv", "/etc/kubernetes/kube-apiserver.yaml.away", APISERVER_MANIFEST], check=True,
                       timeout=30)
    wait_for("the API server to answer again", api_answers, timeout=180, every=0.25)
    return time.monotonic()


def operator_pods() -> list[dict]:
    return items("pods", "-n", OPERATOR_NAMESPACE, "-l", OPERATOR_LABEL)


def lease_holder() -> str:
    lease = get("lease", "kube-ecs-operator", "-n", OPERATOR_NAMESPACE) or {}
    return (lease.get("spec") or {}).get("holderIdentity") or ""


def scale_operator(replicas: int) -> None:
    """`replicas` operator pods running, one of them (the Lease's holder) Ready."""
    kubectl("scale", "deployment", "kube-ecs-operator", "-n", OPERATOR_NAMESPACE, f"--replicas={replicas}")

    def settled() -> bool:
        pods = [p for p in operator_pods() if not p["metadata"].get("deletionTimestamp")]
        running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
        ready = [p["metadata"]["name"] for p in running if condition(p, "Ready").get("status") == "True"]
        return len(pods) == len(running) == replicas and ready == [lease_holder()]

    wait_for(f"{replicas} operator replica(s), the Lease holder Ready", settled, timeout=180)
