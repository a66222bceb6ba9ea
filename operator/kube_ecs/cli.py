"""`kube-ecs`: one entry point; each command lives with the code it drives."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module exposes register(subparsers); a subcommand sets `func` (args -> exit code).
COMMAND_MODULES = ("kube_ecs.convert", "kube_ecs.ecs.coverage", "kube_ecs.runner", "kube_ecs.crds", "kube_ecs.images")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kube-ecs", description="Amazon ECS's model on Kubernetes.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
