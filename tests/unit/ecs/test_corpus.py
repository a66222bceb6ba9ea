"""The task-definition corpus (tests/corpus): every valid file converts to its golden output, whose
manifests Kubernetes 1.34 accepts; every invalid file gives its expected error lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kube_ecs import cli, convert
from kube_ecs.ecs.normalize import normalize_task_definition

from .conftest import CORPUS, INVALID, VALID, spec_validator, validate_kubernetes


def converted(path: Path) -> convert.Converted:
    return convert.convert(convert.parse(path.read_bytes(), default_family=path.stem))


def rendered(path: Path) -> tuple[convert.Converted, list[dict]]:
    result = converted(path)
    assert result.spec is not None, [str(p) for p in result.problems]
    service = convert.default_service(result.spec["family"])
    return result, [convert.custom_resource(result.spec), *convert.manifests(result.spec, service)]


def test_corpus_is_big_enough():
    assert len(VALID) >= 40 and len(INVALID) >= 10


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_golden(path, golden):
    result, objects = rendered(path)
    text = "".join(f"# warning: {note}\n" for note in result.notes) + yaml.safe_dump_all(
        objects, sort_keys=False, width=120)
    golden(CORPUS / "golden" / f"{path.stem}.yaml", text)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_manifests_are_valid_kubernetes(path):
    _, objects = rendered(path)
    for manifest in objects[1:]:
        validate_kubernetes(manifest)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_applies_verbatim_and_normalizes_once(path):
    """The file itself (when it is a request) and the converted spec both pass the CRD schema, and
    normalizing the normalized spec changes nothing (a resync registers no new revision)."""
    result, objects = rendered(path)
    document = convert.parse(path.read_bytes())
    if isinstance(document, dict) and "taskDefinition" not in document:
        assert not list(spec_validator("TaskDefinition").iter_errors(document))
    assert not list(spec_validator("TaskDefinition").iter_errors(objects[0]["spec"]))
    again, notes = normalize_task_definition(result.spec)
    assert again == result.spec
    assert [n for n in notes if "read-only" not in n.message] == [n for n in result.notes if "read-only" not in n.message]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid(path, golden, capsys):
    assert cli.main(["validate", str(path)]) == convert.EXIT_INVALID
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    golden(path.with_suffix(".expected"), captured.err)
