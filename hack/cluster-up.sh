#!/usr/bin/env bash
# `make cluster`: the kind cluster `kube-ecs` with an ingress controller, from nothing. Installs
# and starts Docker if needed, builds the pinned tools, uses kind's stock node image where it can
# be pulled and builds one offline where it cannot (KUBE_ECS_OFFLINE=1 forces that), creates the
# cluster from hack/kind/cluster.yaml and waits for it. A second run with the cluster up is a no-op.
source "$(dirname "$0")/lib.sh"
WORKERS=${KUBE_ECS_WORKERS:-3}
MADE_MARK=$CACHE_DIR/cluster-$CLUSTER.id
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

# Worker i of n: the last is the Fargate pool (tainted: only Fargate tasks tolerate it), the others
# EC2 container instances; zones alternate between two, as do EC2 instance types.
worker() { # i n
  local zone=us-east-1$([ $(($1 % 2)) = 1 ] && echo a || echo b) pool=ec2 type=m5.large
  [ $(($1 % 2)) = 1 ] || type=c5.xlarge
  [ "$1" = "$2" ] && pool=fargate type=fargate
  cat <<EOT
- role: worker
  labels:
    topology.kubernetes.io/region: us-east-1
    topology.kubernetes.io/zone: $zone
    node.kubernetes.io/instance-type: $type
    ecs.kube-ecs.dev/node-pool: $pool
EOT
  [ "$pool" = fargate ] && cat <<'EOT'
  kubeadmConfigPatches:
  - |
    kind: JoinConfiguration
    nodeRegistration:
      taints: [{key: ecs.kube-ecs.dev/fargate, value: "true", effect: NoSchedule}]
EOT
  return 0
}

create() {
  local image config i
  image=$(node_image_to_use)
  config=$(mktemp)
  # A copy the node mounts: it outlives this checkout.
  mkdir -p "$CACHE_DIR/kind"
  cp "$HACK_DIR/kind/scheduler.yaml" "$CACHE_DIR/kind/scheduler.yaml"
  { sed "s|SCHEDULER_CONFIG|$CACHE_DIR/kind/scheduler.yaml|" "$HACK_DIR/kind/cluster.yaml"
    for i in $(seq "$WORKERS"); do worker "$i" "$WORKERS"; done; } > "$config"
  log "kind create cluster --name $CLUSTER --image $image ($WORKERS workers)"
  kind create cluster --name "$CLUSTER" --image "$image" --config "$config" --wait 0s 2>&1 | sed 's/^/    /' >&2 ||
    die "kind create cluster failed (kind export logs --name $CLUSTER tells why)"
  rm -f "$config"
  docker inspect -f '{{.Id}}' "$CLUSTER-control-plane" > "$MADE_MARK"
}

wait_ready() {
  log "waiting for the node and kube-system pods to be Ready"
  kc wait --for=condition=Ready node --all --timeout=300s >/dev/null || die "the node is not Ready"
  # Pods appear as kubeadm's addons are scheduled: wait for CoreDNS to exist before waiting on all.
  for _ in $(seq 120); do kc -n kube-system get pods -l k8s-app=kube-dns -o name 2>/dev/null | grep -q . && break; sleep 1; done
  kc -n kube-system wait --for=condition=Ready pods --all --timeout=300s >/dev/null ||
    { kc -n kube-system get pods >&2; die "kube-system pods are not Ready"; }
}

metrics_served() {
  local _
  for _ in $(seq 45); do kc top pods -A >/dev/null 2>&1 && return 0; sleep 2; done
  return 1
}

