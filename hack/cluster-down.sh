#!/usr/bin/env bash
# `make cluster-down`: delete the kind cluster (cached images and binaries stay).
source "$(dirname "$0")/lib.sh"
command -v kind >/dev/null || { log "kind is not installed: nothing to delete"; exit 0; }
kind delete cluster --name "$CLUSTER"
