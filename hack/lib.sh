# Shared helpers for hack/*.sh: pinned versions, cache location, timed progress lines.
set -euo pipefail
HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$HACK_DIR/.." && pwd)
# shellcheck source=versions.env
source "$HACK_DIR/versions.env"
# Caches live outside the repo so a clean clone (and CI) reuses them; keys are the versions.
CACHE_DIR=${KUBE_ECS_CACHE:-$HOME/.cache/kube-ecs}
BIN_DIR=$CACHE_DIR/bin
mkdir -p "$CACHE_DIR" "$BIN_DIR"
export PATH="$BIN_DIR:$PATH"
_T0=${_T0:-$(date +%s)}
export _T0
log() { printf '[kube-ecs %4ss] %s\n' "$(( $(date +%s) - _T0 ))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
