#!/usr/bin/env bash
# `make cluster`: the kind cluster `kube-ecs` with an ingress controller, from nothing. Installs
# and starts Docker if needed, builds the pinned tools, uses kind's stock node image where it can
# be pulled and builds one offline where it cannot (KUBE_ECS_OFFLINE=1 forces that), creates the
# cluster from hack/kind/cluster.yaml and waits for it. A second run with the cluster up is a no-op.
source "$(dirname "$0")/lib.sh"
step() { # title command...: runs one step and says how long it took
  local t0=$SECONDS; log "── $1"; shift; "$@"; log "   done in $((SECONDS - t0))s"
}

tools() {
  "$HACK_DIR/build-go.sh" kind
  "$HACK_DIR/build-k8s.sh"
  ln -sf "$(go_program kind)" "$BIN_DIR/kind"
  ln -sf "$CACHE_DIR/k8s/$KUBERNETES_VERSION/kubectl" "$BIN_DIR/kubectl"
}

cluster_ready() {
  kind get clusters 2>/dev/null | grep -qx "$CLUSTER" &&
    [ "$(docker inspect -f '{{.State.Running}}' "$CLUSTER-control-plane" 2>/dev/null)" = true ] &&
    kc wait --for=condition=Ready node --all --timeout=5s >/dev/null 2>&1
}

node_image_to_use() {
  if [ "${KUBE_ECS_OFFLINE:-0}" != 1 ]; then
    if docker image inspect "$STOCK_NODE_IMAGE" >/dev/null 2>&1 ||
       timeout 60 docker pull -q "$STOCK_NODE_IMAGE" >/dev/null 2>&1; then
      echo "$STOCK_NODE_IMAGE"; return
    fi
    log "cannot pull $STOCK_NODE_IMAGE: building the node image offline"
  fi
  "$HACK_DIR/build-node-image.sh"
}

create() {
  local image config
  image=$(node_image_to_use)
  config=$(mktemp)
  # kind's stock image brings its own CNI; ours has a static one baked in.
  if [ "$image" = "$STOCK_NODE_IMAGE" ]; then cp "$HACK_DIR/kind/cluster.yaml" "$config"
  else sed 's/disableDefaultCNI: false/disableDefaultCNI: true/' "$HACK_DIR/kind/cluster.yaml" > "$config"; fi
  kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  log "kind create cluster --name $CLUSTER --image $image"
  kind create cluster --name "$CLUSTER" --image "$image" --config "$config" --wait 0s 2>&1 | sed 's/^/    /' >&2 ||
    die "kind create cluster failed (kind export logs --name $CLUSTER tells why)"
  rm -f "$config"
}

wait_ready() {
  log "waiting for the node and kube-system pods to be Ready"
  kc wait --for=condition=Ready node --all --timeout=300s >/dev/null || die "the node is not Ready"
  # Pods appear as kubeadm's addons are scheduled: wait for CoreDNS to exist before waiting on all.
  for _ in $(seq 120); do kc -n kube-system get pods -l k8s-app=kube-dns -o name 2>/dev/null | grep -q . && break; sleep 1; done
  kc -n kube-system wait --for=condition=Ready pods --all --timeout=300s >/dev/null ||
    { kc -n kube-system get pods >&2; die "kube-system pods are not Ready"; }
}

ingress() {
  "$HACK_DIR/app-images.sh"
  sed "s|kube-ecs/traefik:TRAEFIK_VERSION|kube-ecs/traefik:$TRAEFIK_VERSION|" "$REPO_DIR/manifests/cluster/traefik.yaml" |
    kc apply -f - >/dev/null
  kc -n traefik rollout status deployment/traefik --timeout=180s >/dev/null ||
    { kc -n traefik logs deployment/traefik --tail=30 >&2; die "the ingress controller is not Ready"; }
}

step "Docker engine" "$HACK_DIR/docker.sh"
step "tools: kind $KIND_VERSION, kubectl $KUBERNETES_VERSION" tools
if cluster_ready; then
  log "cluster $CLUSTER is up"
else
  step "kind cluster $CLUSTER" create
  step "cluster Ready" wait_ready
fi
step "ingress controller (Traefik $TRAEFIK_VERSION) and sample app image" ingress
log "cluster $CLUSTER ready (context $CONTEXT); Ingress is served at http://127.0.0.1:8080"
