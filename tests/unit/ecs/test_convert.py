"""`kube-ecs convert | validate`: exit codes, output, stderr lines, and no traceback for any input."""

from __future__ import annotations

import io
import json
import random
import sys

import pytest
import yaml

from kube_ecs import cli, convert

from .conftest import VALID

WEB: dict = {"family": "Web_App", "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "memory": 128,
                                                      "portMappings": [{"containerPort": 80}], "ulimits": [
                                                          {"name": "nofile", "softLimit": 1024, "hardLimit": 1024}]}]}


def run(capsys, monkeypatch, args: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_convert_prints_the_custom_resource(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, ["convert", "-"], json.dumps(WEB).encode())
    [resource] = yaml.safe_load_all(out)
    assert code == 0 and resource["apiVersion"] == "ecs.kube-ecs.dev/v1alpha1" and resource["kind"] == "TaskDefinition"
    assert resource["metadata"]["name"] == "web-app" and resource["spec"]["family"] == "Web_App"
    assert err == ("warning: containerDefinitions[0].ulimits: not supported on Kubernetes: ignored (Kubernetes has "
                   "no per-container ulimits: the node's limits apply)\n")


def test_convert_manifests_with_the_default_service(capsys, monkeypatch, tmp_path):
    path = tmp_path / "web.json"
    path.write_text(json.dumps(WEB))
    code, out, _ = run(capsys, monkeypatch, ["convert", "--manifests", str(path)])
    objects = list(yaml.safe_load_all(out))
    assert code == 0 and [o["kind"] for o in objects] == ["Deployment", "Service"]
    assert objects[0]["metadata"]["namespace"] == "default" and objects[0]["spec"]["replicas"] == 1
    assert objects[0]["metadata"]["name"] == "web-app"


def test_convert_manifests_with_a_service_file(capsys, monkeypatch, tmp_path):
    (tmp_path / "td.json").write_text(json.dumps(WEB))
    (tmp_path / "svc.yaml").write_text(yaml.safe_dump({"serviceName": "front", "taskDefinition": "Web_App", "desiredCount": 3,
                                                       "loadBalancers": [{"containerName": "web", "containerPort": 80}]}))
    code, out, _ = run(capsys, monkeypatch, ["convert", "--manifests", str(tmp_path / "td.json"), "--service",
                                             str(tmp_path / "svc.yaml")])
    objects = list(yaml.safe_load_all(out))
    assert code == 0 and [o["kind"] for o in objects] == ["Deployment", "Service", "Ingress"]
    assert objects[0]["spec"]["replicas"] == 3 and objects[0]["metadata"]["name"] == "front"
    (tmp_path / "port.yaml").write_text("serviceName: front\nloadBalancers: [{containerName: web, containerPort: 81}]\n")
    code, out, err = run(capsys, monkeypatch, ["convert", "--manifests", str(tmp_path / "td.json"), "--service",
                                               str(tmp_path / "port.yaml")])
    assert (code, out) == (2, "") and err.endswith(
        "service.loadBalancers[0].containerPort: The container web did not have a container port 81 defined.\n")
    (tmp_path / "bad.yaml").write_text("serviceName: front\ndesiredCount: -1\n")
    code, out, err = run(capsys, monkeypatch, ["convert", "--manifests", str(tmp_path / "td.json"), "--service",
                                               str(tmp_path / "bad.yaml")])
    assert (code, out) == (2, "") and "service.desiredCount: The desired count cannot be negative." in err


def test_convert_manifests_of_a_run_task_request(capsys, monkeypatch, tmp_path):
    """The Pods the operator would make for a Task: one per task, never restarted, overrides applied."""
    (tmp_path / "td.json").write_text(json.dumps(WEB))
    (tmp_path / "run.json").write_text(json.dumps({"taskDefinition": "Web_App", "count": 2, "overrides": {
        "containerOverrides": [{"name": "web", "command": ["echo", "hi"]}]}, "enableExecuteCommand": True}))
    code, out, err = run(capsys, monkeypatch, ["convert", "--manifests", str(tmp_path / "td.json"), "--run-task",
                                               str(tmp_path / "run.json")])
    pods = list(yaml.safe_load_all(out))
    assert code == 0 and [p["kind"] for p in pods] == ["Pod", "Pod"]
    assert len({p["metadata"]["name"] for p in pods}) == 2
    assert all(p["spec"]["restartPolicy"] == "Never" and p["spec"]["containers"][0]["args"] == ["echo", "hi"]
               for p in pods)
    assert "warning: enableExecuteCommand: not supported on Kubernetes: ignored (use kubectl exec)" in err
    (tmp_path / "bad.json").write_text(json.dumps({"taskDefinition": "Web_App", "overrides": {
        "containerOverrides": [{"name": "ghost"}]}}))
    code, out, err = run(capsys, monkeypatch, ["convert", "--manifests", str(tmp_path / "td.json"), "--run-task",
                                               str(tmp_path / "bad.json")])
    assert (code, out) == (2, "") and err.endswith(
        "runTask.overrides.containerOverrides[0].name: Override for container named ghost is not a container in "
        "the TaskDefinition.\n")
    code, _, err = run(capsys, monkeypatch, ["convert", "--manifests", str(tmp_path / "td.json"), "--run-task",
                                             str(tmp_path / "run.json"), "--service", str(tmp_path / "run.json")])
    assert code == 1 and "cannot be used together" in err


def test_bare_array_takes_its_family_from_the_file_name(capsys, monkeypatch, tmp_path):
    path = tmp_path / "my.app.json"
    path.write_text(json.dumps(WEB["containerDefinitions"]))
    code, out, _ = run(capsys, monkeypatch, ["convert", str(path)])
    assert code == 0 and yaml.safe_load(out)["spec"]["family"] == "my-app"


def test_a_custom_resource_is_accepted_as_input(capsys, monkeypatch):
    resource = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "cats"},
                "spec": {"containerDefinitions": WEB["containerDefinitions"]}}
    code, out, _ = run(capsys, monkeypatch, ["convert", "-"], yaml.safe_dump(resource).encode())
    assert code == 0 and yaml.safe_load(out)["spec"]["family"] == "cats"


