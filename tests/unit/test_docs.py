"""docs/ are true to the code: the generated coverage table is current, every module they name
exists, and nothing sends a reader outside the repository."""

from pathlib import Path

from kube_ecs.ecs import coverage

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


def test_committed_coverage_is_current():
    path = ROOT / "docs" / "coverage.md"
    assert path.exists(), "docs/coverage.md missing: run `make docs`"
    assert path.read_text() == coverage.markdown(), "docs/coverage.md is stale: run `make docs`"
