"""A RunTask request → its tasks' Pods (docs/tasks.md). Pure.

Each task is one Pod named by its task id (32 hex digits, as ECS's), derived from the Task object's uid
and the task's index, so a pass that creates the Pods again finds them instead of making duplicates.
The Pod is the Service tasks' pod template (`pod_template.build_pod_template`, the overrides applied
to the task definition first) with `restartPolicy: Never`: ECS never restarts a standalone task.
"""

from __future__ import annotations

import hashlib
import json

from kube_ecs import GROUP
from kube_ecs.ecs import capacity as ecs_capacity
from kube_ecs.ecs import run_task
from kube_ecs.resources import capacity, meta, names
from kube_ecs.resources.container_instance import ACCOUNT
from kube_ecs.resources.pod_template import build_pod_template
from kube_ecs.resources.service_account import build_service_account

TASK_LABEL = f"{GROUP}/task"
# The index of the task in its Task (0 … count-1), and the task's group and startedBy.
TASK_INDEX_ANNOTATION = f"{GROUP}/task-index"
GROUP_ANNOTATION = f"{GROUP}/group"
STARTED_BY_ANNOTATION = f"{GROUP}/started-by"
# JSON list of the Kubernetes names of the essential containers: the lifecycle reads it off the Pod.
ESSENTIAL_ANNOTATION = f"{GROUP}/essential-containers"
REGION = "local"


def task_id(uid: str, index: int) -> str:
    return hashlib.sha256(f"{uid}/{index}".encode()).hexdigest()[:32]


def task_arn(cluster: str, task: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{task}"


def task_definition_arn(family: str, revision: int) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


def task_labels(*, cluster: str, task: str, family: str, revision: int) -> dict[str, str]:
    """The labels of a Task's Pods; the first two also select them (distinctInstance)."""
    return {**meta.cluster_labels(cluster), TASK_LABEL: names.label_value(task),
            meta.FAMILY_LABEL: names.label_value(family), meta.REVISION_LABEL: str(revision)}


def build_task_pods(
    *,
    run: dict,
    task_name: str,
    uid: str,
    taskdef: dict,
    family: str,
    revision: int,
    namespace: str,
    cluster: str,
    owner: dict | None = None,
    placement: ecs_capacity.Effective | None = None,
    providers: dict[str, dict] | None = None,
) -> list[dict]:
    """[ServiceAccount?, Pod…] for normalized RunTask request `run` of the Task `task_name` (uid `uid`):
    `count` Pods running `taskdef` (normalized, before overrides) with `run`'s overrides, spread over
    `placement`'s capacity providers as a Service's tasks are (default: its own launch type or strategy)."""
    placement = placement or ecs_capacity.effective(run, {})
    taskdef = run_task.overridden(taskdef, run.get("overrides"))
    labels = task_labels(cluster=cluster, task=task_name, family=family, revision=revision)
    selector = {meta.CLUSTER_LABEL: labels[meta.CLUSTER_LABEL], TASK_LABEL: labels[TASK_LABEL]}
    propagated = taskdef.get("tags") if run.get("propagateTags") == "TASK_DEFINITION" else []
    tag_labels, tag_annotations = meta.user_metadata(meta.tag_pairs([*(propagated or []), *run.get("tags", [])]))
    essential = sorted(names.dns_label(c["name"]) for c in taskdef["containerDefinitions"] if c.get("essential", True))
    annotations = {**tag_annotations, GROUP_ANNOTATION: run_task.group(run, family),
                   ESSENTIAL_ANNOTATION: json.dumps(essential, separators=(",", ":"))}
    if run.get("startedBy"):
        annotations[STARTED_BY_ANNOTATION] = run["startedBy"]
    template = build_pod_template(taskdef, labels={**tag_labels, **labels}, annotations=annotations,
                                  selector=selector, service=run)
    index = 0
    pods = []
    for target in capacity.targets(task_name, run.get("count", 1), placement, providers or {}):
        placed = capacity.place(template, target)
        for _ in range(target.replicas):
            metadata = {**placed["metadata"], "name": task_id(uid, index), "namespace": namespace,
                        "annotations": dict(sorted({**placed["metadata"]["annotations"],
                                                    TASK_INDEX_ANNOTATION: str(index)}.items()))}
            if owner:
                metadata["ownerReferences"] = meta.owner_references(owner)
            pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
                         "spec": {**placed["spec"], "restartPolicy": "Never"}})
            index += 1
    if taskdef.get("taskRoleArn"):
        pods.insert(0, build_service_account(role_arn=taskdef["taskRoleArn"], namespace=namespace,
                                             cluster=cluster, owner=owner))
    return pods
