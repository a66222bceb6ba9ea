"""taskRoleArn → ServiceAccount (docs/decisions.md: named after the role, annotated for IRSA)."""

from __future__ import annotations

from kube_ecs.resources import meta, names

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def build_service_account(*, role_arn: str, namespace: str, cluster: str, owner: dict | None = None) -> dict:
    """The ServiceAccount for `role_arn`. Several Services may share it, so it carries only Cluster
    labels and `owner` as a non-controller owner: it goes when the last Service using it goes."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta.object_meta(
            names.service_account_name(role_arn),
            namespace=namespace,
            labels=meta.cluster_labels(cluster),
            annotations={IRSA_ANNOTATION: role_arn},
            owner=owner,
            controller=False,
        ),
    }
