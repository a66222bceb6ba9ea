"""resources/capacity.py: ECS's split of tasks over a capacity provider strategy, and the node pools."""

from __future__ import annotations

import pytest

from kube_ecs.ecs.capacity import Effective
from kube_ecs.resources import build_service_manifests
from kube_ecs.resources.capacity import (
    CAPACITY_PROVIDER_LABEL,
    FARGATE_TAINT,
    is_container_instance,
    launch_type_pool,
    place,
    pool,
    split,
    targets,
    workload_name,
)

from .cases import DAEMON_SERVICE, DAEMON_TASKDEF, WEB_SERVICE, WEB_TASKDEF


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
    # Any container instance: the Fargate pool's and the control plane's taints keep EC2 tasks off them.
    assert pool("plain", providers) == {}
    assert pool(None, {}) == {}
    assert launch_type_pool("FARGATE") == fargate
    assert [launch_type_pool(t) for t in ("EC2", "EXTERNAL", "MANAGED_INSTANCES")] == [{}] * 3


def test_pools_are_fresh_copies():
    pool("FARGATE", {})["nodeSelector"]["x"] = "y"
    assert pool("FARGATE", {})["nodeSelector"] == {"ecs.kube-ecs.dev/node-pool": "fargate"}


def test_container_instances_are_all_nodes_but_the_control_plane_and_fargate():
    assert is_container_instance({})  # any plain worker, on any cluster
    assert is_container_instance({"ecs.kube-ecs.dev/node-pool": "ec2"})
    assert not is_container_instance({"ecs.kube-ecs.dev/node-pool": "fargate"})
    assert not is_container_instance({"node-role.kubernetes.io/control-plane": ""})


def test_workload_names():
    assert workload_name("web", "FARGATE", several=False) == "web"
    assert workload_name("web", "FARGATE_SPOT", several=True) == "web-fargate-spot"


def test_targets_by_launch_type_keep_the_services_name():
    [target] = targets("web", 3, Effective(launch_type="FARGATE"), {})
    assert (target.name, target.provider, target.replicas, target.pool) == ("web", None, 3, pool("FARGATE", {}))


def test_targets_of_a_strategy():
    providers = {"big": {"nodeSelector": {"node.kubernetes.io/instance-type": "c5.xlarge"}}}
    one = targets("web", 2, Effective(strategy=strategy(("big", 0, 1))), providers)
    assert [(t.name, t.provider, t.replicas) for t in one] == [("web", "big", 2)]
    several = targets("web", 5, Effective(strategy=strategy(("big", 1, 1), ("FARGATE_SPOT", 0, 1))), providers)
    assert [(t.name, t.provider, t.replicas) for t in several] == [("web-big", "big", 3),
                                                                   ("web-fargate-spot", "FARGATE_SPOT", 2)]
    assert several[0].pool == {"nodeSelector": {"node.kubernetes.io/instance-type": "c5.xlarge"}}


def test_place_adds_the_pool_to_the_templates_own_selector_and_labels_the_provider():
    template: dict = {"metadata": {"labels": {"b": "1"}}, "spec": {"nodeSelector": {"kubernetes.io/arch": "arm64"},
                                                             "containers": []}}
    [target] = targets("web", 1, Effective(strategy=strategy(("FARGATE_SPOT", 0, 1))), {})
    placed = place(template, target)
    assert placed["spec"]["nodeSelector"] == {"kubernetes.io/arch": "arm64", "ecs.kube-ecs.dev/node-pool": "fargate"}
    assert placed["spec"]["tolerations"] == pool("FARGATE", {})["tolerations"]
    assert placed["metadata"]["labels"] == {"b": "1", CAPACITY_PROVIDER_LABEL: "FARGATE_SPOT"}
    assert template["spec"]["nodeSelector"] == {"kubernetes.io/arch": "arm64"}  # not changed in place
    by_launch_type = place(template, targets("web", 1, Effective(launch_type="EC2"), {})[0])
    assert by_launch_type["metadata"] == template["metadata"] and "tolerations" not in by_launch_type["spec"]


def test_service_manifests_with_an_ec2_capacity_provider():
    service = {**WEB_SERVICE, "capacityProviderStrategy": [{"capacityProvider": "big", "weight": 1},
                                                           {"capacityProvider": "FARGATE", "weight": 1}]}
    providers = {"big": {"nodeSelector": {"node.kubernetes.io/instance-type": "c5.xlarge"}}}
    manifests = build_service_manifests(service=service, service_name="web", taskdef=WEB_TASKDEF, family="web",
                                        revision=1, namespace="demo", cluster="demo", providers=providers)
    deployments = {m["metadata"]["name"]: m["spec"] for m in manifests if m["kind"] == "Deployment"}
    assert {name: spec["replicas"] for name, spec in deployments.items()} == {"web-big": 2, "web-fargate": 1}
    assert deployments["web-big"]["template"]["spec"]["nodeSelector"] == providers["big"]["nodeSelector"]
    assert deployments["web-big"]["selector"]["matchLabels"][CAPACITY_PROVIDER_LABEL] == "big"


def test_daemon_services_run_on_every_container_instance():
    [daemonset, *_] = build_service_manifests(service=DAEMON_SERVICE, service_name="agent", taskdef=DAEMON_TASKDEF,
                                              family="agent", revision=1, namespace="demo", cluster="demo")
    assert daemonset["kind"] == "DaemonSet"
    assert "nodeSelector" not in daemonset["spec"]["template"]["spec"]
    assert "tolerations" not in daemonset["spec"]["template"]["spec"]
