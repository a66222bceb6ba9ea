"""Structural OpenAPI v3 schemas (apiextensions.k8s.io/v1) for the CRD specs, from botocore's shapes.

Field names, types, enums and required members come from the model; descriptions are the rule texts
of rules.py. What ECS files really contain is accepted, so that a pasted task definition applies:

- Integers of the task definition, and its string `cpu`/`memory`, are int-or-string: real files have
  `"cpu": "256"` and `"memory": "1 GB"`; normalize.py converts them (and refuses non-numbers).
  Services keep plain integers: their specs are written for kube-ecs, not pasted from tools.
- Every enum also takes "" (files write it for "unset"), and every field takes null: normalize drops both.
- A task definition also takes describe-task-definition's read-only fields (dropped with a note).
A wrong type no real file has (`containerDefinitions: "x"`, `essential: "maybe"`) is refused by the
API server with its field path.
"""

from __future__ import annotations

import copy
from functools import cache

from botocore.model import Shape

from kube_ecs.ecs import model, rules

INT_OR_STRING = {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
ANY = {"x-kubernetes-preserve-unknown-fields": True}
# String members of the task definition whose files hold numbers too.
SIZES = ("cpu", "memory")


def _node(member: Shape, *, lenient: bool) -> dict:
    kind = member.type_name
    if kind == "structure":
        return _object(member.name, lenient=lenient)
    if kind == "list":
        return {"type": "array", "items": _node(member.member, lenient=lenient)}
    if kind == "map":
        return {"type": "object", "additionalProperties": _node(member.value, lenient=lenient)}
    if kind in ("integer", "long"):
        return dict(INT_OR_STRING) if lenient else {"type": "integer"}
    if kind in ("double", "float"):
        return {"type": "number"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "timestamp":
        return dict(ANY)  # read-only fields: ISO strings or epoch numbers, dropped anyway
    enum = getattr(member, "enum", None)
    return {"type": "string", "enum": [*enum, ""]} if enum else {"type": "string"}


def _object(structure: str, *, lenient: bool) -> dict:
    if model.is_document(model.shape(structure)):
        return {"type": "object", **ANY}
    properties = {}
    for name, member in model.members(structure).items():
        node = INT_OR_STRING if lenient and structure == model.TASK_DEFINITION and name in SIZES \
            else _node(member, lenient=lenient)
        node = {**node, "nullable": True}
        rule = rules.rule_for(structure, name)
        if rule is not None:
            node["description"] = f"{rule.kind}: {rule.text}"
        properties[name] = node
    schema: dict = {"type": "object", "properties": properties}
    if required := list(model.shape(structure).required_members):
        schema["required"] = required
    return schema


@cache
def _schema(shape_name: str) -> dict:
    lenient = shape_name == model.TASK_DEFINITION
    schema = _object(shape_name, lenient=lenient)
    if shape_name == model.TASK_DEFINITION:
        described = model.shape(model.DESCRIBED).members
        for name in model.read_only_members():
            rule = rules.RULES[f"{model.DESCRIBED}.{name}"]
            schema["properties"][name] = {**_node(described[name], lenient=True), "nullable": True,
                                          "description": f"{rules.READ_ONLY}: {rule.text}"}
    return schema


def openapi_schema(shape_name: str) -> dict:
    """The structural schema of ECS shape `shape_name` (a fresh copy: callers adjust it)."""
    return copy.deepcopy(_schema(shape_name))
