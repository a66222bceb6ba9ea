"""`kube-ecs convert` against the real API server: for every valid corpus task definition, the
TaskDefinition custom resource and the Kubernetes objects (`--manifests`) it converts to are
accepted by a server-side dry-run (CRD schema, built-in schemas and admission of Kubernetes 1.34)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cluster import REPO, kubectl

from kube_ecs import convert

pytestmark = pytest.mark.e2e

VALID = sorted((REPO / "tests/corpus/valid").glob("*.json"))


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_converted_output_passes_server_side_dry_run(path: Path):
    result = convert.convert(convert.parse(path.read_bytes(), default_family=path.stem))
    assert result.spec is not None, [str(p) for p in result.problems]
    objects = [convert.custom_resource(result.spec),
               *convert.manifests(result.spec, convert.default_service(result.spec["family"]))]
    applied = kubectl("apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump_all(objects), check=False)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.count("(server dry run)") == len(objects)
