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
source "$(dirname "$0")/lib.sh"
IMAGE=kube-ecs/registry:$REGISTRY_VERSION
PRIVATE_USER=${KUBE_ECS_REGISTRY_USER:-kube-ecs}
PRIVATE_PASSWORD=${KUBE_ECS_REGISTRY_PASSWORD:-kube-ecs}

"$HACK_DIR/build-go.sh" registry
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "registry: image $IMAGE"
  binary_image "$IMAGE" "$(go_program registry)"
fi

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

start() { # name host-port auth(yes|no)
  local name=$1 port=$2 auth=$3 dir
  dir=$CACHE_DIR/registry/$name
  mkdir -p "$dir"
  config "$auth" > "$dir/config.yml.new"
  [ "$auth" = yes ] && [ ! -s "$dir/htpasswd" ] && htpasswd_file "$PRIVATE_USER" "$PRIVATE_PASSWORD" > "$dir/htpasswd"
  if [ "$(docker inspect -f '{{.State.Running}} {{.Config.Image}}' "$name" 2>/dev/null)" = "true $IMAGE" ] &&
     cmp -s "$dir/config.yml.new" "$dir/config.yml"; then
    rm "$dir/config.yml.new"
  else
    mv "$dir/config.yml.new" "$dir/config.yml"
    docker rm -f "$name" >/dev/null 2>&1 || true
    log "registry: $name on 127.0.0.1:$port (volume $name-data)"
    docker run -d --restart=always --name "$name" -p "127.0.0.1:$port:5000" \
      -v "$name-data:/var/lib/registry" -v "$dir:/etc/distribution:ro" \
      "$IMAGE" serve /etc/distribution/config.yml >/dev/null
  fi
  docker network connect kind "$name" >/dev/null 2>&1 || true
}

# Each node pulls localhost:PORT from the registry container (containerd reads hosts.toml per pull).
configure_node() { # node
  local port name
  for entry in 5001:kube-ecs-registry 5002:kube-ecs-registry-private; do
    port=${entry%%:*} name=${entry#*:}
    docker exec "$1" sh -c "mkdir -p /etc/containerd/certs.d/localhost:$port &&
      printf '[host.\"http://$name:5000\"]\n  capabilities = [\"pull\", \"resolve\"]\n' \
        > /etc/containerd/certs.d/localhost:$port/hosts.toml"
  done
}

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
