#!/usr/bin/env bash
# A running Docker engine: Debian's docker.io, installed if absent and started by hand when no
# service manager runs it. On machines whose capability bounding set is short (privileged
# containers, which kind uses, then fail), runc goes through hack/docker/runc-capfilter.
source "$(dirname "$0")/lib.sh"
docker info >/dev/null 2>&1 && exit 0
[ "$(id -u)" = 0 ] || die "Docker is not running and starting it needs root: start it, or run as root"
command -v dockerd >/dev/null || apt_install docker.io
wrapper=/usr/local/libexec/kube-ecs/runc-capfilter
if [ "$(sed -n 's/^CapBnd:\s*//p' /proc/self/status)" != "$(printf '%016x' $(( (1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1 )))" ]; then
  log "docker: this machine withholds capabilities; privileged containers go through runc-capfilter"
  install -D -m 755 "$HACK_DIR/docker/runc-capfilter" "$wrapper"
  # Merged into the machine's daemon.json: its other settings stay as they are.
  mkdir -p /etc/docker
  python3 - "$wrapper" <<'PY' || die "/etc/docker/daemon.json is not a JSON object: fix it, or add the runtime $wrapper by hand"
import json, os, sys
path = "/etc/docker/daemon.json"
config = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else {}
assert isinstance(config, dict)
config.setdefault("runtimes", {})["capfilter"] = {"path": sys.argv[1]}
config["default-runtime"] = "capfilter"
with open(path + ".tmp", "w") as f:
    json.dump(config, f, indent=2)
os.replace(path + ".tmp", path)
PY
fi
log "docker: starting dockerd (log: $CACHE_DIR/logs/dockerd.log)"
nohup dockerd >"$CACHE_DIR/logs/dockerd.log" 2>&1 &
for _ in $(seq 60); do docker info >/dev/null 2>&1 && { log "docker: engine running"; exit 0; }; sleep 1; done
tail -20 "$CACHE_DIR/logs/dockerd.log" >&2
die "dockerd did not start"
