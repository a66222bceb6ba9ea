"""normalize: ECS input as files hold it → the normalized spec (types, defaults, notes)."""

from __future__ import annotations

import pytest

from kube_ecs.ecs.normalize import normalize_service, normalize_task_definition, task_size
from kube_ecs.ecs.problems import InvalidSpec

WEB = {"name": "web", "image": "nginx:1.27"}


def normalize(**spec):
    return normalize_task_definition({"family": "web", "containerDefinitions": [WEB], **spec})


def problems(raw) -> list[str]:
    with pytest.raises(InvalidSpec) as e:
        normalize_task_definition(raw)
    return [str(p) for p in e.value.problems]


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("cpu", "256", 256), ("cpu", 512, 512), ("cpu", "1 vCPU", 1024), ("cpu", ".25 vCPU", 256), ("cpu", "2vcpu", 2048),
    ("cpu", "0.5 VCPU", 512), ("memory", "512", 512), ("memory", "1 GB", 1024), ("memory", "0.5GB", 512),
    ("memory", "30 gb", 30720), ("memory", "1 vCPU", None), ("cpu", "2 cores", None), ("cpu", True, None),
])
def test_task_sizes_as_ecs_documents_them(field, value, expected):
    assert task_size(value, field) == expected


def test_strings_as_numbers_nulls_and_empty_strings():
    spec, _ = normalize_task_definition({
        "family": "web", "cpu": "256", "memory": "0.5 GB", "pidMode": "", "taskRoleArn": None,
        "containerDefinitions": [{**WEB, "cpu": "128", "memory": "256", "user": "", "hostname": None,
                                  "portMappings": [{"containerPort": "80", "hostPort": None, "protocol": ""}],
                                  "environment": [{"name": "EMPTY", "value": ""}], "command": ["", "x"]}]})
    container = spec["containerDefinitions"][0]
    assert (spec["cpu"], spec["memory"], container["cpu"], container["memory"]) == (256, 512, 128, 256)
    assert "pidMode" not in spec and "taskRoleArn" not in spec and "user" not in container and "hostname" not in container
    assert container["portMappings"] == [{"containerPort": 80, "protocol": "tcp", "hostPort": 0}]
    # "" stays where it is a value rather than "unset": list items; an env value "" is dropped (same meaning)
    assert container["command"] == ["", "x"] and container["environment"] == [{"name": "EMPTY"}]


@pytest.mark.parametrize(("mode", "host_port"), [(None, 0), ("bridge", 0), ("awsvpc", 8080), ("host", 8080)])
def test_network_mode_and_host_port_defaults(mode, host_port):
    spec, _ = normalize(**({"networkMode": mode} if mode else {}),
                        containerDefinitions=[{**WEB, "portMappings": [{"containerPort": 8080}]}])
    assert spec["networkMode"] == (mode or "bridge")
    assert spec["containerDefinitions"][0]["portMappings"] == [{"containerPort": 8080, "protocol": "tcp", "hostPort": host_port}]


def test_ecs_defaults_for_essential_and_health_check():
    spec, _ = normalize(containerDefinitions=[
        {**WEB, "healthCheck": {"command": ["CMD", "true"], "retries": 5}}, {"name": "side", "image": "x", "essential": False}])
    web, side = spec["containerDefinitions"]
    assert web["essential"] is True and side["essential"] is False
    assert web["healthCheck"] == {"command": ["CMD", "true"], "retries": 5, "interval": 30, "timeout": 5, "startPeriod": 0}


def test_describe_output_with_and_without_wrapper_and_bare_array():
    described = {"taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/web:3", "revision": 3, "status": "ACTIVE",
                 "registeredAt": "2024-01-01T00:00:00Z", "compatibilities": ["EC2"], "family": "web", "containerDefinitions": [WEB]}
    plain, plain_notes = normalize_task_definition(described)
    wrapped, wrapped_notes = normalize_task_definition({"taskDefinition": described, "tags": [{"key": "a", "value": "b"}]})
    assert "revision" not in plain and "taskDefinitionArn" not in plain
    assert wrapped == {**plain, "tags": [{"key": "a", "value": "b"}]}
    [note] = plain_notes
    assert note == wrapped_notes[0] and note.path.startswith("taskDefinitionArn, revision, status")
    assert "read-only" in note.message
    assert problems([WEB]) == ["family: required field missing"]  # the CLI names it after the file


