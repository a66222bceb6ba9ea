"""`kube-ecs convert | validate`: ECS task definition files → the TaskDefinition custom resources, or
the Kubernetes objects they become, without a cluster. The same normalize/validate/builders as the
operator: one code path.

Input (files, directories, or `-` for stdin): register-task-definition JSON (--cli-input-json),
describe-task-definition output with or without its wrapper, a bare containerDefinitions array, YAML
of any of those, or a TaskDefinition custom resource (alone or among other YAML documents). A
directory stands for its *.json, *.yaml and *.yml files, sorted; not its subdirectories (a directory
of samples is one level, and recursing would pick up whatever else lives below it).

Per file: valid, invalid (one `path: message` line per problem on stderr; input that is not JSON/YAML,
not UTF-8 or too large is invalid too), or unreadable (cannot be opened, or an empty directory);
warnings for fields that do not carry over go to stderr. With more than one file, every stderr line
starts with `FILE: `. Exit code: the highest of the files' codes, so 2 when any file is invalid,
else 1 when any is unreadable, else 0: a file known to be invalid is a finding that stands however
the others fared, while 1 only says not everything could be checked. Never a traceback, whatever the
input.

`convert` prints every file's documents as one YAML stream, and only when every file is valid:
`kube-ecs convert dir/ | kubectl apply -f -` applies all of a directory or none of it.
`--manifests` builds a Service for each task definition: REPLICA, one task, named after the family,
in namespace and cluster `default` (`--service FILE` takes a CreateService JSON instead, for a
single task definition file; `--run-task FILE` a RunTask JSON, and prints the Pods of its tasks).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kube_ecs import API_VERSION
from kube_ecs.ecs import run_task
from kube_ecs.ecs.problems import InvalidSpec, Note, Problem, join
from kube_ecs.ecs.validate import check_service, check_task_definition, validate_service_task
from kube_ecs.resources import build_service_manifests, build_task_manifests, names

MAX_INPUT_BYTES = 8 * 1024 * 1024  # ECS refuses task definitions over 64 KiB; this only bounds the work
MAX_VALUES = 1_000_000  # what MAX_INPUT_BYTES of JSON can hold, give or take
DEFAULT_NAMESPACE = DEFAULT_CLUSTER = "default"
EXIT_OK, EXIT_UNREADABLE, EXIT_INVALID = 0, 1, 2


INPUT_SUFFIXES = (".json", ".yaml", ".yml")


class Unreadable(Exception):
    """`source` cannot be opened or read; `reason` says why."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source, self.reason = source, reason


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
    spec = document.get("spec") if isinstance(document, dict) else None
    if isinstance(spec, dict) and document.get("kind") == "TaskDefinition":
        name = (document.get("metadata") or {}).get("name")
        document = {**({"family": name} if isinstance(name, str) else {}), **spec}
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


# The uid the task ids of `convert --run-task` derive from: a Task object's uid in the cluster.
CONVERT_UID = "kube-ecs-convert"


def task_manifests(spec: dict, run: dict) -> list[dict]:
    """The Pods (and task role ServiceAccount) of RunTask request `run` of `spec` as revision 1, for a Task
    named after the family."""
    family = names.family_name(spec["family"])
    return build_task_manifests(run=run, task_name=family, uid=CONVERT_UID, taskdef=spec, family=family, revision=1,
                                namespace=DEFAULT_NAMESPACE, cluster=DEFAULT_CLUSTER)


def inputs(sources: list[str]) -> list[str]:
    """The files to check, directories expanded. A directory without such files, or that cannot be
    listed, stays, for _read to report."""
    files = []
    for source in sources:
        files += _listed(source) or [source]
    return files


def _listed(source: str) -> list[str]:
    path = Path(source)
    if source == "-" or not path.is_dir():
        return []
    try:
        return sorted(str(p) for p in path.iterdir() if p.suffix in INPUT_SUFFIXES and p.is_file())
    except OSError:
        return []


def _read(source: str) -> bytes:
    try:
        if source == "-":
            return sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        with open(source, "rb") as f:
            return f.read(MAX_INPUT_BYTES + 1)
    except IsADirectoryError:
        try:
            os.listdir(source)
        except OSError as e:
            raise Unreadable(source, e.strerror or str(e)) from None
        raise Unreadable(source, f"a directory without {', '.join(INPUT_SUFFIXES)} files") from None
    except OSError as e:
        raise Unreadable(source, e.strerror or str(e)) from None


def _default_family(source: str) -> str:
    return "" if source == "-" else Path(source).stem.replace(".", "-")


def _service(source: str | None, family: str) -> tuple[dict | None, list[Problem], list[Note]]:
    """The Service for --manifests (the default one without `source`), its problems and notes, paths
    prefixed with `service.`."""
    if source is None:
        return default_service(family), [], []
    return _request(source, check_service, "service")