def test_validate_exit_codes_and_lines(capsys, monkeypatch):
    assert run(capsys, monkeypatch, ["validate", "-"], json.dumps(WEB).encode())[:2] == (0, "")
    bad = {**WEB, "containerDefinitions": [{**WEB["containerDefinitions"][0], "memoryReservation": 512}]}
    code, out, err = run(capsys, monkeypatch, ["validate", "-"], json.dumps(bad).encode())
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == ("containerDefinitions[0].memoryReservation: Invalid 'memoryReservation' setting for "
                                    "container 'web'. It must be less than or equal to 'memory' (128 MiB).")
    assert run(capsys, monkeypatch, ["validate", "/nonexistent/td.json"])[0] == 1


@pytest.mark.parametrize("data", [
    b"", b"{", b"\xff\xfe\x00", b"[" * 100_000, b"null", b"42", b'"x"', b"- a\n- b\n", b"{'a': [}",
    b"family: x\ncontainerDefinitions: {a: 1}\n", b"{\"family\": \"x\", \"containerDefinitions\": [null, 1, \"x\"]}",
    b"x" * (convert.MAX_INPUT_BYTES + 1), b"\xef\xbb\xbf{\"family\": \"bom\"}",
    b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((ord("a") + i + 1,) * 2 + (ord("a") + i,) * 10)
        for i in range(9)),
])
def test_hostile_input_never_raises(capsys, monkeypatch, data):
    code, out, err = run(capsys, monkeypatch, ["validate", "-"], data)
    assert code == 2 and out == "" and err and "Traceback" not in err and "please report" not in err


def _mutations(value, rng):
    """`value` with one node replaced by a value of another type."""
    paths = []

    def collect(node, path):
        paths.append(path)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            collect(child, (*path, key))

    collect(value, ())
    for path in rng.sample(paths, min(len(paths), 25)):
        mutated = json.loads(json.dumps(value))
        if not path:
            continue
        parent = mutated
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = rng.choice([None, "", "x", -1, 0, 10**12, 1.5, True, [], {}, [{}], {"a": None}])
        yield mutated


def test_mutated_corpus_never_crashes():
    """Wrong types, negative numbers and empty values anywhere: problems, never an exception."""
    rng = random.Random(7)
    for path in VALID:
        document = convert.parse(path.read_bytes(), default_family=path.stem)
        for mutated in _mutations(document, rng):
            result = convert.convert(mutated)
            if result.spec is not None:
                convert.manifests(result.spec, convert.default_service(result.spec["family"]))


