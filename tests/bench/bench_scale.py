"""`make bench-scale N=1000`: N Services (0 tasks) through the operator against the same children
applied directly, in one run, on the kind cluster (after `make deploy`).

Both sides go through one `kubectl apply` of one file (the same client, one request at a time):
- operator: a Cluster, a TaskDefinition and N Services; converged when every Service is Ready for
  its generation;
- direct: the children the operator made for them (N Deployments and N Services, copied without
  kube-ecs's labels and owners, so the operator ignores them) in a namespace of their own; converged
  when every Deployment is observed by its controller (0 replicas: nothing to schedule).
Then, at rest: the operator's RSS and CPU over REST_SECONDS, and the writes to any object of the
Cluster over one resync window (services.RESYNC_SECONDS + 15 s; must be 0); then the deletion time
of each side. Exits 1 when a bar is missed (writes at rest > 0, or a side does not converge).
"""

from __future__ import annotations

import copy
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import (  # type: ignore[import-not-found]  # noqa: E402
    ESVC,
    all_of,
    cluster,
    gone,
    kubectl,
    kubectl_apply,
    listed,
    operator_cpu_seconds,
    operator_pod,
    operator_rss_mib,
    ready_services,
    service,
    taskdef,
    versions,
    wait,
)

from kube_ecs.handlers import services as service_handlers  # noqa: E402

N = int(os.environ.get("N", "200"))
REST_SECONDS = 30.0
TIMEOUT = float(os.environ.get("TIMEOUT", str(max(300, N * 1.5))))


def plain(obj: dict, namespace: str) -> dict:
    """A child as a user would write it: no owner, no kube-ecs labels, no server-set fields."""
    copied = copy.deepcopy(obj)
    meta = copied["metadata"]
    copied["metadata"] = {"name": meta["name"], "namespace": namespace, "labels": {"app": meta["name"]}}
    copied.pop("status", None)
    spec = copied["spec"]
    if obj["kind"] == "Deployment":
        spec["selector"] = {"matchLabels": {"app": meta["name"]}}
        spec["template"]["metadata"]["labels"] = {"app": meta["name"]}
    else:
        for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
            spec.pop(field, None)
        spec["selector"] = {"app": meta["name"]}
    return {"apiVersion": obj.get("apiVersion", "v1"), **copied}


def main() -> int:
    run = uuid.uuid4().hex[:5]
    name, direct = f"scale-{run}", f"scale-{run}-direct"
    failures: list[str] = []
    pod = operator_pod()["metadata"]["name"]
    rss_before = operator_rss_mib(pod)
    print(f"N = {N} Services (0 tasks); operator pod {pod}, RSS before {rss_before:.0f} MiB", flush=True)
    try:
        kubectl_apply([cluster(name)])
        wait(f"namespace {name}", lambda: bool(listed("serviceaccounts", name)), 60)
        objects = [taskdef(name)] + [service(f"s{i:05d}", name, name) for i in range(N)]
        start = time.monotonic()
        kubectl_apply(objects)
        applied = time.monotonic() - start
        op_seconds = wait(f"{N} Services Ready", lambda: all_of(ready_services(name), N),
                          TIMEOUT, every=2.0) + applied
        print(f"operator: kubectl apply {applied:.1f}s, converged (all Ready) {op_seconds:.1f}s", flush=True)

        children = [{"kind": "Deployment", "apiVersion": "apps/v1", **d} for d in listed("deployments", name)] + \
            [{"kind": "Service", "apiVersion": "v1", **s} for s in listed("services", name)]
        kubectl("create", "namespace", direct)
        start = time.monotonic()
        kubectl_apply([plain(c, direct) for c in children])
        applied_direct = time.monotonic() - start

        def direct_done() -> bool | int:
            return all_of(sum(1 for d in listed("deployments", direct)
                              if (d.get("status") or {}).get("observedGeneration", 0) >= d["metadata"]["generation"]), N)

        direct_seconds = wait("the direct Deployments observed", direct_done, TIMEOUT, every=2.0) + applied_direct
        print(f"direct: {len(children)} children, kubectl apply {applied_direct:.1f}s, "
              f"converged {direct_seconds:.1f}s", flush=True)
        print(f"time to converge, operator / direct: {op_seconds / direct_seconds:.2f}", flush=True)

        pod = operator_pod()["metadata"]["name"]
        cpu = operator_cpu_seconds(pod)
        time.sleep(REST_SECONDS)
        cpu_rest = (operator_cpu_seconds(pod) - cpu) / REST_SECONDS
        rss = operator_rss_mib(pod)
        print(f"at rest: operator RSS {rss:.0f} MiB, CPU {cpu_rest * 100:.1f}% of a core", flush=True)

        window = service_handlers.RESYNC_SECONDS + 15
        before = versions(name)
        time.sleep(window)
        after = versions(name)
        writes = sum(1 for uid, rv in after.items() if before.get(uid) != rv)
        print(f"objects written in a {window:.0f}s resync window at rest: {writes} (bar 0)", flush=True)
        if writes:
            failures.append(f"{writes} objects written at rest")

        start = time.monotonic()
        kubectl("delete", ESVC, "--all", "-n", name, "--wait=false")
        op_delete = wait("the Services gone", lambda: gone(ESVC, name), TIMEOUT, every=2.0)
        op_delete += wait("their Deployments gone", lambda: gone("deployments", name), TIMEOUT, every=2.0)
        start = time.monotonic()
        kubectl("delete", "deployments,services", "--all", "-n", direct, "--wait=false")
        direct_delete = wait("the direct Deployments gone", lambda: gone("deployments", direct), TIMEOUT, every=2.0)
        print(f"deletion: operator {op_delete:.1f}s, direct {direct_delete:.1f}s", flush=True)
    except AssertionError as e:
        failures.append(str(e))
    finally:
        kubectl("delete", ESVC, "--all", "-n", name, "--wait=false", check=False)
        kubectl("delete", "taskdefinitions.ecs.kube-ecs.dev", name, "--ignore-not-found", "--wait=false", check=False)
        kubectl("delete", "namespace", direct, "--ignore-not-found", "--wait=false", check=False)
        wait(f"the Services of {name} gone", lambda: gone(ESVC, name), TIMEOUT, every=2.0)
        kubectl("delete", "clusters.ecs.kube-ecs.dev", name, "--ignore-not-found", "--wait=false", check=False)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
