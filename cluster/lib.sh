# Shared settings for cluster/*.sh (sourced, not executed).
# shellcheck shell=bash
CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$CLUSTER_DIR/versions.env"

CLUSTER_NAME="${PLATFORM_CLUSTER_NAME:-platform-local}"
CACHE_ROOT="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}"
# kwokctl keeps each cluster (config, pki, etcd data, logs, kubeconfig) under
# $KWOK_WORKDIR/clusters/<name>. Kept apart from ~/.kwok so that a personal
# kwok setup neither leaks in nor gets modified.
export KWOK_WORKDIR="${PLATFORM_KWOK_WORKDIR:-$CACHE_ROOT/kwok}"
CLUSTER_WORKDIR="$KWOK_WORKDIR/clusters/$CLUSTER_NAME"
KUBECONFIG_PATH="$CLUSTER_WORKDIR/kubeconfig.yaml"

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Sets BIN to the directory holding the built binaries (building them if needed).
ensure_binaries() {
  BIN="$("$CLUSTER_DIR/build.sh" | tail -n 1)"
  [[ -x "$BIN/kwokctl" ]] || die "build.sh did not produce binaries in '$BIN'"
  use_binaries
}

# kwokctl runs the first `kubectl` on PATH (else it downloads one): make that ours,
# not whatever else is installed (e.g. a cloud SDK's kubectl dispatcher).
use_binaries() {
  export PATH="$BIN:$PATH"
  export KWOK_KUBECTL_BINARY="$BIN/kubectl"
}

# Sets BIN if the binaries exist, without building.
find_binaries() {
  BIN="$("$CLUSTER_DIR/build.sh" --print-bin-dir | tail -n 1)" || return 1
  use_binaries
}

kctl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
