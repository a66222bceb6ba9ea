"""Operator figures on the kind cluster (after `make deploy`): time from `kubectl apply` of the cats
sample to its Service being Ready, over a few fresh copies, and the operator's resident memory.
Prints figures; asserts nothing (targets live here, not in timed tests). `make bench-cluster`."""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from cluster import App, apply, get, kubectl  # noqa: E402

ROUNDS = 3


def operator_rss_mib() -> float:
    [pod] = get("pods", "-n", "kube-ecs-system", "-l", "app.kubernetes.io/name=kube-ecs-operator")["items"]
    status = kubectl("exec", "-n", "kube-ecs-system", pod["metadata"]["name"], "--", "cat", "/proc/1/status").stdout
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


def apply_to_ready(app: App) -> float:
    app.create_cluster()
    start = time.monotonic()
    apply(app.taskdef, app.service)
    app.wait_ready()
    return time.monotonic() - start


def main() -> None:
    print(f"operator RSS before: {operator_rss_mib():.1f} MiB")
    # Tasks without a cpu size (EC2-style): ROUNDS Services of 2 tasks fit on the node beside the sample.
    apps = [App(f"bench-{uuid.uuid4().hex[:6]}", cpu=None) for _ in range(ROUNDS)]
    try:
        seconds = [apply_to_ready(app) for app in apps]
        print(f"kubectl apply → Service Ready (2 tasks), {ROUNDS} rounds: "
              f"median {statistics.median(seconds):.1f}s, min {min(seconds):.1f}s, max {max(seconds):.1f}s")
        print(f"operator RSS with {ROUNDS} services: {operator_rss_mib():.1f} MiB")
    finally:
        for app in apps:
            app.delete()


if __name__ == "__main__":
    main()
