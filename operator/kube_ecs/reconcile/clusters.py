"""Reconcile an ECS Cluster: its Namespace (decisions.md) and describe-clusters' status, with the
capacity providers it may use (docs/capacity.md)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field

from kube_ecs import GROUP
from kube_ecs.ecs import capacity, model
from kube_ecs.ecs.normalize import reported
from kube_ecs.ecs.validate import check_cluster
from kube_ecs.reconcile.apply import apply_child, controller_uid
from kube_ecs.reconcile.conditions import Condition, merge
from kube_ecs.reconcile.kube import Client, Conflict, Ref
from kube_ecs.reconcile.outcome import owner_of
from kube_ecs.resources import meta, pod_security
from kube_ecs.resources.namespace import build_namespace, namespace_name

# ECS's ClusterContainsServicesException and ClusterContainsTasksException, word for word; ECS has no
# scheduled tasks of its own (EventBridge holds them), so their refusal is said in the same words.
CONTAINS_SERVICES = "The Cluster cannot be deleted while Services are active."
CONTAINS_TASKS = "The Cluster cannot be deleted while Tasks are active."
CONTAINS_SCHEDULED_TASKS = "The Cluster cannot be deleted while ScheduledTasks target it."
# On a Namespace made while its Cluster was being admitted: that Cluster's uid, until it owns it.
ADMITTED_FOR = f"{GROUP}/admitted-for-cluster-uid"
# On a Namespace kube-ecs adopted: the Pod Security labels it had before, which stay a floor.
ADOPTED_POD_SECURITY = f"{GROUP}/adopted-pod-security"


@dataclass(frozen=True)
class NamespaceState:
    name: str
    owned: bool
    problem: str | None = None
    # mode → Pod Security level, as labelled (docs/security.md)
    pod_security: dict[str, str] | None = field(default=None, compare=False)


def _adopted_floor(live: dict | None) -> dict[str, str]:
    """The Pod Security labels an adopted Namespace had before kube-ecs labelled it: recorded in an
    annotation the first time, so raising and then lowering a Cluster's level never sinks below them,
    and kube-ecs's own labels are never taken for the namespace owner's."""
    metadata = (live or {}).get("metadata") or {}
    recorded = (metadata.get("annotations") or {}).get(ADOPTED_POD_SECURITY)
    if recorded is not None:
        with contextlib.suppress(ValueError, TypeError):
            return dict(json.loads(recorded))
    return {k: v for k, v in (metadata.get("labels") or {}).items() if k.startswith(pod_security.LABEL_PREFIX)
            and k.removeprefix(pod_security.LABEL_PREFIX) in pod_security.MODES}


def ensure_namespace(client: Client, body: dict) -> NamespaceState:
    """Create (and own) the Cluster's Namespace, or label an existing one kube-ecs did not make without
    owning it, so deleting the Cluster never deletes a namespace it did not create."""
    cluster, uid = body["metadata"]["name"], body["metadata"]["uid"]
    name = namespace_name(cluster)
    live = client.get(Ref("v1", "Namespace", name))
    owned = live is None or controller_uid(live) == uid
    if live is not None and controller_uid(live) is None and (live["metadata"].get("annotations") or {}).get(
            ADMITTED_FOR) == uid:
        # Made at this Cluster's admission (namespace_at_admission): the Cluster exists now, so own it.
        client.patch(Ref("v1", "Namespace", name), {"metadata": {"ownerReferences": meta.owner_references(
            owner_of(body))}})
        owned = True
    floor = {} if owned else _adopted_floor(live)
    levels = pod_security.cluster_levels(body.get("spec"), floor)
    desired = build_namespace(cluster=cluster, spec=body.get("spec"), owner=owner_of(body) if owned else None,
                              levels=levels)
    if not owned:
        desired["metadata"].setdefault("annotations", {})[ADOPTED_POD_SECURITY] = json.dumps(floor, sort_keys=True)
    applied = apply_child(client, desired)
    return NamespaceState(name, owned, applied.message if applied.action == "conflict" else None, levels)


def namespace_at_admission(client: Client, body: dict) -> None:
    """The Namespace of a Cluster being admitted, so the next documents of the same apply find it.
    Not owned yet: an ownerReference to a Cluster not yet stored lets the garbage collector, should it
    look first, find the owner missing and delete the Namespace. The uid it carries lets
    `ensure_namespace` adopt it; if the Cluster is never stored, a Cluster of that name made later
    (another uid) labels it without owning it, as any Namespace kube-ecs did not make for it."""
    desired = build_namespace(cluster=body["metadata"]["name"], spec=body.get("spec"))
    if client.get(Ref.of(desired)) is not None:
        return
    desired["metadata"].setdefault("annotations", {})[ADMITTED_FOR] = body["metadata"]["uid"]
    with contextlib.suppress(Conflict):  # made meanwhile: the Cluster's reconcile decides about it
        client.create(desired)


def warnings(spec: dict | None) -> list[str]:
    """Fields ECS's CreateCluster takes that have no counterpart here, by the rules `kube-ecs coverage` prints."""
    return [str(note) for note in reported(spec or {}, model.CLUSTER)]


