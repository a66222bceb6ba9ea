#!/usr/bin/env bash
# Build the operator image, load it into the kind cluster, install CRDs, RBAC and the operator, and
# wait until the operator is Ready. Idempotent: an unchanged tree builds the same image (reproducible
# wheels), so the operator is not restarted.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BASE_IMAGE=kube-ecs/python-base:$DEBIAN_SUITE

kc get nodes >/dev/null 2>&1 || die "no cluster at context $CONTEXT: run 'make cluster' first"

log "operator: base image $BASE_IMAGE (python3, python3-venv)"
ensure_rootfs_image "$BASE_IMAGE" python3 python3-venv

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
log "operator: building wheels of kube-ecs and its dependencies"
# A fixed SOURCE_DATE_EPOCH makes the kube-ecs wheel byte-identical for an unchanged tree.
SOURCE_DATE_EPOCH=315532800 "$REPO_DIR/.venv/bin/pip" wheel -q --wheel-dir "$ctx/wheels" "$REPO_DIR"
cp "$REPO_DIR/images/operator/Dockerfile" "$ctx/"
log "operator: building the image"
docker_build --build-arg BASE="$BASE_IMAGE" -t kube-ecs/operator:dev "$ctx"
# The tag names the content, so a changed image rolls the Deployment and an unchanged one does not.
image_id=$(docker image inspect -f '{{.Id}}' kube-ecs/operator:dev)
IMAGE=kube-ecs/operator:${image_id:7:12}
docker tag kube-ecs/operator:dev "$IMAGE"
# Only the control plane runs the operator (manifests/operator/deployment.yaml's nodeSelector).
kind_load "$IMAGE" "$CLUSTER-control-plane"

log "CRDs: applying crds/"
apply_crds kc
log "operator: namespace, RBAC, webhook and metrics Services, Deployment"
kc apply -f "$REPO_DIR/manifests/operator/namespace.yaml" >/dev/null
kc apply -f "$REPO_DIR/manifests/rbac/" >/dev/null
# The webhook configuration first: the operator keeps its caBundle set (checked every 10 s).
kc apply -f "$REPO_DIR/manifests/operator/webhook.yaml" -f "$REPO_DIR/manifests/operator/metrics.yaml" >/dev/null
sed "s|image: kube-ecs/operator:dev|image: $IMAGE|" "$REPO_DIR/manifests/operator/deployment.yaml" | kc apply -f - >/dev/null
log "operator: waiting for it to be Ready"
kc -n kube-ecs-system rollout status deployment/kube-ecs-operator --timeout=180s >/dev/null \
  || { kc -n kube-ecs-system logs deployment/kube-ecs-operator --tail=40 >&2 || true; die "the operator did not become Ready"; }
log "operator: Ready ($IMAGE)"
# Ready is not enough: the webhook's failurePolicy Ignore admits everything until the API server
# trusts the operator's certificate (its caBundle patch) and can reach the pod. A server-side dry run
# of a task definition ECS refuses (Fargate 256 CPU units with 4096 MiB) proves the refusals are on.
log "operator: waiting for the admission webhook to refuse an invalid task definition"
probe='{"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "kube-ecs-webhook-probe"},
  "spec": {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "4096",
           "containerDefinitions": [{"name": "web", "image": "web"}]}}'
for i in $(seq 60); do
  out=$(kc create --dry-run=server -f - <<<"$probe" 2>&1) || break
  sleep 2
done
grep -q 'denied the request' <<<"$out" || {
  echo "$out" >&2
  kc get validatingwebhookconfiguration kube-ecs -o jsonpath='{range .webhooks[*]}{.name}: caBundle {.clientConfig.caBundle}{"\n"}{end}' \
    | cut -c1-120 >&2 || true
  kc -n kube-ecs-system get endpointslices -l kubernetes.io/service-name=kube-ecs-webhook -o wide >&2 || true
  kc -n kube-ecs-system logs deployment/kube-ecs-operator --tail=60 >&2 || true
  die "the admission webhook does not refuse invalid task definitions (above: the API server's answer, the webhook configuration, its endpoints and the operator's log)"
}
log "operator: admission webhook on (after $((i * 2 - 2))s)"
