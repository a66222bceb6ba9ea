"""Deployments as ECS runs them, on the kind cluster (after `make deploy`): the circuit breaker stops a
broken revision and rolls back, failed tasks are counted, deployments[] is a faithful history, and
forceNewDeployment replaces every task. Each test has its own Cluster, TaskDefinition and Service.

The broken revision names a binary the cats image does not have, so its container cannot start; the
failing health check runs the cats binary a second time, which exits at once (port 80 is taken by the
first)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from cluster import App, apply, condition, events_for, get, items, kubectl, wait_for, wait_http_ok

from kube_ecs.reconcile.circuit_breaker import FORCE_ANNOTATION

pytestmark = pytest.mark.e2e

DESIRED = 3


@pytest.fixture
def app(request) -> Iterator[App]:
    name = f"e2e-ro-{request.node.name.removeprefix('test_')[:16].replace('_', '-')}-{uuid.uuid4().hex[:5]}"
    made = App(name, cpu=None)
    made.service["spec"]["desiredCount"] = DESIRED
    made.service["spec"]["deploymentConfiguration"] = {
        "minimumHealthyPercent": 100, "maximumPercent": 200,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    container = made.taskdef["spec"]["containerDefinitions"][0]
    container["environment"] = [{"name": "CATS", "value": "first"}]
    yield made
    made.delete()


def container(app: App) -> dict:
    return app.taskdef["spec"]["containerDefinitions"][0]


def register(app: App, revision: int) -> None:
    apply(app.taskdef)
    wait_for(f"TaskDefinition revision {revision}", lambda: (get("taskdefinitions.ecs.kube-ecs.dev", app.name) or {})
             .get("status", {}).get("revision") == revision, timeout=60)


def primary(status: dict) -> dict:
    return (status.get("deployments") or [{}])[0]


class Story:
    """status.events as they come (the status keeps only the last 10), oldest first."""

    def __init__(self, app: App):
        self.app = app
        self.seen: set[str] = set()
        self.messages: list[str] = []

    def status(self) -> dict:
        status = self.app.status()
        for event in reversed(status.get("events") or []):
            if event["id"] not in self.seen:
                self.seen.add(event["id"])
                self.messages.append(event["message"])
        return status


def task_pods(app: App) -> list[dict]:
    return items("pods", "-n", app.namespace, "-l", f"ecs.kube-ecs.dev/service={app.name}")


def stable(app: App) -> dict:
    """What `aws ecs wait services-stable` waits for: one deployment, runningCount == desiredCount ({}: not yet)."""
    status = app.ready() or {}
    deployments = status.get("deployments") or []
    ok = len(deployments) == 1 and status.get("runningCount") == status.get("desiredCount") == DESIRED
    return status if ok else {}


def tripped(status: dict) -> dict:
    """status.rollout.failed: what the circuit breaker stopped ({}: nothing yet)."""
    return (status.get("rollout") or {}).get("failed") or {}


def break_it(app: App) -> None:
    container(app)["entryPoint"] = ["/no-such-binary"]
    container(app)["environment"] = [{"name": "CATS", "value": "broken"}]


@pytest.mark.serial  # it times the breaker and the rollback
def test_broken_revision_fails_and_rolls_back(app: App, record_property):
    app.create()
    wait_for("the Service stable on revision 1", lambda: stable(app), timeout=180)
    assert "first" in wait_http_ok(app.host)
    first_id = primary(app.status())["id"]
    story = Story(app)
    break_it(app)
    start = time.monotonic()
    register(app, 2)
    failed = wait_for("the circuit breaker to trip", lambda: tripped(story.status()),
                      timeout=240, every=0.5)
    to_failed = time.monotonic() - start
    assert failed["revision"] == 2 and failed["rollbackTo"] == first_id
    status = wait_for("the rollback deployment stable", lambda: story.status() and stable(app), timeout=240,
                      every=0.5)
    to_serving = time.monotonic() - start - to_failed
    record_property("broken_to_failed_seconds", round(to_failed, 1))
    record_property("failed_to_old_serving_seconds", round(to_serving, 1))
    print(f"\n[measure] desiredCount {DESIRED}: broken revision applied → FAILED {to_failed:.1f}s; "
          f"FAILED → old revision serving alone {to_serving:.1f}s")
    assert status["taskDefinition"] == f"{app.name}:1"
    assert primary(status)["id"] not in (first_id, failed["id"]), "a rollback is a deployment of its own"
    assert "first" in wait_http_ok(app.host)
    said = story.messages
    fail = f"(service {app.name}) (deployment {failed['id']}) deployment failed: tasks failed to start."
    back = f"(service {app.name}) rolling back to deployment {first_id}."
    assert fail in said and back in said and said.index(fail) < said.index(back)
    assert any("failed to start: CannotStartContainerError" in m for m in said)
    degraded = condition(app.esvc(), "Degraded")
    assert degraded["status"] == "True" and degraded["reason"] == "RolledBack"
    reasons = {e["reason"] for e in events_for(app.namespace, app.name)}
    assert {"DeploymentFailed", "DeploymentRollingBack"} <= reasons
    # The Service stays on revision 1: it does not roll forward into the failed revision again.
    time.sleep(5)
    assert app.status()["taskDefinition"] == f"{app.name}:1" and len(app.status()["deployments"]) == 1
    # A newer revision of the family is deployed.
    container(app).pop("entryPoint")
    container(app)["environment"] = [{"name": "CATS", "value": "fixed"}]
    register(app, 3)
    wait_for("revision 3 stable", lambda: (s := stable(app)) and s["taskDefinition"] == f"{app.name}:3", timeout=180)
    assert condition(app.esvc(), "Degraded")["status"] == "False"


def test_broken_revision_without_rollback_stays_failed(app: App):
    app.service["spec"]["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"] = False
    app.create()
    wait_for("the Service stable on revision 1", lambda: stable(app), timeout=180)
    break_it(app)
    register(app, 2)
    status = wait_for("the deployment FAILED", lambda: app.status(), timeout=240, every=0.5,
                      until=lambda s: primary(s).get("rolloutState") == "FAILED")
    assert primary(status)["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert primary(status)["taskDefinition"] == f"{app.name}:2" and primary(status)["failedTasks"] >= 3
    ready = condition(app.esvc(), "Progressing")
    assert ready["status"] == "False" and ready["reason"] == "RolloutFailed"
    assert condition(app.esvc(), "Degraded")["status"] == "True"
    # It launches no more tasks: no task of revision 2 is left, and none comes back; revision 1 serves.
    wait_for("no task of revision 2", lambda: not [p for p in task_pods(app) if p["metadata"]["labels"].get(
        "ecs.kube-ecs.dev/task-definition-revision") == "2" and not p["metadata"].get("deletionTimestamp")],
        timeout=60)
    failed_tasks = primary(app.status())["failedTasks"]
    time.sleep(20)
    status = app.status()
    assert primary(status)["rolloutState"] == "FAILED" and primary(status)["failedTasks"] == failed_tasks
    assert not [p for p in task_pods(app) if p["metadata"]["labels"].get(
        "ecs.kube-ecs.dev/task-definition-revision") == "2"]
    assert "first" in wait_http_ok(app.host)
    assert status["runningCount"] == DESIRED


def test_failing_health_check_is_counted_and_trips_the_breaker(app: App):
    app.create()
    wait_for("the Service stable on revision 1", lambda: stable(app), timeout=180)
    container(app)["healthCheck"] = {"command": ["CMD", "/cats"], "interval": 5, "timeout": 2, "retries": 1}
    register(app, 2)
    story = Story(app)
    failed = wait_for("the circuit breaker to trip", lambda: tripped(story.status()),
                      timeout=300, every=1)
    assert failed["revision"] == 2
    said = story.messages
    assert any(m.endswith("failed container health checks.") for m in said), said
    wait_for("the rollback deployment stable", lambda: stable(app), timeout=240)
    assert app.status()["taskDefinition"] == f"{app.name}:1"


def test_good_update_completes_and_the_old_deployment_drains(app: App):
    app.create()
    wait_for("the Service stable on revision 1", lambda: stable(app), timeout=180)
    first_id = primary(app.status())["id"]
    container(app)["environment"] = [{"name": "CATS", "value": "second"}]
    register(app, 2)
    seen_active: list[dict] = []

    def done() -> dict:
        status = app.status()
        seen_active.extend(d for d in status.get("deployments") or [] if d["status"] == "ACTIVE")
        return stable(app)

    status = wait_for("revision 2 stable", done, timeout=240, every=0.5,
                      until=lambda s: s and s["taskDefinition"] == f"{app.name}:2")
    assert primary(status)["rolloutState"] == "COMPLETED" and primary(status)["id"] != first_id
    assert seen_active and all(d["id"] == first_id for d in seen_active)
    assert any(d["runningCount"] > 0 for d in seen_active), "the old deployment is ACTIVE while it drains"
    assert "second" in wait_http_ok(app.host)


def test_force_new_deployment_replaces_every_task(app: App):
    app.create()
    wait_for("the Service stable", lambda: stable(app), timeout=180)
    first_id = primary(app.status())["id"]
    before = {p["metadata"]["name"] for p in task_pods(app)}
    kubectl("annotate", "services.ecs.kube-ecs.dev", app.name, "-n", app.namespace, f"{FORCE_ANNOTATION}=1")
    status = wait_for("a new deployment stable", lambda: stable(app), timeout=240, every=0.5,
                      until=lambda s: s and primary(s)["id"] != first_id)
    assert status["taskDefinition"] == f"{app.name}:1" and primary(status)["rolloutState"] == "COMPLETED"
    after = {p["metadata"]["name"] for p in task_pods(app) if not p["metadata"].get("deletionTimestamp")}
    assert len(after) == DESIRED and not after & before