def test_the_task_definition_of_a_multi_document_yaml(capsys, monkeypatch):
    """As in manifests/samples: a Cluster, a TaskDefinition and a Service in one file."""
    resource = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "cats"},
                "spec": WEB}
    stream = yaml.safe_dump_all([{"kind": "Cluster", "metadata": {"name": "demo"}}, resource, {"kind": "Service"}])
    code, out, _ = run(capsys, monkeypatch, ["convert", "--manifests", "-"], stream.encode())
    assert code == 0 and [o["kind"] for o in yaml.safe_load_all(out)] == ["Deployment", "Service"]
    code, _, err = run(capsys, monkeypatch, ["validate", "-"], b"kind: Cluster\n---\nkind: Service\n")
    assert code == 2 and err == "error: input has 2 YAML documents and 0 TaskDefinitions: give one\n"


def test_several_files_and_directories(capsys, monkeypatch, tmp_path):
    """A directory gives its *.json, *.yaml, *.yml files, sorted, not its subdirectories; every line names its file."""
    samples = tmp_path / "samples"
    (samples / "nested").mkdir(parents=True)
    (samples / "b.yaml").write_text(yaml.safe_dump({**WEB, "family": "b"}))
    (samples / "a.json").write_text(json.dumps({**WEB, "family": "a", "containerDefinitions": [
        {"name": "web", "image": "nginx:1.27", "memory": 128}]}))
    (samples / "notes.txt").write_text("not a task definition")
    (samples / "nested" / "c.json").write_text("{")
    (tmp_path / "d.yml").write_text(yaml.safe_dump({**WEB, "family": "d"}))
    code, out, err = run(capsys, monkeypatch, ["convert", str(samples), str(tmp_path / "d.yml")])
    assert code == 0 and [o["spec"]["family"] for o in yaml.safe_load_all(out)] == ["a", "b", "d"]
    assert err.splitlines() == [f"{samples / 'b.yaml'}: warning: containerDefinitions[0].ulimits: not supported on "
                                "Kubernetes: ignored (Kubernetes has no per-container ulimits: the node's limits apply)",
                                f"{tmp_path / 'd.yml'}: warning: containerDefinitions[0].ulimits: not supported on "
                                "Kubernetes: ignored (Kubernetes has no per-container ulimits: the node's limits apply)"]
    code, out, err = run(capsys, monkeypatch, ["convert", "--manifests", str(samples / "a.json"), str(tmp_path / "d.yml")])
    assert code == 0 and [(o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(out)] == [
        ("Deployment", "a"), ("Deployment", "d"), ("Service", "d")]


def test_several_files_exit_with_the_highest_code_and_convert_prints_all_or_nothing(capsys, monkeypatch, tmp_path):
    (tmp_path / "good.json").write_text(json.dumps(WEB))
    (tmp_path / "bad.json").write_text(json.dumps({**WEB, "containerDefinitions": [
        {**WEB["containerDefinitions"][0], "memory": 1}]}))
    (tmp_path / "empty").mkdir()
    good, bad, empty, missing = (str(tmp_path / n) for n in ("good.json", "bad.json", "empty", "missing.json"))
    code, out, err = run(capsys, monkeypatch, ["convert", good, missing, bad, empty])
    assert (code, out) == (2, "")
    lines = [line for line in err.splitlines() if "warning" not in line]
    assert lines == [f"{missing}: error: No such file or directory",
                     f"{bad}: containerDefinitions[0].memory: Invalid 'memory' setting for container 'web'. "
                     "The minimum is 6 MiB.",
                     f"{empty}: error: a directory without .json, .yaml, .yml files"]
    assert run(capsys, monkeypatch, ["validate", good, missing, empty])[0] == 1
    assert run(capsys, monkeypatch, ["validate", empty])[0] == 1
    code, _, err = run(capsys, monkeypatch, ["validate", "-", good], b"{")
    assert code == 2 and err.startswith("<stdin>: error: input is neither JSON nor YAML")


def test_a_service_file_goes_with_one_task_definition(capsys, monkeypatch, tmp_path):
    (tmp_path / "td.json").write_text(json.dumps(WEB))
    (tmp_path / "svc.json").write_text(json.dumps({"serviceName": "front"}))
    code, out, err = run(capsys, monkeypatch, ["convert", "--manifests", "--service", str(tmp_path / "svc.json"),
                                               str(tmp_path / "td.json"), str(tmp_path / "td.json")])
    assert (code, out, err) == (1, "", "error: --service goes with one task definition file\n")


def test_a_directory_that_cannot_be_listed_is_unreadable(capsys, monkeypatch, tmp_path):
    def refuse(*_):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(convert.Path, "iterdir", refuse)
    monkeypatch.setattr(convert.os, "listdir", refuse)
    assert run(capsys, monkeypatch, ["validate", str(tmp_path)]) == (1, "", f"error: {tmp_path}: Permission denied\n")
