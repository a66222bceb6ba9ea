"""The operator's own permissions, derived from the code and compared with manifests/rbac/, so that a
verb the code starts using, or one granted that nothing uses, fails here rather than on a cluster.

Where the verbs come from:
- Kopf's registry: every resource a handler, index or daemon watches is listed and watched; Kopf
  patches the ones it keeps state on (annotations, finalizers: changing handlers, daemons, timers);
  Kopf posts core Events (`kopf.event`, POST).
- Every call of a `Client` method in operator/ (found by walking the code), by the kinds that call
  site addresses (CALL_SITES, where the code's own constants are used when it has them). A call site
  missing from CALL_SITES fails the test: a new API call has to say what it touches.
- The API server's own check: an ownerReference with blockOwnerDeletion needs update on the owner's
  finalizers.
`get` is granted where the operator already reads or writes the resource otherwise (the least read);
anything else granted must be used.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kopf
import yaml

import kube_ecs.handlers
import kube_ecs.handlers.admission  # noqa: F401 - registers the webhook handlers
from kube_ecs import API_VERSION
from kube_ecs.reconcile import autoscaling, services
from kube_ecs.reconcile.kube import KINDS
from kube_ecs.reconcile.taskdefinitions import REVISION_KIND

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "operator" / "kube_ecs"
SERVICE_ACCOUNT = ("kube-ecs-operator", "kube-ecs-system")

# Client method → the verbs it needs (a server-side apply of a missing object creates it).
CLIENT_VERBS = {"get": {"get"}, "list": {"list"}, "create": {"create"}, "apply": {"create", "patch"},
                "patch": {"patch"}, "delete": {"delete"}, "evict": {"create"}}
ECS_STATUS = [(API_VERSION, k) for k in ("Cluster", "TaskDefinition", "Service", "CapacityProvider",
                                         "ContainerInstance", "ScalableTarget", "ScalingPolicy", "Task",
                                         "ScheduledTask")]
SERVICE_CHILDREN = [*services.SERVICE_CHILD_KINDS, *services.SHARED_CHILD_KINDS]
NAMESPACE = [("v1", "Namespace")]
CONTAINER_INSTANCE = [(API_VERSION, "ContainerInstance")]
HPA = [autoscaling.HPA]
LEASE = [("coordination.k8s.io/v1", "Lease")]
POD = [("v1", "Pod")]
TASK = [(API_VERSION, "Task")]
# (module, function, Client method) → the (apiVersion, kind)s it is called for; "/status" and
# "/eviction" name subresources.
CALL_SITES: dict[tuple[str, str, str], list[tuple[str, str]]] = {
    ("handlers/common.py", "write_status", "patch"): [(v, f"{k}/status") for v, k in ECS_STATUS],
    ("reconcile/apply.py", "apply_child", "get"): SERVICE_CHILDREN + NAMESPACE + CONTAINER_INSTANCE + HPA,
    ("reconcile/apply.py", "apply_child", "apply"): SERVICE_CHILDREN + NAMESPACE + CONTAINER_INSTANCE + HPA,
    ("reconcile/apply.py", "apply_child", "patch"): SERVICE_CHILDREN + NAMESPACE + CONTAINER_INSTANCE + HPA,
    ("reconcile/apply.py", "prune", "list"): SERVICE_CHILDREN + HPA,
    ("reconcile/apply.py", "prune", "delete"): SERVICE_CHILDREN + HPA,
    ("reconcile/apply.py", "prune", "patch"): SERVICE_CHILDREN,  # removes a shared object's ownerReference
    # Service Auto Scaling: the Deployment whose replicas an HPA takes over, the Service it scales.
    ("reconcile/autoscaling.py", "release_replicas", "get"): [("apps/v1", "Deployment")],
    ("reconcile/autoscaling.py", "release_replicas", "apply"): [("apps/v1", "Deployment")],
    ("reconcile/autoscaling.py", "_workload", "list"): [("apps/v1", "Deployment")],
    ("reconcile/autoscaling.py", "reconcile_scalable_target", "get"): [(API_VERSION, "Service")],
    # Failover: the active replica's Lease (lease.py).
    ("lease.py", "try_acquire", "get"): LEASE,
    ("lease.py", "try_acquire", "create"): LEASE,
    ("lease.py", "try_acquire", "patch"): LEASE,
    ("lease.py", "_renew_loop", "get"): LEASE,
    ("lease.py", "release", "get"): LEASE,
    ("lease.py", "release", "patch"): LEASE,
    ("reconcile/clusters.py", "ensure_namespace", "get"): NAMESPACE,
    ("reconcile/clusters.py", "ensure_namespace", "patch"): NAMESPACE,
    ("reconcile/clusters.py", "namespace_at_admission", "get"): NAMESPACE,
    ("reconcile/clusters.py", "namespace_at_admission", "create"): NAMESPACE,
    ("reconcile/container_instances.py", "ensure_view", "get"): CONTAINER_INSTANCE,
    ("reconcile/container_instances.py", "ensure_view", "delete"): CONTAINER_INSTANCE,
    ("reconcile/container_instances.py", "_taint", "patch"): [("v1", "Node")],
    ("reconcile/container_instances.py", "drain", "get"): [("apps/v1", "Deployment")],
    ("reconcile/container_instances.py", "drain", "evict"): [("v1", "Pod/eviction")],
    ("reconcile/pod_security.py", "admission_refusals", "get"): [(API_VERSION, "TaskDefinition")],
    ("reconcile/pod_security.py", "service_refusals", "get"): NAMESPACE,
    ("reconcile/services.py", "_find_workload", "get"): list(services.WORKLOAD_KINDS),
    # The circuit breaker: a failed deployment's ReplicaSet to 0, tasks that cannot be created replaced.
    ("reconcile/services.py", "_stop_launching", "patch"): [("apps/v1", "ReplicaSet")],
    ("reconcile/services.py", "_relaunch_stuck", "evict"): [("v1", "Pod/eviction")],
    # Standalone tasks: each task's Pod made, read when the index has not seen it, stopped (StopTask);
    # a Task past its ttlSecondsAfterStopped deleted.
    ("reconcile/tasks.py", "_launch", "create"): POD,
    ("reconcile/tasks.py", "reconcile_task", "get"): POD,
    ("reconcile/tasks.py", "reconcile_task", "delete"): TASK,
    ("reconcile/tasks.py", "_stop_pod", "patch"): POD,
    ("reconcile/tasks.py", "_stop_pod", "delete"): POD,
    # Scheduled tasks: each run a Task; stopped runs beyond the history limit deleted.
    ("reconcile/scheduled_tasks.py", "_start_run", "create"): TASK,
    ("reconcile/scheduled_tasks.py", "_start_run", "get"): TASK,
    ("reconcile/scheduled_tasks.py", "_prune", "delete"): TASK,
    ("reconcile/taskdefinitions.py", "list_revisions", "list"): [(API_VERSION, REVISION_KIND)],
    ("reconcile/taskdefinitions.py", "reconcile_task_definition", "create"): [(API_VERSION, REVISION_KIND)],
    # A Service or Task whose revision is missing reads its family to tell "registering" from "not found".
    ("reconcile/taskdefinitions.py", "raise_if_registering", "get"): [(API_VERSION, "TaskDefinition"),
                                                                      (API_VERSION, REVISION_KIND)],
    ("webhook.py", "publish_ca", "get"): [("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")],
    ("webhook.py", "publish_ca", "patch"): [("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")],
}
# Owners of children whose ownerReference blocks the owner's deletion (meta.owner_references).
BLOCKING_OWNERS = ["clusters", "services", "taskdefinitions", "scalabletargets", "tasks", "scheduledtasks"]

Grant = tuple[str, str, str]  # (apiGroup, resource, verb)


def _resource(api_version: str, kind: str) -> tuple[str, str]:
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    kind, _, sub = kind.partition("/")
    plural = KINDS[kind][0] if kind in KINDS else f"{kind.lower()}s"
    return group, f"{plural}/{sub}" if sub else plural


def client_call_sites() -> set[tuple[str, str, str]]:
    """(module, function, method) of every Client method call in the package (kube.py implements them)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name == "kube.py":
            continue
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr in CLIENT_VERBS and "client" in ast.unparse(node.func.value):
                    found.add((str(path.relative_to(PACKAGE)), function.name, node.func.attr))
    return found


