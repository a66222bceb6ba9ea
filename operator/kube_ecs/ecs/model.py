"""botocore's ECS service model: the one source of ECS field names, types and enums; and, for Service
Auto Scaling, botocore's `application-autoscaling` model (RegisterScalableTargetRequest,
PutScalingPolicyRequest). Shapes are looked up by name in ECS's model first, then in Application
Auto Scaling's: no structure reachable from the Auto Scaling roots shares a name with an ECS one (a
test checks it), so rule keys stay `Structure.member` for both.

kube-ecs extends five places of it: loadBalancers[].ingress (docs/decisions.md), a capacity
provider's nodeSelector (docs/capacity.md), a Cluster's podSecurity (docs/security.md), RunTask's
StopTask members (desiredStatus, reason) and clean-up TTL on a Task, and the ScheduledTask (an
EventBridge schedule holding a RunTask request, docs/tasks.md); and, for pasted
describe-task-definition output, the read-only members of the `TaskDefinition` shape. Extensions are
botocore shapes too, so every walker treats them alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache

from botocore import loaders
from botocore import model as botocore_model

TASK_DEFINITION = "RegisterTaskDefinitionRequest"
CONTAINER = "ContainerDefinition"
SERVICE = "CreateServiceRequest"
CLUSTER = "CreateClusterRequest"
CAPACITY_PROVIDER = "CreateCapacityProviderRequest"
STRATEGY_ITEM = "CapacityProviderStrategyItem"
RUN_TASK = "RunTaskRequest"
# An EventBridge schedule with an ECS target: kube-ecs's own shape, holding a RunTaskRequest (docs/tasks.md).
SCHEDULED_TASK = "KubeEcsScheduledTask"
# describe-task-definition's shape: the request's members plus read-only ones.
DESCRIBED = "TaskDefinition"
# Application Auto Scaling (docs/autoscaling.md).
AUTOSCALING = "application-autoscaling"
SCALABLE_TARGET = "RegisterScalableTargetRequest"
SCALING_POLICY = "PutScalingPolicyRequest"

# Our extension shapes, in botocore's own JSON form.
_EXTENSIONS = {
    "KubeEcsIngress": {
        "type": "structure",
        "members": {"host": {"shape": "String"}, "path": {"shape": "String"}},
    },
    "KubeEcsNodeSelector": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
    # Pod Security Standards levels for the Cluster's namespace, one per admission mode.
    "KubeEcsPodSecurity": {
        "type": "structure",
        "members": {mode: {"shape": "KubeEcsPodSecurityLevel"} for mode in ("enforce", "warn", "audit")},
    },
    "KubeEcsPodSecurityLevel": {"type": "string", "enum": ["privileged", "baseline", "restricted"]},
    # StopTask's desired status; a task is never started again once stopped.
    "KubeEcsDesiredStatus": {"type": "string", "enum": ["RUNNING", "STOPPED"]},
    "KubeEcsSeconds": {"type": "integer"},
    "KubeEcsScheduledTask": {
        "type": "structure",
        "required": ["scheduleExpression", "runTask"],
        "members": {"scheduleExpression": {"shape": "String"}, "scheduleExpressionTimezone": {"shape": "String"},
                    "state": {"shape": "KubeEcsScheduleState"}, "runsHistoryLimit": {"shape": "KubeEcsSeconds"}},
    },
    "KubeEcsScheduleState": {"type": "string", "enum": ["ENABLED", "DISABLED"]},
    "String": {"type": "string"},
}
EXTENDED_MEMBERS = {"LoadBalancer": {"ingress": "KubeEcsIngress"},
                    CAPACITY_PROVIDER: {"nodeSelector": "KubeEcsNodeSelector"},
                    CLUSTER: {"ecrMirror": "String", "podSecurity": "KubeEcsPodSecurity"},
                    RUN_TASK: {"desiredStatus": "KubeEcsDesiredStatus", "reason": "String",
                               "ttlSecondsAfterStopped": "KubeEcsSeconds"},
                    SCHEDULED_TASK: {"runTask": RUN_TASK}}


@cache
def service_model(service: str = "ecs") -> botocore_model.ServiceModel:
    """The installed model of `service` (ECS by default), found as a botocore session finds it
    (AWS_DATA_PATH, then ~/.aws/models, then botocore's data). Read through the loader alone:
    importing botocore.session (clients, credentials, waiters) doubled `kube-ecs validate`'s start-up time."""
    loader = loaders.create_loader(os.environ.get("AWS_DATA_PATH"))
    return botocore_model.ServiceModel(loader.load_service_model(service, "service-2"), service_name=service)


@cache
def shape(name: str) -> botocore_model.Shape:
    if name in _EXTENSIONS:
        return botocore_model.ShapeResolver(_EXTENSIONS).get_shape_by_name(name)
    try:
        return service_model().shape_for(name)
    except botocore_model.NoShapeFoundError:
        return service_model(AUTOSCALING).shape_for(name)


@cache
def members(structure: str) -> dict[str, botocore_model.Shape]:
    """The members of structure `structure`, with kube-ecs's extensions."""
    own = dict(shape(structure).members)
    for name, extension in EXTENDED_MEMBERS.get(structure, {}).items():
        own[name] = shape(extension)
    return own


def read_only_members() -> list[str]:
    """Members describe-task-definition returns that register-task-definition does not take."""
    return [name for name in shape(DESCRIBED).members if name not in shape(TASK_DEFINITION).members]


def is_document(member: botocore_model.Shape) -> bool:
    """A free-form JSON value (botocore `document`), with no members to check."""
    return bool(member.metadata.get("document"))


def nested(member: botocore_model.Shape) -> str | None:
    """The structure a member holds (inside its lists and maps), or None (scalars, documents)."""
    while member.type_name in ("list", "map"):
        member = member.member if member.type_name == "list" else member.value
    return member.name if member.type_name == "structure" and not is_document(member) else None


def walk(root: str) -> Iterator[tuple[str, str, botocore_model.Shape]]:
    """(structure, member, member shape) for every member reachable from `root`, each structure once,
    in model order (breadth first)."""
    queue, seen = [root], {root}
    while queue:
        structure = queue.pop(0)
        for name, member in members(structure).items():
            yield structure, name, member
            inner = nested(member)
            if inner and inner not in seen:
                seen.add(inner)
                queue.append(inner)
