from datetime import UTC, datetime, timedelta, timezone

import pytest

from kube_ecs.reconcile.conditions import Condition, condition_events, is_true, iso, merge, parse_iso


def test_transition_time_moves_only_on_flip():
    first = merge(None, [Condition("Ready", False, "RolloutInProgress", "1 of 2")], generation=1, now="t1")
    same = merge(first, [Condition("Ready", False, "RolloutInProgress", "1 of 2")], generation=1, now="t2")
    assert same == first
    reworded = merge(first, [Condition("Ready", False, "TasksPending", "0 of 2")], generation=2, now="t3")
    assert reworded[0]["lastTransitionTime"] == "t1" and reworded[0]["observedGeneration"] == 2
    flipped = merge(first, [Condition("Ready", True, "SteadyState")], generation=1, now="t4")
    assert flipped[0]["lastTransitionTime"] == "t4" and flipped[0]["status"] == "True"


def test_is_true_checks_generation():
    conds = merge(None, [Condition("Ready", True, "SteadyState")], generation=3, now="t")
    assert is_true(conds, "Ready") and is_true(conds, "Ready", 3)
    assert not is_true(conds, "Ready", 4) and not is_true(conds, "Degraded")


def _conds(*items):
    return merge(None, [Condition(*item) for item in items], generation=1, now="t")


@pytest.mark.parametrize("before, after, said, expected", [
    # Nothing changed, or only the message: nothing to say.
    ([("Ready", True, "SteadyState", "steady")], [("Ready", True, "SteadyState", "steady")], [], []),
    ([("Ready", False, "TasksPending", "1 of 2")], [("Ready", False, "TasksPending", "0 of 2")], [], []),
    # A new condition, a new reason with the same status, a flip.
    ([], [("Ready", True, "Active", "ok")], [], [("Ready=True: ok", "Active", False)]),
    ([("Ready", False, "TasksPending", "1 of 2")], [("Ready", False, "NamespaceConflict", "taken")], [],
     [("Ready=False: taken", "NamespaceConflict", True)]),
    ([("Degraded", True, "TaskLaunchFailed", "x")], [("Degraded", False, "AsExpected", "")], [],
     [("Degraded=False.", "AsExpected", False)]),
    # Changing together to the same words: one Event; a rollout under way is no trouble.
    ([], [("Ready", False, "ClientException", "no"), ("Progressing", False, "ClientException", "no"),
          ("Degraded", True, "ClientException", "no")], [],
     [("Ready=False, Progressing=False, Degraded=True: no", "ClientException", True)]),
    ([], [("Ready", False, "RolloutInProgress", "1 of 2"), ("Progressing", True, "RolloutInProgress", "1 of 2")], [],
     [("Ready=False, Progressing=True: 1 of 2", "RolloutInProgress", False)]),
    # Words another Event of the pass already said.
    ([], [("Ready", True, "SteadyState", "(service cats) has reached a steady state.")],
     ["(service cats) has reached a steady state."], []),
])
def test_condition_events(before, after, said, expected):
    events = condition_events(_conds(*before), _conds(*after), said=said)
    assert [(e.message, e.reason, e.warning) for e in events] == expected


def test_iso_and_parse_iso_round_trip_in_utc():
    paris = datetime(2026, 12, 2, 11, 0, 30, 999, tzinfo=timezone(timedelta(hours=1)))
    assert iso(paris) == "2026-12-02T10:00:30Z"
    assert parse_iso("2026-12-02T10:00:30Z") == datetime(2026, 12, 2, 10, 0, 30, tzinfo=UTC)