def test_reported_fields_stay_and_are_noted():
    spec, notes = normalize(containerDefinitions=[{**WEB, "ulimits": [{"name": "nofile", "softLimit": 1, "hardLimit": 2}],
                                                   "user": "nginx", "logConfiguration": {"logDriver": "awslogs"}}],
                            placementConstraints=[{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t3.*"}])
    assert spec["containerDefinitions"][0]["ulimits"]
    by_path = {n.path: n.message for n in notes}
    assert set(by_path) == {"containerDefinitions[0].ulimits", "containerDefinitions[0].user",
                            "containerDefinitions[0].logConfiguration", "placementConstraints[0].expression"}
    assert all(m.startswith("not supported on Kubernetes: ignored") for m in by_path.values())


def test_numeric_user_and_root_are_not_noted():
    for user in ("1000", "1000:1000", "root", "0:root"):
        assert normalize(containerDefinitions=[{**WEB, "user": user}])[1] == []


def test_wrong_types_are_refused_with_their_paths():
    assert problems({"family": "web", "containerDefinitions": "x"}) == [
        "containerDefinitions: must be a list, not a string 'x'"]
    assert problems({"family": "web", "containerDefinitions": [{**WEB, "essential": "maybe", "cpu": "1.5",
                                                                 "portMappings": [{"containerPort": {}}]}]}) == [
        "containerDefinitions[0].essential: must be true or false, not a string 'maybe'",
        "containerDefinitions[0].cpu: must be an integer, not a string '1.5'",
        "containerDefinitions[0].portMappings[0].containerPort: must be an integer, not an object"]


def test_unknown_fields_enums_and_required_members():
    assert problems({"family": "web", "containerDefinitions": [{**WEB, "essentail": True}]}) == [
        "containerDefinitions[0].essentail: unknown field: ECS's ContainerDefinition has no member 'essentail'"]
    assert problems({"family": "web", "networkMode": "nat", "containerDefinitions": [WEB]})[0].startswith(
        "networkMode: Value 'nat' failed to satisfy constraint")
    assert problems({"containerDefinitions": [{**WEB, "healthCheck": {"interval": 5}}]}) == [
        "containerDefinitions[0].healthCheck.command: required field missing", "family: required field missing"]
    assert problems("x") == ["a task definition is a JSON object (or a containerDefinitions list), not a string 'x'"]


def test_normalizing_twice_changes_nothing():
    spec, _ = normalize(cpu="1 vCPU", memory="2 GB", networkMode="awsvpc",
                        containerDefinitions=[{**WEB, "portMappings": [{"containerPort": 80}], "healthCheck": {"command": ["CMD", "x"]}}])
    assert normalize_task_definition(spec)[0] == spec


def test_input_is_not_modified():
    raw = {"family": "web", "containerDefinitions": [{**WEB, "portMappings": [{"containerPort": 80}]}]}
    normalize_task_definition(raw)
    assert raw == {"family": "web", "containerDefinitions": [{**WEB, "portMappings": [{"containerPort": 80}]}]}


def test_service_with_extension_and_notes():
    spec, notes = normalize_service({
        "serviceName": "web", "taskDefinition": "web:3", "desiredCount": "2", "launchType": "FARGATE",
        "loadBalancers": [{"containerName": "web", "containerPort": 80, "ingress": {"host": "web.example.com"}}],
        "placementStrategy": [{"type": "binpack", "field": "memory"}], "networkConfiguration": None,
        "placementConstraints": [{"type": "memberOf", "expression": "task:group == web"}]})
    assert spec["desiredCount"] == 2 and spec["loadBalancers"][0]["ingress"] == {"host": "web.example.com"}
    assert "networkConfiguration" not in spec
    assert {n.path for n in notes} == {"placementConstraints[0].expression"}
    with pytest.raises(InvalidSpec) as e:
        normalize_service({"serviceName": "web", "loadBalancers": "cats"})
    assert [str(p) for p in e.value.problems] == ["loadBalancers: must be a list, not a string 'cats'"]
