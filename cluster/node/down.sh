#!/usr/bin/env bash
# Stops the real node and leaves the machine as cluster/node/up.sh found it: stops its pods and every process
# it started (by pid), unmounts what containerd and the kubelet mounted, removes the network namespaces, the
# bridge, the nftables guard and every iptables/nftables chain (IPv4 and IPv6) kube-proxy, kube-router and the kubelet
# added, kube-router's ipsets, the cgroup directories, the fixed host paths that did not exist before, and restores the sysctls.
# cluster/down.sh calls it before deleting the control plane. A no-op when no node ran.
# Exit status 1 when something could not be restored (it says what).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
nlog() { log "node: $*"; }

KEEP_BEFORE=0
for arg in "$@"; do
  case "$arg" in
    --keep-before) KEEP_BEFORE=1 ;;
    *) die "node/down.sh: unknown argument: $arg" ;;
  esac
done

PIDS="$NODE_RUN/pids"
if [[ -n "${PLATFORM_NODE_OWNER:-}" ]]; then
  CLUSTER_WORKDIR="$PLATFORM_NODE_OWNER"
elif [[ -f "$NODE_RUN/owner" ]]; then
  owner="$(cat "$NODE_RUN/owner")"
  # Another cluster's node: not ours to stop.
  [[ "$owner" == "$CLUSTER_WORKDIR" ]] || { nlog "the real node belongs to $owner: leaving it"; exit 0; }
fi
NODE_STATE="$CLUSTER_WORKDIR/node"
KUBECONFIG_PATH="$CLUSTER_WORKDIR/kubeconfig.yaml"
if [[ ! -d "$NODE_RUN" && ! -d "$NODE_STATE" && ! -f "$NODE_BEFORE/complete" ]]; then
  exit 0
fi
[[ "$(id -u)" == 0 ]] || die "node/down.sh: needs root"
START=$SECONDS
find_binaries || true

pid_of() { cat "$PIDS/$1.pid" 2>/dev/null || true; }
stop_pid() { # pid, seconds before SIGKILL
  local pid=$1 deadline=$((SECONDS + $2))
  pid_ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while pid_ours "$pid" && (( SECONDS < deadline )); do sleep 0.2; done
  if pid_ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  while pid_ours "$pid"; do sleep 0.1; done
}
containerd_up() { pid_ours "$(pid_of containerd)" && nctr version >/dev/null 2>&1; }

