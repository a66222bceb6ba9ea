"""ECS deployments as ECS runs them: each rollout's id, its failed tasks and the deployment circuit breaker.
Pure: the state in, the state out. The state is `status.rollout` of the Service (so an operator restart
loses nothing):

    sequence       the number of deployments started so far (a deployment id is derived from it)
    current        the deployment the Service runs now: {id, key, revision, generation, force, startedAt}
    lastCompleted  the last deployment whose rolloutState became COMPLETED: {id, revision}
    failed         the last deployment the breaker stopped: {id, revision, generation, force, reason,
                   rollbackTo (deployment id or None), rollbackRevision (or None)}
    ledger         per deployment id: {tasks: {task: failures}, gone: failures of tasks no longer seen,
                   baseline: the count at the last reset, running: [tasks seen RUNNING], impaired: bool}

A deployment is one pod template (the workloads' templates without our id annotation) and one force
token: a new revision, a spec change that changes the tasks, or a new force token starts a new deployment
with a new id; a desiredCount change does not (as in ECS). Its id goes into the pod template, so one
Kubernetes ReplicaSet is one ECS deployment, a rollback or a forced redeploy of the same revision too.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from kube_ecs import GROUP
from kube_ecs.reconcile.events import Event

DEPLOYMENT_ID_ANNOTATION = f"{GROUP}/deployment-id"
FORCE_ANNOTATION = f"{GROUP}/force-new-deployment"

MIN_THRESHOLD, MAX_THRESHOLD = 3, 200
FAILED_TO_START = "ECS deployment circuit breaker: tasks failed to start."
IMPAIRED = ("is unable to consistently start tasks successfully. For more information, see the "
            "Troubleshooting section of the Amazon ECS Developer Guide.")


@dataclass(frozen=True)
class Breaker:
    """deploymentConfiguration.deploymentCircuitBreaker, with ECS's defaults."""

    enable: bool = False
    rollback: bool = False
    reset_on_healthy_task: bool = True
    threshold_type: str = "BOUNDED_PERCENT"
    threshold_value: int = 50

    @classmethod
    def of(cls, service: dict) -> Breaker:
        raw = (service.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
        threshold = raw.get("thresholdConfiguration") or {}
        return cls(enable=bool(raw.get("enable")), rollback=bool(raw.get("rollback")),
                   reset_on_healthy_task=raw.get("resetOnHealthyTask", True) is not False,
                   threshold_type=threshold.get("type", "BOUNDED_PERCENT"),
                   threshold_value=int(threshold.get("value", 50)))

    def threshold(self, desired: int) -> int:
        """ECS's failure threshold: COUNT is the value itself; the percentages are value% of the desired
        count, rounded up, BOUNDED_PERCENT (the default, 50) kept between 3 and 200."""
        if self.threshold_type == "COUNT":
            return max(1, self.threshold_value)
        computed = math.ceil(desired * self.threshold_value / 100)
        if self.threshold_type == "UNBOUNDED_PERCENT":
            return max(1, computed)
        return min(MAX_THRESHOLD, max(MIN_THRESHOLD, computed))


@dataclass(frozen=True)
class TaskFailures:
    """What status needs of one task to count its failures (service_status.Task has these fields)."""

    name: str
    deployment_id: str | None
    running: bool
    failures: int
    failure_reason: str | None
    health_failure: bool


def deployment_id(uid: str, sequence: int) -> str:
    """`ecs-svc/` and 19 digits, as ECS's deployment ids are; unique per Service and deployment."""
    digest = hashlib.sha256(f"{uid}/{sequence}".encode()).hexdigest()
    return f"ecs-svc/{int(digest[:16], 16) % 10**19:019d}"


def template_key(templates: list[dict], force: str) -> str:
    """The identity of a deployment: its pod templates (without our id annotation) and the force token."""
    def bare(template: dict) -> dict:
        meta = dict(template.get("metadata") or {})
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != DEPLOYMENT_ID_ANNOTATION}
        return {**template, "metadata": {**meta, "annotations": annotations}}
    text = json.dumps([bare(t) for t in templates], sort_keys=True) + "\n" + force
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def target_revision(rollout: dict | None, chosen: int, *, generation: int, force: str) -> int | None:
    """The revision to run instead of `chosen` (the one the spec resolves to), or None: after a rollback the
    Service stays on the revision it rolled back to while nothing changed (same revision chosen, same spec
    generation, same force token); a newer revision in the family or a spec change starts a new deployment."""
    failed = (rollout or {}).get("failed") or {}
    if failed.get("rollbackRevision") is None:
        return None
    if (failed.get("revision"), failed.get("generation"), failed.get("force")) == (chosen, generation, force):
        return int(failed["rollbackRevision"])
    return None


