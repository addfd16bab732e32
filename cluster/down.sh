#!/usr/bin/env bash
# Stops the local cluster started by cluster/up.sh (its real node first: cluster/node/down.sh leaves the
# machine as it was) and deletes its state (etcd data, certificates, logs, kubeconfig). The built binaries
# and the node's image store stay cached.
# Env: PLATFORM_CLUSTER_NAME (default platform-local), PLATFORM_CACHE_DIR, PLATFORM_KWOK_WORKDIR.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=access/access.sh
source "$CLUSTER_DIR/access/access.sh"
# shellcheck source=metrics/metrics.sh
source "$CLUSTER_DIR/metrics/metrics.sh"

# metrics-server first (it scrapes the node), then the real node (it needs the API server to stop its pods
# cleanly); it also cleans up after a node whose control plane is already gone.
metrics_stop
"$CLUSTER_DIR/node/down.sh"
if [[ ! -d "$CLUSTER_WORKDIR" ]]; then
  access_teardown
  metrics_teardown
  log "no cluster '$CLUSTER_NAME' (nothing under $CLUSTER_WORKDIR)"
  exit 0
fi
if find_binaries; then
  "$BIN/kwokctl" delete cluster --name "$CLUSTER_NAME" >&2
else
  # Binaries gone (cache wiped): stop the processes kwokctl recorded, by pid.
  log "kwokctl not found in the build cache: stopping the recorded processes directly"
  for pidfile in "$CLUSTER_WORKDIR"/pids/*.pid; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    if [[ "$pid" =~ ^[0-9]+$ ]]; then kill "$pid" 2>/dev/null || true; fi
  done
fi
rm -rf "$CLUSTER_WORKDIR"
access_teardown
metrics_teardown
log "cluster '$CLUSTER_NAME' deleted"
