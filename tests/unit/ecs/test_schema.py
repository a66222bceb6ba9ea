"""The CRD spec schemas: structural (apiextensions v1), derived from botocore, accepting what ECS files
hold and refusing wrong types with the field path."""

from __future__ import annotations

import pytest

from kube_ecs.ecs import model
from kube_ecs.ecs.schema import openapi_schema

from .conftest import spec_validator

SHAPES = ("RegisterTaskDefinitionRequest", "CreateServiceRequest", "CreateClusterRequest")


def nodes(node: dict, path: str = ""):
    yield path, node
    for name, child in (node.get("properties") or {}).items():
        yield from nodes(child, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from nodes(node[key], f"{path}[]")


@pytest.mark.parametrize("shape", SHAPES)
def test_structural(shape):
    for path, node in nodes(openapi_schema(shape)):
        assert "$ref" not in node, path
        typed = node.get("type") or node.get("x-kubernetes-int-or-string") or node.get("x-kubernetes-preserve-unknown-fields")
        assert typed, f"{path} has no type"
        if node.get("x-kubernetes-int-or-string"):
            assert "type" not in node and node["anyOf"] == [{"type": "integer"}, {"type": "string"}], path
        assert path.count(".") < 12, f"{path}: recursion is not bounded"


@pytest.mark.parametrize("shape", SHAPES)
def test_descriptions_are_ours_not_botocores(shape):
    documentation = {m.documentation for s, _, m in model.walk(shape)} | {
        m.documentation for s in (shape,) for m in model.shape(s).members.values()}
    for path, node in nodes(openapi_schema(shape)):
        description = node.get("description")
        if description:
            assert description.split(": ", 1)[0] in ("mapped", "reported", "rejected", "read-only"), path
            assert not any(description in doc for doc in documentation if doc), path


def test_every_field_of_the_model_is_in_the_schema():
    schema = openapi_schema("RegisterTaskDefinitionRequest")
    container = schema["properties"]["containerDefinitions"]["items"]["properties"]
    assert set(container) == set(model.shape("ContainerDefinition").members)
    assert schema["required"] == ["family", "containerDefinitions"]
    assert schema["properties"]["networkMode"]["enum"] == ["bridge", "host", "awsvpc", "none", ""]


def test_numbers_as_strings_only_in_task_definitions():
    td = openapi_schema("RegisterTaskDefinitionRequest")["properties"]
    assert td["cpu"]["x-kubernetes-int-or-string"] and td["memory"]["x-kubernetes-int-or-string"]
    assert td["containerDefinitions"]["items"]["properties"]["cpu"]["x-kubernetes-int-or-string"]
    assert openapi_schema("CreateServiceRequest")["properties"]["desiredCount"]["type"] == "integer"


def test_load_balancer_ingress_extension():
    lb = openapi_schema("CreateServiceRequest")["properties"]["loadBalancers"]["items"]["properties"]
    assert set(lb["ingress"]["properties"]) == {"host", "path"}


def errors(kind: str, spec: dict) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.validator}" for e in spec_validator(kind).iter_errors(spec))


def test_verbatim_ecs_values_are_accepted():
    spec = {"family": "web", "cpu": "0.25 vCPU", "memory": "1 GB", "networkMode": "", "ipcMode": None,
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/web:1", "revision": 1, "registeredAt": 1.7e9,
            "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": "256", "memory": 512, "essential": True,
                                      "portMappings": [{"containerPort": "80", "protocol": "tcp", "appProtocol": ""}]}]}
    assert errors("TaskDefinition", spec) == []


def test_wrong_types_are_refused_with_their_path():
    assert errors("TaskDefinition", {"family": "web", "containerDefinitions": "x"}) == ["containerDefinitions: type"]
    assert errors("TaskDefinition", {"family": "web", "containerDefinitions": [
        {"name": "web", "essential": "maybe", "portMappings": {"containerPort": 80}}]}) == [
        "containerDefinitions.0.essential: type", "containerDefinitions.0.portMappings: type"]
    assert errors("Service", {"loadBalancers": "cats"}) == ["loadBalancers: type"]
    assert errors("TaskDefinition", {"family": "web", "containerDefinitions": [], "netowrkMode": "awsvpc"}) == [
        ": additionalProperties"]
