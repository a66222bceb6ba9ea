#!/usr/bin/env bash
# Images the cluster runs besides Kubernetes itself, built locally from Go modules and loaded with
# `kind load`: Traefik (the ingress controller) and the "container of cats" sample app.
source "$(dirname "$0")/lib.sh"
"$HACK_DIR/build-go.sh" traefik cats
log "images: kube-ecs/traefik:$TRAEFIK_VERSION, kube-ecs/cats:1.0"
binary_image "kube-ecs/traefik:$TRAEFIK_VERSION" "$(go_program traefik)"
binary_image kube-ecs/cats:1.0 "$(go_program cats)"
kind_load "kube-ecs/traefik:$TRAEFIK_VERSION"
kind_load kube-ecs/cats:1.0