addons() {
  "$HACK_DIR/app-images.sh"
  sed -e "s|kube-ecs/traefik:TRAEFIK_VERSION|kube-ecs/traefik:$TRAEFIK_VERSION|" "$REPO_DIR/manifests/cluster/traefik.yaml" |
    kc apply -f - >/dev/null
  sed -e "s|METRICS_SERVER_VERSION|$METRICS_SERVER_VERSION|" "$REPO_DIR/manifests/cluster/metrics-server.yaml" |
    kc apply -f - >/dev/null
  kc -n traefik rollout status deployment/traefik --timeout=180s >/dev/null ||
    { kc -n traefik logs deployment/traefik --tail=30 >&2; die "the ingress controller is not Ready"; }
  kc -n kube-system rollout status deployment/metrics-server --timeout=180s >/dev/null ||
    { kc -n kube-system logs deployment/metrics-server --tail=30 >&2; die "metrics-server is not Ready"; }
  # Ready is not serving: until its first scrape lands, `kubectl top` and HPAs get no metrics.
  log "waiting for the first resource metrics (kubectl top)"
  metrics_served && return 0
  # Seen on fresh clusters: the API server's aggregator answers 404 for metrics.k8s.io/v1beta1 (and
  # logs "failed to download v1beta1.metrics.k8s.io: resource not found") while metrics-server serves
  # it; a restart of the API server clears it.
  log "metrics.k8s.io is not served through the API server: restarting kube-apiserver once"
  docker exec "$CLUSTER-control-plane" pkill -x kube-apiserver || true
  sleep 5
  metrics_served || die "metrics.k8s.io serves no pod metrics (kubectl --context $CONTEXT get apiservice v1beta1.metrics.k8s.io)"
}

# The cluster this script made, by its control-plane container: only that one may be recreated.
made_by_us() { [ "$(docker inspect -f '{{.Id}}' "$CLUSTER-control-plane" 2>/dev/null)" = "$(cat "$MADE_MARK" 2>/dev/null)" ]; }

# After a reboot or a Docker restart the node containers are stopped: starting them destroys nothing.
restart() {
  local stopped
  cluster_ready && return 0
  stopped=$(docker ps -a --filter "label=io.x-k8s.kind.cluster=$CLUSTER" --filter status=exited -q)
  if [ -n "$stopped" ]; then
    log "starting the cluster's stopped node containers"
    docker start $stopped >/dev/null
  fi
  # Nodes just started (by us or by Docker's restart policy) take a while to be Ready again.
  log "waiting up to 90s for the existing cluster's nodes to be Ready"
  for _ in $(seq 30); do cluster_ready && return 0; sleep 3; done
}

existing() {
  restart
  if cluster_ready; then
    local workers
    workers=$(kc get nodes --no-headers -l '!node-role.kubernetes.io/control-plane' | wc -l)
    [ "$workers" = "$WORKERS" ] || log "note: the cluster has $workers workers, KUBE_ECS_WORKERS=$WORKERS; 'make cluster-down cluster' rebuilds it"
    log "cluster $CLUSTER is up"
  elif made_by_us; then
    log "cluster $CLUSTER (made by make cluster) is not Ready: recreating it"
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1
    step "kind cluster $CLUSTER" create
    step "cluster Ready" wait_ready
  else
    kc get nodes >&2 || true
    die "cluster $CLUSTER exists but is not Ready, and make cluster did not make it: nothing was changed. Look with 'kubectl --context $CONTEXT get nodes', or remove it with 'kind delete cluster --name $CLUSTER' and run make cluster again"
  fi
}

[ "$WORKERS" -ge 2 ] 2>/dev/null || die "KUBE_ECS_WORKERS=$WORKERS: at least 2 workers (one EC2 container instance, the Fargate pool)"
# The add-ons' Go programs build in the background while Docker, Kubernetes and the node image are
# set up in the foreground: both are CPU-bound on two cores, but each one's module downloads, links,
# apt and debootstrap runs leave the cores idle for the other. Cached programs make this a no-op.
# Its own process group (setsid), so a failure or Ctrl-C here stops its go builds too, not only the script.
setsid "$HACK_DIR/build-go.sh" traefik metrics-server registry registry-gate &
ADDON_BUILD=$!
trap 'kill -- -"$ADDON_BUILD" 2>/dev/null || true' EXIT
step "Docker engine" "$HACK_DIR/docker.sh"
step "tools: kind $KIND_VERSION, kubectl $KUBERNETES_VERSION" tools
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  existing
else
  step "kind cluster $CLUSTER" create
  step "cluster Ready" wait_ready
fi
log "waiting for the add-ons' Go programs (Traefik, metrics-server, registry, registry-gate) built in the background"
wait "$ADDON_BUILD" || die "building the add-ons' Go programs failed (its output is above)"
trap - EXIT
step "registry (distribution $REGISTRY_VERSION) on localhost:5001 and :5002" "$HACK_DIR/registry.sh"
step "add-ons: ingress (Traefik $TRAEFIK_VERSION), metrics-server $METRICS_SERVER_VERSION, sample image" addons
log "cluster $CLUSTER ready (context $CONTEXT, $WORKERS workers); Ingress at http://127.0.0.1:8080, registry at localhost:5001"
