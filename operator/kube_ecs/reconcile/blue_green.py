"""ECS blue/green deployments (`deploymentConfiguration.strategy: BLUE_GREEN`) as a state machine over
`status.rollout` (docs/rollouts.md). Pure: the rollout, the tasks and the time in; the rollout, the events
and the manifests out.

Blue is the deployment serving production, green the new one. Both are ReplicaSets of the Service's
Deployment (resources/blue_green.py): green surges to full size beside blue, reachable on the test route;
once every green task is RUNNING, production traffic switches to green; blue stays for the bake time, and a
green task failing during it switches production back to blue, which becomes the current deployment again
(same id, same ReplicaSet: no task replaced). When the bake time ends the hold is lifted and Kubernetes
scales blue down. Lifecycle hooks are reported, not run: their stages pass at once.

State, `status.rollout.blueGreen`:

    production   the deployment whose tasks serve production: the last one that completed under
                 BLUE_GREEN (the current deployment record: id, key, revision, ...)
    green        the deployment replacing it: {id, lifecycleStage (ECS's ServiceDeploymentLifecycleStage),
                 startedAt, switchedAt, bakeEndsAt, failuresAtSwitch}
"""

from __future__ import annotations

from dataclasses import dataclass

from kube_ecs.reconcile import circuit_breaker as breaker
from kube_ecs.reconcile.conditions import seconds_between, shifted
from kube_ecs.reconcile.events import Event
from kube_ecs.resources import blue_green as manifests_of

STATE = "blueGreen"
BLUE_GREEN = "BLUE_GREEN"
SCALE_UP, BAKE_TIME, CLEAN_UP = "SCALE_UP", "BAKE_TIME", "CLEAN_UP"


@dataclass(frozen=True)
class Strategy:
    """deploymentConfiguration's blue/green part."""

    enabled: bool
    bake_seconds: int

    @classmethod
    def of(cls, service: dict) -> Strategy:
        config = service.get("deploymentConfiguration") or {}
        return cls(enabled=config.get("strategy") == BLUE_GREEN,
                   bake_seconds=60 * int(config.get("bakeTimeInMinutes") or 0))


def mark(manifests: list[dict], strategy: Strategy) -> list[dict]:
    """The manifests as built, their tasks labelled by deployment under BLUE_GREEN (before the deployment's
    identity is taken from them)."""
    return manifests_of.mark(manifests) if strategy.enabled else manifests


def _running(tasks: list, deployment_id: str) -> int:
    return sum(1 for t in tasks if t.deployment_id == deployment_id and t.running and not t.terminating)


def evaluate(rollout: dict, *, strategy: Strategy, tasks: list, desired: int, now: str,
             service: str) -> tuple[dict, list[Event], float | None]:
    """Before the manifests are built: the production deployment once one completed, the traffic switch
    once green is healthy, the rollback when green fails during the bake (or the circuit breaker rolled it
    back), the clean-up when the bake ends. Returns the rollout, its events and the seconds until the bake
    ends (None: no timer)."""
    if not strategy.enabled:
        return {k: v for k, v in rollout.items() if k != STATE}, [], None
    state = dict(rollout.get(STATE) or {})
    current = rollout.get("current") or {}
    if current.get("labelled") and (rollout.get("lastCompleted") or {}).get("id") == current.get("id"):
        state.update(production=current, green=None)
    green = state.get("green") or {}
    events: list[Event] = []
    wake: float | None = None
    if green and green.get("id") == current.get("id"):
        rollout, state["green"], events, wake = _advance(
            rollout, green, state.get("production") or {}, strategy=strategy, tasks=tasks, desired=desired, now=now,
            svc=f"(service {service})")
    return {**rollout, STATE: state}, events, wake


