"""apply → Ready and revision update → rollout complete: the operator against a plain Deployment of
the same pods, in the same run, on the same cluster (after `make deploy`). `make bench-ready`.

Each round: a TaskDefinition + Service (2 tasks) through the operator, timed from `kubectl apply` to
the Service's Ready condition (fresh for its generation); then the very Deployment the operator made,
copied under another name without kube-ecs's labels (so the operator ignores it) into a namespace of
its own, timed from `kubectl apply` to all its replicas ready. Each side's pods are the first of their
namespace, both made just before the round and settled (root CA ConfigMap, default ServiceAccount): a
node's first pods of a namespace start up to 3 s slower than the next ones (created → ready 1.0-4.6 s
against 1.1-2.0 s), which a shared namespace charged to whichever side went first. The update: a new
environment variable in the task definition (a new revision, the Service rolls) against the same
change to the plain Deployment's template, until no old task is left. ECS counts a rollout complete once the old tasks have STOPPED,
where a Deployment's status is complete once its old pods are told to stop: the plain Deployment is
also timed until its old pods have stopped too (`plain_roll_stopped`), the like-for-like figure,
printed beside the bar's. Rounds alternate the two, so a slow moment of the cluster hits
both. Both are polled every POLL seconds. Exits 1 when a median ratio is over BAR (the issue's 1.1).
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from cluster import App, apply, condition, get, kubectl  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "5"))
BAR = float(os.environ.get("BAR", "1.1"))
POLL = 0.05
TIMEOUT = 180.0


def poll(what: str, probe) -> float:
    start = time.monotonic()
    while time.monotonic() - start < TIMEOUT:
        if probe():
            return time.monotonic()
        time.sleep(POLL)
    raise AssertionError(f"timed out waiting for {what}")


def service_settled(app: App, revision: int | None = None) -> bool:
    obj = app.esvc()
    cond = condition(obj, "Ready")
    if not obj or cond.get("status") != "True" or cond.get("observedGeneration") != obj["metadata"]["generation"]:
        return False
    deployments = obj["status"].get("deployments") or []
    if revision is None:
        return True
    return len(deployments) == 1 and deployments[0].get("taskDefinition", "").endswith(f":{revision}") \
        and deployments[0].get("rolloutState") == "COMPLETED" and obj["status"].get("runningCount") == 2


def deployment_settled(namespace: str, name: str) -> bool:
    obj = get("deployment", name, "-n", namespace)
    if not obj:
        return False
    spec, status = obj["spec"], obj.get("status") or {}
    replicas = spec.get("replicas", 1)
    return status.get("observedGeneration", 0) >= obj["metadata"]["generation"] and \
        status.get("updatedReplicas") == replicas == status.get("readyReplicas") == status.get("replicas") \
        and not status.get("unavailableReplicas")


def old_pods_stopped(namespace: str, name: str) -> bool:
    """Every pod of the plain Deployment is of its current template, or has stopped (all containers exited)."""
    pods = (get("pods", "-n", namespace, "-l", f"app={name}") or {}).get("items", [])
    current = {p["metadata"]["labels"].get("pod-template-hash") for p in pods
               if not p["metadata"].get("deletionTimestamp")}
    return len(current) == 1 and all(p["metadata"].get("deletionTimestamp") is None
                                     or p["status"].get("phase") in ("Succeeded", "Failed") for p in pods)


def plain_copy(deployment: dict, name: str, namespace: str) -> dict:
    """The operator's Deployment as a user would write it: no owner, no kube-ecs labels or annotations."""
    plain = copy.deepcopy(deployment)
    meta = {"name": name, "namespace": namespace, "labels": {"app": name}}
    plain["metadata"] = meta
    plain.pop("status", None)
    plain["spec"]["selector"] = {"matchLabels": {"app": name}}
    template_meta = plain["spec"]["template"]["metadata"]
    template_meta["labels"] = {"app": name}
    return plain


def main() -> int:
    rows: dict[str, list[float]] = {"op_ready": [], "plain_ready": [], "op_roll": [], "plain_roll": [],
                                    "plain_roll_stopped": []}
    apps = [App(f"bench-{uuid.uuid4().hex[:6]}", cpu=None) for _ in range(ROUNDS)]
    try:
        for i, app in enumerate(apps):
            app.create_cluster()
            plain_ns = f"{app.namespace}-plain"
            kubectl("create", "namespace", plain_ns)
            for ns in (app.namespace, plain_ns):
                poll(f"namespace {ns} settled", lambda ns=ns: get("configmap", "kube-root-ca.crt", "-n", ns)
                     and get("serviceaccount", "default", "-n", ns))
            start = time.monotonic()
            apply(app.taskdef, app.service)
            rows["op_ready"].append(poll("the Service Ready", lambda a=app: service_settled(a)) - start)
            made = app.deployment()
            assert made is not None
            plain = plain_copy(made, f"plain-{i}", plain_ns)
            start = time.monotonic()
            apply(plain)
            rows["plain_ready"].append(poll("the plain Deployment ready",
                                            lambda ns=plain_ns, n=f"plain-{i}": deployment_settled(ns, n)) - start)
            # A new revision (an environment variable) against the same change to the plain Deployment.
            taskdef = copy.deepcopy(app.taskdef)
            taskdef["spec"]["containerDefinitions"][0]["environment"] = [{"name": "ROUND", "value": str(i)}]
            start = time.monotonic()
            apply(taskdef)
            rows["op_roll"].append(poll("the Service rolled to revision 2",
                                        lambda a=app: service_settled(a, revision=2)) - start)
            patch = {"spec": {"template": {"spec": {"containers": [
                {"name": plain["spec"]["template"]["spec"]["containers"][0]["name"],
                 "env": [{"name": "ROUND", "value": str(i)}]}]}}}}
            start = time.monotonic()
            kubectl("patch", "deployment", f"plain-{i}", "-n", plain_ns, "--type", "strategic",
                    "-p", json.dumps(patch))
            time.sleep(POLL)  # the Deployment controller sees the new generation
            rows["plain_roll"].append(poll("the plain Deployment rolled",
                                           lambda ns=plain_ns, n=f"plain-{i}": deployment_settled(ns, n)) - start)
            rows["plain_roll_stopped"].append(poll("the plain Deployment's old pods stopped",
                                                   lambda ns=plain_ns, n=f"plain-{i}": old_pods_stopped(ns, n))
                                              - start)
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in rows.items()), flush=True)
    finally:
        for app in apps:
            kubectl("delete", "namespace", f"{app.namespace}-plain", "--ignore-not-found", "--wait=false", check=False)
            app.delete()
    medians = {k: statistics.median(v) for k, v in rows.items()}
    ready_ratio = medians["op_ready"] / medians["plain_ready"]
    roll_ratio = medians["op_roll"] / medians["plain_roll"]
    print(f"apply → Ready, median of {ROUNDS}: operator {medians['op_ready']:.2f}s, "
          f"plain Deployment {medians['plain_ready']:.2f}s, ratio {ready_ratio:.2f} (bar {BAR})")
    print(f"revision update → rollout complete, median of {ROUNDS}: operator {medians['op_roll']:.2f}s, "
          f"plain Deployment {medians['plain_roll']:.2f}s, ratio {roll_ratio:.2f} (bar {BAR}); "
          f"plain Deployment until its old pods have stopped too {medians['plain_roll_stopped']:.2f}s, "
          f"ratio {medians['op_roll'] / medians['plain_roll_stopped']:.2f}")
    return 0 if ready_ratio <= BAR and roll_ratio <= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
