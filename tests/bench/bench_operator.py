"""Operator figures on the kind cluster (after `make deploy`): time from `kubectl apply` of the cats
sample to its Service being Ready, over a few fresh copies, and the operator's resident memory.
Prints figures; asserts nothing (targets live here, not in timed tests). `make bench-cluster`."""

from __future__ import annotations

import copy
import statistics
import sys
import time
import uuid
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from cluster import REPO, apply, get, kubectl, wait_for  # noqa: E402

ROUNDS = 3


def operator_rss_mib() -> float:
    [pod] = get("pods", "-n", "kube-ecs-system", "-l", "app.kubernetes.io/name=kube-ecs-operator")["items"]
    status = kubectl("exec", "-n", "kube-ecs-system", pod["metadata"]["name"], "--", "cat", "/proc/1/status").stdout
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


def apply_to_ready(name: str) -> float:
    cluster, taskdef, service = copy.deepcopy(list(yaml.safe_load_all((REPO / "manifests/samples/cats.yaml").read_text())))
    cluster["metadata"]["name"] = cluster["spec"]["clusterName"] = name
    taskdef["metadata"]["name"] = taskdef["spec"]["family"] = name
    service["metadata"].update(name=name, namespace=name)
    service["spec"].update(cluster=name, serviceName=name, taskDefinition=name)
    service["spec"]["loadBalancers"][0]["ingress"]["host"] = f"{name}.localhost"
    apply(cluster)
    kubectl("wait", "--for=condition=Ready", f"clusters.ecs.kube-ecs.dev/{name}", "--timeout=60s")
    start = time.monotonic()
    apply(taskdef, service)
    wait_for(f"{name} Ready", lambda: kubectl("wait", "--for=condition=Ready", "-n", name,
                                              f"services.ecs.kube-ecs.dev/{name}", "--timeout=5s",
                                              check=False).returncode == 0)
    return time.monotonic() - start


def main() -> None:
    print(f"operator RSS before: {operator_rss_mib():.1f} MiB")
    names = [f"bench-{uuid.uuid4().hex[:6]}" for _ in range(ROUNDS)]
    try:
        seconds = [apply_to_ready(name) for name in names]
        print(f"kubectl apply → Service Ready (2 tasks), {ROUNDS} rounds: "
              f"median {statistics.median(seconds):.1f}s, min {min(seconds):.1f}s, max {max(seconds):.1f}s")
        print(f"operator RSS with {ROUNDS} services: {operator_rss_mib():.1f} MiB")
    finally:
        for name in names:
            kubectl("delete", "services.ecs.kube-ecs.dev", name, "-n", name, "--ignore-not-found", "--wait=true",
                    "--timeout=90s", check=False)
            kubectl("delete", "taskdefinitions.ecs.kube-ecs.dev,clusters.ecs.kube-ecs.dev", name, "--ignore-not-found",
                    "--wait=false", check=False)


if __name__ == "__main__":
    main()