def _advance(rollout: dict, green: dict, production: dict, *, strategy: Strategy, tasks: list, desired: int,
             now: str, svc: str) -> tuple[dict, dict | None, list[Event], float | None]:
    """One step of the green deployment: (rollout, green or None once it is over, events, seconds to wait)."""
    current = rollout["current"]
    failed = rollout.get("failed") or {}
    failures = breaker.failed_tasks(rollout, green["id"]) or 0
    if failed.get("id") == green["id"] and failed.get("rollbackTo") == production.get("id"):
        # The circuit breaker rolled the green back before the switch: blue's own deployment is current again.
        return {**rollout, "current": production}, None, [], None
    if green["lifecycleStage"] == SCALE_UP and _running(tasks, green["id"]) >= desired:
        events = [Event(f"{svc} (deployment {green['id']}) production traffic shifted to the green revision "
                        f"{current.get('taskDefinition')}; bake time {strategy.bake_seconds // 60} minutes, "
                        f"deployment {production.get('id')} kept until it ends.", "ProductionTrafficShifted")]
        return rollout, {**green, "lifecycleStage": BAKE_TIME, "switchedAt": now,
                         "bakeEndsAt": shifted(now, strategy.bake_seconds),
                         "failuresAtSwitch": failures}, events, float(strategy.bake_seconds)
    if green["lifecycleStage"] == BAKE_TIME and failures > green.get("failuresAtSwitch", 0):
        reason = (f"ECS deployment {green['id']} failed during bake time: rolling back to deploymentId "
                  f"{production.get('id')}.")
        rollout = {**rollout, "current": production, "failed": {
            "id": green["id"], "revision": current.get("revision"), "taskDefinition": current.get("taskDefinition"),
            "generation": current.get("generation"), "force": current.get("force", ""), "reason": reason,
            "rollbackTo": production.get("id"), "rollbackRevision": production.get("revision"),
            "cause": "its tasks failed during bake time"}}
        return rollout, None, [
            Event(f"{svc} (deployment {green['id']}) deployment failed: tasks failed during bake time.",
                  "DeploymentFailed", True),
            Event(f"{svc} rolling back to deployment {production.get('id')}.", "DeploymentRollingBack", True),
            Event(f"{svc} (deployment {production.get('id')}) production traffic shifted back to "
                  f"{production.get('taskDefinition')}.", "ProductionTrafficShifted", True)], None
    if green["lifecycleStage"] == BAKE_TIME:
        left = seconds_between(now, green["bakeEndsAt"])
        if left > 0:
            return rollout, green, [], left
        return rollout, {**green, "lifecycleStage": CLEAN_UP}, [Event(
            f"{svc} (deployment {green['id']}) bake time ended: deployment {production.get('id')} is scaling down.",
            "BakeTimeEnded")], None
    return rollout, green, [], None


def shape(rollout: dict, manifests: list[dict], *, strategy: Strategy, now: str, service_name: str,
          namespace: str) -> tuple[dict, list[dict], list[Event]]:
    """After the current deployment is known: a new deployment beside a production one is green (SCALE_UP);
    the manifests with production traffic, the test route and the hold as the stage wants them."""
    if not strategy.enabled:
        return rollout, manifests, []
    current = {**rollout["current"], "labelled": True}
    state = dict(rollout.get(STATE) or {})
    production, green = state.get("production") or {}, state.get("green") or {}
    stopped = (rollout.get("failed") or {}).get("id") == current["id"]
    events = []
    if not production or production.get("id") == current["id"] or stopped:
        green = {}
    elif green.get("id") != current["id"]:
        green = {"id": current["id"], "lifecycleStage": SCALE_UP, "startedAt": now}
        hosts = sorted({r.get("host", "") for m in manifests if m["kind"] == "Ingress" for r in m["spec"]["rules"]})
        route = ", ".join(manifests_of.test_host(h, service_name, namespace) for h in hosts)
        events.append(Event(f"(service {service_name}) (deployment {current['id']}) green revision "
                            f"{current.get('taskDefinition')} scaling up beside deployment {production['id']}"
                            + (f"; test traffic on host {route}." if route else "."), "GreenScalingUp"))
    state["green"] = green or None
    stage = green.get("lifecycleStage")
    shaped = manifests_of.shape(
        manifests, current=current["id"],
        production=green["id"] if stage in (BAKE_TIME, CLEAN_UP) else production.get("id"),
        green=green.get("id") if stage in (SCALE_UP, BAKE_TIME) else None,
        held=stage in (SCALE_UP, BAKE_TIME), service_name=service_name, namespace=namespace)
    return {**rollout, "current": current, STATE: state}, shaped, events


def stage(rollout: dict | None) -> tuple[str, str] | None:
    """(condition reason, message) of a blue/green deployment under way, for Progressing; None: none."""
    state = (rollout or {}).get(STATE) or {}
    green, production = state.get("green") or {}, (state.get("production") or {}).get("id")
    where = green.get("lifecycleStage")
    if where == SCALE_UP:
        return "GreenScalingUp", (f"{SCALE_UP}: green deployment {green['id']} scaling up; production traffic on "
                                  f"deployment {production}.")
    if where == BAKE_TIME:
        return "BakeTime", (f"{BAKE_TIME}: production traffic on green deployment {green['id']}; deployment "
                            f"{production} kept until {green.get('bakeEndsAt')}.")
    if where == CLEAN_UP:
        return "CleanUp", f"{CLEAN_UP}: deployment {production} scaling down."
    return None
