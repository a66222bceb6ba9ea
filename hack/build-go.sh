#!/usr/bin/env bash
# Builds every Go program the cluster needs from the Go module proxy, each once per version:
# kind, etcd, CoreDNS, Traefik (the ingress controller), the registry, metrics-server, and our own
# pause, pod network and registry gate (the sample app builds from images/cats/Dockerfile).
# Usage: hack/build-go.sh [NAME...]; prints nothing but progress; binaries land in $CACHE_DIR/go.
source "$(dirname "$0")/lib.sh"
export CGO_ENABLED=0 GOOS=linux GOFLAGS=-trimpath

# Module whose go.mod has replace lines (which only apply in the main module): build it from a
# throwaway consumer module carrying its versioned replaces; relative ones point at sibling
# modules the proxy serves at their tagged versions anyway.
consumer_build() { # out module version package
  local out=$1 module=$2 version=$3 package=$4 work gomod
  work=$(mktemp -d)
  gomod=$(go mod download -json "$module@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || die "could not download $module@$version"
  (cd "$work"
   go mod init kube-ecs.invalid/build >/dev/null 2>&1
   awk '/^replace \(/{r=1; next} r&&/^\)/{r=0} r{print} /^replace [^(]/{sub(/^replace /,""); print}' "$gomod" |
     awk '$3 !~ /^\.\.?\// && NF>=4 {print $1 "=" $3 "@" $4}' |
     while read -r rep; do go mod edit -replace="$rep"; done
   GOFLAGS=-mod=mod go get "$package@$version" >/dev/null 2>&1 || GOFLAGS=-mod=mod go get "$package@$version"
   go build -ldflags "-s -w ${LDFLAGS:-}" -o "$out" "$package")
  rm -rf "$work"
}

build() { # name version: builds $(go_program name) unless cached
  local name=$1 version=$2 dir t0=$SECONDS
  dir=$(dirname "$(go_program "$name")")
  [ -x "$dir/$name" ] && return 0
  mkdir -p "$dir"
  log "go build $name $version (first run downloads its modules)"
  case $name in
    kind) GOBIN=$dir go install "sigs.k8s.io/kind@$version" ;;
    coredns) GOBIN=$dir go install -ldflags "-s -w" "github.com/coredns/coredns@$version" ;;
    registry) GOBIN=$dir go install -ldflags "-s -w" "github.com/distribution/distribution/v3/cmd/registry@$version" ;;
    metrics-server) GOBIN=$dir go install -ldflags "-s -w" "sigs.k8s.io/metrics-server/cmd/metrics-server@$version" ;;
    etcd) consumer_build "$dir/etcd" go.etcd.io/etcd/server/v3 "$version" go.etcd.io/etcd/server/v3 ;;
    traefik) LDFLAGS="-X github.com/traefik/traefik/v3/pkg/version.Version=$version" \
      consumer_build "$dir/traefik" github.com/traefik/traefik/v3 "$version" github.com/traefik/traefik/v3/cmd/traefik ;;
    pause|net|registry-gate) (cd "$REPO_DIR/images/$name" && go build -ldflags "-s -w" -o "$dir/$name" .) ;;
    *) die "unknown program $name" ;;
  esac
  log "built $name $version in $((SECONDS - t0))s"
}

[ $# -gt 0 ] || set -- kind etcd coredns traefik registry metrics-server pause net registry-gate
for name in "$@"; do build "$name" "$(version_of "$name")"; done
