"""ECS input as users have it → the normalized spec the builders and validation take.

The input is register-task-definition JSON as real files hold it (numbers as strings, "0.25 vCPU" and
"1 GB" task sizes, nulls, "" for unset), describe-task-definition output (with or without its
`{"taskDefinition": ...}` wrapper; read-only fields dropped with a note) or a bare containerDefinitions
array. The output is register-task-definition camelCase with ints, bools and lists of the right type,
nulls and "" members gone, task cpu/memory as cpu units/MiB, and ECS's defaults filled in (networkMode,
essential, port protocol and hostPort, healthCheck timings). Types and member names are checked
against botocore's shapes; input that cannot be read that way raises InvalidSpec with every problem.

Fields with a reported rule stay in the spec (the builders ignore them) and each yields a Note.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.model import Shape

from kube_ecs.ecs import expressions, model, rules
from kube_ecs.ecs.problems import InvalidSpec, Note, Problem, join

_DROP = object()  # a value normalisation removes (null, "")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_NUMBER = r"\s*(\d+(?:\.\d*)?|\.\d+)\s*"
# Task sizes as ECS documents them: cpu units or vCPUs ("1 vCPU", "1 vcpu"), MiB or GB ("2GB", "2 GB").
_VCPU = re.compile(rf"^{_NUMBER}vcpu\s*$", re.IGNORECASE)
_GB = re.compile(rf"^{_NUMBER}gb\s*$", re.IGNORECASE)
_TASK_SIZES = {"cpu": (_VCPU, 1024), "memory": (_GB, 1024)}

HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}
DEFAULT_NETWORK_MODE = "bridge"  # ECS's default on Linux
_SAME_PORT_MODES = ("awsvpc", "host")  # where hostPort is containerPort


# --- reading values by their botocore shape -------------------------------------------------------


def _whole(value: Any) -> int | None:
    """An int from an int, a whole float or a string of digits (files quote numbers); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    return None


def _integer(value: Any, path: str, problems: list[Problem]) -> Any:
    number = _whole(value)
    if number is None:
        problems.append(Problem(path, f"must be an integer, not {_show(value)}"))
        return _DROP
    return number


def _number(value: Any, path: str, problems: list[Problem]) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(_NUMBER, value):
        return float(value)
    problems.append(Problem(path, f"must be a number, not {_show(value)}"))
    return _DROP


def _string(value: Any, member: Shape, path: str, problems: list[Problem]) -> Any:
    if not isinstance(value, str):
        problems.append(Problem(path, f"must be a string, not {_show(value)}"))
        return _DROP
    enum = getattr(member, "enum", None)
    if enum and value not in enum:
        problems.append(Problem(path, f"Value '{value}' failed to satisfy constraint: Member must satisfy "
                                      f"enum value set: [{', '.join(enum)}]"))
        return _DROP
    return value