def start(rollout: dict | None, *, key: str, revision: int, generation: int, force: str, uid: str,
          now: str, task_definition: str = "") -> dict:
    """`rollout` with `current` the deployment of `key`: the same one while the key holds, else a new one."""
    rollout = dict(rollout or {})
    current = rollout.get("current") or {}
    if current.get("key") == key:
        if current.get("generation") != generation:
            rollout["current"] = {**current, "generation": generation}
        return rollout
    sequence = int(rollout.get("sequence", 0)) + 1
    rollout.update(sequence=sequence, current={
        "id": deployment_id(uid, sequence), "key": key, "revision": revision,
        "taskDefinition": task_definition or str(revision), "generation": generation, "force": force,
        "startedAt": now})
    return rollout


def is_stopped(rollout: dict | None) -> bool:
    """The current deployment was stopped by the breaker and is not being rolled back: launch no more tasks."""
    rollout = rollout or {}
    failed, current = rollout.get("failed") or {}, rollout.get("current") or {}
    return bool(failed) and failed.get("id") == current.get("id")


def _count(entry: dict, tasks: list[TaskFailures], reset: bool) -> tuple[dict, list[TaskFailures], bool]:
    """The ledger entry after seeing `tasks`; the tasks with new failures; whether a task became healthy."""
    known: dict[str, int] = dict(entry.get("tasks") or {})
    seen = {t.name for t in tasks}
    gone = int(entry.get("gone", 0)) + sum(n for name, n in known.items() if name not in seen)
    counted, fresh = {}, []
    for task in tasks:
        before = known.get(task.name, 0)
        counted[task.name] = max(before, task.failures)
        if task.failures > before:
            fresh.append(task)
    running_before = set(entry.get("running") or [])
    running = sorted(running_before | {t.name for t in tasks if t.running})
    became_healthy = bool(set(running) - running_before)
    total = gone + sum(counted.values())
    baseline = int(entry.get("baseline", 0))
    if reset and became_healthy:
        baseline = total
    # Tasks seen RUNNING are kept only while they exist (the list stays small).
    updated = {**entry, "tasks": counted, "gone": gone, "baseline": baseline,
               "running": [n for n in running if n in seen]}
    return updated, fresh, became_healthy


def failed_tasks(rollout: dict | None, id_: str) -> int | None:
    entry = ((rollout or {}).get("ledger") or {}).get(id_)
    if entry is None:
        return None
    return int(entry.get("gone", 0)) + sum((entry.get("tasks") or {}).values())


def evaluate(rollout: dict, tasks: list[Any], *, breaker: Breaker, desired: int, service: str,
             keep: set[str]) -> tuple[dict, list[Event]]:
    """Count the failures of every deployment's tasks, and trip the breaker of the current one.

    `tasks` are service_status.Task (any object with TaskFailures' fields); `keep` the deployment ids still
    in the history (the ledger forgets the others)."""
    svc = f"(service {service})"
    ledger = {k: v for k, v in (rollout.get("ledger") or {}).items() if k in keep}
    current = rollout.get("current") or {}
    events: list[Event] = []
    by_id: dict[str, list[Any]] = {}
    for task in tasks:
        if task.deployment_id:
            by_id.setdefault(task.deployment_id, []).append(task)
    for id_ in sorted(set(by_id) | ({current["id"]} if current.get("id") else set())):
        entry, fresh, _ = _count(ledger.get(id_) or {}, by_id.get(id_, []), breaker.reset_on_healthy_task)
        for task in fresh:
            if task.health_failure:
                events.append(Event(f"{svc} (task {task.name}) failed container health checks.",
                                    "TaskFailedHealthChecks", True))
            else:
                events.append(Event(f"{svc} (task {task.name}) failed to start: "
                                    f"{task.failure_reason or 'Task stopped'}.", "TaskFailedToStart", True))
        total = int(entry.get("gone", 0)) + sum(entry["tasks"].values())
        if id_ == current.get("id") and total - int(entry.get("baseline", 0)) >= 2 and not entry.get("impaired"):
            entry["impaired"] = True
            events.append(Event(f"{svc} {IMPAIRED}", "TaskStartImpaired", True))
        if entry["tasks"] or entry["gone"] or entry.get("impaired") or id_ in ledger:
            ledger[id_] = entry
    rollout = {**rollout, "ledger": ledger}
    if breaker.enable and current.get("id"):
        rollout, tripped = _trip(rollout, breaker=breaker, desired=desired, svc=svc)
        events += tripped
    return rollout, events