def capacity_problems(spec: dict | None, providers: dict[str, dict]) -> list[str]:
    """What PutClusterCapacityProviders would refuse: a default strategy ECS refuses, or over providers
    the Cluster does not list, and listed providers that are neither built in nor CapacityProviders
    (`providers`: name → spec)."""
    normalized, problems, _ = check_cluster(spec or {})
    if normalized is not None:
        problems = capacity.validate_providers_exist(normalized, providers)
    return [str(p) for p in problems]


@dataclass(frozen=True)
class Counts:
    services: int = 0
    running: int = 0
    pending: int = 0
    instances: int = 0
    # Task objects not all STOPPED, and ScheduledTasks: like Services, they hold the Cluster.
    tasks: int = 0
    scheduled: int = 0


def deletion_refusals(counts: Counts) -> list[tuple[str, str]]:
    """(reason, message) of each kind of object that holds the Cluster, in ECS's words."""
    return [(reason, message) for found, reason, message in (
        (counts.services, "ClusterContainsServicesException", CONTAINS_SERVICES),
        (counts.tasks, "ClusterContainsTasksException", CONTAINS_TASKS),
        (counts.scheduled, "ClusterContainsScheduledTasks", CONTAINS_SCHEDULED_TASKS)) if found]


def cluster_status(
    *, body: dict, namespace: NamespaceState | None, counts: Counts, deleting: bool, now: str,
    providers: dict[str, dict] | None = None,
) -> dict:
    """describe-clusters for this Cluster, plus Ready, Degraded (capacity providers ECS would refuse;
    its Services report what that means for them; shown once it has been True, so a Cluster that
    never had a problem has no condition, and no Event, for it) and, while a deletion waits,
    DeletionBlocked."""
    previous = body.get("status") or {}
    generation = body["metadata"].get("generation", 0)
    if namespace is None:
        # A counts-only refresh: the Namespace's state is as last reconciled.
        ns = NamespaceState(previous.get("namespace", ""), previous.get("namespaceOwned", False))
        ready: dict = next((c for c in previous.get("conditions") or [] if c.get("type") == "Ready"), {})
        wanted = [Condition("Ready", ready.get("status", "True") == "True", ready.get("reason", "Active"),
                            ready.get("message", ""))]
    else:
        ns = namespace
        wanted = [Condition("Ready", ns.problem is None, "NamespaceConflict" if ns.problem else "Active",
                            ns.problem or f"Namespace {ns.name} holds this Cluster's Services.")]
    spec = body.get("spec") or {}
    problems = capacity_problems(spec, providers or {})
    if problems or any(c.get("type") == "Degraded" for c in previous.get("conditions") or []):
        wanted.append(Condition("Degraded", bool(problems), "InvalidParameter" if problems else "AsExpected",
                                "InvalidParameterException: " + "; ".join(problems) if problems else ""))
    if deleting and (refusals := deletion_refusals(counts)):
        wanted.append(Condition("DeletionBlocked", True, refusals[0][0], " ".join(m for _, m in refusals)))
    return {
        "observedGeneration": generation,
        "clusterName": body["metadata"]["name"],
        "status": "DEPROVISIONING" if deleting else "ACTIVE",
        "namespace": ns.name,
        "namespaceOwned": ns.owned,
        "activeServicesCount": counts.services,
        "runningTasksCount": counts.running,
        "pendingTasksCount": counts.pending,
        "registeredContainerInstancesCount": counts.instances,
        "podSecurity": ns.pod_security or previous.get("podSecurity") or pod_security.cluster_levels(spec),
        "capacityProviders": spec.get("capacityProviders", []),
        "defaultCapacityProviderStrategy": spec.get("defaultCapacityProviderStrategy", []),
        "warnings": warnings(spec),
        "conditions": merge(previous.get("conditions"), wanted, generation=generation, now=now),
    }
