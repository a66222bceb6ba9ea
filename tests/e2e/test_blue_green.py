"""BLUE_GREEN deployments on the kind cluster (after `make deploy`): production traffic through the Ingress
switches to green only once green is healthy, the test host serves green before that, blue stays for the bake
time; a green task failing during the bake switches production back to blue. Each test has its own Cluster,
TaskDefinition and Service.

Blue serves CATS=blue, green CATS=green. The green that switches late sleeps before it serves (its health
check passes only then); the green that fails during the bake exits 25 s after it started."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from cluster import ESVC, App, apply, condition, events_for, get, http_get, items, wait_for, wait_http_ok

from kube_ecs.resources.blue_green import DEPLOYMENT_LABEL, deployment_label, route_name

pytestmark = pytest.mark.e2e

DESIRED = 2
BAKE_MINUTES = 1
HEALTH = {"command": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1/healthz || exit 1"], "interval": 5,
          "timeout": 2, "retries": 2, "startPeriod": 60}


@pytest.fixture
def app(request) -> Iterator[App]:
    name = f"e2e-bg-{request.node.name.removeprefix('test_')[:16].replace('_', '-')}-{uuid.uuid4().hex[:5]}"
    made = App(name, cpu=None)
    made.service["spec"]["desiredCount"] = DESIRED
    made.service["spec"]["deploymentConfiguration"] = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": BAKE_MINUTES}
    container(made).update(environment=[{"name": "CATS", "value": "blue"}], healthCheck=HEALTH)
    yield made
    made.delete()


def container(app: App) -> dict:
    return app.taskdef["spec"]["containerDefinitions"][0]


def green_host(app: App) -> str:
    """The test route's host (docs/rollouts.md)."""
    return f"test.{app.host}"


def route_of(app: App) -> str:
    """The test Service's and Ingress' name (docs/rollouts.md): `<name>-test-` + a hash of the ECS Service's uid."""
    esvc = app.esvc()
    assert esvc, f"no ECS Service {app.name}"
    return route_name(app.name, esvc["metadata"]["uid"])


def colour(response: tuple[int, str]) -> str:
    """The page's CATS value, or the HTTP status when it is not a page."""
    found = re.search(r"Cats: <b>([^<]*)</b>", response[1]) if response[0] == 200 else None
    return found.group(1) if found else str(response[0])


def stable(app: App, revision: int) -> dict:
    status = app.ready() or {}
    deployments = status.get("deployments") or []
    ok = len(deployments) == 1 and status.get("taskDefinition") == f"{app.name}:{revision}" and \
        status.get("runningCount") == DESIRED
    return status if ok else {}


def register(app: App, revision: int) -> None:
    apply(app.taskdef)
    wait_for(f"TaskDefinition revision {revision}", lambda: (get("taskdefinitions.ecs.kube-ecs.dev", app.name) or {})
             .get("status", {}).get("revision") == revision, timeout=60, every=0.2)


def tasks_of(app: App, deployment_id: str) -> list[dict]:
    return [p for p in items("pods", "-n", app.namespace, "-l", f"{DEPLOYMENT_LABEL}={deployment_label(deployment_id)}")
            if not p["metadata"].get("deletionTimestamp")]


