"""A RunTask request's Pods (resources/task.py): golden YAML, Kubernetes 1.34 schema, one Pod per task
named by its id, never restarted, spread over a strategy's providers, the overrides applied."""

from __future__ import annotations

import copy

from kube_ecs.ecs import capacity
from kube_ecs.ecs.run_task import check_run_task
from kube_ecs.resources import build_task_manifests
from kube_ecs.resources.task import task_id

from .cases import WEB_TASKDEF
from .conftest import validate

OWNER = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "name": "nightly",
         "uid": "0c1d2e3f-0000-4000-8000-000000000002"}
WEB_CONTAINERS: list = WEB_TASKDEF["containerDefinitions"]  # type: ignore[assignment]
SIDECAR_TASKDEF: dict = {**WEB_TASKDEF, "family": "nightly", "tags": [{"key": "app", "value": "web"}],
                         "containerDefinitions": [*WEB_CONTAINERS, {"name": "log_router", "image": "busybox:1.36",
                                                                    "essential": False, "stopTimeout": 60}]}
RUN = check_run_task({
    "taskDefinition": "nightly:3", "count": 3, "startedBy": "ops", "group": "batch",
    "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                                 {"capacityProvider": "FARGATE_SPOT", "weight": 1}],
    "placementConstraints": [{"type": "distinctInstance"}],
    "overrides": {"cpu": "512", "containerOverrides": [{"name": "web", "command": ["sh", "-c", "run-job"],
                                                        "environment": [{"name": "GREETING", "value": "night"}]}]},
    "tags": [{"key": "run", "value": "nightly"}], "propagateTags": "TASK_DEFINITION"})[0]


def build(run=RUN, owner=OWNER):
    assert run is not None
    return build_task_manifests(run=run, task_name="nightly", uid=OWNER["uid"], taskdef=SIDECAR_TASKDEF,
                                family="nightly", revision=3, namespace="demo", cluster="demo", owner=owner,
                                placement=capacity.effective(run, {}))


def test_golden(golden):
    golden("task", build())


def test_valid_for_kubernetes():
    for manifest in build():
        validate(manifest)


def test_one_pod_per_task_named_by_its_id_never_restarted():
    pods = build()
    assert [p["metadata"]["name"] for p in pods] == [task_id(OWNER["uid"], i) for i in range(3)]
    assert all(p["spec"]["restartPolicy"] == "Never" for p in pods)
    assert all(len(p["metadata"]["name"]) == 32 for p in pods)
    # base 1 on FARGATE, then one each by weight: both on the Fargate pool, labelled by provider.
    assert [p["metadata"]["labels"]["ecs.kube-ecs.dev/capacity-provider"] for p in pods] == \
        ["FARGATE", "FARGATE", "FARGATE_SPOT"]


def test_pure_and_deterministic():
    before = copy.deepcopy((RUN, SIDECAR_TASKDEF))
    assert build() == build()
    assert before == (RUN, SIDECAR_TASKDEF)


def test_without_owner_no_owner_references():
    assert all("ownerReferences" not in m["metadata"] for m in build(owner=None))
