"""Golden-file and schema helpers for the builder tests.

`UPDATE_GOLDEN=1 pytest tests/unit/resources` rewrites tests/unit/golden/*.yaml from the builders.
"""

from __future__ import annotations

import os
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
# The Kubernetes version the kind cluster runs (hack/versions.env).
KUBERNETES_VERSION = "1.34.0"


def validate(manifest: dict) -> None:
    """Raise unless `manifest` is valid for Kubernetes' OpenAPI schema (strict: no unknown fields)."""
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


@pytest.fixture
def golden():
    """Compare manifests with tests/unit/golden/<name>.yaml (rewritten with UPDATE_GOLDEN=1)."""

    def check(name: str, manifests: list[dict]) -> None:
        text = yaml.safe_dump_all(manifests, sort_keys=False, width=120)
        path = GOLDEN_DIR / f"{name}.yaml"
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.write_text(text)
        assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1"
        assert text == path.read_text(), f"{path} differs; run with UPDATE_GOLDEN=1 and review the diff"

    return check
