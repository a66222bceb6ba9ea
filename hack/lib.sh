# Shared helpers for hack/*.sh: pinned versions, cache location, timed progress lines.
set -euo pipefail
HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$HACK_DIR/.." && pwd)
# shellcheck source=versions.env
source "$HACK_DIR/versions.env"
# Caches live outside the repo so a clean clone (and CI) reuses them; keys are the versions.
CACHE_DIR=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
BIN_DIR=$CACHE_DIR/bin
mkdir -p "$CACHE_DIR" "$BIN_DIR" "$CACHE_DIR/logs"
export PATH="$BIN_DIR:$PATH"
# Binaries and images are for this machine's architecture (kind nodes run the host's).
GOARCH=$(go env GOARCH 2>/dev/null || dpkg --print-architecture)
export GOARCH
_T0=${_T0:-$(date +%s)}
export _T0
log() { printf '[kube-ecs %4ss] %s\n' "$(( $(date +%s) - _T0 ))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
apt_install() { # packages...: Debian packages, installed once (apt-get update first, as apt needs)
  log "apt: installing $* (log: $CACHE_DIR/logs/apt.log)"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"; } \
    >>"$CACHE_DIR/logs/apt.log" 2>&1 || die "apt-get install $* failed (see $CACHE_DIR/logs/apt.log)"
}

# A local image of a minimal Debian rootfs with PACKAGES: debootstrap, then `docker import`, so
# nothing is pulled. Rebuilt only when the package list changes (kept in a label).
ensure_rootfs_image() { # image packages...
  local image=$1 root packages; shift
  packages=$(IFS=,; echo "$*")
  [ "$(docker image inspect -f '{{index .Config.Labels "dev.kube-ecs.packages"}}' "$image" 2>/dev/null)" = "$packages" ] \
    && return 0
  command -v debootstrap >/dev/null || apt_install debootstrap
  log "rootfs: debootstrap $DEBIAN_SUITE with $packages → $image (about a minute)"
  root=$(mktemp -d)
  debootstrap --variant=minbase --include="$packages" "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR" \
    >>"$CACHE_DIR/logs/debootstrap.log" 2>&1 || die "debootstrap failed (see $CACHE_DIR/logs/debootstrap.log)"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL dev.kube-ecs.packages=$packages" - "$image" >/dev/null
  rm -rf "$root"
}

version_of() { # a Go program built by hack/build-go.sh → the version its cache is keyed by
  case $1 in
    kind) echo "$KIND_VERSION" ;; etcd) echo "$ETCD_VERSION" ;; coredns) echo "$COREDNS_VERSION" ;;
    traefik) echo "$TRAEFIK_VERSION" ;; registry) echo "$REGISTRY_VERSION" ;;
    metrics-server) echo "$METRICS_SERVER_VERSION" ;;
    # Our own programs: keyed by their source, so an edit rebuilds them.
    pause|net|registry-gate) cat "$REPO_DIR/images/$1"/*.go "$REPO_DIR/images/$1"/go.* | sha256sum | cut -c1-12 ;;
    *) die "unknown program $1" ;;
  esac
}
go_program() { echo "$CACHE_DIR/go/$1-$(version_of "$1")/$1"; }

# The offline node image: what goes into it, and its tag, keyed by every input so an edit rebuilds.
NODE_PACKAGES="systemd systemd-sysv dbus conntrack iptables nftables iproute2 ethtool util-linux mount kmod
  libseccomp2 pigz fuse-overlayfs bash ca-certificates curl jq procps containerd runc
  containernetworking-plugins e2fsprogs"
SANDBOX_IMAGE=registry.k8s.io/pause:$PAUSE_IMAGE_TAG
node_image() {
  echo "kube-ecs/node:$KUBERNETES_VERSION-$({ cat "$HACK_DIR/versions.env" "$HACK_DIR/build-node-image.sh" \
    "$REPO_DIR"/images/node/* "$REPO_DIR"/images/pause/* "$REPO_DIR"/images/net/*; echo "$NODE_PACKAGES"; } | sha256sum | cut -c1-10)"
}

CLUSTER=${KIND_CLUSTER:-kube-ecs}
CONTEXT=${KUBE_CONTEXT:-kind-$CLUSTER}
kc() { kubectl --context "$CONTEXT" "$@"; }
# crds/ applied and Established. Server-side: the task definition schema is too large for
# kubectl's last-applied annotation.
apply_crds() { # kubectl command: kc, or kubectl for the current context
  "$@" apply --server-side --force-conflicts -f "$REPO_DIR/crds/" >/dev/null
  "$@" wait --for=condition=Established --timeout=60s -f "$REPO_DIR/crds/" >/dev/null
}

# `kind load docker-image` into the nodes that lack this very image (kind's own check needs crictl,
# which the offline node lacks): the loaded image ID is recorded on each node.
kind_load() { # image [node...]: onto the given nodes (default: every node) that lack it
  local id mark node missing=() nodes=("${@:2}")
  id=$(docker image inspect -f '{{.Id}}' "$1")
  mark=/var/lib/kube-ecs-loaded/$(tr '/:' '__' <<<"$1")
  [ ${#nodes[@]} -gt 0 ] || mapfile -t nodes < <(kind get nodes --name "$CLUSTER")
  for node in "${nodes[@]}"; do
    [ "$(docker exec "$node" cat "$mark" 2>/dev/null)" = "$id" ] || missing+=("$node")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "kind load $1 (${#missing[@]} nodes)"
  kind load docker-image "$1" --name "$CLUSTER" --nodes "$(IFS=,; echo "${missing[*]}")" >/dev/null
  for node in "${missing[@]}"; do
    docker exec "$node" sh -c "mkdir -p /var/lib/kube-ecs-loaded && echo $id > $mark"
  done
}

# An image of one static binary at DEST (default /NAME, then also its entrypoint) on BASE
# (default scratch): nothing is pulled. PATH is set because imported and scratch images have none.
binary_image() { # image binary [dest] [base]
  local image=$1 binary=$2 name ctx
  name=$(basename "$binary")
  local dest=${3:-/$name} base=${4:-scratch}
  ctx=$(mktemp -d)
  cp "$binary" "$ctx/"
  { echo "FROM $base"
    echo "COPY $name $dest"
    echo 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    if [ "$dest" = "/$name" ]; then echo "ENTRYPOINT [\"/$name\"]"; fi
  } > "$ctx/Dockerfile"
  docker_build -t "$image" "$ctx"
  rm -rf "$ctx"
}

# `docker build` with the legacy builder, which resolves FROM against local images (nothing is
# pulled); quiet unless it fails, as newer clients warn on every call that it is deprecated.
docker_build() { # docker build arguments...
  local out
  out=$(DOCKER_BUILDKIT=0 docker build -q "$@" 2>&1) || { echo "$out" >&2; die "docker build $* failed"; }
}
