"""resources/capacity.py: ECS's split of tasks over a capacity provider strategy, and the node pools."""

from __future__ import annotations

import pytest

from kube_ecs.resources.capacity import EC2_POOL, FARGATE_TAINT, launch_type_pool, pool, split, workload_name


def strategy(*items):
    return [{"capacityProvider": name, "base": base, "weight": weight} for name, base, weight in items]


@pytest.mark.parametrize(("desired", "items", "expected"), [
    # ECS's workshop example: base 2 on the first provider, then 1:3 (docs/capacity.md).
    (10, [("FARGATE", 2, 1), ("FARGATE_SPOT", 0, 3)], [("FARGATE", 4), ("FARGATE_SPOT", 6)]),
    (2, [("FARGATE", 2, 1), ("FARGATE_SPOT", 0, 3)], [("FARGATE", 2), ("FARGATE_SPOT", 0)]),
    (6, [("FARGATE", 2, 1), ("FARGATE_SPOT", 0, 3)], [("FARGATE", 3), ("FARGATE_SPOT", 3)]),
    # ECS's API reference: weight 1 and 4 → four tasks on B for every one on A.
    (5, [("A", 0, 1), ("B", 0, 4)], [("A", 1), ("B", 4)]),
    (10, [("A", 0, 1), ("B", 0, 4)], [("A", 2), ("B", 8)]),
    # base 1, then 1:1.
    (5, [("FARGATE", 1, 1), ("FARGATE_SPOT", 0, 1)], [("FARGATE", 3), ("FARGATE_SPOT", 2)]),
    # One task at a time: the first goes where the weight is larger; ties go to the first listed.
    (1, [("A", 0, 1), ("B", 0, 3)], [("A", 0), ("B", 1)]),
    (1, [("A", 0, 1), ("B", 0, 1)], [("A", 1), ("B", 0)]),
    # A base larger than the desired count takes every task.
    (3, [("A", 5, 1), ("B", 0, 1)], [("A", 3), ("B", 0)]),
    # The base may sit on a provider with weight 0: it gets its base and nothing more.
    (5, [("A", 2, 0), ("B", 0, 1)], [("A", 2), ("B", 3)]),
    # A lone provider runs every task, whatever its weight.
    (4, [("A", 0, 0)], [("A", 4)]),
    (4, [("A", 1, 0)], [("A", 4)]),
    (0, [("A", 1, 1), ("B", 0, 1)], [("A", 0), ("B", 0)]),
])
def test_split_as_ecs_places_tasks(desired, items, expected):
    assert split(desired, strategy(*items)) == expected


def test_weights_and_base_default_to_zero():
    assert split(3, [{"capacityProvider": "A", "weight": 1}, {"capacityProvider": "B"}]) == [("A", 3), ("B", 0)]


def test_one_more_task_adds_one_task_to_one_provider():
    items = strategy(("A", 3, 2), ("B", 0, 3), ("C", 0, 5))
    for desired in range(60):
        before, after = dict(split(desired, items)), dict(split(desired + 1, items))
        assert sum(after[p] - before[p] for p in after) == 1
        assert all(after[p] >= before[p] for p in after)
    assert dict(split(103, items)) == {"A": 3 + 20, "B": 30, "C": 50}


def test_several_providers_without_weight_cannot_be_split():
    with pytest.raises(ValueError):
        split(2, strategy(("A", 1, 0), ("B", 0, 0)))
    assert split(1, strategy(("A", 1, 0), ("B", 0, 0))) == [("A", 1), ("B", 0)]


def test_pools():
    fargate = pool("FARGATE_SPOT", {})
    assert fargate["nodeSelector"] == {"ecs.kube-ecs.dev/node-pool": "fargate"}
    assert fargate["tolerations"] == [{"key": FARGATE_TAINT, "operator": "Equal", "value": "true",
                                       "effect": "NoSchedule"}]
    assert pool("FARGATE", {}) == fargate
    providers = {"big": {"nodeSelector": {"node.kubernetes.io/instance-type": "c5.xlarge"}}, "plain": {}}
    assert pool("big", providers) == {"nodeSelector": {"node.kubernetes.io/instance-type": "c5.xlarge"}}
    assert pool("plain", providers) == {"nodeSelector": EC2_POOL}
    assert pool(None, {}) == {"nodeSelector": EC2_POOL}
    assert launch_type_pool("FARGATE") == fargate
    assert [launch_type_pool(t) for t in ("EC2", "EXTERNAL", "MANAGED_INSTANCES")] == [{"nodeSelector": EC2_POOL}] * 3


def test_pools_are_fresh_copies():
    pool(None, {})["nodeSelector"]["x"] = "y"
    assert pool(None, {}) == {"nodeSelector": EC2_POOL}


def test_workload_names():
    assert workload_name("web", "FARGATE", several=False) == "web"
    assert workload_name("web", "FARGATE_SPOT", several=True) == "web-fargate-spot"