def _show(value: Any) -> str:
    """How a problem names a value: its type, and the value itself when it is short to show."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    kind = {bool: "a boolean", str: "a string"}.get(type(value), "a number")
    text = repr(value)
    return f"{kind} {text[:40]}{'...' if len(text) > 40 else ''}"


def _read(value: Any, member: Shape, path: str, problems: list[Problem]) -> Any:
    """`value` read as botocore shape `member` (the value, or _DROP); type errors go to `problems`."""
    if value is None:
        return _DROP
    kind = member.type_name
    if kind == "structure":
        if model.is_document(member):
            return value
        if not isinstance(value, dict):
            problems.append(Problem(path, f"must be an object, not {_show(value)}"))
            return _DROP
        return _structure(value, member.name, path, problems)
    if kind == "list":
        if not isinstance(value, list):
            problems.append(Problem(path, f"must be a list, not {_show(value)}"))
            return _DROP
        items = (_read(item, member.member, join(path, i), problems) for i, item in enumerate(value))
        return [item for item in items if item is not _DROP]
    if kind == "map":
        if not isinstance(value, dict):
            problems.append(Problem(path, f"must be an object, not {_show(value)}"))
            return _DROP
        entries = ((str(k), _read(v, member.value, join(path, str(k)), problems)) for k, v in value.items())
        return {k: v for k, v in entries if v is not _DROP}
    if kind in ("integer", "long"):
        return _integer(value, path, problems)
    if kind in ("double", "float"):
        return _number(value, path, problems)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        problems.append(Problem(path, f"must be true or false, not {_show(value)}"))
        return _DROP
    if kind == "timestamp":
        return value
    return _string(value, member, path, problems)


def _structure(value: dict, structure: str, path: str, problems: list[Problem]) -> dict:
    known = model.members(structure)
    out = {}
    for key, item in value.items():
        member = known.get(key)
        where = join(path, str(key))
        if member is None:
            problems.append(Problem(where, f"unknown field: ECS's {structure} has no member {key!r}"))
            continue
        if item == "" and member.type_name == "string":
            continue  # "" is how files write "unset"
        item = _read(item, member, where, problems)
        if item is not _DROP:
            out[key] = item
    for required in model.shape(structure).required_members:
        if value.get(required) in (None, ""):  # a present value of the wrong type has its own problem
            problems.append(Problem(join(path, required), "required field missing"))
    return out


def task_size(value: Any, field: str) -> int | None:
    """Task `cpu` ("256", 256, "0.25 vCPU") or `memory` ("512", "1 GB") → cpu units / MiB; None if unreadable."""
    if (number := _whole(value)) is not None:
        return number
    unit, factor = _TASK_SIZES[field]
    if isinstance(value, str) and (found := unit.match(value)):
        return round(float(found[1]) * factor)
    return None


# --- task definitions -----------------------------------------------------------------------------


def unwrap(raw: Any) -> tuple[dict, list[Note]]:
    """The register-task-definition request inside `raw` (describe output, its wrapper or a bare
    containerDefinitions array), without describe's read-only fields (one note names them)."""
    if isinstance(raw, list):
        raw = {"containerDefinitions": raw}
    if not isinstance(raw, dict):
        raise InvalidSpec([Problem("", f"a task definition is a JSON object (or a containerDefinitions list), "
                                       f"not {_show(raw)}")])
    if isinstance(raw.get("taskDefinition"), dict) and set(raw) <= {"taskDefinition", "tags"}:
        # describe-task-definition --include TAGS puts the tags beside the task definition
        raw = {**raw["taskDefinition"], **({"tags": raw["tags"]} if raw.get("tags") else {})}
    read_only = [key for key in model.read_only_members() if key in raw]
    rule = rules.RULES[f"{model.DESCRIBED}.{read_only[0]}"] if read_only else None
    notes = [Note(", ".join(read_only), f"{rule.kind}: {rule.text}")] if rule else []
    return {k: v for k, v in raw.items() if k not in read_only}, notes


def _task_sizes(raw: dict, problems: list[Problem]) -> dict[str, int]:
    """Task cpu/memory as cpu units/MiB (unset ones left out); unreadable ones go to `problems`."""
    sizes = {}
    for field in _TASK_SIZES:
        if raw.get(field) in (None, ""):
            continue
        size = task_size(raw[field], field)
        if size is None:
            problems.append(Problem(field, f"Invalid '{field}' setting for task: {_show(raw[field])} is neither "
                                           f"a number nor {'vCPUs' if field == 'cpu' else 'GB'}."))
        else:
            sizes[field] = size
    return sizes


def _port_defaults(mapping: dict, network_mode: str) -> dict:
    """protocol tcp; hostPort = containerPort where the task has the host's or its own ENI's ports, 0
    (dynamic) in bridge mode, as describe-task-definition shows them."""
    out = {**mapping, "protocol": mapping.get("protocol", "tcp")}
    if "containerPort" in mapping and "hostPort" not in mapping and network_mode != "none":
        out["hostPort"] = mapping["containerPort"] if network_mode in _SAME_PORT_MODES else 0
    return out


def _container_defaults(container: dict, network_mode: str) -> dict:
    out = {**container, "essential": container.get("essential", True)}
    if "portMappings" in container:
        out["portMappings"] = [_port_defaults(m, network_mode) for m in container["portMappings"]]
    if "healthCheck" in container:
        out["healthCheck"] = {**container["healthCheck"], **{
            k: container["healthCheck"].get(k, v) for k, v in HEALTH_CHECK_DEFAULTS.items()}}
    return out


def _task_defaults(spec: dict) -> dict:
    network_mode = spec.get("networkMode", DEFAULT_NETWORK_MODE)
    containers = [_container_defaults(c, network_mode) for c in spec.get("containerDefinitions", [])]
    return {**spec, "networkMode": network_mode, "containerDefinitions": containers}


