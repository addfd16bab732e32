#!/usr/bin/env bash
# Starts the local Kubernetes control plane (real etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler; kwok simulates nodes and pod status)
# and prints the kubeconfig path as the LAST line of stdout. Progress -> stderr.
#
#   KUBECONFIG=$(cluster/up.sh | tail -n1) kubectl get nodes
#
# No Docker and no downloads at run time: every binary comes from cluster/build.sh
# (built once from the Go module proxy, then cached). Safe to re-run: a healthy
# cluster with the same configuration is reused, a stopped one is restarted, one
# whose configuration changed (versions, stages, this script) is recreated.
#
# With a real node (default; cluster/node/): containerd + runc + CNI bridge + kubelet + kube-proxy run real
# pods beside the KWOK nodes, which are then tainted platform.local/simulated=true:NoSchedule.
#
# Env: PLATFORM_CLUSTER_NAME (default platform-local), PLATFORM_CACHE_DIR
#      (default ~/.cache/platform-k8s), PLATFORM_KWOK_WORKDIR (default $PLATFORM_CACHE_DIR/kwok),
#      PLATFORM_CLUSTER_RECREATE=1 to always start from an empty cluster,
#      PLATFORM_NODE=real (default: a real node too) | kwok (simulated nodes only).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=access/access.sh
source "$CLUSTER_DIR/access/access.sh"
# shellcheck source=metrics/metrics.sh
source "$CLUSTER_DIR/metrics/metrics.sh"
# shellcheck source=node/lib.sh
source "$CLUSTER_DIR/node/lib.sh"

START=$SECONDS
NODE_MODE="${PLATFORM_NODE:-real}"
case "$NODE_MODE" in
  real)
    missing="$(node_unsupported_reasons)"
    [[ -z "$missing" ]] || die "$(node_unsupported_message "$missing")"
    bash "$NODE_PACKAGES_SCRIPT" ;;
  kwok) ;;
  *) die "PLATFORM_NODE=$NODE_MODE is not a node mode: use real (a real node beside the KWOK ones, the default) or kwok (simulated nodes only)" ;;
esac
ensure_binaries

