#!/usr/bin/env bash
# The kind node image, built with no registry: Kubernetes, etcd, CoreDNS, pause and the pod network
# (images/net) from Go modules, packaged as the images kubeadm expects and preloaded into the node's containerd, on a
# debootstrapped Debian node base. kind's own `build node-image` cannot do this (it always fetches
# etcd, CoreDNS and pause from registries), so its steps are done here by hand.
# Prints the image name on stdout; cached in Docker under a tag keyed by versions and inputs.
source "$(dirname "$0")/lib.sh"
NODE_IMAGE=$(node_image)
if docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
  log "node image: $NODE_IMAGE cached"; echo "$NODE_IMAGE"; exit 0
fi
"$HACK_DIR/build-k8s.sh"
"$HACK_DIR/build-go.sh" etcd coredns pause net
K8S_BIN=$CACHE_DIR/k8s/$KUBERNETES_VERSION
work=$(mktemp -d)
trap 'rm -rf "$work"; docker rm -f kube-ecs-node-build >/dev/null 2>&1 || true' EXIT

# Component images, named exactly as kubeadm lists them (checked below). Static binaries run FROM
# scratch (kubeadm runs them by name from PATH); kube-proxy needs iptables, nft and conntrack.
ensure_rootfs_image kube-ecs/iptables-base:"$DEBIAN_SUITE" iptables nftables conntrack
component() { # image binary [dest] [base]: built, then saved for the node's containerd
  binary_image "$@"
  docker save "$1" > "$work/images/$(basename "$2").tar"
}
mkdir -p "$work/images"
log "node image: component images for Kubernetes $KUBERNETES_VERSION"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  component "registry.k8s.io/$c:$KUBERNETES_VERSION" "$K8S_BIN/$c" "/usr/local/bin/$c"
done
component "registry.k8s.io/kube-proxy:$KUBERNETES_VERSION" "$K8S_BIN/kube-proxy" /usr/local/bin/kube-proxy \
  kube-ecs/iptables-base:"$DEBIAN_SUITE"
component "registry.k8s.io/etcd:$ETCD_IMAGE_TAG" "$(go_program etcd)" /usr/local/bin/etcd
component "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" "$(go_program coredns)"
component "$SANDBOX_IMAGE" "$(go_program pause)"
NET_IMAGE=kube-ecs/net:$(version_of net)
component "$NET_IMAGE" "$(go_program net)"
required=$("$K8S_BIN/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION")
for image in $required; do
  docker image inspect "$image" >/dev/null 2>&1 || die "kubeadm needs $image, which versions.env does not build"
done

log "node image: node base (kind $KIND_VERSION's node files on Debian $DEBIAN_SUITE)"
ensure_rootfs_image kube-ecs/node-rootfs:"$DEBIAN_SUITE" $NODE_PACKAGES
kind_src=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -d "$kind_src/images/base/files" ] || die "kind $KIND_VERSION's module has no images/base/files"
cp -r "$kind_src/images/base/files" "$REPO_DIR/images/node/Dockerfile" "$work/"
# kind applies /kind/manifests/default-cni.yaml as the cluster's pod network, as it does kindnetd's.
sed "s|NET_IMAGE|$NET_IMAGE|" "$REPO_DIR/images/net/default-cni.yaml" > "$work/default-cni.yaml"
chmod -R u+w "$work/files"
docker_build --build-arg BASE=kube-ecs/node-rootfs:"$DEBIAN_SUITE" \
  --build-arg SANDBOX_IMAGE="$SANDBOX_IMAGE" -t kube-ecs/node-base:"$KUBERNETES_VERSION" "$work"

log "node image: Kubernetes binaries and preloaded images"
docker run -d --name kube-ecs-node-build --entrypoint=sleep --security-opt seccomp=unconfined \
  kube-ecs/node-base:"$KUBERNETES_VERSION" infinity >/dev/null
for b in kubeadm kubelet kubectl; do docker cp "$K8S_BIN/$b" kube-ecs-node-build:/usr/bin/; done
docker cp "$work/images" kube-ecs-node-build:/kind/images
node() { docker exec kube-ecs-node-build "$@"; }
node bash -c "chown root:root /usr/bin/kube* && chmod 755 /usr/bin/kube* && echo $KUBERNETES_VERSION > /kind/version"
node bash -c 'nohup containerd >/var/log/containerd-build.log 2>&1 &
  for _ in $(seq 30); do ctr version >/dev/null 2>&1 && break; sleep 1; done
  for tar in /kind/images/*.tar; do ctr -n k8s.io images import --no-unpack --all-platforms --digests "$tar" >/dev/null || exit 1; done
  ctr -n k8s.io images ls -q > /kind/images/loaded
  pkill containerd; while pgrep -x containerd >/dev/null; do sleep 0.2; done'
loaded=$(node cat /kind/images/loaded)
node rm -rf /kind/images
for image in $required "$SANDBOX_IMAGE" "docker.io/$NET_IMAGE"; do
  grep -qx "$image" <<<"$loaded" || die "node image: $image missing from the node's containerd"
done
docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
  kube-ecs-node-build "$NODE_IMAGE" >/dev/null
log "node image: $NODE_IMAGE ($(docker image inspect -f '{{.Size}}' "$NODE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$NODE_IMAGE"
