"""Cluster → Namespace (docs/decisions.md: a Cluster owns the Namespace of its name)."""

from __future__ import annotations

from kube_ecs.resources import meta, names, pod_security


def namespace_name(cluster: str) -> str:
    return names.object_name(cluster)


def build_namespace(*, cluster: str, spec: dict | None = None, owner: dict | None = None,
                    levels: dict[str, str] | None = None) -> dict:
    """The Namespace for Cluster `cluster`, labelled as kube-ecs's, with the Cluster's `tags` as labels
    and annotations (meta.user_metadata) and Pod Security Admission labels for `levels` (mode → level;
    default: the Cluster's `podSecurity`, docs/security.md). `owner` is None for a Namespace kube-ecs
    adopts but did not create, so deleting the Cluster never deletes it."""
    tag_labels, tag_annotations = meta.user_metadata(meta.tag_pairs((spec or {}).get("tags")))
    # Ours win over a tag of the same key: a tag must not lower the namespace's level.
    tag_labels.update(pod_security.namespace_labels(levels or pod_security.cluster_levels(spec)))
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta.object_meta(
            namespace_name(cluster),
            labels={**tag_labels, **meta.cluster_labels(cluster)},
            annotations=tag_annotations,
            owner=owner,
        ),
    }
