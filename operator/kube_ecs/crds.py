"""`kube-ecs crds --output DIR`: the CustomResourceDefinitions, with structural schemas derived from
botocore's ECS model (ecs/schema.py), so the API server refuses a wrong type with its field path.

Status is `x-kubernetes-preserve-unknown-fields` behind a status subresource: the operator owns it,
and a schema there could only make Kopf's patches fail ("patching failed with inconsistencies").
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import yaml

from kube_ecs import GROUP, VERSION
from kube_ecs.ecs.schema import openapi_schema

# A name given in the spec (ECS allows upper case and "_") must sanitise to metadata.name
# (decisions.md). CEL sees only metadata.name at the root, so the rule lives there. Every step of a
# path is tested with has(): `has(self.spec.x)` is an error, not false, when spec itself is absent
# (a Cluster may be just a name, as CreateCluster needs no arguments).
_NAME_RULE = ("!has(self.spec) || !has(self.spec.{field})"
              " || self.spec.{field}.lowerAscii().replace('_', '-') == self.metadata.name")
ECS_NAME_MAX = 255


def _age() -> dict:
    return {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def _column(name: str, type_: str, path: str, priority: int = 0) -> dict:
    column = {"name": name, "type": type_, "jsonPath": path}
    return {**column, "priority": priority} if priority else column


def _resource(path: str, name: str) -> str:
    return f'{path}[?(@.name=="{name}")].integerValue'


def _attribute(name: str) -> str:
    return f'.status.attributes[?(@.name=="{name}")].value'


def _optional(schema: dict, *fields: str) -> dict:
    """`schema` without `fields` among its required ones (they default to metadata.name)."""
    schema = copy.deepcopy(schema)
    required = [f for f in schema.get("required", []) if f not in fields]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    for field in fields:
        schema["properties"][field].setdefault("maxLength", ECS_NAME_MAX)
    return schema


def _root(spec: dict, *, name_field: str | None = None, spec_required: bool = True) -> dict:
    root: dict[str, Any] = {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    if spec_required:
        root["required"] = ["spec"]
    if name_field:
        root["x-kubernetes-validations"] = [{
            "rule": _NAME_RULE.format(field=name_field),
            "message": f"spec.{name_field} must equal metadata.name (lower case, '_' as '-')",
        }]
    return root


def _crd(kind: str, plural: str, *, scope: str, short_names: list[str], schema: dict, columns: list[dict]) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower(),
                      "shortNames": short_names, "categories": ["ecs"]},
            "scope": scope,
            "versions": [{
                "name": VERSION, "served": True, "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [*columns, _age()],
                "schema": {"openAPIV3Schema": schema},
            }],
        },
    }


def _service_spec() -> dict:
    """CreateServiceRequest, serviceName optional (it defaults to metadata.name)."""
    return _optional(openapi_schema("CreateServiceRequest"), "serviceName")


def _revision_spec() -> dict:
    """A registered revision. Its taskDefinition is the normalized spec (numbers as numbers where ECS's
    request has strings), written only by the operator: the TaskDefinition's schema already checked
    the user's input, so here any object is kept whole. CEL compares it whole, unknown fields too."""
    return {
        "type": "object",
        "required": ["family", "revision", "taskDefinition"],
        "properties": {
            "family": {"type": "string", "maxLength": ECS_NAME_MAX},
            "revision": {"type": "integer", "minimum": 1},
            "status": {"type": "string", "enum": ["ACTIVE", "INACTIVE"], "default": "ACTIVE"},
            "taskDefinition": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
        "x-kubernetes-validations": [
            {"rule": "self.family == oldSelf.family && self.revision == oldSelf.revision"
                     " && self.taskDefinition == oldSelf.taskDefinition",
             "message": "a task definition revision is immutable: only spec.status may change"},
            # status has a default, but the rule must not depend on it to evaluate.
            {"rule": "!has(oldSelf.status) || oldSelf.status != 'INACTIVE'"
                     " || (has(self.status) && self.status == 'INACTIVE')",
             "message": "an INACTIVE revision cannot become ACTIVE again"},
        ],
    }


def crd_manifests() -> list[dict]:
    return [
        _crd("Cluster", "clusters", scope="Cluster", short_names=["ecscluster", "ecsc"],
             schema=_root(_optional(openapi_schema("CreateClusterRequest"), "clusterName"),
                          name_field="clusterName", spec_required=False),
             columns=[_column("Status", "string", ".status.status"),
                      _column("Services", "integer", ".status.activeServicesCount"),
                      _column("Running", "integer", ".status.runningTasksCount"),
                      _column("Pending", "integer", ".status.pendingTasksCount", priority=1),
                      _column("Namespace", "string", ".status.namespace", priority=1),
                      _column("Pod-Security", "string", ".status.podSecurity.enforce", priority=1)]),
        _crd("TaskDefinition", "taskdefinitions", scope="Cluster", short_names=["taskdef", "td"],
             schema=_root(_optional(openapi_schema("RegisterTaskDefinitionRequest"), "family"),
                          name_field="family"),
             columns=[_column("Revision", "integer", ".status.revision"),
                      _column("Status", "string", ".status.status"),
                      _column("Containers", "integer", ".status.containers")]),
        _crd("TaskDefinitionRevision", "taskdefinitionrevisions", scope="Cluster",
             short_names=["tdrev", "taskdefrev"], schema=_root(_revision_spec()),
             columns=[_column("Family", "string", ".spec.family"),
                      _column("Revision", "integer", ".spec.revision"),
                      _column("Status", "string", ".spec.status")]),
        _crd("CapacityProvider", "capacityproviders", scope="Cluster", short_names=["ecscp", "capprov"],
             schema=_root(_optional(openapi_schema("CreateCapacityProviderRequest"), "name"), name_field="name"),
             columns=[_column("Status", "string", ".status.status"),
                      _column("Nodes", "integer", ".status.nodes"),
                      _column("AutoScalingGroup", "string", ".spec.autoScalingGroupProvider.autoScalingGroupArn",
                              priority=1)]),
        _crd("Service", "services", scope="Namespaced", short_names=["esvc", "ecssvc"],
             schema=_root(_service_spec(), name_field="serviceName"),
             columns=[_column("Desired", "integer", ".status.desiredCount"),
                      _column("Running", "integer", ".status.runningCount"),
                      _column("Pending", "integer", ".status.pendingCount"),
                      _column("TaskDef", "string", ".status.taskDefinition"),
                      # PRIMARY is always first in status.deployments.
                      _column("Rollout", "string", ".status.deployments[0].rolloutState")]),
        # Standalone and scheduled tasks (docs/tasks.md): a pasted RunTask request, and an EventBridge schedule.
        _crd("Task", "tasks", scope="Namespaced", short_names=["etask", "ecstask"],
             schema=_root(openapi_schema("RunTaskRequest")),
             columns=[_column("Tasks", "integer", ".status.count"),
                      _column("Running", "integer", ".status.runningCount"),
                      _column("Last Status", "string", ".status.lastStatus"),
                      _column("Stop Code", "string", ".status.stopCode"),
                      _column("TaskDef", "string", ".status.taskDefinitionArn", priority=1)]),
        _crd("ScheduledTask", "scheduledtasks", scope="Namespaced", short_names=["estask", "ecsschedule"],
             schema=_root(openapi_schema("KubeEcsScheduledTask")),
             columns=[_column("Schedule", "string", ".spec.scheduleExpression"),
                      _column("State", "string", ".status.state"),
                      _column("Last Run", "date", ".status.lastScheduledAt"),
                      _column("Next Run", "string", ".status.nextScheduledAt"),
                      _column("Active", "integer", ".status.activeRuns", priority=1)]),
        # Service Auto Scaling (docs/autoscaling.md): pasted Application Auto Scaling requests.
        _crd("ScalableTarget", "scalabletargets", scope="Namespaced", short_names=["ecsst", "scalabletarget"],
             schema=_root(openapi_schema("RegisterScalableTargetRequest")),
             columns=[_column("Resource", "string", ".spec.ResourceId"),
                      _column("Min", "integer", ".spec.MinCapacity"),
                      _column("Max", "integer", ".spec.MaxCapacity"),
                      _column("Desired", "integer", ".status.desiredCount"),
                      _column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status')]),
        _crd("ScalingPolicy", "scalingpolicies", scope="Namespaced", short_names=["ecssp", "scalingpolicy"],
             schema=_root(_optional(openapi_schema("PutScalingPolicyRequest"), "PolicyName")),
             columns=[_column("Resource", "string", ".spec.ResourceId"),
                      _column("Type", "string", ".spec.PolicyType"),
                      _column("Target", "number", ".spec.TargetTrackingScalingPolicyConfiguration.TargetValue"),
                      _column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status')]),
        # A read-only view the operator writes (docs/decisions.md): nothing to specify, all is status.
        _crd("ContainerInstance", "containerinstances", scope="Cluster", short_names=["ci", "ecsci"],
             schema=_root({"type": "object"}, spec_required=False),
             columns=[_column("Status", "string", ".status.status"),
                      _column("Running", "integer", ".status.runningTasksCount"),
                      _column("Pending", "integer", ".status.pendingTasksCount"),
                      _column("CPU Remaining", "integer", _resource(".status.remainingResources", "CPU")),
                      _column("Memory Remaining", "integer", _resource(".status.remainingResources", "MEMORY")),
                      _column("Agent", "boolean", ".status.agentConnected", priority=1),
                      _column("Zone", "string", _attribute("ecs.availability-zone"), priority=1),
                      _column("Instance Type", "string", _attribute("ecs.instance-type"), priority=1)]),
    ]


def render(crd: dict) -> str:
    return "# Generated by `kube-ecs crds` (make crds) from botocore's ECS model. Do not edit.\n" + \
        yaml.safe_dump(crd, sort_keys=False, width=120)


def write(output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for crd in crd_manifests():
        path = output / f"{crd['metadata']['name']}.yaml"
        path.write_text(render(crd))
        written.append(path)
    return written


def _main(args: argparse.Namespace) -> int:
    for path in write(Path(args.output)):
        print(path)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("crds", help="write the CustomResourceDefinitions as YAML")
    parser.add_argument("--output", default="crds", help="directory to write into (default: %(default)s)")
    parser.set_defaults(func=_main)
