"""docs/ are true to the code: the generated coverage table is current, every module and file they
name exists, and nothing sends a reader outside the repository."""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

import pytest

from kube_ecs.ecs import coverage

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "operator" / "kube_ecs"
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
LAYERS = ("ecs", "resources", "reconcile", "handlers")
# A path outside the repository (spelt in two parts, so this file does not mention it).
OUTSIDE = "../" + "shared"


def doc_ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_committed_coverage_is_current():
    path = ROOT / "docs" / "coverage.md"
    assert path.exists(), "docs/coverage.md missing: run `make docs`"
    assert path.read_text() == coverage.markdown(), "docs/coverage.md is stale: run `make docs`"


def module_paths(text: str) -> set[str]:
    """`operator/kube_ecs/x/y.py`, and the short `reconcile/apply.py` form, as paths under operator/kube_ecs."""
    full = set(re.findall(r"operator/kube_ecs/([\w/]+\.py)", text))
    short = {m.group(0) for m in re.finditer(rf"(?<![\w/])(?:{'|'.join(LAYERS)})/\w+\.py", text)}
    return full | short


def dotted_names(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])kube_ecs(?:\.\w+)+", text))


def resolves(name: str) -> bool:
    """`kube_ecs.a.b` is a module, or an attribute of one (`kube_ecs.resources.build_service_manifests`)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        rest = parts[cut:]
        return len(rest) <= 1 and all(hasattr(module, attr) for attr in rest)
    return False


def repo_paths(text: str) -> set[str]:
    """Paths into the repository's top-level directories, up to the first wildcard or placeholder."""
    found = re.findall(r"(?<![\w./-])((?:operator|tests|hack|manifests|docs|images|crds)/[\w./-]*)", text)
    return {path.rstrip(".,:;") for path in found}


@pytest.mark.parametrize("doc", DOCS, ids=doc_ids)
def test_every_module_named_exists(doc):
    text = doc.read_text()
    missing = sorted(p for p in module_paths(text) if not (PACKAGE / p).is_file())
    assert missing == [], f"{doc.name} names modules that do not exist"
    unknown = sorted(name for name in dotted_names(text) if not resolves(name))
    assert unknown == [], f"{doc.name} names kube_ecs modules that do not exist"


@pytest.mark.parametrize("doc", DOCS, ids=doc_ids)
def test_every_file_named_exists(doc):
    text = doc.read_text()
    missing = sorted(p for p in repo_paths(text) if not (ROOT / p).exists())
    assert missing == [], f"{doc.name} names files that do not exist"
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    broken = sorted(link for link in links if "://" not in link and not (doc.parent / link).exists())
    assert broken == [], f"{doc.name} links to files that do not exist"


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [ROOT / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file but the tools' own
        return [p for p in ROOT.rglob("*") if p.is_file() and not any(
            part.startswith(".") or part.endswith(".egg-info") or part == "__pycache__"
            for part in p.relative_to(ROOT).parts)]


def test_nothing_refers_outside_the_repository():
    offenders = []
    for path in tracked_files():
        relative = path.relative_to(ROOT)
        if relative.parts[0] == ".ci" or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if OUTSIDE in text:
            offenders.append(str(relative))
    assert offenders == []


def test_markdown_files_named_in_docs_and_code_exist():
    """`decisions.md`, `docs/capacity.md`: every Markdown file the docs or the code's comments name is
    one of the repository's."""
    have = {p.name for p in [*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md")]}
    sources = [*DOCS, *PACKAGE.rglob("*.py")]
    named = {(str(s.relative_to(ROOT)), m) for s in sources for m in re.findall(r"[\w-]+\.md\b", s.read_text())}
    assert sorted((s, m) for s, m in named if m not in have) == []
