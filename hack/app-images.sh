#!/usr/bin/env bash
# Images the cluster runs besides Kubernetes itself, built locally: Traefik (the ingress controller)
# and metrics-server from Go modules, loaded with `kind load`; the "container of cats" sample from
# images/cats/Dockerfile, on bases made here, pushed to the cluster's registry (localhost:5001/cats:1.0,
# what the samples run) and also loaded as kube-ecs/cats:1.0.
source "$(dirname "$0")/lib.sh"
"$HACK_DIR/build-go.sh" traefik metrics-server

# kube-ecs/golang:host: this machine's Go toolchain (static binaries) as an image, to build in.
go_root=$(go env GOROOT)
go_version=$(go env GOVERSION)
if [ "$(docker image inspect -f '{{index .Config.Labels "dev.kube-ecs.go"}}' kube-ecs/golang:host 2>/dev/null)" != "$go_version" ]; then
  log "images: kube-ecs/golang:host ($go_version from $go_root)"
  tmp=$(mktemp -d)
  mkdir -m 1777 "$tmp/tmp"
  tar -c -C "$tmp" tmp -C "$(dirname "$go_root")" "$(basename "$go_root")" | docker import \
    --change "ENV PATH=/$(basename "$go_root")/bin:/usr/bin:/bin HOME=/tmp GOCACHE=/tmp/go-cache CGO_ENABLED=0 GOFLAGS=-mod=mod" \
    --change "LABEL dev.kube-ecs.go=$go_version" - kube-ecs/golang:host >/dev/null
  rm -rf "$tmp"
fi
# The go tree lands at /<basename of GOROOT> (usually /go): PATH above names it.

# kube-ecs/busybox:bookworm: Debian's static busybox and its applets, nothing else.
if ! docker image inspect kube-ecs/busybox:bookworm >/dev/null 2>&1; then
  [ -x /bin/busybox ] || apt_install busybox-static
  log "images: kube-ecs/busybox:bookworm"
  ctx=$(mktemp -d)
  cp /bin/busybox "$ctx/"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' > "$ctx/Dockerfile"
  docker_build -t kube-ecs/busybox:bookworm "$ctx"
  rm -rf "$ctx"
fi

log "images: kube-ecs/traefik:$TRAEFIK_VERSION, kube-ecs/metrics-server:$METRICS_SERVER_VERSION, kube-ecs/cats:1.0"
binary_image "kube-ecs/traefik:$TRAEFIK_VERSION" "$(go_program traefik)"
binary_image "kube-ecs/metrics-server:$METRICS_SERVER_VERSION" "$(go_program metrics-server)"
docker_build -t kube-ecs/cats:1.0 "$REPO_DIR/images/cats"
kind_load "kube-ecs/traefik:$TRAEFIK_VERSION"
kind_load "kube-ecs/metrics-server:$METRICS_SERVER_VERSION"
kind_load kube-ecs/cats:1.0
"$HACK_DIR/push.sh" kube-ecs/cats:1.0 localhost:5001/cats:1.0
# Also loaded under its registry name: a node that pulled an older build of this tag would keep it
# (IfNotPresent), so the samples would run yesterday's app.
kind_load localhost:5001/cats:1.0
