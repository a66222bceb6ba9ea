from kube_ecs.reconcile.conditions import Condition, is_true, merge


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