def epoch(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").timestamp()


def messages(app: App) -> list[str]:
    return [e["message"] for e in app.status().get("events") or []]


def started(app: App) -> tuple[str, set[str]]:
    """Blue on revision 1, serving: its deployment id and its tasks."""
    app.create()
    status = wait_for("revision 1 stable", lambda: stable(app, 1), timeout=180)
    assert colour(http_get(app.host)) == "blue" or "blue" in wait_http_ok(app.host)
    blue = status["deployments"][0]["id"]
    return blue, {p["metadata"]["name"] for p in tasks_of(app, blue)}


def deploy_green(app: App, command: str) -> float:
    """Revision 2, CATS=green, running `command`: the wall-clock time it was applied."""
    container(app).update(environment=[{"name": "CATS", "value": "green"}], entryPoint=["sh", "-c", command])
    applied = time.time()
    register(app, 2)
    return applied


def until_production_serves(app: App, wanted: str, timeout: float, watch: Callable[[], object] = lambda: None,
                            ) -> tuple[float, list[tuple[float, str, str]]]:
    """Poll production and the test host until production serves `wanted`: (the wall-clock time it first did,
    every sample (time, production, test host)). `watch` is called between samples."""
    samples = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = time.time()
        prod, test = colour(http_get(app.host)), colour(http_get(green_host(app)))
        samples.append((now, prod, test))
        if prod == wanted:
            return now, samples
        watch()
        time.sleep(0.05)
    raise AssertionError(f"production never served {wanted}; last samples {samples[-5:]}")


@pytest.mark.serial  # it times the switch
def test_traffic_switches_only_after_green_is_healthy_and_blue_stays_for_the_bake(app: App, record_property):
    blue, blue_tasks = started(app)
    applied = deploy_green(app, "sleep 8; exec /cats")
    switched, samples = until_production_serves(app, "green", timeout=180)
    to_switch = switched - applied
    before = [s for s in samples if s[0] < switched]
    assert before and all(prod == "blue" for _, prod, _ in before), f"production before the switch: {before}"
    test_green = [t for t, _, test in before if test == "green"]
    assert test_green, f"the test host never served green before the switch: {before[-10:]}"
    status = app.status()
    green = status["rollout"]["blueGreen"]["green"]["id"]
    assert status["rollout"]["blueGreen"]["green"]["lifecycleStage"] == "BAKE_TIME"
    ready_at = [epoch(c["lastTransitionTime"]) for p in tasks_of(app, green) for c in p["status"]["conditions"]
                if c["type"] == "Ready" and c["status"] == "True"]
    assert len(ready_at) == DESIRED and max(ready_at) <= switched + 1, "switched before every green task was healthy"
    assert to_switch > 8, "green sleeps 8 s before its health check can pass"
    record_property("apply_to_switch_seconds", round(to_switch, 1))
    print(f"\n[measure] desiredCount {DESIRED}: revision applied → production serves green {to_switch:.1f}s "
          f"(green healthy after its 8 s start-up); test host served green {switched - test_green[0]:.1f}s "
          f"before production")
    # Blue stays, whole, during the bake.
    active = [d for d in status["deployments"] if d["id"] == blue]
    assert active and active[0]["status"] == "ACTIVE" and active[0]["runningCount"] == DESIRED
    assert {p["metadata"]["name"] for p in tasks_of(app, blue)} == blue_tasks
    progressing = condition(app.esvc(), "Progressing")
    assert progressing["status"] == "True" and progressing["reason"] == "BakeTime"
    assert [colour(http_get(app.host)) for _ in range(10)] == ["green"] * 10
    time.sleep(BAKE_MINUTES * 60 - 15)
    assert {p["metadata"]["name"] for p in tasks_of(app, blue)} == blue_tasks, "blue kept until the bake ends"
    # Then blue goes, and so does the test route.
    status = wait_for("revision 2 stable", lambda: stable(app, 2), timeout=120)
    assert status["deployments"][0]["id"] == green and not tasks_of(app, blue)
    assert get("ingress", route_of(app), "-n", app.namespace) is None
    assert get("service", route_of(app), "-n", app.namespace) is None
    said = messages(app)
    assert any(f"(deployment {green}) production traffic shifted to the green revision" in m for m in said)
    assert any(f"(deployment {green}) bake time ended: deployment {blue} is scaling down." in m for m in said)
    assert {"ProductionTrafficShifted", "BakeTimeEnded"} <= {e["reason"] for e in events_for(app.namespace, app.name)}
    assert colour(http_get(app.host)) == "green"


@pytest.mark.serial  # it times the rollback
def test_green_failing_during_the_bake_switches_production_back_to_blue(app: App, record_property):
    blue, blue_tasks = started(app)
    deploy_green(app, "/cats & sleep 25; exit 1")
    until_production_serves(app, "green", timeout=180)
    green = app.status()["rollout"]["blueGreen"]["green"]["id"]
    seen: list[dict] = []
    back, samples = until_production_serves(app, "blue", timeout=120, watch=lambda: seen.extend(
        d for d in app.status().get("deployments") or [] if d["id"] == green))
    seen += [d for d in app.status().get("deployments") or [] if d["id"] == green]
    exits = [epoch(cs["lastState"]["terminated"]["finishedAt"])
             for p in items("pods", "-n", app.namespace, "-l", f"{DEPLOYMENT_LABEL}={deployment_label(green)}")
             for cs in p["status"].get("containerStatuses") or [] if (cs.get("lastState") or {}).get("terminated")]
    assert exits, "a green task failed"
    to_blue = back - min(exits)
    record_property("green_failure_to_blue_serving_seconds", round(to_blue, 1))
    failing = [t for t, prod, _ in samples if prod not in ("green", "blue")]
    print(f"\n[measure] green task exited → production serves blue again {to_blue:.1f}s (exit time to the "
          f"second); production answered no page for {len(failing)} samples"
          + (f" over {failing[-1] - failing[0]:.1f}s" if failing else ""))
    # The failed green, while it drains: FAILED, in ECS's words.
    reason = f"ECS deployment {green} failed during bake time: rolling back to deploymentId {blue}."
    assert any(d["rolloutState"] == "FAILED" and d["rolloutStateReason"] == reason and d["status"] == "ACTIVE"
               for d in seen), seen[-3:]
    status = wait_for("back on blue, alone", lambda: stable(app, 1), timeout=120)
    assert status["deployments"][0]["id"] == blue, "blue's own deployment, not a new one"
    assert {p["metadata"]["name"] for p in tasks_of(app, blue)} == blue_tasks, "no blue task was replaced"
    failed = status["rollout"]["failed"]
    assert failed["id"] == green and failed["rollbackTo"] == blue
    assert failed["reason"] == reason
    said = messages(app)
    assert f"(service {app.name}) (deployment {green}) deployment failed: tasks failed during bake time." in said
    assert f"(service {app.name}) rolling back to deployment {blue}." in said
    # The task's failure itself, as the failed-task counting words it (its exit after a health check ran long
    # enough reads as a failed health check, docs/rollouts.md).
    assert any(m.startswith(f"(service {app.name}) (task {app.name}-") and "failed" in m for m in said), said
    degraded = condition(app.esvc(), "Degraded")
    assert degraded["status"] == "True" and degraded["reason"] == "RolledBack"
    assert {"DeploymentFailed", "DeploymentRollingBack"} <= {e["reason"] for e in events_for(app.namespace, app.name)}
    assert get("ingress", route_of(app), "-n", app.namespace) is None
    assert [colour(http_get(app.host)) for _ in range(10)] == ["blue"] * 10


def test_weighted_strategies_are_refused_at_admission(app: App):
    app.create_cluster()
    app.service["spec"]["deploymentConfiguration"] = {"strategy": "LINEAR"}
    with pytest.raises(AssertionError) as refused:
        apply(app.service)
    assert "deploymentConfiguration.strategy: LINEAR is not supported" in str(refused.value)
    assert "Allowed: ROLLING or BLUE_GREEN" in str(refused.value)
    assert get(ESVC, app.name, "-n", app.namespace) is None
