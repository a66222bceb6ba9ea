#!/usr/bin/env bash
# Remove the operator, its RBAC and CRDs. ECS resources go first, while the operator still runs to
# release its finalizers (Services before Clusters, as ECS requires); what is left after the timeout
# has its finalizers removed so the CRDs can go.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if kc get crd services.ecs.kube-ecs.dev >/dev/null 2>&1; then
  for kind in services.ecs.kube-ecs.dev taskdefinitions.ecs.kube-ecs.dev clusters.ecs.kube-ecs.dev; do
    log "deleting every $kind"
    kc delete "$kind" --all --all-namespaces --wait --timeout=120s >/dev/null 2>&1 || {
      log "$kind: still there after 120s, removing finalizers"
      kc get "$kind" -A -o jsonpath='{range .items[*]}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}' |
        while read -r ns name; do
          kc patch "$kind" "$name" ${ns:+-n "$ns"} --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null || true
        done
    }
  done
fi
log "deleting the operator and its RBAC"
kc delete -f "$REPO_DIR/manifests/operator/webhook.yaml" -f "$REPO_DIR/manifests/operator/metrics.yaml" \
  --ignore-not-found >/dev/null
kc delete -f "$REPO_DIR/manifests/operator/deployment.yaml" --ignore-not-found --wait >/dev/null
kc delete -f "$REPO_DIR/manifests/rbac/" --ignore-not-found >/dev/null
kc delete -f "$REPO_DIR/manifests/operator/namespace.yaml" --ignore-not-found --wait=false >/dev/null
log "deleting the CRDs"
kc delete -f "$REPO_DIR/crds/" --ignore-not-found >/dev/null
log "undeployed"
