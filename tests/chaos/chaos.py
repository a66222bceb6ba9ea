"""`make chaos`: faults injected into the operator and the kind cluster, with the figures printed and
a bar for each; exits 1 when one is missed. Scenarios (all by default; name some to run those):

  kills    kill the operator 10 times during a 200-Service apply: all converge, 0 duplicate children,
           0 orphans, one revision; time to converge
  outage   the API server held down 90 s: a change made once it answers is acted on within 10 s
  node     a worker's node container restarted: the node comes back and a Service with tasks on
           it is Ready again
  heal     children deleted and edited by hand: healed within 10 s each
  specs    1,000 generated bad specs through `kubectl apply`: each refused with a field path, or
           accepted and given a status; the operator never restarts

Bounded: every wait has a timeout; the whole suite took 9 min 16 s on the project's kind
cluster (kills 2.3 min, outage 2.5, node 0.2, heal 0.2, specs 2.6). Needs the cluster to itself
(it kills the operator and stops the API server): not part of `make test`.
"""

from __future__ import annotations

import concurrent.futures
import copy
import datetime
import json
import random
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from cluster import (  # noqa: E402
    CONTEXT,
    KUBECTL,
    OPERATOR_LABEL,
    OPERATOR_NAMESPACE,
    App,
    api_server_outage,
    condition,
    get,
    kubectl,
)
from scale import (  # type: ignore[import-not-found]  # noqa: E402
    ESVC,
    SERVICE_LABEL,
    all_of,
    cluster,
    gone,
    kubectl_apply,
    listed,
    operator_pod,
    operator_restarts,
    ready_services,
    service,
    taskdef,
    wait,
)

TD = "taskdefinitions.ecs.kube-ecs.dev"
TDREV = "taskdefinitionrevisions.ecs.kube-ecs.dev"
figures: list[str] = []
failures: list[str] = []


def figure(text: str) -> None:
    figures.append(text)
    print(f"  {text}", flush=True)


def bar(ok: bool, text: str) -> None:
    figure(("ok    " if ok else "MISSED ") + text)
    if not ok:
        failures.append(text)


def operator_ready() -> bool:
    pods = [p for p in listed("pods", OPERATOR_NAMESPACE, "-l", OPERATOR_LABEL) if not p["metadata"].get("deletionTimestamp")]
    return any(condition(p, "Ready").get("status") == "True" for p in pods)


def make_cluster(name: str) -> None:
    kubectl_apply([cluster(name)])
    wait(f"namespace {name}", lambda: bool(listed("serviceaccounts", name)), 60)


def drop_cluster(name: str) -> None:
    kubectl("delete", ESVC, "--all", "-n", name, "--wait=false", check=False)
    kubectl("delete", TD, name, "--ignore-not-found", "--wait=false", check=False)
    try:
        wait(f"the Services of {name} gone", lambda: gone(ESVC, name), 300, every=2.0)
    finally:
        kubectl("delete", "clusters.ecs.kube-ecs.dev", name, "--ignore-not-found", "--wait=false", check=False)


def scenario_kills(n: int = 200, kills: int = 10) -> None:
    name = f"chaos-kills-{uuid.uuid4().hex[:4]}"
    make_cluster(name)
    try:
        objects = [taskdef(name)] + [service(f"s{i:04d}", name, name) for i in range(n)]
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            applying = pool.submit(kubectl_apply, objects)
            for _ in range(kills):
                time.sleep(2.0)
                pod = operator_pod()["metadata"]["name"]
                kubectl("delete", "pod", pod, "-n", OPERATOR_NAMESPACE, "--wait=false", "--grace-period=1", check=False)
                wait("an operator Ready again", operator_ready, 120, every=0.5)
            applying.result()  # a refused apply fails the scenario now, not after the 600 s wait
        wait(f"{n} Services Ready", lambda: all_of(ready_services(name), n), 600, every=2.0)
        figure(f"{n} Services applied while the operator was killed {kills} times: all Ready "
               f"{time.monotonic() - start:.0f}s after the apply began")
        deployments = Counter(d["metadata"]["labels"].get(SERVICE_LABEL) for d in listed("deployments", name))
        k8s_services = Counter(s["metadata"]["labels"].get(SERVICE_LABEL) for s in listed("services", name))
        names = {s["metadata"]["name"] for s in listed(ESVC, name)}
        duplicates = sum(c - 1 for c in deployments.values() if c > 1) + sum(c - 1 for c in k8s_services.values() if c > 1)
        orphans = sum(1 for s in set(deployments) | set(k8s_services) if s not in names)
        missing = sum(1 for s in names if s not in deployments)
        revisions = [r for r in listed(TDREV, "") if r["spec"].get("family") == name]
        bar(duplicates == 0, f"duplicate children: {duplicates} (bar 0)")
        bar(orphans == 0, f"orphaned children: {orphans} (bar 0)")
        bar(missing == 0, f"Services without their Deployment: {missing} (bar 0)")
        bar(len(revisions) == 1, f"revisions of the family: {len(revisions)} (bar 1)")
    except AssertionError as e:
        bar(False, f"kills: {e}")
    finally:
        wait("an operator Ready", operator_ready, 180, every=1.0)
        drop_cluster(name)


