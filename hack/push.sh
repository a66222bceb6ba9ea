#!/usr/bin/env bash
# `make push IMAGE=local/name:tag [AS=localhost:5001/repo:tag]`: tag a locally built image for the
# cluster's registry and push it (docs/registry.md). Without AS, the image keeps its last path part:
# kube-ecs/cats:2 → localhost:5001/cats:2. A push of an unchanged image sends nothing.
source "$(dirname "$0")/lib.sh"
image=${1:?usage: push.sh IMAGE [TARGET]}
target=${2:-localhost:5001/${image##*/}}
docker image inspect "$image" >/dev/null 2>&1 || die "no local image $image (docker images lists them)"
docker tag "$image" "$target"
start=$SECONDS
docker push -q "$target" >/dev/null || die "docker push $target failed (is the registry up? make cluster starts it)"
log "pushed $target in $((SECONDS - start))s"
