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

# Copies a kwokctl configuration, adding extraArgs lines (YAML list items) to its kube-apiserver patch; fails unless
# the result holds `marker` (a flag name of those lines). Usage: add_apiserver_args <from> <to> <args> <marker>
add_apiserver_args() {
  local from="$1" to="$2" args="$3" marker="$4"
  awk -v args="$args" '{ print } /^- name: kube-apiserver$/ { api = 1; next } api && /^  extraArgs:$/ { print args; api = 0 }' "$from" >"$to.tmp" &&
    mv "$to.tmp" "$to"
  grep -q "$marker" "$to" || die "$from has no kube-apiserver patch with extraArgs for the $marker flags"
}

# True when `pid` is a live process (not a zombie) and, when `state_dir` is given, its command line names
# `state_dir/` (so not a PID reused by another program). The one "is this PID ours?" of cluster/.
# Usage: pid_ours <pid> [state_dir]
pid_ours() {
  local pid="${1:-}" state_dir="${2:-}" state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]] || return 1
  [[ -z "$state_dir" ]] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$state_dir/"
}

# True when the PID in `pid_file` is ours (pid_ours) and runs from `state_dir`.
runs_from() { pid_ours "$(cat "$1" 2>/dev/null)" "$2"; }

# Runs `command...` every half second until it succeeds (true) or `seconds` have passed (false); its output is
# discarded. The one wait loop of cluster/. Usage: wait_until <seconds> <command>...
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || return 1
    sleep 0.5
  done
}

# Writes `template` to `output` with every ${NAME} replaced by the shell variable NAME (set, possibly local, in the
# caller); an unset one is an error. Config files live as templates beside their scripts (cluster/node/templates/).
# Usage: render_template <template> <output>
render_template() {
  local template="$1" output="$2" names
  # shellcheck disable=SC2016  # literal ${NAME} patterns, not expansions
  names="$(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "$template" | sort -u)" || true
  (
    # shellcheck disable=SC2016
    for name in $(tr -d '${}' <<<"$names"); do
      [[ -v "$name" ]] || die "template $template uses \${$name}, which is not set"
      export "${name?}"
    done
    envsubst "$(tr '\n' ' ' <<<"$names")" <"$template" >"$output.tmp"
  ) && mv "$output.tmp" "$output"
}