def normalize_task_definition(raw: Any) -> tuple[dict, list[Note]]:
    request, notes = unwrap(raw)
    problems: list[Problem] = []
    sizes = _task_sizes(request, problems)  # read here, not by their string shape
    spec = _structure({k: v for k, v in request.items() if k not in _TASK_SIZES}, model.TASK_DEFINITION, "", problems)
    if problems:
        raise InvalidSpec(problems)
    spec.update(sizes)
    spec = _task_defaults(spec)
    return spec, notes + reported(spec, model.TASK_DEFINITION) + _task_value_notes(spec)


# --- notes ----------------------------------------------------------------------------------------


def reported(spec: dict, root: str) -> list[Note]:
    """A note for every field present whose rule is `reported`."""
    return [Note(path, f"{rules.NOT_SUPPORTED} ({rule.text})")
            for path, rule in rules.present(spec, root) if rule.kind == rules.REPORTED]


def _user_note(path: str, user: str) -> list[Note]:
    parts = user.split(":", 1)
    if all(p.isdigit() or p == "root" for p in parts):
        return []
    return [Note(path, f"{rules.NOT_SUPPORTED}: user {user!r}: Kubernetes takes numeric ids only, so the "
                       f"image's default user applies for the names")]


def _member_of_notes(path: str, constraints: list[dict]) -> list[Note]:
    return [Note(join(join(path, i), "expression"),
                 f"{rules.NOT_SUPPORTED}: memberOf expression {c['expression']!r} cannot be answered by node labels")
            for i, c in enumerate(constraints)
            if c.get("type") == "memberOf" and c.get("expression") and expressions.parse(c["expression"]) is None]


def _task_value_notes(spec: dict) -> list[Note]:
    notes = []
    if spec["networkMode"] == "none":
        notes.append(Note("networkMode", f"{rules.NOT_SUPPORTED}: none (a pod always has a network)"))
    for i, container in enumerate(spec["containerDefinitions"]):
        path = join("containerDefinitions", i)
        if container.get("user"):
            notes += _user_note(join(path, "user"), container["user"])
        command = container.get("healthCheck", {}).get("command") or ["NONE"]
        if command[0] not in ("CMD", "CMD-SHELL", "NONE"):
            notes.append(Note(join(path, "healthCheck.command"), f"{rules.NOT_SUPPORTED}: a command not starting "
                                                                 f"with CMD or CMD-SHELL is not run as a probe"))
        for j, requirement in enumerate(container.get("resourceRequirements", [])):
            if requirement["type"] != "GPU":
                notes.append(Note(join(join(path, "resourceRequirements"), j),
                                  f"{rules.NOT_SUPPORTED}: {requirement['type']} (only GPU is mapped)"))
    return notes + _member_of_notes("placementConstraints", spec.get("placementConstraints", []))


# --- services -------------------------------------------------------------------------------------


def read_request(raw: Any, root: str, what: str) -> tuple[dict, list[Note]]:
    """Request `raw` read by botocore shape `root`, with a note for every reported field."""
    if not isinstance(raw, dict):
        raise InvalidSpec([Problem("", f"{what} is a JSON object, not {_show(raw)}")])
    problems: list[Problem] = []
    spec = _structure(raw, root, "", problems)
    if problems:
        raise InvalidSpec(problems)
    return spec, reported(spec, root)


def normalize_service(raw: Any) -> tuple[dict, list[Note]]:
    """A CreateService request (with kube-ecs's loadBalancers[].ingress) read by its shape, with notes."""
    spec, notes = read_request(raw, model.SERVICE, "a service")
    notes += _member_of_notes("placementConstraints", spec.get("placementConstraints", []))
    return spec, notes


# --- clusters and capacity providers --------------------------------------------------------------


def normalize_cluster(raw: Any) -> tuple[dict, list[Note]]:
    """A CreateCluster request read by its shape, with notes."""
    return read_request(raw, model.CLUSTER, "a cluster")


def normalize_capacity_provider(raw: Any) -> tuple[dict, list[Note]]:
    """A CreateCapacityProvider request (with kube-ecs's nodeSelector) read by its shape, with notes."""
    return read_request(raw, model.CAPACITY_PROVIDER, "a capacity provider")