def scenario_outage(down: float = 90.0) -> None:
    app = App(f"chaos-outage-{uuid.uuid4().hex[:4]}", cpu=None)
    app.service["spec"]["desiredCount"] = 1
    app.create()
    try:
        app.wait_ready()
        back = api_server_outage(down)
        start = time.monotonic()
        app.patch_service({"spec": {"desiredCount": 2}})
        wait("the Deployment scaled to 2",
             lambda: ((app.deployment() or {}).get("spec") or {}).get("replicas") == 2, 120, every=0.2)
        seconds = time.monotonic() - start
        bar(seconds < 10, f"API server down {down:.0f}s; a change made once it answered was acted on in {seconds:.1f}s "
                          f"({time.monotonic() - back:.1f}s after it answered; bar 10s)")
        app.wait_ready()
    except AssertionError as e:
        bar(False, f"outage: {e}")
    finally:
        wait("an operator Ready", operator_ready, 180, every=1.0)
        app.delete()


def scenario_node(node: str = "kube-ecs-worker") -> None:
    app = App(f"chaos-node-{uuid.uuid4().hex[:4]}", cpu=None)
    app.create()
    try:
        app.wait_ready()
        start = time.monotonic()
        # Whole seconds, as the API's timestamps: a heartbeat or a container start at or after it is new.
        restarted = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        subprocess.run(["docker", "restart", node], check=True, capture_output=True, timeout=120)

        def since_restart(stamp: str | None) -> bool:
            return bool(stamp) and datetime.datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) >= restarted

        def node_ready() -> bool:
            # The condition alone still says Ready until the node controller notices the silence (40 s):
            # Ready with a heartbeat of the restarted kubelet is the node back.
            ready = condition(get("node", node), "Ready")
            return ready.get("status") == "True" and since_restart(ready.get("lastHeartbeatTime"))

        def tasks_restarted() -> bool:
            pods = [p for p in listed("pods", app.namespace) if (p.get("spec") or {}).get("nodeName") == node]
            return all(since_restart(((c.get("state") or {}).get("running") or {}).get("startedAt"))
                       for p in pods for c in (p.get("status") or {}).get("containerStatuses") or [{}])

        node_back = wait(f"node {node} Ready after its restart", node_ready, 300, every=1.0)
        wait(f"the tasks on {node} running again", tasks_restarted, 300, every=1.0)
        wait(f"Service {app.name} Ready", lambda: app.ready() is not None, 300, every=1.0)
        bar(True, f"node container {node} restarted: node Ready after {node_back:.0f}s, "
                  f"the Service Ready again {time.monotonic() - start:.0f}s after the restart")
    except (AssertionError, subprocess.SubprocessError) as e:
        bar(False, f"node: {e}")
    finally:
        app.delete()


