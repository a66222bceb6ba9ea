#!/usr/bin/env bash
# Builds the Kubernetes binaries from the Go module proxy (no GitHub, no release downloads).
# k8s.io/kubernetes maps its staging modules with replace lines that only apply in its own
# module, so we build from a throwaway consumer module that pins each staging module instead.
source "$(dirname "$0")/lib.sh"
OUT=$CACHE_DIR/k8s/$KUBERNETES_VERSION
CMDS="kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy"
if [ -f "$OUT/.done" ]; then log "Kubernetes $KUBERNETES_VERSION binaries cached in $OUT"; exit 0; fi
WORK=$CACHE_DIR/k8s/src-$KUBERNETES_VERSION
mkdir -p "$WORK" "$OUT"
cd "$WORK"
staging=${KUBERNETES_VERSION/v1./v0.}
log "resolving k8s.io/kubernetes@$KUBERNETES_VERSION from the module proxy"
gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -f "$gomod" ] || die "could not download k8s.io/kubernetes@$KUBERNETES_VERSION"
goline=$(awk '$1=="go"{print $2; exit}' "$gomod")
rm -f go.mod go.sum
go mod init kube-ecs.invalid/k8sbuild >/dev/null 2>&1
go mod edit -go="$goline"
# GODEBUG defaults follow the main module: keep upstream's.
grep -E '^godebug ' "$gomod" >> go.mod || true
for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod"); do
  go mod edit -replace="$m=$m@$staging"
done
go mod edit -require="k8s.io/kubernetes@$KUBERNETES_VERSION"
log "downloading modules (first run fetches a few hundred MiB)"
for c in $CMDS; do GOFLAGS=-mod=mod go get "k8s.io/kubernetes/cmd/$c@$KUBERNETES_VERSION" >/dev/null; done
minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
ldf="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldf+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldf+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
for c in $CMDS; do
  log "go build $c (2 cores: the apiserver and kubelet take several minutes each)"
  CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "$ldf" -o "$OUT/$c" "k8s.io/kubernetes/cmd/$c"
done
"$OUT/kubeadm" version -o short | grep -qx "$KUBERNETES_VERSION" || die "kubeadm reports the wrong version"
touch "$OUT/.done"
log "Kubernetes $KUBERNETES_VERSION binaries ready in $OUT"
