"""A Service's tasks against its Cluster's Pod Security level at admission time (docs/security.md).

The Service's reconcile makes the same check on the revision it resolves (reconcile/services.py);
here, before the Service is stored, the task definition is the one it names as far as the operator
can tell yet: the revision `family:N` when registered, else for `family` the TaskDefinition's
current spec, which becomes its latest revision. What cannot be found yet is left to the reconcile.
"""

from __future__ import annotations

from collections.abc import Callable

from kube_ecs import API_VERSION
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.kube import Client, Ref
from kube_ecs.reconcile.taskdefinitions import normalized
from kube_ecs.resources import pod_security


def admission_refusals(client: Client, spec: dict, *, level: str | None,
                       revisions_of: Callable[[str], list[rev.Revision]]) -> list[str]:
    """What the Cluster's enforce `level` (None: no Cluster known yet) refuses about the tasks of
    normalized Service `spec`; [] when the task definition cannot be found yet."""
    if level is None or level == pod_security.PRIVILEGED:
        return []
    try:
        ref = rev.parse_reference(str(spec.get("taskDefinition", "")))
    except rev.BadReference:
        return []
    taskdef = None
    if ref.revision is not None:
        taskdef = next((r.task_definition for r in revisions_of(ref.family) if r.number == ref.revision), None)
    else:
        body = client.get(Ref(API_VERSION, "TaskDefinition", ref.family))
        if body is not None:
            taskdef = normalized(body)[0]
        if taskdef is None and (latest := rev.latest([r for r in revisions_of(ref.family) if r.status == rev.ACTIVE])):
            taskdef = latest.task_definition
    return pod_security.task_refusals(taskdef, spec, level) if taskdef else []


def task_definition_warnings(taskdef: dict | None) -> list[str]:
    """kubectl warnings for a TaskDefinition whose tasks only a Cluster at a less strict level runs (a
    TaskDefinition belongs to no Cluster: its Services are refused, not it)."""
    if not taskdef:
        return []
    pod = pod_security.build_pod_template(taskdef, labels={}, selector={})["spec"]
    needed = pod_security.required_level(pod)
    if needed != pod_security.PRIVILEGED:
        return []
    fields = sorted({pod_security.ecs_field(v, taskdef) for v in pod_security.violations(pod, pod_security.BASELINE)})
    return [f"Pod Security: its tasks run only in a Cluster with podSecurity.enforce 'privileged' "
            f"(refused by 'baseline', the default: {', '.join(fields)})"]


def service_refusals(client: Client, namespace: str, taskdef: dict, spec: dict, level: str) -> list[str]:
    """What the Service's reconcile refuses: `taskdef` for normalized Service `spec` at `level` (the
    Clusters index's). A refusal is checked against the level the Namespace is labelled with, which is
    what Pod Security Admission enforces: a Cluster's lowered level is on its Namespace before the
    index sees the status that says so, and the Cluster pokes its Services right after relabelling."""
    refused = pod_security.task_refusals(taskdef, spec, level)
    if refused:
        live = client.get(Ref("v1", "Namespace", namespace)) or {}
        labelled = ((live.get("metadata") or {}).get("labels") or {}).get(f"{pod_security.LABEL_PREFIX}enforce")
        if labelled in pod_security.LEVELS and labelled != level:
            refused = pod_security.task_refusals(taskdef, spec, labelled)
    return refused