def scenario_heal() -> None:
    app = App(f"chaos-heal-{uuid.uuid4().hex[:4]}", cpu=None)
    app.create()
    try:
        app.wait_ready()
        ns = ("-n", app.namespace)
        cases = [
            ("Deployment deleted", lambda: kubectl("delete", "deployment", app.name, *ns, "--wait=false"),
             lambda: bool(app.deployment()) and not (app.deployment() or {})["metadata"].get("deletionTimestamp")),
            ("Deployment scaled to 5 by hand", lambda: kubectl("scale", "deployment", app.name, *ns, "--replicas=5"),
             lambda: ((app.deployment() or {}).get("spec") or {}).get("replicas") == 2),
            ("Service deleted", lambda: kubectl("delete", "service", app.name, *ns, "--wait=false"),
             lambda: bool(get("service", app.name, *ns))),
            ("Service port edited", lambda: kubectl("patch", "service", app.name, *ns, "--type", "json", "-p",
                                                    json.dumps([{"op": "replace", "path": "/spec/ports/0/port",
                                                                 "value": 8081}])),
             lambda: (get("service", app.name, *ns) or {}).get("spec", {}).get("ports", [{}])[0].get("port") != 8081),
            ("Ingress deleted", lambda: kubectl("delete", "ingress", app.name, *ns, "--wait=false"),
             lambda: bool(get("ingress", app.name, *ns))),
        ]
        for what, break_it, healed in cases:
            break_it()
            time.sleep(0.3)
            seconds = wait(f"healed: {what}", healed, 60, every=0.2) + 0.3
            bar(seconds < 10, f"{what}: healed in {seconds:.1f}s (bar 10s)")
    except AssertionError as e:
        bar(False, f"heal: {e}")
    finally:
        app.delete()


# Bad values a user might write, by kind of field.
BAD = [-1, 0, 10**12, "", "x" * 300, None, [], {}, "NOT_AN_ENUM", True, 1.5, "-5", "1 TB", {"a": 1}, [1, 2]]
TD_FIELDS: list[tuple] = [("cpu",), ("memory",), ("networkMode",), ("requiresCompatibilities",), ("family",),
             ("containerDefinitions",), ("containerDefinitions", 0, "name"), ("containerDefinitions", 0, "image"),
             ("containerDefinitions", 0, "memory"), ("containerDefinitions", 0, "cpu"),
             ("containerDefinitions", 0, "essential"), ("containerDefinitions", 0, "portMappings"),
             ("containerDefinitions", 0, "portMappings", 0, "containerPort"),
             ("containerDefinitions", 0, "portMappings", 0, "protocol"), ("containerDefinitions", 0, "healthCheck"),
             ("containerDefinitions", 0, "environment"), ("containerDefinitions", 0, "command"),
             ("containerDefinitions", 0, "dependsOn"), ("containerDefinitions", 0, "ulimits"), ("volumes",),
             ("placementConstraints",), ("runtimePlatform",), ("pidMode",), ("ephemeralStorage",)]
SVC_FIELDS: list[tuple] = [("desiredCount",), ("launchType",), ("schedulingStrategy",), ("deploymentConfiguration",),
              ("deploymentConfiguration", "minimumHealthyPercent"), ("deploymentConfiguration", "maximumPercent"),
              ("loadBalancers",), ("placementConstraints",), ("placementStrategy",), ("capacityProviderStrategy",),
              ("healthCheckGracePeriodSeconds",), ("serviceName",), ("cluster",), ("taskDefinition",), ("tags",),
              ("propagateTags",), ("networkConfiguration",), ("serviceRegistries",)]


def _set(spec: dict, path: tuple, value: object) -> None:
    target: object = spec
    for key in path[:-1]:
        if isinstance(target, dict):
            target = target.setdefault(key, {} if not isinstance(key, int) else [])
        elif isinstance(target, list) and isinstance(key, int):
            while len(target) <= key:
                target.append({})
            target = target[key]
    last = path[-1]
    if isinstance(target, dict):
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    elif isinstance(target, list) and isinstance(last, int) and last < len(target) and value is not None:
        target[last] = value


