#!/usr/bin/env bash
# Apply the "container of cats" sample (Cluster + TaskDefinition + Service behind an Ingress) and
# wait for the Service to be Ready, as `aws ecs wait services-stable` would.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SAMPLE=$REPO_DIR/manifests/samples/cats.yaml
start=$SECONDS
log "sample: applying manifests/samples/cats.yaml"
# One apply: the admission webhook makes the Cluster's namespace before the Service comes. Without
# the webhook (`make run`) the namespace comes with the Cluster's reconcile: then apply again.
kc apply -f "$SAMPLE" >/dev/null 2>&1 || {
  log "sample: namespace demo not there yet (no admission webhook?): applying again once the Cluster is Ready"
  kc wait --for=condition=Ready clusters.ecs.kube-ecs.dev/demo --timeout=60s >/dev/null
  kc apply -f "$SAMPLE" >/dev/null
}
log "sample: waiting for services.ecs.kube-ecs.dev/cats to be Ready"
kc -n demo wait --for=condition=Ready services.ecs.kube-ecs.dev/cats --timeout=180s >/dev/null || {
  kc -n demo get services.ecs.kube-ecs.dev/cats -o jsonpath='{.status.conditions}{"\n"}{.status.events}{"\n"}' >&2
  die "the cats Service is not Ready"
}
log "sample: Ready in $((SECONDS - start))s"
kc get ecs -A
log "sample: open http://cats.localhost:8080/ (or: curl -H 'Host: cats.localhost' http://127.0.0.1:8080/)"
