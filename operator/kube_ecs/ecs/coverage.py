"""`kube-ecs coverage`: the field registry (rules.py) as a table, one row per ECS (and Application Auto
Scaling) member."""

from __future__ import annotations

import argparse

from kube_ecs.ecs import model, rules

ROOTS = (model.TASK_DEFINITION, model.SERVICE, model.CLUSTER, model.CAPACITY_PROVIDER, model.SCALABLE_TARGET,
         model.SCALING_POLICY)


def table(roots: tuple[str, ...] = ROOTS) -> list[tuple[str, str, str]]:
    """(shape path, rule kind, what happens) for every member reachable from `roots`."""
    out = []
    for root in roots:
        for row in rules.rows(root):
            kind, text = (row.rule.kind, row.rule.text) if row.rule else ("MISSING", "no rule")
            if row.covered_by != row.path:
                text = f"with {row.covered_by}"
            out.append((row.path, kind, text))
    return out


def render(rows: list[tuple[str, str, str]]) -> str:
    width = max(len(path) for path, _, _ in rows)
    return "\n".join(f"{path:<{width}}  {kind:<8}  {text}" for path, kind, text in rows) + "\n"


def _main(args: argparse.Namespace) -> int:
    rows = table()
    if args.kind:
        rows = [row for row in rows if row[1] == args.kind]
    print(render(rows), end="")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("coverage", help="print every ECS field with its rule (mapped, reported, rejected)")
    parser.add_argument("--kind", choices=(rules.MAPPED, rules.REPORTED, rules.REJECTED), help="only this kind")
    parser.set_defaults(func=_main)
