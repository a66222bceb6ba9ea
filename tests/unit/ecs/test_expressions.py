"""memberOf expressions → ECS terms (what they mean on nodes is tests/unit/resources/test_placement.py)."""

from __future__ import annotations

from kube_ecs.ecs import expressions
from kube_ecs.ecs.expressions import Term


def test_terms_keep_ecs_attributes_and_value_order():
    assert expressions.parse("attribute:ecs.cpu-architecture in [x86_64, arm64] && attribute:gpu !exists") == [
        [Term("ecs.cpu-architecture", expressions.IN, ("x86_64", "arm64")), Term("gpu", expressions.NOT_EXISTS)]]


def test_alternatives():
    assert expressions.parse("attribute:a != 1 or attribute:b not_equals 2") == [
        [Term("a", expressions.NOT_IN, ("1",))], [Term("b", expressions.NOT_IN, ("2",))]]


def test_one_unreadable_term_makes_the_expression_unreadable():
    assert expressions.parse("attribute:a == 1 and task:group == db") is None
