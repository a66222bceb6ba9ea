"""Every member of the ECS shapes kube-ecs takes has exactly one rule, checked against the installed
botocore model: a new ECS field fails this test until someone decides what it becomes."""

from __future__ import annotations

import botocore.session
import pytest

from kube_ecs import cli
from kube_ecs.ecs import coverage, model, rules

ROOTS = ("RegisterTaskDefinitionRequest", "CreateServiceRequest", "CreateClusterRequest",
         "CreateCapacityProviderRequest", "RunTaskRequest")
AUTOSCALING_ROOTS = ("RegisterScalableTargetRequest", "PutScalingPolicyRequest")


def botocore_members(root: str, service: str = "ecs"):
    """(shape path, ancestors' shape paths) of every member reachable from `root`, straight from botocore."""
    ecs = botocore.session.get_session().get_service_model(service)

    def inner(shape):
        while shape.type_name in ("list", "map"):
            shape = shape.member if shape.type_name == "list" else shape.value
        return shape

    def walk(shape, ancestors, seen):
        for name, member in shape.members.items():
            path = f"{shape.name}.{name}"
            yield path, ancestors
            nested = inner(member)
            if nested.type_name == "structure" and nested.name not in seen:
                yield from walk(nested, (*ancestors, path), seen | {nested.name})

    yield from walk(ecs.shape_for(root), (), frozenset({root}))


@pytest.mark.parametrize(("root", "service"), [*((r, "ecs") for r in ROOTS),
                                               *((r, "application-autoscaling") for r in AUTOSCALING_ROOTS)])
def test_every_botocore_member_has_a_rule(root, service):
    missing = []
    for path, ancestors in botocore_members(root, service):
        covering = [a for a in ancestors if rules.RULES.get(a) and rules.RULES[a].kind in rules.COVERING]
        if path not in rules.RULES and not covering:
            missing.append(path)
    assert missing == [], f"ECS fields without a rule in kube_ecs/ecs/rules.py: {missing}"


def test_autoscaling_structures_do_not_share_names_with_ecs_ones():
    """model.shape looks names up in ECS's model first: an Auto Scaling structure of the same name would
    be shadowed."""
    ecs = set(botocore.session.get_session().get_service_model("ecs").shape_names)
    structures = {path.split(".")[0] for root in AUTOSCALING_ROOTS
                  for path, _ in botocore_members(root, "application-autoscaling")}
    assert structures and not structures & ecs


def test_coverage_lists_the_autoscaling_requests():
    paths = {path: kind for path, kind, _ in coverage.table()}
    assert paths["RegisterScalableTargetRequest.MinCapacity"] == rules.MAPPED
    assert paths["PutScalingPolicyRequest.StepScalingPolicyConfiguration"] == rules.REPORTED
    assert paths["TargetTrackingScalingPolicyConfiguration.DisableScaleIn"] == rules.MAPPED
    assert paths["StepAdjustment.ScalingAdjustment"] == rules.REPORTED


def test_container_definition_is_covered_member_by_member():
    members = model.shape("ContainerDefinition").members
    assert all(f"ContainerDefinition.{m}" in rules.RULES for m in members)


def test_no_rule_names_a_member_that_does_not_exist():
    for key in rules.RULES:
        structure, member = key.split(".")
        assert member in model.members(structure), key


def test_rules_are_one_of_the_kinds_and_say_something():
    assert {r.kind for r in rules.RULES.values()} == {rules.MAPPED, rules.REPORTED, rules.REJECTED, rules.READ_ONLY}
    assert all(len(r.text) >= 3 for r in rules.RULES.values())


def test_rows_cover_nested_members_of_reported_fields():
    kinds = {(r.path, r.covered_by): r.rule and r.rule.kind for r in rules.rows("RegisterTaskDefinitionRequest")}
    assert kinds[("Ulimit.softLimit", "ContainerDefinition.ulimits")] == rules.REPORTED
    # KeyValuePair is both environment (mapped) and proxyConfiguration.properties (reported).
    assert kinds[("KeyValuePair.value", "KeyValuePair.value")] == rules.MAPPED
    assert kinds[("KeyValuePair.value", "RegisterTaskDefinitionRequest.proxyConfiguration")] == rules.REPORTED


def test_present_finds_reported_and_rejected_fields_with_their_paths():
    spec = {"containerDefinitions": [{"name": "a", "ulimits": [{"name": "nofile"}], "environmentFiles": [{"value": "x"}],
                                      "links": [], "disableNetworking": False}],
            "volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED"}}]}
    found = {path: rule.kind for path, rule in rules.present(spec, "RegisterTaskDefinitionRequest")}
    assert found == {"containerDefinitions[0].ulimits": rules.REPORTED,
                     "containerDefinitions[0].environmentFiles": rules.REJECTED,
                     "volumes[0].efsVolumeConfiguration.transitEncryption": rules.REPORTED}


def test_coverage_command_prints_every_member(capsys):
    assert cli.main(["coverage"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(coverage.table())
    assert not [line for line in out if "MISSING" in line]
    healthcheck = next(line for line in out if line.startswith("ContainerDefinition.healthCheck "))
    assert "mapped" in healthcheck and "probe" in healthcheck
    assert any(line.startswith("ContainerDefinition.ulimits ") and "reported" in line for line in out)
    assert cli.main(["coverage", "--kind", "rejected"]) == 0
    rejected = capsys.readouterr().out.splitlines()
    assert rejected and all(" rejected " in line for line in rejected)


def test_coverage_markdown_has_a_table_row_per_member_grouped_by_root(capsys):
    assert cli.main(["coverage", "--markdown"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert len(rows) == len(coverage.table()) + len(model.read_only_members())
    assert [line[3:] for line in out.splitlines() if line.startswith("## ")][:len(coverage.ROOTS)] == list(coverage.ROOTS)
    assert all(line.count(" | ") == 2 for line in rows), "a | in a rule's text must be escaped"


def test_coverage_lists_run_task_and_the_scheduled_task():
    paths = {path: kind for path, kind, _ in coverage.table()}
    assert paths["RunTaskRequest.count"] == rules.MAPPED
    assert paths["RunTaskRequest.enableExecuteCommand"] == rules.REPORTED
    assert paths["ContainerOverride.environmentFiles"] == rules.REJECTED
    assert paths["RunTaskRequest.desiredStatus"] == rules.MAPPED  # kube-ecs's StopTask
    assert paths["KubeEcsScheduledTask.scheduleExpression"] == rules.MAPPED
    assert paths["KubeEcsScheduledTask.runTask"] == rules.MAPPED
    assert not [path for path, kind, _ in coverage.table() if kind == "MISSING"]