STAGES=("$CLUSTER_DIR"/stages/*.yaml)
# Everything that shapes the cluster; a change means "recreate".
FINGERPRINT="$(cat "$CLUSTER_DIR/versions.env" "$CLUSTER_DIR/kwokctl.yaml" "${STAGES[@]}" \
  "$CLUSTER_DIR/up.sh" "${ACCESS_FILES[@]}" "${METRICS_FILES[@]}" | sha256sum | cut -c1-16)"
FINGERPRINT_FILE="$CLUSTER_WORKDIR/platform-fingerprint"

healthy() {
  [[ -f "$KUBECONFIG_PATH" ]] && kctl get --raw=/readyz --request-timeout=5s >/dev/null 2>&1
}
# kwokctl tracks components by pid files only; after a crash, a reboot or a
# SIGKILL they may name dead (or zombie, or reused) pids, and `kwokctl start`
# would then skip those components. Drop every pid file that does not name a
# live process of this cluster.
drop_stale_pid_files() {
  local pidfile
  for pidfile in "$CLUSTER_WORKDIR"/pids/*.pid; do
    [[ -f "$pidfile" ]] || continue
    runs_from "$pidfile" "$CLUSTER_WORKDIR" || rm -f "$pidfile"
  done
}
delete_cluster() {
  "$CLUSTER_DIR/node/down.sh" >&2 || true
  "$BIN/kwokctl" delete cluster --name "$CLUSTER_NAME" >&2 || true
  rm -rf "$CLUSTER_WORKDIR"
  access_teardown
  metrics_teardown
}

reused=0
if [[ -d "$CLUSTER_WORKDIR" ]]; then
  if [[ "${PLATFORM_CLUSTER_RECREATE:-0}" == 1 ]]; then
    log "PLATFORM_CLUSTER_RECREATE=1: deleting cluster '$CLUSTER_NAME'"
    delete_cluster
  elif [[ "$(cat "$FINGERPRINT_FILE" 2>/dev/null)" != "$FINGERPRINT" ]]; then
    log "cluster '$CLUSTER_NAME' was created with another configuration: recreating it"
    delete_cluster
  elif healthy; then
    log "cluster '$CLUSTER_NAME' is already running: reusing it"
    reused=1
  else
    log "cluster '$CLUSTER_NAME' exists but is not running: starting it"
    drop_stale_pid_files
    restarted_at="$(date -u +%Y-%m-%dT%H:%M:%S)"
    if timeout 90 "$BIN/kwokctl" start cluster --name "$CLUSTER_NAME" >&2 && wait_until 30 healthy; then
      reused=1
      # After a crash the dead controller-manager/scheduler still hold their
      # leader leases (15s): wait until the new processes have taken them over.
      for lease in kube-controller-manager kube-scheduler; do
        deadline=$((SECONDS + 60))
        until acquired="$(kctl get lease "$lease" -n kube-system -o jsonpath='{.spec.acquireTime}' 2>/dev/null)" &&
              [[ -n "$acquired" && ! "${acquired:0:19}" < "$restarted_at" ]]; do
          (( SECONDS < deadline )) || die "$lease did not take its leader lease after the restart"
          sleep 1
        done
      done
    else
      log "restart failed: recreating cluster '$CLUSTER_NAME'"
      delete_cluster
    fi
  fi
fi

# kwokctl picks free loopback ports when it creates a cluster, and the components bind them a moment later: a
# cluster created at the same time elsewhere on the machine can take one in between. The component then logs
# "bind: address already in use" (typically kwok-controller, and the nodes never become Ready): recreate once.
port_taken() { grep -qs 'bind: address already in use' "$CLUSTER_WORKDIR"/logs/*.log; }
failure=""
fail() { failure="$*"; return 1; }

create_cluster() {
  log "creating cluster '$CLUSTER_NAME' (Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
  access_prepare
  metrics_prepare
  # The API server reaches the real node's kubelet (logs, exec) at its InternalIP (no name lookup), with the
  # admin certificate kwokctl makes. The config is cluster/kwokctl.yaml plus the access webhook's and the
  # aggregation layer's (front proxy) flags.
  local config_args=(--config "$ACCESS_KWOKCTL_CONFIG") s
  for s in "${STAGES[@]}"; do config_args+=(--config "$s"); done
  # Every binary is local (kwokctl would otherwise download them); KWOK_* env
  # vars cover the ones without a flag.
  KWOK_KUBE_VERSION="$K8S_VERSION" \
  KWOK_ETCD_VERSION="${ETCD_VERSION#v}" \
  "$BIN/kwokctl" create cluster \
    --name "$CLUSTER_NAME" \
    "${config_args[@]}" \
    --runtime binary \
    --kubeconfig "" \
    --kube-apiserver-binary "$BIN/kube-apiserver" \
    --kube-controller-manager-binary "$BIN/kube-controller-manager" \
    --kube-scheduler-binary "$BIN/kube-scheduler" \
    --etcd-binary "$BIN/etcd" \
    --kwok-controller-binary "$BIN/kwok" \
    --extra-args "kube-apiserver=kubelet-client-certificate=$CLUSTER_WORKDIR/pki/admin.crt" \
    --extra-args "kube-apiserver=kubelet-client-key=$CLUSTER_WORKDIR/pki/admin.key" \
    --extra-args "kube-apiserver=kubelet-preferred-address-types=InternalIP" \
    --timeout 5m --wait 2m >&2 || fail "kwokctl create cluster failed" || return 1
  echo "$FINGERPRINT" >"$FINGERPRINT_FILE"
  wait_until 60 healthy || fail "kube-apiserver did not become ready (logs: $CLUSTER_WORKDIR/logs)"
}

# Fake nodes (idempotent) and readiness of what the platform relies on.
check_ready() {
  kctl apply -f "$CLUSTER_DIR/nodes.yaml" >&2 || fail "could not register the nodes" || return 1
  local deadline=$((SECONDS + 60))
  until kctl wait --for=condition=Ready node --all --timeout=5s >/dev/null 2>&1; do
    if { (( ! reused )) && port_taken; } || (( SECONDS >= deadline )); then fail "kwok did not make the nodes Ready (logs: $CLUSTER_WORKDIR/logs)"; return 1; fi
  done
  # The ServiceAccount admission plugin rejects pods until kube-controller-manager
  # has created the namespace's default ServiceAccount: wait for it as proof that
  # the controller-manager runs.
  deadline=$((SECONDS + 60))
  until kctl get serviceaccount default -n default >/dev/null 2>&1; do
    (( SECONDS < deadline )) || fail "kube-controller-manager did not create serviceaccount default/default" || return 1
    sleep 1
  done
}

for attempt in 1 2; do
  if (( reused )); then
    check_ready && break
  else
    create_cluster && check_ready && break
    if (( attempt == 1 )) && port_taken; then
      log "$failure: $(grep -ohs 'listen tcp [^ ]*: bind: address already in use' "$CLUSTER_WORKDIR"/logs/*.log | head -n1) (a port taken by another process since kwokctl picked it): recreating cluster '$CLUSTER_NAME' once"
      delete_cluster
      continue
    fi
    [[ $failure == "kwokctl create cluster failed" ]] && delete_cluster
  fi
  die "$failure"
done

access_webhook_start
# The real node (or none), and where pods go: the real node when there is one, else the KWOK nodes.
if [[ "$NODE_MODE" == real ]]; then
  "$CLUSTER_DIR/node/up.sh" || die "the real node did not start (PLATFORM_NODE=kwok for simulated nodes only)"
  kctl taint nodes -l type=kwok platform.local/simulated=true:NoSchedule --overwrite >/dev/null
  # The Metrics API (the HorizontalPodAutoscaler's CPU), from the real node's kubelet.
  metrics_start
else
  metrics_stop
  "$CLUSTER_DIR/node/down.sh"
  kctl taint nodes -l type=kwok platform.local/simulated:NoSchedule- >/dev/null 2>&1 || true
fi

log "cluster '$CLUSTER_NAME' ready in $((SECONDS - START))s ($( ((reused)) && echo reused || echo created)); $(kctl get nodes --no-headers | wc -l) nodes"
log "kubectl: $BIN/kubectl (or cluster/kubectl.sh)"
echo "$KUBECONFIG_PATH"
