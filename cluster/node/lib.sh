# Settings of the real local node (sourced by cluster/node/*.sh after cluster/lib.sh).
# shellcheck shell=bash
# shellcheck disable=SC2034  # settings read by the scripts that source this file
NODE_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# One real node per machine: containerd and the CNI plugins use some fixed host paths
# (/run/containerd, /var/lib/cni), so two nodes would share them.
NODE_NAME=real-node
# Network (inside 198.18.0.0/15, the benchmarking range; never 10/8, 172.16/12, 192.168/16).
NODE_BRIDGE=platbr0
# A static MAC: a Linux bridge otherwise takes the lowest MAC of its ports and changes it as veths come and
# go; pods then keep stale ARP entries and requests time out during rollouts.
NODE_BRIDGE_MAC=02:50:4c:54:00:01
NODE_IP=198.18.0.1
POD_CIDR=198.18.0.0/24
POD_RANGE_START=198.18.0.10
POD_RANGE_END=198.18.0.250
# The control plane's --service-cluster-ip-range (cluster/kwokctl.yaml) must be this one.
SERVICE_CIDR=198.19.0.0/24
GUARD_RANGE=198.18.0.0/15
GUARD_TABLE=platform_node_guard
# kube-router's metrics (on 127.0.0.1): proof that its policy controller runs.
KUBE_ROUTER_METRICS_PORT=20245

# Per-node state (configs, certificates, logs, containerd's root, kubelet's root) lives with the cluster's
# state and is deleted with it; runtime files (sockets, containerd state) under one directory in /run.
NODE_STATE="$CLUSTER_WORKDIR/node"
NODE_RUN=/run/platform-node
CONTAINERD_SOCK="$NODE_RUN/containerd/containerd.sock"
# What the machine looked like before the first real node started (sysctls, nftables tables, fixed paths):
# written once by node/up.sh, used and removed by node/down.sh. Outside the cluster's state so that a
# crashed cluster's leftovers can still be undone.
NODE_BEFORE="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/node-before"
CGROUP_ROOT=platform-node
# Sysctls the kubelet (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops) and the bridge plugin
# (net.ipv4.ip_forward) change.
NODE_SYSCTLS=(net.ipv4.ip_forward vm.overcommit_memory kernel.panic kernel.panic_on_oops)
# Host paths that containerd, the CNI plugins and the kubelet use whatever they are configured with.
NODE_FIXED_PATHS=(/run/containerd /var/lib/cni /var/lib/kubelet /var/log/containers /var/log/pods /etc/cni /opt/cni /opt/containerd)
# The pause (sandbox) image: a static C program built here (no image can be pulled).
PAUSE_IMAGE=platform.local/pause:1
NODE_PACKAGES_SCRIPT="$NODE_SCRIPTS/packages.sh"

nctr() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# Every cgroup hierarchy mounted on this machine (v1 controllers and the v2 unified one).
cgroup_hierarchies() {
  awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts
}

# The reasons this machine cannot run a real node (empty when it can).
node_unsupported_reasons() {
  local reasons=()
  [[ "$(uname -s)" == Linux ]] || reasons+=("not Linux ($(uname -s))")
  [[ "$(id -u)" == 0 ]] || reasons+=("not root (containerd, runc and the kubelet need root)")
  if [[ "$(uname -s)" == Linux ]]; then
    if ! grep -qE '\scgroup2?\s' /proc/mounts; then
      reasons+=("no cgroup filesystem mounted")
    elif ! grep -qE '\scgroup\s.*\bmemory\b|\scgroup2\s' /proc/mounts; then
      reasons+=("no memory cgroup controller")
    fi
    [[ -e /proc/self/ns/net ]] || reasons+=("no network namespaces")
  fi
  printf '%s\n' "${reasons[@]}"
}

node_unsupported_message() {
  cat <<EOF
cannot run a real node on this machine: $(paste -sd ';' - <<<"$1" | sed 's/;/; /g').
  - KWOK-only mode (control plane + simulated nodes, no containers): PLATFORM_NODE=kwok npm run cluster:up
  - or use any other cluster: npm run deploy -- --kubeconfig <path> ...
EOF
}

