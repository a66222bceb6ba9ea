"""`kube-ecs convert | validate`: an ECS task definition file → the TaskDefinition custom resource, or
the Kubernetes objects it becomes, without a cluster. The same normalize/validate/builders as the
operator: one code path.

Input (a file or `-`): register-task-definition JSON (--cli-input-json), describe-task-definition
output with or without its wrapper, a bare containerDefinitions array, YAML of any of those, or a
TaskDefinition custom resource (alone or among other YAML documents). Exit 0 when valid, 2 when not (one `path: message` line per problem
on stderr; input that is not JSON/YAML, not UTF-8 or too large is invalid too), 1 when the file cannot
be opened; warnings for fields that do not carry over go to stderr. Never a traceback, whatever the input.

`--manifests` builds a Service for the lone task definition: REPLICA, one task, named after the
family, in namespace and cluster `default` (`--service FILE` takes a CreateService JSON instead).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kube_ecs import API_VERSION
from kube_ecs.ecs.problems import InvalidSpec, Note, Problem, join
from kube_ecs.ecs.validate import check_service, check_task_definition, validate_service_task
from kube_ecs.resources import build_service_manifests, names

MAX_INPUT_BYTES = 8 * 1024 * 1024  # ECS refuses task definitions over 64 KiB; this only bounds the work
MAX_VALUES = 1_000_000  # what MAX_INPUT_BYTES of JSON can hold, give or take
DEFAULT_NAMESPACE = DEFAULT_CLUSTER = "default"
EXIT_OK, EXIT_UNREADABLE, EXIT_INVALID = 0, 1, 2


class Unreadable(Exception):
    """The file cannot be opened or read; the message says why."""


@dataclass(frozen=True)
class Converted:
    """A task definition as the operator would register it, or the problems that stop it."""

    spec: dict | None
    problems: list[Problem]
    notes: list[Note]


def _bad(message: str) -> InvalidSpec:
    return InvalidSpec([Problem("", message)])


def parse(data: bytes, *, default_family: str = "") -> Any:
    """Bytes → the document (JSON, else YAML); InvalidSpec when there is none. A TaskDefinition custom
    resource gives its spec; a document without family gets `default_family` (a bare
    containerDefinitions array has none)."""
    if len(data) > MAX_INPUT_BYTES:
        raise _bad(f"input is larger than {MAX_INPUT_BYTES} bytes: not a task definition")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _bad(f"input is not UTF-8 text (byte {e.start})") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise _bad("input is nested too deeply") from None
    except ValueError as json_error:
        try:
            documents = list(yaml.safe_load_all(text))
        except (yaml.YAMLError, RecursionError):
            raise _bad(f"input is neither JSON nor YAML: {json_error}") from None
        _bounded(documents)
        document = _task_definition_document(documents)
    if isinstance(document, dict) and document.get("kind") == "TaskDefinition" and isinstance(document.get("spec"), dict):
        name = (document.get("metadata") or {}).get("name")
        document = {**({"family": name} if isinstance(name, str) else {}), **document["spec"]}
    if isinstance(document, list):
        document = {"containerDefinitions": document}
    if isinstance(document, dict) and "family" not in document and "taskDefinition" not in document and default_family:
        document = {"family": default_family, **document}
    return document


def _bounded(value: Any) -> None:
    """Refuse YAML whose aliases expand to more values than any task definition has (a "billion
    laughs" file is small on disk and endless to walk)."""
    stack, count = [value], 0
    while stack:
        item = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise _bad(f"input expands to more than {MAX_VALUES} values: not a task definition")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _task_definition_document(documents: list[Any]) -> Any:
    """The one document of a YAML stream, or its TaskDefinition custom resource (a file such as
    manifests/samples/cats.yaml holds a Cluster, a TaskDefinition and a Service)."""
    if len(documents) == 1:
        return documents[0]
    resources = [d for d in documents if isinstance(d, dict) and d.get("kind") == "TaskDefinition"]
    if len(resources) != 1:
        raise _bad(f"input has {len(documents)} YAML documents and {len(resources)} TaskDefinitions: give one")
    return resources[0]


def convert(document: Any) -> Converted:
    """normalize + validate, as the operator registers a revision."""
    return Converted(*check_task_definition(document))


def custom_resource(spec: dict) -> dict:
    return {"apiVersion": API_VERSION, "kind": "TaskDefinition",
            "metadata": {"name": names.family_name(spec["family"])}, "spec": spec}


def default_service(family: str) -> dict:
    return {"serviceName": names.family_name(family), "taskDefinition": family, "desiredCount": 1}


def manifests(spec: dict, service: dict) -> list[dict]:
    """The operator's children of `service` running `spec` as revision 1 (a Service's name is sanitised as
    the operator's Service object name would be, not as a family)."""
    return build_service_manifests(service=service, service_name=names.object_name(service["serviceName"]),
                                   taskdef=spec, family=names.family_name(spec["family"]),
                                   revision=1, namespace=DEFAULT_NAMESPACE, cluster=DEFAULT_CLUSTER)


def _read(source: str) -> bytes:
    try:
        if source == "-":
            return sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        with open(source, "rb") as f:
            return f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        raise Unreadable(f"{source}: {e.strerror}") from None


def _default_family(source: str) -> str:
    return "" if source == "-" else Path(source).stem.replace(".", "-")


def _service(source: str | None, family: str) -> tuple[dict | None, list[Problem], list[Note]]:
    """The Service for --manifests (the default one without `source`), its problems and notes, paths
    prefixed with `service.`."""
    if source is None:
        return default_service(family), [], []
    try:
        service, problems, notes = check_service(parse(_read(source)))
    except InvalidSpec as e:
        service, notes, problems = None, [], e.problems
    return service, _prefixed(problems), notes


def _prefixed(problems: list[Problem]) -> list[Problem]:
    return [Problem(join("service", p.path) if p.path else "service", p.message) for p in problems]


def _report(problems: list[Problem], notes: list[Note]) -> int:
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    for problem in problems:
        print(f"{problem}" if problem.path else f"error: {problem}", file=sys.stderr)
    return EXIT_INVALID if problems else EXIT_OK


def _run(args: argparse.Namespace, *, emit: bool) -> int:
    try:
        try:
            result = convert(parse(_read(args.file), default_family=_default_family(args.file)))
        except InvalidSpec as e:
            result = Converted(None, e.problems, [])
        service_problems: list[Problem] = []
        service_notes: list[Note] = []
        service = None
        if result.spec is not None and getattr(args, "manifests", False):
            service, service_problems, service_notes = _service(args.service, result.spec["family"])
            if service is not None and not service_problems:
                service_problems = _prefixed(validate_service_task(service, result.spec))
    except Unreadable as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    code = _report(result.problems + service_problems, result.notes + service_notes)
    if code == EXIT_OK and emit:
        objects = manifests(result.spec, service) if service is not None else [custom_resource(result.spec)]
        sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False, width=120))
    return code


