#!/usr/bin/env bash
# The cluster's own ECR (docs/registry.md), as kind's local-registry guide sets one up: the CNCF
# distribution registry, built from Go modules, in Docker containers beside the kind nodes, on the
# `kind` network, storage in Docker volumes (pushed images survive `make cluster-down`/`make cluster`).
#   localhost:5001  public: anyone pulls and pushes
#   localhost:5002  private: htpasswd; `docker login localhost:5002 -u kube-ecs -p kube-ecs`, and
#                   task definitions pull with repositoryCredentials (a Secret with those credentials)
# Every node resolves both names to the containers (containerd's hosts.toml, under the config_path
# hack/kind/cluster.yaml sets), and kube-public/local-registry-hosting says where they are.
# Idempotent: a second run with everything in place changes nothing.
#   hack/registry.sh                         start or update it (make cluster does)
#   hack/registry.sh immutable REPO [PORT]   refuse pushes that would overwrite REPO's tags (ECR's IMMUTABLE)
#   hack/registry.sh gc                      delete untagged images (ECR's lifecycle rule for untagged images)
source "$(dirname "$0")/lib.sh"
IMAGE=kube-ecs/registry:$REGISTRY_VERSION
PRIVATE_USER=${KUBE_ECS_REGISTRY_USER:-kube-ecs}
PRIVATE_PASSWORD=${KUBE_ECS_REGISTRY_PASSWORD:-kube-ecs}

GATE=kube-ecs/registry-gate:$(version_of registry-gate)
REGISTRIES="5001:kube-ecs-registry 5002:kube-ecs-registry-private"

images() {
  "$HACK_DIR/build-go.sh" registry registry-gate
  docker image inspect "$IMAGE" >/dev/null 2>&1 || binary_image "$IMAGE" "$(go_program registry)"
  docker image inspect "$GATE" >/dev/null 2>&1 || binary_image "$GATE" "$(go_program registry-gate)"
}

htpasswd_file() { # user password → a bcrypt htpasswd line, as distribution's htpasswd auth needs
  command -v htpasswd >/dev/null || apt_install apache2-utils
  htpasswd -Bbn "$1" "$2"
}

config() { # auth(yes|no) → the registry's config.yml
  cat <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: /var/lib/registry}
  delete: {enabled: true}
http: {addr: ":5000"}
EOF
  [ "$1" = yes ] && echo 'auth: {htpasswd: {realm: kube-ecs, path: /etc/distribution/htpasswd}}'
  return 0
}

# A registry is two containers on the `kind` network: NAME (registry-gate, published on the host's
# PORT, the name nodes pull from) in front of NAME-store (distribution, its storage in the Docker
# volume NAME-data). Each is (re)made only when its image or configuration changed.
run() { # container image config-hash [docker run options...] -- [command...]
  local name=$1 image=$2 hash=$3 options=()
  shift 3
  while [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  [ "$(docker inspect -f '{{.State.Running}} {{.Config.Image}} {{index .Config.Labels "dev.kube-ecs.config"}}' \
       "$name" 2>/dev/null)" = "true $image $hash" ] && return 0
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --restart=always --name "$name" --network kind --label "dev.kube-ecs.config=$hash" \
    "${options[@]}" "$image" "$@" >/dev/null
}

start() { # name host-port auth(yes|no)
  local name=$1 port=$2 auth=$3 dir
  dir=$CACHE_DIR/registry/$name
  mkdir -p "$dir"
  [ "$auth" = yes ] && [ ! -s "$dir/htpasswd" ] && htpasswd_file "$PRIVATE_USER" "$PRIVATE_PASSWORD" > "$dir/htpasswd"
  config "$auth" > "$dir/config.yml"
  touch "$dir/immutable"
  log "registry: $name on 127.0.0.1:$port (images in volume $name-data; immutable repositories: $dir/immutable)"
  run "$name-store" "$IMAGE" "$(cat "$dir/config.yml" "$dir/htpasswd" 2>/dev/null | sha256sum | cut -c1-12)" \
    -v "$name-data:/var/lib/registry" -v "$dir:/etc/distribution:ro" -- serve /etc/distribution/config.yml
  run "$name" "$GATE" "-" -p "127.0.0.1:$port:5000" -v "$dir:/etc/kube-ecs:ro" \
    -e "UPSTREAM=http://$name-store:5000" -e IMMUTABLE_FILE=/etc/kube-ecs/immutable --
}

# Each node pulls localhost:PORT from the registry container (containerd reads hosts.toml per pull).
configure_node() { # node
  local port name
  for entry in $REGISTRIES; do
    port=${entry%%:*} name=${entry#*:}
    docker exec "$1" sh -c "mkdir -p /etc/containerd/certs.d/localhost:$port &&
      printf '[host.\"http://$name:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n' \
        > /etc/containerd/certs.d/localhost:$port/hosts.toml"
  done
}

up() {
  images
  start kube-ecs-registry 5001 no
  start kube-ecs-registry-private 5002 yes
  for node in $(kind get nodes --name "$CLUSTER"); do configure_node "$node"; done
  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:5001"
    hostFromContainerRuntime: "kube-ecs-registry:5000"
    hostFromClusterNetwork: "kube-ecs-registry:5000"
    help: "docs/registry.md in the kube-ecs repository"
EOF
  for port in 5001 5002; do
    for _ in $(seq 30); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 1; done
  done
  log "registry: localhost:5001 (public), localhost:5002 (private, user $PRIVATE_USER)"
}

immutable() { # repository [port]
  local repo=${1:?usage: registry.sh immutable REPOSITORY [PORT]} port=${2:-5001} name
  name=$(tr ' ' '\n' <<<"$REGISTRIES" | sed -n "s/^$port://p")
  [ -n "$name" ] || die "no registry on port $port (5001 or 5002)"
  grep -qx "$repo" "$CACHE_DIR/registry/$name/immutable" 2>/dev/null || echo "$repo" >> "$CACHE_DIR/registry/$name/immutable"
  log "registry: localhost:$port/$repo is immutable: a push under an existing tag is refused"
}

gc() {
  local entry
  for entry in $REGISTRIES; do
    log "registry: deleting the untagged images of localhost:${entry%%:*}"
    docker exec "${entry#*:}-store" /registry garbage-collect --delete-untagged /etc/distribution/config.yml >/dev/null
  done
}

case ${1:-up} in
  up) up ;;
  immutable) shift; immutable "$@" ;;
  gc) gc ;;
  *) die "usage: registry.sh [up | immutable REPOSITORY [PORT] | gc]" ;;
esac
