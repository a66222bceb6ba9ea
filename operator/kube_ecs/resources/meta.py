"""Metadata shared by every object kube-ecs makes: labels, owner references, user metadata."""

from __future__ import annotations

from collections.abc import Iterable

from kube_ecs import GROUP
from kube_ecs.resources import names

MANAGED_BY = "kube-ecs"
CLUSTER_LABEL = f"{GROUP}/cluster"
SERVICE_LABEL = f"{GROUP}/service"
FAMILY_LABEL = f"{GROUP}/task-definition-family"
REVISION_LABEL = f"{GROUP}/task-definition-revision"
# On pods: JSON object, Kubernetes container name → ECS container name (sanitising can change a name).
CONTAINER_NAMES_ANNOTATION = f"{GROUP}/container-names"


def cluster_labels(cluster: str) -> dict[str, str]:
    """Labels of objects that belong to a Cluster but to no single Service (Namespace, ServiceAccount)."""
    return {"app.kubernetes.io/managed-by": MANAGED_BY, CLUSTER_LABEL: names.label_value(cluster)}


def selector_labels(*, cluster: str, service: str) -> dict[str, str]:
    """The labels that pick a Service's pods. Never the family or revision: a Deployment's selector is
    immutable, and a Service may move to another task definition."""
    return {CLUSTER_LABEL: names.label_value(cluster), SERVICE_LABEL: names.label_value(service)}


def service_labels(*, cluster: str, service: str, family: str) -> dict[str, str]:
    """The labels of every object made for a Service (design.md)."""
    return {
        **cluster_labels(cluster),
        "app.kubernetes.io/name": names.label_value(service),
        SERVICE_LABEL: names.label_value(service),
        FAMILY_LABEL: names.label_value(family),
    }


def owner_references(owner: dict | None, *, controller: bool = True, block: bool = True) -> list[dict]:
    """`owner` ({apiVersion, kind, name, uid}) as an ownerReferences list ([] without an owner).

    `controller=False` for objects several owners share (a ServiceAccount used by several Services).
    `block=False` where the owner's deletion must never wait for the object (a Node for its view).
    """
    if owner is None:
        return []
    return [
        {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["name"],
            "uid": owner["uid"],
            "controller": controller,
            "blockOwnerDeletion": block,
        }
    ]


def object_meta(
    name: str,
    *,
    labels: dict[str, str],
    namespace: str | None = None,
    annotations: dict[str, str] | None = None,
    owner: dict | None = None,
    controller: bool = True,
    block_owner_deletion: bool = True,
) -> dict:
    """metadata for a built object; empty parts are left out so the output compares equal to what the
    API server returns for fields we own."""
    meta: dict = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = dict(sorted(labels.items()))
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    refs = owner_references(owner, controller=controller, block=block_owner_deletion)
    if refs:
        meta["ownerReferences"] = refs
    return meta


def user_metadata(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """User key/value metadata (dockerLabels, tags) → (labels, annotations).

    Every pair becomes an annotation with its value verbatim (the key made a valid key if it is not);
    a pair whose key and value are already valid label syntax is also a label, so selectors can use it.
    Values are never rewritten into labels: a changed value would be a value the user never wrote.
    Later pairs win over earlier ones with the same key.
    """
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    for key, value in pairs:
        value = str(value)
        annotations[names.qualified_name(key)] = value
        if names.is_qualified_name(key) and names.is_label_value(value):
            labels[key] = value
    return labels, annotations


def tag_pairs(tags: list[dict] | None) -> list[tuple[str, str]]:
    """ECS `tags` ([{key, value}]) as pairs."""
    return [(tag["key"], tag.get("value", "")) for tag in tags or []]