def _guarded(args: argparse.Namespace, *, emit: bool) -> int:
    try:
        return _run(args, emit=emit)
    except Exception as e:  # never a traceback for a user's file; the message still names the bug
        print(f"error: kube-ecs failed on this input ({type(e).__name__}: {e}); please report it", file=sys.stderr)
        return EXIT_UNREADABLE


def register(subparsers: argparse._SubParsersAction) -> None:
    convert_parser = subparsers.add_parser(
        "convert", help="ECS task definition → TaskDefinition custom resource (or --manifests: Kubernetes objects)")
    convert_parser.add_argument("file", help="task definition JSON/YAML file, or - for stdin")
    convert_parser.add_argument("--manifests", action="store_true",
                                help="print the Kubernetes objects (Deployment, Service, ...) instead")
    convert_parser.add_argument("--service", metavar="FILE",
                                help="with --manifests: CreateService JSON/YAML (default: one REPLICA task)")
    convert_parser.set_defaults(func=lambda args: _guarded(args, emit=True))
    validate_parser = subparsers.add_parser("validate", help="check an ECS task definition file as ECS would")
    validate_parser.add_argument("file", help="task definition JSON/YAML file, or - for stdin")
    validate_parser.set_defaults(func=lambda args: _guarded(args, emit=False))