# 1. The pods, through the kubelet (so that the CNI plugin releases their network) while it runs.
if pid_ours "$(pid_of kubelet)" && [[ -n "${BIN:-}" && -f "$KUBECONFIG_PATH" ]] && kctl get --raw=/readyz --request-timeout=3s >/dev/null 2>&1; then
  kctl delete pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" --grace-period=1 --wait=false >/dev/null 2>&1 || true
  deadline=$((SECONDS + 30))
  running_tasks() { nctr tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"' || true; }
  while containerd_up && [[ -n "$(running_tasks)" ]] && (( SECONDS < deadline )); do sleep 0.5; done
  kctl delete node "$NODE_NAME" --wait=false >/dev/null 2>&1 || true
fi

# 2. kube-router's policy controller, kube-proxy and the kubelet.
stop_pid "$(pid_of kube-router)" 10
stop_pid "$(pid_of kube-proxy)" 10
stop_pid "$(pid_of kubelet)" 10

# 3. Whatever still runs in containerd: its tasks (SIGKILL), containers, and the pods' network namespaces.
if containerd_up; then
  for task in $(nctr tasks ls -q 2>/dev/null); do nctr tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true; done
  sleep 0.5
  for task in $(nctr tasks ls -q 2>/dev/null); do nctr tasks rm -f "$task" >/dev/null 2>&1 || true; done
  for c in $(nctr containers ls -q 2>/dev/null); do nctr containers rm "$c" >/dev/null 2>&1 || true; done
fi
# Every process left in the node's cgroups is a container process of this node.
while read -r h; do
  [[ -d "$h/$CGROUP_ROOT" ]] || continue
  find "$h/$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done
done < <(cgroup_hierarchies)
stop_pid "$(pid_of containerd)" 15
# containerd's shims outlive it; they are this node's when they serve its socket.
for proc in /proc/[0-9]*; do
  cmd="$(tr '\0' ' ' 2>/dev/null <"$proc/cmdline" || true)"
  [[ "$cmd" == *containerd-shim*"-address $CONTAINERD_SOCK"* ]] && stop_pid "${proc#/proc/}" 5
done

# 4. Mounts (network namespaces, rootfs overlays, volumes) under the node's directories, deepest first.
CONTAINERD_ROOT="$CACHE_ROOT/node/containerd"
for _ in 1 2 3; do
  mapfile -t mounts < <(awk '{print $2}' /proc/self/mounts | sed 's/\\040/ /g' |
    grep -E "^($NODE_RUN|$NODE_STATE|$CONTAINERD_ROOT|/run/containerd|/var/lib/kubelet|/run/netns)(/|$)" | sort -r || true)
  (( ${#mounts[@]} )) || break
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
done

# 5. Cgroup directories this node created (deepest first).
if [[ -f "$NODE_BEFORE/cgroups" ]]; then
  while read -r dir; do
    if [[ -d "$dir" ]]; then find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done <"$NODE_BEFORE/cgroups"
fi

# 6. Network: the bridge (its route goes with it) and any veth left on it.
for veth in $(ip -o link show master "$NODE_BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do ip link del "$veth" 2>/dev/null || true; done
ip link del "$NODE_BRIDGE" 2>/dev/null || true

# 7. iptables/nftables: kube-proxy's and the kubelet's chains live in tables iptables-nft created; every table
#    that did not exist before goes, every one that did is put back as it was (the guard table goes too).
if [[ -f "$NODE_BEFORE/nft-tables" ]]; then
  while read -r family name; do
    if grep -qx "$family $name" "$NODE_BEFORE/nft-tables"; then
      if [[ "$(nft list table "$family" "$name")" != "$(cat "$NODE_BEFORE/nft/$family-$name")" ]]; then
        nft delete table "$family" "$name" && nft -f "$NODE_BEFORE/nft/$family-$name"
      fi
    else
      nft delete table "$family" "$name"
    fi
  done < <(nft list tables | awk '{print $2, $3}')
  while read -r family name; do
    nft list table "$family" "$name" >/dev/null 2>&1 || nft -f "$NODE_BEFORE/nft/$family-$name"
  done <"$NODE_BEFORE/nft-tables"
else
  nft delete table inet "$GUARD_TABLE" 2>/dev/null || true
fi

# 7b. kube-router's ipsets (free once the tables whose rules referenced them are gone): every set that did not exist before.
if [[ -f "$NODE_BEFORE/ipsets" ]] && command -v ipset >/dev/null; then
  while read -r set; do
    grep -qxF "$set" "$NODE_BEFORE/ipsets" || ipset destroy "$set" 2>/dev/null || true
  done < <(ipset list -n)
fi

# 8. Fixed host paths that did not exist before, and the sysctls.
if [[ -f "$NODE_BEFORE/fixed-paths" ]]; then
  for p in "${NODE_FIXED_PATHS[@]}"; do
    grep -qx "$p" "$NODE_BEFORE/fixed-paths" || rm -rf "$p"
  done
fi
if [[ -f "$NODE_BEFORE/sysctls" ]]; then
  while IFS='=' read -r key value; do
    [[ "$(sysctl -n "$key")" == "$value" ]] || sysctl -q -w "$key=$value"
  done <"$NODE_BEFORE/sysctls"
fi
rm -rf "$NODE_RUN" "$NODE_STATE"

# 9. Check; keep the record of the machine's earlier state while anything differs from it.
problems=()
[[ -e "/sys/class/net/$NODE_BRIDGE" ]] && problems+=("bridge $NODE_BRIDGE still exists")
if [[ -f "$NODE_BEFORE/complete" ]]; then
  while IFS='=' read -r key value; do
    [[ "$(sysctl -n "$key")" == "$value" ]] || problems+=("sysctl $key is $(sysctl -n "$key"), was $value")
  done <"$NODE_BEFORE/sysctls"
  [[ "$(nft list tables | awk '{print $2, $3}')" == "$(cat "$NODE_BEFORE/nft-tables")" ]] || problems+=("nftables tables differ: $(nft list tables | tr '\n' ' ')")
  if [[ -f "$NODE_BEFORE/ipsets" ]] && command -v ipset >/dev/null; then
    [[ "$(ipset list -n | sort)" == "$(cat "$NODE_BEFORE/ipsets")" ]] || problems+=("ipsets differ: $(ipset list -n | sort | comm -13 "$NODE_BEFORE/ipsets" - | tr '\n' ' ')")
  fi
  while read -r dir; do [[ -e "$dir" ]] && problems+=("cgroup $dir still exists"); done <"$NODE_BEFORE/cgroups"
  for p in "${NODE_FIXED_PATHS[@]}"; do
    [[ -e "$p" ]] && ! grep -qx "$p" "$NODE_BEFORE/fixed-paths" && problems+=("$p still exists")
  done
fi
if (( ${#problems[@]} )); then
  nlog "ERROR: not everything could be undone (record of the earlier state kept in $NODE_BEFORE): ${problems[*]}"
  exit 1
fi
(( KEEP_BEFORE )) || rm -rf "$NODE_BEFORE"
nlog "stopped and cleaned up in $((SECONDS - START))s"
