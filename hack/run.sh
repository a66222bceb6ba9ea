#!/usr/bin/env bash
# The dev loop: the operator from this tree, on the host, against the current kube context. It needs
# the CRDs, and must be the only operator reconciling, so an in-cluster one is scaled to 0 (`make
# deploy` brings it back). No health endpoint: on the host, 8080 is the kind cluster's Ingress port.
# No admission webhook (the API server could not reach the host) nor metrics: with the in-cluster
# operator at 0 the webhook Service has no endpoints, and its failurePolicy Ignore admits every apply
# unvalidated; problems show in status and Events as the operator reconciles.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

context=$(kubectl config current-context) || die "no current kube context: run 'make cluster' first"
log "CRDs: applying crds/ (context $context)"
apply_crds kubectl
if [ "$(kubectl -n kube-ecs-system get deployment kube-ecs-operator -o jsonpath='{.spec.replicas}' 2>/dev/null)" \
     -gt 0 ] 2>/dev/null; then
  log "scaling the in-cluster operator to 0 while this one runs ('make deploy' restores it)"
  kubectl -n kube-ecs-system scale deployment kube-ecs-operator --replicas=0 >/dev/null
  kubectl -n kube-ecs-system wait --for=delete pod -l app.kubernetes.io/name=kube-ecs-operator --timeout=60s \
    >/dev/null || true
fi
log "operator: running from $REPO_DIR (Ctrl-C stops it)"
exec "$REPO_DIR/.venv/bin/kube-ecs" run --liveness "" "$@"