def monitor(rollout: dict, breaker: Breaker, desired: int) -> dict:
    """The current deployment's breaker as describe-service-deployments shows it: status, failureCount,
    threshold."""
    current = rollout["current"]["id"]
    entry = (rollout.get("ledger") or {}).get(current) or {}
    count = (failed_tasks(rollout, current) or 0) - int(entry.get("baseline", 0))
    if not breaker.enable:
        status = "DISABLED"
    elif (rollout.get("failed") or {}).get("id") == current:
        status = "TRIGGERED"
    elif (rollout.get("lastCompleted") or {}).get("id") == current:
        status = "MONITORING_COMPLETE"
    else:
        status = "MONITORING"
    return {"status": status, "failureCount": count, "threshold": breaker.threshold(desired)}


def _trip(rollout: dict, *, breaker: Breaker, desired: int, svc: str) -> tuple[dict, list[Event]]:
    current = rollout["current"]
    failed = rollout.get("failed") or {}
    completed = rollout.get("lastCompleted") or {}
    if failed.get("id") == current["id"] or completed.get("id") == current["id"]:
        return rollout, []  # already stopped, or completed (ECS never fails a completed deployment)
    entry = rollout["ledger"].get(current["id"]) or {}
    count = int(entry.get("gone", 0)) + sum((entry.get("tasks") or {}).values()) - int(entry.get("baseline", 0))
    if count < breaker.threshold(desired):
        return rollout, []
    if failed.get("rolledBackAs") == current["id"]:
        # A rollback that fails too is not rolled back again: it stays where it is, stopped.
        rollout = {**rollout, "failed": {
            **failed, "id": current["id"], "reason": FAILED_TO_START, "rollbackTo": None,
            "rollbackRevision": current.get("revision"), "taskDefinition": current.get("taskDefinition")}}
        return rollout, [Event(f"{svc} (deployment {current['id']}) deployment failed: tasks failed to start.",
                               "DeploymentFailed", True)]
    back = completed if breaker.rollback and completed.get("id") else None
    reason = (f"ECS deployment circuit breaker: rolling back to deploymentId {back['id']}." if back
              else FAILED_TO_START)
    rollout = {**rollout, "failed": {
        "id": current["id"], "revision": current.get("revision"), "taskDefinition": current.get("taskDefinition"),
        "generation": current.get("generation"), "force": current.get("force", ""), "reason": reason,
        "rollbackTo": back["id"] if back else None, "rollbackRevision": back.get("revision") if back else None}}
    events = [Event(f"{svc} (deployment {current['id']}) deployment failed: tasks failed to start.",
                    "DeploymentFailed", True)]
    if back:
        events.append(Event(f"{svc} rolling back to deployment {back['id']}.", "DeploymentRollingBack", True))
    return rollout, events


def completed(rollout: dict | None, primary: dict | None) -> dict | None:
    """`rollout` once the PRIMARY deployment (describe-services entry) is COMPLETED: it is the last completed one."""
    if not rollout or not primary or primary.get("rolloutState") != "COMPLETED":
        return rollout
    current = rollout.get("current") or {}
    if primary.get("id") != current.get("id") or (rollout.get("lastCompleted") or {}).get("id") == current["id"]:
        return rollout
    return {**rollout, "lastCompleted": {"id": current["id"], "revision": current.get("revision")}}