def generated(rng: random.Random, i: int, namespace: str) -> tuple[dict, list[tuple]]:
    """A valid TaskDefinition or Service with 1-3 fields set to bad values (None: removed). Services
    name a family that does not exist, so nothing they are accepted with can start pods."""
    if rng.random() < 0.5:
        obj = taskdef(f"chaos-td-{i:04d}")
        fields = TD_FIELDS
    else:
        obj = service(f"chaos-svc-{i:04d}", namespace, "chaos-no-such-family", count=1)
        fields = SVC_FIELDS
    paths = rng.sample(fields, rng.randint(1, 3))
    for path in paths:
        _set(obj["spec"], path, copy.deepcopy(rng.choice(BAD)))
    return obj, paths


FIELD_PATH = re.compile(r"spec\.|\[\d+\]|\b(containerDefinitions|desiredCount|deploymentConfiguration|family|cpu|"
                        r"memory|networkMode|launchType|loadBalancers|placement\w*|serviceName|cluster|"
                        r"taskDefinition|volumes|\w+Percent|\w+Seconds|\w+Strategy|runtimePlatform|pidMode)\b")


def scenario_specs(count: int = 1000, seed: int = 20261202) -> None:
    namespace = f"chaos-specs-{uuid.uuid4().hex[:4]}"
    make_cluster(namespace)
    rng = random.Random(seed)
    cases = [generated(rng, i, namespace) for i in range(count)]
    restarts = operator_restarts()
    refused: list[str] = []
    unexplained: list[str] = []
    accepted: list[dict] = []

    def one(case: tuple[dict, list[tuple]]) -> None:
        obj, _ = case
        result = subprocess.run([KUBECTL, "--context", CONTEXT, "apply", "-f", "-"], input=json.dumps(obj),
                                capture_output=True, text=True, timeout=60)
        if result.returncode == 0:
            accepted.append(obj)
        elif FIELD_PATH.search(result.stderr):
            refused.append(obj["metadata"]["name"])
        else:
            unexplained.append(f"{obj['metadata']['name']}: {result.stderr.strip()[:200]}")

    start = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(one, cases))
        applied = time.monotonic() - start

        def with_status() -> bool | int:
            done = 0
            for kind, ns in ((TD, ()), (ESVC, ("-n", namespace))):
                for obj in json.loads(kubectl("get", kind, *ns, "-o", "json").stdout)["items"]:
                    if not obj["metadata"]["name"].startswith("chaos-"):
                        continue
                    cond = condition(obj, "Ready")
                    done += cond.get("observedGeneration") == obj["metadata"]["generation"]
            return all_of(done, len(accepted))

        wait(f"a status on each of the {len(accepted)} accepted specs", with_status, 300, every=3.0)
        figure(f"{count} generated bad specs (seed {seed}) applied in {applied:.0f}s: {len(refused)} refused with a "
               f"field path, {len(accepted)} accepted and given a status")
        bar(not unexplained, f"refused without a field path: {len(unexplained)} (bar 0)"
                             + "".join(f"\n          {u}" for u in unexplained[:5]))
        bar(operator_restarts() == restarts and operator_ready(),
            f"operator restarts during the specs: {operator_restarts() - restarts} (bar 0)")
    except AssertionError as e:
        bar(False, f"specs: {e}")
    finally:
        kubectl("delete", ESVC, "--all", "-n", namespace, "--wait=false", check=False)
        names = [obj["metadata"]["name"] for obj, _ in cases if obj["kind"] == "TaskDefinition"]
        for chunk in range(0, len(names), 100):
            kubectl("delete", TD, *names[chunk:chunk + 100], "--ignore-not-found", "--wait=false", check=False)
        drop_cluster(namespace)


SCENARIOS: dict[str, Callable[[], None]] = {"kills": scenario_kills, "outage": scenario_outage, "node": scenario_node, "heal": scenario_heal,
             "specs": scenario_specs}


def main(names: list[str]) -> int:
    chosen = names or list(SCENARIOS)
    began = time.monotonic()
    for name in chosen:
        print(f"[chaos] {name}", flush=True)
        start = time.monotonic()
        SCENARIOS[name]()
        print(f"  ({time.monotonic() - start:.0f}s)", flush=True)
    print(f"[chaos] {len(chosen)} scenarios in {time.monotonic() - began:.0f}s: "
          f"{'all bars met' if not failures else f'{len(failures)} bar(s) missed'}")
    for failure in failures:
        print(f"  MISSED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