def _request(source: str, check: Any, prefix: str) -> tuple[dict | None, list[Problem], list[Note]]:
    """A CreateService or RunTask file read and checked (`check`), problems' paths under `prefix`."""
    try:
        request, problems, notes = check(parse(_read(source)))
    except InvalidSpec as e:
        request, notes, problems = None, [], e.problems
    return request, _prefixed(problems, prefix), notes


def _prefixed(problems: list[Problem], prefix: str = "service") -> list[Problem]:
    return [Problem(join(prefix, p.path) if p.path else prefix, p.message) for p in problems]


def _say(prefix: str, line: str) -> None:
    print(f"{prefix}{line}", file=sys.stderr)


def _report(problems: list[Problem], notes: list[Note], prefix: str) -> int:
    for note in notes:
        _say(prefix, f"warning: {note}")
    for problem in problems:
        _say(prefix, f"{problem}" if problem.path else f"error: {problem}")
    return EXIT_INVALID if problems else EXIT_OK


def _check(source: str, args: argparse.Namespace, prefix: str) -> tuple[int, list[dict]]:
    """One file: its exit code and the objects `convert` would print for it."""
    try:
        result = convert(parse(_read(source), default_family=_default_family(source)))
    except InvalidSpec as e:
        result = Converted(None, e.problems, [])
    service_problems: list[Problem] = []
    service_notes: list[Note] = []
    service = run = None
    if result.spec is not None and getattr(args, "manifests", False) and getattr(args, "run_task", None):
        run, service_problems, service_notes = _request(args.run_task, run_task.check_run_task, "runTask")
        if run is not None and not service_problems:
            service_problems = _prefixed(run_task.validate_against(run, result.spec), "runTask")
    elif result.spec is not None and getattr(args, "manifests", False):
        service, service_problems, service_notes = _service(args.service, result.spec["family"])
        if service is not None and not service_problems:
            service_problems = _prefixed(validate_service_task(service, result.spec))
    code = _report(result.problems + service_problems, result.notes + service_notes, prefix)
    if code != EXIT_OK:
        return code, []
    assert result.spec is not None  # no problems, so convert() made a spec
    if run is not None:
        return code, task_manifests(result.spec, run)
    return code, manifests(result.spec, service) if service is not None else [custom_resource(result.spec)]


def _guarded(source: str, args: argparse.Namespace, prefix: str) -> tuple[int, list[dict]]:
    try:
        return _check(source, args, prefix)
    except Unreadable as e:
        # Behind a prefix naming the file, the file's name is not said again.
        _say(prefix, f"error: {e.reason}" if prefix and e.source == source else f"error: {e}")
        return EXIT_UNREADABLE, []
    except Exception as e:  # never a traceback for a user's file; the message still names the bug
        _say(prefix, f"error: kube-ecs failed on this input ({type(e).__name__}: {e}); please report it")
        return EXIT_UNREADABLE, []


def _main(args: argparse.Namespace, *, emit: bool) -> int:
    files = inputs(args.files)
    option = "--service" if getattr(args, "service", None) else "--run-task" if getattr(args, "run_task", None) else ""
    if option and len(files) > 1:
        _say("", f"error: {option} goes with one task definition file")
        return EXIT_UNREADABLE
    if getattr(args, "service", None) and getattr(args, "run_task", None):
        _say("", "error: --service and --run-task cannot be used together")
        return EXIT_UNREADABLE
    # A single file the user named needs no prefix; files from several arguments or a directory do.
    several = files != args.files or len(files) > 1
    code = EXIT_OK
    objects: list[dict] = []
    for source in files:
        prefix = f"{'<stdin>' if source == '-' else source}: " if several else ""
        file_code, file_objects = _guarded(source, args, prefix)
        code, objects = max(code, file_code), objects + file_objects
    if code == EXIT_OK and emit:
        sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False, width=120))
    return code


def register(subparsers: argparse._SubParsersAction) -> None:
    convert_parser = subparsers.add_parser(
        "convert", help="ECS task definition → TaskDefinition custom resource (or --manifests: Kubernetes objects)")
    convert_parser.add_argument("files", nargs="+", metavar="FILE",
                                help="task definition JSON/YAML files or directories of them, or - for stdin")
    convert_parser.add_argument("--manifests", action="store_true",
                                help="print the Kubernetes objects (Deployment, Service, ...) instead")
    convert_parser.add_argument("--service", metavar="FILE",
                                help="with --manifests: CreateService JSON/YAML (default: one REPLICA task)")
    convert_parser.add_argument("--run-task", metavar="FILE",
                                help="with --manifests: RunTask JSON/YAML; prints its tasks' Pods instead")
    convert_parser.set_defaults(func=lambda args: _main(args, emit=True))
    validate_parser = subparsers.add_parser("validate", help="check ECS task definition files as ECS would")
    validate_parser.add_argument("files", nargs="+", metavar="FILE",
                                 help="task definition JSON/YAML files or directories of them, or - for stdin")
    validate_parser.set_defaults(func=lambda args: _main(args, emit=False))