def used() -> set[Grant]:
    grants: set[Grant] = set()
    registry = kopf.get_default_registry()
    for attr, patches in (("_indexing", False), ("_watching", False), ("_spawning", True), ("_changing", True)):
        for handler in getattr(registry, attr).get_all_handlers():
            selector = handler.selector
            grants |= {(selector.group or "", selector.any_name, verb) for verb in ("list", "watch")}
            if patches:
                grants.add((selector.group or "", selector.any_name, "patch"))
    grants.add(("", "events", "create"))  # kopf.event
    for (_, _, method), kinds in CALL_SITES.items():
        for api_version, kind in kinds:
            group, resource = _resource(api_version, kind)
            grants |= {(group, resource, verb) for verb in CLIENT_VERBS[method]}
    grants |= {("ecs.kube-ecs.dev", f"{owner}/finalizers", "update") for owner in BLOCKING_OWNERS}
    return grants


def granted() -> set[Grant]:
    documents = [d for f in sorted((REPO / "manifests" / "rbac").glob("*.yaml"))
                 for d in yaml.safe_load_all(f.read_text()) if d]
    # ClusterRoles bound cluster-wide, and Roles bound in a namespace (the Lease's), by the same binding kinds.
    bound = {(d["roleRef"]["kind"], d["roleRef"]["name"]) for d in documents
             if d["kind"] in ("ClusterRoleBinding", "RoleBinding") and any(
                 (s.get("name"), s.get("namespace")) == SERVICE_ACCOUNT for s in d.get("subjects", []))}
    return {(group, resource, verb) for d in documents if (d["kind"], d["metadata"]["name"]) in bound
            for rule in d["rules"] for group in rule["apiGroups"] for resource in rule["resources"]
            for verb in rule["verbs"]}


