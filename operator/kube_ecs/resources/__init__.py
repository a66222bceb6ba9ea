"""Pure builders: normalized ECS specs in, Kubernetes manifests (plain dicts) out. No I/O.

One module per Kubernetes object (docs/design.md); `build_service_manifests` is the entry point the
operator and `kube-ecs convert` share. Output is deterministic (sorted wherever order means
nothing), so golden files are stable and a no-op reconcile compares equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kube_ecs.ecs import capacity as ecs_capacity
from kube_ecs.resources import capacity, meta, names
from kube_ecs.resources.daemonset import build_daemonset
from kube_ecs.resources.deployment import build_deployment
from kube_ecs.resources.ingress import build_ingress
from kube_ecs.resources.pod_template import build_pod_template
from kube_ecs.resources.service import build_service
from kube_ecs.resources.service_account import build_service_account
from kube_ecs.resources.task import build_task_pods

__all__ = ["build_service_manifests", "build_task_manifests"]


def build_service_manifests(
    *,
    service: dict,
    service_name: str,
    taskdef: dict,
    family: str,
    revision: int,
    namespace: str,
    cluster: str,
    owner: dict | None = None,
    placement: ecs_capacity.Effective | None = None,
    providers: dict[str, dict] | None = None,
) -> list[dict]:
    """[ServiceAccount?, Deployment…|DaemonSet, Service?, Ingress?] for ECS Service `service_name`.

    The Service's `tags` are labels (where valid) and annotations on every child; `propagateTags`
    SERVICE or TASK_DEFINITION also puts that side's tags on the pods, as ECS tags the tasks.
    `placement` is where the tasks go (default: the Service's own strategy or launch type, else EC2),
    `providers` the CapacityProviders it names (name → spec); a strategy of several providers makes
    one Deployment per provider (docs/capacity.md).
    """
    placement = placement or ecs_capacity.effective(service, {})
    labels = meta.service_labels(cluster=cluster, service=service_name, family=family)
    selector = meta.selector_labels(cluster=cluster, service=service_name)
    tag_labels, tag_annotations = meta.user_metadata(meta.tag_pairs(service.get("tags")))
    propagated = {"SERVICE": service.get("tags"), "TASK_DEFINITION": taskdef.get("tags")}.get(
        service.get("propagateTags", "NONE")
    )
    pod_tag_labels, pod_tag_annotations = meta.user_metadata(meta.tag_pairs(propagated))
    template = build_pod_template(
        taskdef,
        labels={**pod_tag_labels, **labels, meta.REVISION_LABEL: str(revision)},
        annotations=pod_tag_annotations,
        selector=selector,
        service=service,
    )

    def metadata(name: str) -> dict:
        return meta.object_meta(
            name, namespace=namespace, labels={**tag_labels, **labels}, annotations=tag_annotations, owner=owner
        )

    backend = names.dns1035_label(service_name)
    manifests = [
        *_workloads(service, service_name, template, selector, metadata, placement, providers or {}),
        build_service(metadata=metadata(backend), selector=selector, taskdef=taskdef, service=service),
        build_ingress(metadata=metadata(service_name), backend_service=backend, service=service),
    ]
    if taskdef.get("taskRoleArn"):
        account = build_service_account(
            role_arn=taskdef["taskRoleArn"], namespace=namespace, cluster=cluster, owner=owner
        )
        manifests.insert(0, account)
    return [_detached(m) for m in manifests if m is not None]


def _workloads(service: dict, service_name: str, template: dict, selector: dict[str, str],
               metadata: Callable[[str], dict], placement: ecs_capacity.Effective,
               providers: dict[str, dict]) -> list[dict]:
    """The DaemonSet, or a Deployment per target (capacity.targets), each on its node pool."""
    targets = capacity.targets(service_name, service.get("desiredCount", 1), placement, providers)
    if service.get("schedulingStrategy") == "DAEMON":
        [target] = targets  # validation refuses strategies for DAEMON: it runs by launch type
        return [build_daemonset(metadata=metadata(service_name), selector=selector,
                                template=capacity.place(template, target), service=service)]
    several = len(targets) > 1
    return [build_deployment(
        metadata=metadata(target.name),
        # Several Deployments of one Service must not select each other's pods.
        selector={**selector, capacity.CAPACITY_PROVIDER_LABEL: names.label_value(target.provider)}
        if several and target.provider else selector,
        template=capacity.place(template, target), service={**service, "desiredCount": target.replicas})
        for target in targets]


def build_task_manifests(**kwargs: Any) -> list[dict]:
    """[ServiceAccount?, Pod…] of a RunTask request (resources/task.py), the entry point the operator and
    `kube-ecs convert --run-task` share."""
    return [_detached(m) for m in build_task_pods(**kwargs)]


def _detached(value: Any) -> Any:
    """A copy sharing no dict or list with another part of the output (copy.deepcopy would keep the
    sharing): callers may patch one field, and YAML output stays free of anchors."""
    if isinstance(value, dict):
        return {key: _detached(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_detached(item) for item in value]
    return value
