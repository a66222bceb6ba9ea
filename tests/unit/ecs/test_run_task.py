"""RunTask's request as ECS takes it: refusals with their field paths, notes for reported fields, and the
task definition once the overrides are applied (ecs/run_task.py)."""

from __future__ import annotations

import pytest

from kube_ecs.ecs import run_task
from kube_ecs.ecs.normalize import normalize_task_definition

TASKDEF, _ = normalize_task_definition({"family": "job", "cpu": "256", "memory": "512", "containerDefinitions": [
    {"name": "main", "image": "x", "command": ["a"], "environment": [{"name": "A", "value": "1"},
                                                                       {"name": "B", "value": "2"}]},
    {"name": "side", "image": "y", "essential": False}]})


@pytest.mark.parametrize(("spec", "problems"), [
    ({"count": 0}, ["count: count must be between 1 and 10, not 0."]),
    ({"count": 11}, ["count: count must be between 1 and 10, not 11."]),
    ({"launchType": "EC2", "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]},
     ["capacityProviderStrategy: Specifying both a launch type and capacity provider strategy is not supported. "
      "Remove one and try again."]),
    ({"propagateTags": "SERVICE"}, ["propagateTags: SERVICE is only valid for tasks a service starts: use "
                                    "TASK_DEFINITION or NONE."]),
    ({"overrides": {"containerOverrides": [{"command": ["x"]}]}},
     ["overrides.containerOverrides[0].name: A container override needs the name of a container."]),
    ({"overrides": {"cpu": "lots"}}, ["overrides.cpu: Invalid 'cpu' setting for task: 'lots' is not a number."]),
    ({"overrides": {"containerOverrides": [{"name": "main", "environment": [{"name": "X", "value": "v" * 8200}]}]}},
     ["overrides: Container Overrides length must be at most 8192 characters (as JSON)."]),
    ({"overrides": {"containerOverrides": [{"name": "main", "environmentFiles": [{"value": "arn:s3", "type": "s3"}]}]}},
     ["overrides.containerOverrides[0].environmentFiles: not supported on Kubernetes: environment files in S3 cannot "
      "be read on Kubernetes: use environment"]),
    ({"placementConstraints": [{"type": "memberOf"}]},
     ["placementConstraints[0].expression: A memberOf constraint needs an expression."]),
    ({"tags": [{"value": "v"}]}, ["tags[0].key: Each of tags needs a key."]),
    ({"startedBy": "me and you"}, ["startedBy: Up to 128 letters (uppercase and lowercase), numbers, hyphens, forward "
                                   "slashes and underscores are allowed."]),
    ({"ttlSecondsAfterStopped": -1}, ["ttlSecondsAfterStopped: must be 0 or more seconds."]),
])
def test_refusals_name_the_field(spec, problems):
    normalized, found, _ = run_task.check_run_task({"taskDefinition": "job", **spec})
    assert normalized is None and [str(p) for p in found] == problems


def test_types_and_unknown_fields_are_refused_by_shape():
    normalized, found, _ = run_task.check_run_task({"taskDefinition": "job", "count": "many", "colour": "red",
                                                    "desiredStatus": "PAUSED"})
    assert normalized is None
    assert {p.path for p in found} == {"count", "colour", "desiredStatus"}


def test_reported_fields_are_notes():
    normalized, found, notes = run_task.check_run_task({
        "taskDefinition": "job", "enableExecuteCommand": True, "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": ["subnet-1"]}}, "clientToken": "t"})
    assert found == [] and normalized is not None and normalized["enableExecuteCommand"] is True
    assert sorted(n.path for n in notes) == ["clientToken", "enableExecuteCommand", "networkConfiguration"]


def test_overrides_naming_an_unknown_container():
    spec = {"taskDefinition": "job", "overrides": {"containerOverrides": [{"name": "main"}, {"name": "ghost"}]}}
    assert [str(p) for p in run_task.validate_against(spec, TASKDEF)] == [
        "overrides.containerOverrides[1].name: Override for container named ghost is not a container in the "
        "TaskDefinition."]


def test_overrides_applied():
    out = run_task.overridden(TASKDEF, {
        "cpu": "1 vCPU", "memory": "1 GB", "taskRoleArn": "arn:aws:iam::1:role/r",
        "containerOverrides": [{"name": "main", "command": ["b"], "environment": [{"name": "B", "value": "3"},
                                                                                  {"name": "C", "value": "4"}],
                                "cpu": 128, "memory": 256, "memoryReservation": 64}]})
    main, side = out["containerDefinitions"]
    assert (out["cpu"], out["memory"], out["taskRoleArn"]) == (1024, 1024, "arn:aws:iam::1:role/r")
    assert main["command"] == ["b"] and (main["cpu"], main["memory"], main["memoryReservation"]) == (128, 256, 64)
    assert main["environment"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]
    assert side == TASKDEF["containerDefinitions"][1]
    assert TASKDEF["containerDefinitions"][0]["command"] == ["a"]  # a copy
    assert run_task.overridden(TASKDEF, None) is TASKDEF


def test_group_defaults_to_the_family():
    assert run_task.group({}, "job") == "family:job"
    assert run_task.group({"group": "batch"}, "job") == "batch"
