"""ECS's cluster query language (memberOf placement constraints), the part node labels can answer.

Terms `attribute:NAME OP [VALUE]` with OP one of ==, equals, !=, not_equals, in, not_in, exists,
!exists, not_exists, joined by `and`/`&&` and `or`/`||` (no parentheses, `not`, regex matches or
`task:group`). `parse` returns None for anything else, so validation can report it. What an
attribute means on Kubernetes is for resources/placement.py to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IN, NOT_IN, EXISTS, NOT_EXISTS = "in", "not_in", "exists", "not_exists"

_OPERATORS = {
    "==": IN,
    "equals": IN,
    "in": IN,
    "!=": NOT_IN,
    "not_equals": NOT_IN,
    "not_in": NOT_IN,
    "exists": EXISTS,
    "!exists": NOT_EXISTS,
    "not_exists": NOT_EXISTS,
}
_TERM = re.compile(r"^attribute:(?P<attr>\S+)\s+(?P<op>\S+)(?:\s+(?P<value>.+))?$")
_OR = re.compile(r"\s+(?:or|\|\|)\s+")
_AND = re.compile(r"\s+(?:and|&&)\s+")


@dataclass(frozen=True)
class Term:
    """`attribute:NAME OP VALUES`; `operator` one of IN, NOT_IN, EXISTS, NOT_EXISTS (EXISTS and
    NOT_EXISTS have no values)."""

    attribute: str
    operator: str
    values: tuple[str, ...] = ()


def _term(text: str) -> Term | None:
    found = _TERM.match(text.strip())
    if not found or found["op"] not in _OPERATORS:
        return None
    operator = _OPERATORS[found["op"]]
    if operator in (EXISTS, NOT_EXISTS):
        return None if found["value"] else Term(found["attr"], operator)
    if not found["value"]:
        return None
    values = (v.strip() for v in found["value"].strip().removeprefix("[").removesuffix("]").split(","))
    return Term(found["attr"], operator, tuple(filter(None, values)))


def parse(expression: str) -> list[list[Term]] | None:
    """A memberOf expression → alternatives (OR) of term lists (AND); None if not of the mappable kind."""
    if any(c in expression for c in "()") or "=~" in expression or "!~" in expression:
        return None
    alternatives = []
    for alternative in _OR.split(expression.strip()):
        texts = _AND.split(alternative)
        terms = [term for term in map(_term, texts) if term is not None]
        if len(terms) != len(texts):
            return None
        alternatives.append(terms)
    return alternatives
