#!/usr/bin/env bash
# Prints what a real node changes on this machine, one sorted "<kind>: <item>" line each, so that two
# snapshots (before cluster:up, after cluster:down) can be compared: node processes (and metrics-server), mounts, network
# namespaces, links, routes, nftables and legacy iptables rules (IPv4 and IPv6), ipsets, cgroup directories, the
# fixed host paths, and the sysctls the kubelet and the bridge plugin change.
set -euo pipefail
# shellcheck source=lib.sh
CLUSTER_WORKDIR=/nonexistent source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{
  for proc in /proc/[0-9]*; do
    exe="$(readlink "$proc/exe" 2>/dev/null || true)"
    case "${exe##*/}" in
      containerd|containerd-shim*|runc|kubelet|kube-proxy|kube-router|pause|metrics-server) ;;
      *) continue ;;
    esac
    echo "process: ${exe##*/}"
  done
  awk '{print $3, $2}' /proc/self/mounts | grep -E 'overlay|nsfs|platform-node|containerd|kubelet|/cni|netns|^(tmpfs|shm) /var/lib' | sed 's/^/mount: /' || true
  ip netns list 2>/dev/null | sed 's/^/netns: /' || true
  ip -o link show | awk -F': ' '{print "link: " $2}' | cut -d@ -f1
  ip -o addr show | awk '{print "addr: " $2, $4}'
  ip route show table all | sed 's/^/route: /'
  nft list ruleset 2>/dev/null | sed 's/^/nft: /'
  if command -v ipset >/dev/null; then ipset list -n 2>/dev/null | sed 's/^/ipset: /' || true; fi
  for save in iptables-legacy-save ip6tables-legacy-save; do
    if command -v "$save" >/dev/null; then "$save" 2>/dev/null | grep -v '^#' | sed "s/^/$save: /" || true; fi
  done
  while read -r h; do
    find "$h" -maxdepth 3 -type d \( -name "$CGROUP_ROOT" -o -name 'kubepods*' \) 2>/dev/null | sed 's/^/cgroup: /' || true
  done < <(cgroup_hierarchies)
  for p in "${NODE_FIXED_PATHS[@]}" /run/netns "$NODE_RUN"; do if [[ -e "$p" ]]; then echo "path: $p"; fi; done
  for s in "${NODE_SYSCTLS[@]}"; do echo "sysctl: $s=$(sysctl -n "$s")"; done
} | sort
