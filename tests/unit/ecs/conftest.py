"""Helpers for the ecs tests: the corpus, golden files, and the CRD schemas as jsonschema validators.

`UPDATE_GOLDEN=1 pytest tests/unit/ecs` rewrites tests/corpus/golden/*.yaml and
tests/corpus/invalid/*.expected from the current code; review the diff before committing.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from kube_ecs import crds

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
VALID = sorted((CORPUS / "valid").glob("*.json"))
INVALID = sorted((CORPUS / "invalid").glob("*.json"))
# The Kubernetes version the kind cluster runs (hack/versions.env).
KUBERNETES_VERSION = "1.34.0"


def validate_kubernetes(manifest: dict) -> None:
    """Raise unless `manifest` is valid for Kubernetes' OpenAPI schema (strict: no unknown fields)."""
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def _jsonschema(node: dict) -> dict:
    """An apiextensions structural schema as JSON Schema, as the API server applies it to a create with
    strict field validation: nullable fields take null, int-or-string takes both, preserve-unknown
    takes anything, other objects refuse unknown fields."""
    if node.get("x-kubernetes-preserve-unknown-fields") and "properties" not in node:
        out: dict = {}
    elif node.get("x-kubernetes-int-or-string"):
        out = {"type": ["integer", "string"]}
    else:
        out = {k: v for k, v in node.items() if k in ("type", "enum", "required", "maxLength", "minimum")}
        if "properties" in node:
            out["properties"] = {k: _jsonschema(v) for k, v in node["properties"].items()}
            out["additionalProperties"] = False
        if "additionalProperties" in node:
            out["additionalProperties"] = _jsonschema(node["additionalProperties"])
        if "items" in node:
            out["items"] = _jsonschema(node["items"])
    if node.get("nullable") and "type" in out:
        out["type"] = [*(out["type"] if isinstance(out["type"], list) else [out["type"]]), "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@cache
def spec_validator(kind: str) -> jsonschema.Draft7Validator:
    """The `spec` schema of the CRD of `kind`, as kubectl apply meets it."""
    crd = next(c for c in crds.crd_manifests() if c["spec"]["names"]["kind"] == kind)
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return jsonschema.Draft7Validator(_jsonschema(spec))


@pytest.fixture
def golden():
    """Compare `text` with the file at `path` (rewritten with UPDATE_GOLDEN=1)."""

    def check(path: Path, text: str) -> None:
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1"
        assert text == path.read_text(), f"{path} differs; run with UPDATE_GOLDEN=1 and review the diff"

    return check
