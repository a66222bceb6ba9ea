"""The package's layering (docs/design.md), checked on the import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kube_ecs

PACKAGE = Path(kube_ecs.__file__).parent
CLI = ("cli.py", "convert.py", "crds.py", "ecs/coverage.py")


def imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules(pattern: str) -> list[Path]:
    return sorted(PACKAGE.glob(pattern))


def reaches(path: Path, *layers: str) -> list[str]:
    return sorted(name for name in imported(path) for layer in layers
                  if name == f"kube_ecs.{layer}" or name.startswith(f"kube_ecs.{layer}."))


@pytest.mark.parametrize("path", modules("ecs/*.py"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_ecs_layer_knows_no_kubernetes_side(path):
    assert reaches(path, "resources", "reconcile", "handlers") == []


@pytest.mark.parametrize("path", modules("resources/*.py"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_builders_do_no_io(path):
    assert reaches(path, "reconcile", "handlers") == []


@pytest.mark.parametrize("name", CLI)
def test_cli_does_not_need_the_operator(name):
    assert reaches(PACKAGE / name, "reconcile", "handlers") == []


# What handler modules share; Kopf registrations live in the others.
SHARED_HANDLER_MODULES = {"common", "wakers"}


@pytest.mark.parametrize("path", [p for p in modules("handlers/*.py") if p.name != "__init__.py"], ids=lambda p: str(p.relative_to(PACKAGE)))
def test_handler_modules_do_not_import_each_other(path):
    # `from kube_ecs.handlers import common` shows as kube_ecs.handlers and kube_ecs.handlers.common
    others = [name for name in reaches(path, "handlers")
              if name != "kube_ecs.handlers" and name.split(".")[2] not in SHARED_HANDLER_MODULES]
    assert others == []
