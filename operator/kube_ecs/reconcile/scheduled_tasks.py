"""Reconcile one ScheduledTask (an EventBridge schedule with an ECS target, docs/tasks.md): fire the run
that is due, as a Task owned by the ScheduledTask, list the last runs in status and delete the stopped
runs beyond the history limit.

The operator fires every schedule itself (no CronJob, docs/decisions.md): the run due is the latest fire
time after the last one fired and no later than now; one more than MISSED_SECONDS late (the operator was
down) is skipped, as EventBridge does not catch up either. A run's Task is named after its fire time,
so a pass repeated (a failover, a retry) finds it instead of running it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from kubernetes.client.exceptions import ApiException

from kube_ecs import API_VERSION, GROUP
from kube_ecs.ecs import schedule
from kube_ecs.reconcile import task_lifecycle as life
from kube_ecs.reconcile.conditions import Condition, condition_events, iso, merge, parse_iso
from kube_ecs.reconcile.events import Event
from kube_ecs.reconcile.kube import Client, Conflict, Ref, api_error_message
from kube_ecs.reconcile.outcome import Outcome, owner_of
from kube_ecs.resources import meta, names

SCHEDULED_TASK_LABEL = f"{GROUP}/scheduled-task"
SCHEDULED_AT_ANNOTATION = f"{GROUP}/scheduled-at"
MISSED_SECONDS = 60


def run_of(body: Mapping[str, Any]) -> dict:
    """A run (Task) as the ScheduledTask's status lists it: when it was due, its state and outcome."""
    status = body.get("status") or {}
    tasks = status.get("tasks") or []
    exits = {c["name"]: c["exitCode"] for t in tasks for c in t.get("containers", []) if "exitCode" in c}
    run = {"taskName": body["metadata"]["name"],
           "scheduledAt": (body["metadata"].get("annotations") or {}).get(SCHEDULED_AT_ANNOTATION, ""),
           "lastStatus": status.get("lastStatus", life.PROVISIONING)}
    if status.get("stopCode"):
        run["stopCode"] = status["stopCode"]
    if reasons := sorted({t["stoppedReason"] for t in tasks if t.get("stoppedReason")}):
        run["stoppedReason"] = "; ".join(reasons)
    if exits:
        run["exitCodes"] = exits
    refused = next((c for c in status.get("conditions") or [] if c.get("type") == "Accepted"
                    and c.get("status") == "False"), None)
    if refused and not tasks:  # RunTask refused it: nothing was launched, nothing will stop
        run["stoppedReason"] = refused.get("message", "")
        run["notLaunched"] = True
    return run


def _active(run: dict) -> bool:
    """A run is active until its tasks are STOPPED: a stoppedReason is set as soon as a stop is decided
    (DEACTIVATING, STOPPING), and such a run still runs. One refused (never launched) is not."""
    return run["lastStatus"] != life.STOPPED and not run.get("notLaunched")


def run_manifest(body: Mapping[str, Any], run_task: dict, due: datetime) -> dict:
    """The Task of the run due at `due`: the schedule's RunTask request, startedBy `events-rule/<name>` as
    EventBridge starts tasks (unless the request names its own)."""
    name, namespace = body["metadata"]["name"], body["metadata"]["namespace"]
    labels = {"app.kubernetes.io/managed-by": meta.MANAGED_BY, SCHEDULED_TASK_LABEL: names.label_value(name)}
    return {"apiVersion": API_VERSION, "kind": "Task",
            "metadata": meta.object_meta(names.dns_label(f"{name}-{int(due.timestamp())}"), namespace=namespace,
                                         labels=labels, annotations={SCHEDULED_AT_ANNOTATION: iso(due)},
                                         owner=owner_of(dict(body))),
            "spec": {"startedBy": f"events-rule/{names.dns_label(name)}", **run_task}}


def _due(expression: schedule.Schedule, tz: Any, *, last: datetime | None, created: datetime,
         now: datetime) -> datetime | None:
    """The fire time to run now: the latest one after `last` (default the creation) that is not in the
    future and at most MISSED_SECONDS old; None when there is none."""
    after = max(last or created, now - timedelta(seconds=MISSED_SECONDS + 1))
    due = None
    while (candidate := schedule.next_fire(expression, after, anchor=created, tz=tz)) is not None and candidate <= now:
        due, after = candidate, candidate
    return due


RUN_CONDITION = "LastRunStarted"
# Retried by the next pass rather than recorded as a refusal: the API server busy or timing out.
_TRANSIENT = (408, 429)


def _previous_condition(previous: Mapping[str, Any], type_: str) -> Condition | None:
    old = next((c for c in previous.get("conditions") or [] if c.get("type") == type_), None)
    if old is None:
        return None
    return Condition(type_, old.get("status") == "True", old.get("reason", ""), old.get("message", ""))


