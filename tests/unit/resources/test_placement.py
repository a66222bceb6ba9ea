"""memberOf expressions, distinctInstance, spread, runtimePlatform."""

from __future__ import annotations

import pytest

from kube_ecs.resources import placement

SELECTOR = {"ecs.kube-ecs.dev/service": "web"}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "attribute:ecs.availability-zone in [us-east-1b, us-east-1a]",
            [[{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-east-1a", "us-east-1b"]}]],
        ),
        (
            "attribute:ecs.instance-type == t3.small",
            [[{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["t3.small"]}]],
        ),
        (
            "attribute:ecs.instance-type != t3.small",
            [[{"key": "node.kubernetes.io/instance-type", "operator": "NotIn", "values": ["t3.small"]}]],
        ),
        ("attribute:stack == prod", [[{"key": "stack", "operator": "In", "values": ["prod"]}]]),
        ("attribute:gpu exists", [[{"key": "gpu", "operator": "Exists"}]]),
        ("attribute:gpu !exists", [[{"key": "gpu", "operator": "DoesNotExist"}]]),
        (
            "attribute:ecs.cpu-architecture == x86_64 and attribute:stack not_in [dev, test]",
            [[
                {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                {"key": "stack", "operator": "NotIn", "values": ["dev", "test"]},
            ]],
        ),
        (
            "attribute:stack == a || attribute:stack == b",
            [
                [{"key": "stack", "operator": "In", "values": ["a"]}],
                [{"key": "stack", "operator": "In", "values": ["b"]}],
            ],
        ),
    ],
)
def test_member_of_terms(expression, expected):
    assert placement.member_of_terms(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "attribute:ecs.instance-type =~ t3.*",
        "(attribute:a == 1 or attribute:b == 2) and attribute:c == 3",
        "task:group == database",
        "not(attribute:a == 1)",
        "attribute:a ==",
        "attribute:a exists now",
    ],
)
def test_member_of_terms_unmappable(expression):
    assert placement.member_of_terms(expression) is None


def test_member_of_constraints_are_anded():
    constraints = [
        {"type": "memberOf", "expression": "attribute:a == 1 or attribute:a == 2"},
        {"type": "memberOf", "expression": "attribute:b == 3"},
        {"type": "memberOf", "expression": "attribute:c =~ x.*"},  # unmappable: reported by validation
    ]
    terms = placement.affinity(constraints, SELECTOR)["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert [[(e["key"], e["values"]) for e in t["matchExpressions"]] for t in terms["nodeSelectorTerms"]] == [
        [("a", ["1"]), ("b", ["3"])],
        [("a", ["2"]), ("b", ["3"])],
    ]


def test_distinct_instance_is_anti_affinity_on_hostname():
    result = placement.affinity([{"type": "distinctInstance"}], SELECTOR)
    assert result == {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": SELECTOR}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }


def test_spread():
    strategies = [
        {"type": "spread", "field": "attribute:ecs.availability-zone"},
        {"type": "spread", "field": "instanceId"},
        {"type": "spread", "field": "host"},  # same as instanceId: one constraint
        {"type": "binpack", "field": "cpu"},
        {"type": "random"},
    ]
    keys = [c["topologyKey"] for c in placement.topology_spread(strategies, SELECTOR)]
    assert keys == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ({"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}, {"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"}),
        ({"cpuArchitecture": "ARM64"}, {"kubernetes.io/arch": "arm64"}),
        ({"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}, {"kubernetes.io/os": "windows"}),
        (None, {}),
    ],
)
def test_node_selector(platform, expected):
    assert placement.node_selector(platform) == expected


def test_binpack_names_its_scheduler_profile():
    assert placement.scheduler_name([{"type": "binpack", "field": "memory"}]) == "kube-ecs-binpack-memory"
    assert placement.scheduler_name([{"type": "spread", "field": "attribute:ecs.availability-zone"},
                                     {"type": "binpack", "field": "CPU"}]) == "kube-ecs-binpack-cpu"
    # The first binpack decides: a pod has one scheduler.
    assert placement.scheduler_name([{"type": "binpack", "field": "cpu"},
                                     {"type": "binpack", "field": "memory"}]) == "kube-ecs-binpack-cpu"
    assert placement.scheduler_name([{"type": "random"}]) is None
    assert placement.scheduler_name([]) is None