def test_every_client_call_site_says_what_it_touches():
    found = client_call_sites()
    assert found - CALL_SITES.keys() == set(), "new API calls: add them to CALL_SITES with the kinds they address"
    assert CALL_SITES.keys() - found == set(), "CALL_SITES lists calls the code no longer makes"


def test_the_operator_is_granted_what_it_uses():
    assert sorted(used() - granted()) == []


def test_the_operator_is_granted_nothing_it_does_not_use():
    need = used()
    reads = {(group, resource, "get") for group, resource, _ in need}
    assert sorted(granted() - need - reads) == []


def test_people_roles_aggregate_into_view_edit_admin():
    documents = list(yaml.safe_load_all((REPO / "manifests" / "rbac" / "aggregated_roles.yaml").read_text()))
    labels = {d["metadata"]["name"]: d["metadata"]["labels"] for d in documents}
    aggregate = "rbac.authorization.k8s.io/aggregate-to-"
    assert {k for k in labels["kube-ecs-view"] if k.startswith(aggregate)} == {aggregate + r for r in
                                                                                ("view", "edit", "admin")}
    assert aggregate + "view" not in labels["kube-ecs-edit"] and aggregate + "edit" in labels["kube-ecs-edit"]
    assert set(labels["kube-ecs-admin"]) >= {aggregate + "admin"} and aggregate + "edit" not in labels["kube-ecs-admin"]
    edit = {r for d in documents if d["metadata"]["name"] == "kube-ecs-edit" for rule in d["rules"]
            for r in rule["resources"]}
    assert edit == {"services", "tasks", "scheduledtasks"}  # never a cluster-scoped resource
