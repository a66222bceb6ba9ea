"""Conversions per second over the task-definition corpus (`make bench`); a figure, not a test.

One conversion is what `kube-ecs convert --manifests` does for one file: parse, normalize, validate,
and build the Kubernetes objects with the operator's builders (no YAML output, no process start).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kube_ecs import convert

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "valid"


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


if __name__ == "__main__":
    main()