def _start_run(client: Client, manifest: dict, *, uid: str | None, due: datetime) -> tuple[Condition, Event | None]:
    """Create the run's Task: the LastRunStarted condition saying how it went, and its Event (None for a
    run already made by a pass that could not record it). A Task the API server
    refuses (a 4xx: the Task admission webhook refusing an INACTIVE family:N, a quota) is reported
    with the API's message; one that exists is this schedule's run (made by a pass that could not record
    it) only if it is owned by this ScheduledTask."""
    name = manifest["metadata"]["name"]
    try:
        client.create(manifest)
    except Conflict:
        live = client.get(Ref(API_VERSION, "Task", name, manifest["metadata"]["namespace"])) or {}
        owners = {o.get("uid") for o in (live.get("metadata") or {}).get("ownerReferences") or []}
        if live and uid not in owners:
            message = (f"The run due at {iso(due)} was not started: Task {name} exists and is not owned by this "
                       f"ScheduledTask.")
            return Condition(RUN_CONDITION, False, "RunConflict", message), Event(message, "RunConflict", True)
        return Condition(RUN_CONDITION, True, "RunStarted", f"Started run {name} due at {iso(due)}."), None
    except ApiException as e:
        if not 400 <= (e.status or 0) < 500 or e.status in _TRANSIENT:
            raise
        message = f"The run due at {iso(due)} was refused: {api_error_message(e)}"
        return Condition(RUN_CONDITION, False, "RunRefused", message), Event(message, "RunRefused", True)
    message = f"Started run {name} due at {iso(due)}."
    return Condition(RUN_CONDITION, True, "RunStarted", message), Event(message, "RunStarted")


def reconcile_scheduled_task(client: Client, body: dict, *, runs: list[dict], now: datetime) -> tuple[Outcome, float]:
    """One pass: (the outcome, the seconds until the next fire time, or a minute when there is none)."""
    meta_ = body["metadata"]
    namespace = meta_["namespace"]
    previous = body.get("status") or {}
    generation = meta_.get("generation", 0)
    spec, problems, _ = schedule.check_scheduled_task(dict(body.get("spec") or {}))
    events: list[Event] = []
    said: list[str] = []
    status: dict = {"observedGeneration": generation}
    run_condition = _previous_condition(previous, RUN_CONDITION)
    wait = 60.0
    if spec is None:
        message = "ValidationException: " + "; ".join(map(str, problems))
        wanted = [Condition("Ready", False, "InvalidParameter", message)]
        # What was fired stays recorded: without lastScheduledAt, a fixed spec would fire a recent time again.
        status.update({k: previous[k] for k in ("lastScheduledAt", "runs", "activeRuns") if k in previous})
    else:
        expression = schedule.parse(spec["scheduleExpression"])
        tz = schedule.zone(spec.get("scheduleExpressionTimezone"))
        enabled = spec.get("state", "ENABLED") == "ENABLED"
        last = parse_iso(previous["lastScheduledAt"]) if previous.get("lastScheduledAt") else None
        created = parse_iso(meta_["creationTimestamp"]) if meta_.get("creationTimestamp") else now
        if enabled and (due := _due(expression, tz, last=last, created=created, now=now)) is not None:
            manifest = run_manifest(body, spec["runTask"], due)
            run_condition, event = _start_run(client, manifest, uid=meta_.get("uid"), due=due)
            if event is not None:
                events.append(event)
                said.append(event.message)
            last = due  # fired, even when refused: the next pass does not fire it again
        upcoming = schedule.next_fire(expression, max(now, last or now), anchor=created, tz=tz) if enabled else None
        if upcoming is not None:
            wait = min(wait, max(0.5, (upcoming - now).total_seconds()))
        status.update(state=spec.get("state", "ENABLED"), scheduleExpression=spec["scheduleExpression"],
                      **({"lastScheduledAt": iso(last)} if last else {}),
                      **({"nextScheduledAt": iso(upcoming)} if upcoming else {}))
        kept = _prune(client, namespace, runs, spec.get("runsHistoryLimit", schedule.DEFAULT_HISTORY))
        status.update(runs=kept, activeRuns=sum(_active(r) for r in kept))
        wanted = [Condition("Ready", True, "Scheduled" if enabled else "Disabled",
                            f"Next run at {iso(upcoming)}." if upcoming else
                            ("DISABLED: no runs are started." if not enabled else "No fire time left."))]
    if run_condition is not None:
        wanted.append(run_condition)
    status["conditions"] = merge(previous.get("conditions"), wanted, generation=generation, now=iso(now))
    events += condition_events(previous.get("conditions"), status["conditions"], said=said)
    return Outcome(status, events), wait


def _prune(client: Client, namespace: str, runs: list[dict], limit: int) -> list[dict]:
    """The newest `limit` runs, newest first; older stopped ones are deleted (running ones stay, listed too)."""
    ordered = sorted(runs, key=lambda r: (r["scheduledAt"], r["taskName"]), reverse=True)
    kept = ordered[:limit]
    for run in ordered[limit:]:
        if _active(run):
            kept.append(run)
        else:
            client.delete(Ref(API_VERSION, "Task", run["taskName"], namespace))
    return kept
