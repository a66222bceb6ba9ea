"""Conversions per second over the task-definition corpus (`make bench`); figures, not a test.

One conversion is what `kube-ecs convert --manifests` does for one file: parse, normalize, validate,
and build the Kubernetes objects with the operator's builders (no YAML output, no process start).
Then the wall time of the CLI as a user meets it, process start and imports included: `kube-ecs
validate` of one file, and of the whole corpus in one call (best of a few runs: the machine's noise
only ever adds).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from kube_ecs import convert

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "valid"
ONE_FILE = CORPUS / "fargate-nginx.json"
CLI = Path(sys.executable).with_name("kube-ecs")
RUNS = 5


def convert_one(path: Path, data: bytes) -> list[dict]:
    result = convert.convert(convert.parse(data, default_family=path.stem))
    return convert.manifests(result.spec, convert.default_service(result.spec["family"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to measure (default: %(default)s)")
    args = parser.parse_args()
    files = [(path, path.read_bytes()) for path in sorted(CORPUS.glob("*.json"))]
    for path, data in files:  # warm up (botocore's model loads once) and check every file converts
        convert_one(path, data)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < args.seconds:
        for path, data in files:
            convert_one(path, data)
        count += len(files)
    print(f"{count / elapsed:.0f} conversions/second ({count} conversions of {len(files)} corpus files "
          f"in {elapsed:.1f} s)")
    print(f"kube-ecs validate, one file: {cli_seconds(ONE_FILE):.2f} s; the {len(files)}-file corpus in one call: "
          f"{cli_seconds(CORPUS):.2f} s (wall time, best of {RUNS})")


def cli_seconds(path: Path) -> float:
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([str(CLI), "validate", str(path)], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    main()
