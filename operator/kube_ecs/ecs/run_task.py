"""RunTask as ECS has it, no Kubernetes: the request read by its botocore shape (with kube-ecs's StopTask
members), what RunTask refuses, and the task definition a task runs once its overrides are applied
(docs/tasks.md)."""

from __future__ import annotations

import json
import re
from typing import Any

from kube_ecs.ecs import capacity, model
from kube_ecs.ecs.normalize import read_request, task_size
from kube_ecs.ecs.problems import Note, Problem, join
from kube_ecs.ecs.validate import checked, rejected_problems, tag_problems

MAX_COUNT = 10
# RunTask's limit on the overrides structure, as JSON.
MAX_OVERRIDES_CHARS = 8192
DESIRED_STATUSES = ("RUNNING", "STOPPED")
# What may change on a Task once it is run: StopTask and the clean-up TTL. The rest is the request made.
MUTABLE = ("desiredStatus", "reason", "ttlSecondsAfterStopped")
_STARTED_BY = re.compile(r"^[A-Za-z0-9_/-]{1,128}$")


def normalize_run_task(raw: Any) -> tuple[dict, list[Note]]:
    """A RunTask request (with desiredStatus, reason, ttlSecondsAfterStopped) read by its shape, with notes."""
    return read_request(raw, model.RUN_TASK, "a run-task request")


def validate_run_task(spec: dict) -> list[Problem]:
    """What RunTask refuses about normalized `spec` on its own (the task definition is checked by
    `validate_against`)."""
    problems = []
    if not spec.get("taskDefinition"):
        problems.append(Problem("taskDefinition", "required field missing"))
    count = spec.get("count", 1)
    if not 1 <= count <= MAX_COUNT:
        problems.append(Problem("count", f"count must be between 1 and {MAX_COUNT}, not {count}."))
    if spec.get("launchType") and spec.get("capacityProviderStrategy"):
        problems.append(Problem("capacityProviderStrategy", "Specifying both a launch type and capacity provider "
                                                            "strategy is not supported. Remove one and try again."))
    problems += capacity.validate_strategy(spec.get("capacityProviderStrategy", []), "capacityProviderStrategy")
    if "startedBy" in spec and not _STARTED_BY.match(spec["startedBy"]):
        problems.append(Problem("startedBy", "Up to 128 letters (uppercase and lowercase), numbers, hyphens, forward "
                                             "slashes and underscores are allowed."))
    if spec.get("ttlSecondsAfterStopped", 0) < 0:
        problems.append(Problem("ttlSecondsAfterStopped", "must be 0 or more seconds."))
    if spec.get("propagateTags") == "SERVICE":
        problems.append(Problem("propagateTags", "SERVICE is only valid for tasks a service starts: use "
                                                 "TASK_DEFINITION or NONE."))
    for i, constraint in enumerate(spec.get("placementConstraints", [])):
        if constraint.get("type") == "memberOf" and not constraint.get("expression"):
            problems.append(Problem(join(join("placementConstraints", i), "expression"),
                                    "A memberOf constraint needs an expression."))
    overrides = spec.get("overrides") or {}
    if len(json.dumps(overrides, separators=(",", ":"))) > MAX_OVERRIDES_CHARS:
        problems.append(Problem("overrides", f"Container Overrides length must be at most {MAX_OVERRIDES_CHARS} "
                                             f"characters (as JSON)."))
    for field in ("cpu", "memory"):
        if field in overrides and task_size(overrides[field], field) is None:
            problems.append(Problem(join("overrides", field), f"Invalid '{field}' setting for task: "
                                                              f"{overrides[field]!r} is not a number."))
    for i, override in enumerate(overrides.get("containerOverrides", [])):
        if not override.get("name"):
            problems.append(Problem(join(join("overrides.containerOverrides", i), "name"),
                                    "A container override needs the name of a container."))
    return problems + tag_problems(spec) + rejected_problems(spec, model.RUN_TASK)


def check_run_task(raw: Any) -> tuple[dict | None, list[Problem], list[Note]]:
    """(normalized spec, or None when RunTask would refuse it; the problems; the notes) of `raw`."""
    return checked(raw, normalize_run_task, validate_run_task)


def validate_against(spec: dict, taskdef: dict) -> list[Problem]:
    """What RunTask refuses about the pair: an override naming a container the task definition lacks."""
    names = {c["name"] for c in taskdef.get("containerDefinitions", [])}
    return [Problem(join(join("overrides.containerOverrides", i), "name"),
                    f"Override for container named {o['name']} is not a container in the TaskDefinition.")
            for i, o in enumerate((spec.get("overrides") or {}).get("containerOverrides", []))
            if o.get("name") and o["name"] not in names]


def group(spec: dict, family: str) -> str:
    """The task group: RunTask's own, else `family:<family>`, as ECS names it."""
    return spec.get("group") or f"family:{family}"


def _container(container: dict, override: dict) -> dict:
    out = {**container}
    for field in ("command", "cpu", "memory", "memoryReservation", "resourceRequirements"):
        if field in override:
            out[field] = override[field]
    if "environment" in override:
        merged = {v["name"]: v for v in container.get("environment", [])}
        merged.update({v["name"]: v for v in override["environment"]})
        out["environment"] = list(merged.values())
    return out


def overridden(taskdef: dict, overrides: dict | None) -> dict:
    """Normalized `taskdef` as RunTask's `overrides` change it (a copy): container command, environment
    (added or replaced by name), cpu, memory, memoryReservation, resourceRequirements; the task's cpu,
    memory, taskRoleArn and ephemeralStorage."""
    overrides = overrides or {}
    if not overrides:
        return taskdef
    by_name = {o["name"]: o for o in overrides.get("containerOverrides", []) if o.get("name")}
    out = {**taskdef, "containerDefinitions": [_container(c, by_name.get(c["name"], {}))
                                               for c in taskdef["containerDefinitions"]]}
    for field in ("cpu", "memory"):
        if (size := task_size(overrides.get(field), field) if field in overrides else None) is not None:
            out[field] = size
    for field in ("taskRoleArn", "ephemeralStorage"):
        if field in overrides:
            out[field] = overrides[field]
    return out
