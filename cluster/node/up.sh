#!/usr/bin/env bash
# Starts the real node of the local cluster: containerd + runc, a CNI bridge + host-local network,
# kubelet and kube-proxy (same Kubernetes version as the control plane), and kube-router's NetworkPolicy controller
# (the only part of it that runs: iptables + ipset), as processes on this machine.
# Called by cluster/up.sh once the control plane is ready; safe to re-run (a running node is reused,
# a half-started or changed one is stopped and started again).
#
# Network safety: pods in 198.18.0.0/24 on bridge platbr0 (static MAC), Services in 198.19.0.0/24 routed
# through the bridge, an nftables guard (installed before containerd starts) that drops anything from or
# to 198.18.0.0/15 on any interface but lo and the bridge, forwards nothing off the bridge, and drops any
# Service-translated (DNAT) packet leaving by another interface; every component binds to lo or the bridge;
# image pulls go to a closed loopback port (images are imported, never pulled).
# Everything it changes is undone by cluster/node/down.sh (cluster/down.sh calls it).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nlog() { log "node: $*"; }
ndie() { die "node: $*"; }

missing="$(node_unsupported_reasons)"
[[ -z "$missing" ]] || { node_unsupported_message "$missing" >&2; exit 1; }
find_binaries || ndie "the Kubernetes binaries are not built (cluster/build.sh)"
for b in kubelet kube-proxy kubectl; do [[ -x "$BIN/$b" ]] || ndie "$BIN/$b is missing (cluster/build.sh builds it)"; done
KUBE_ROUTER="$("$NODE_SCRIPTS/kube-router-build.sh" | tail -n 1)"
[[ -f "$KUBECONFIG_PATH" ]] || ndie "no control plane: $KUBECONFIG_PATH does not exist (run cluster/up.sh)"
bash "$NODE_PACKAGES_SCRIPT"

PIDS="$NODE_RUN/pids"
OWNER_FILE="$NODE_RUN/owner"
NODE_CONFIG_FILES=("$NODE_SCRIPTS/up.sh" "$NODE_SCRIPTS/lib.sh" "$NODE_SCRIPTS/pause.c" "$NODE_SCRIPTS"/templates/*)
NODE_FINGERPRINT="$(cat "${NODE_CONFIG_FILES[@]}" "$CLUSTER_DIR/versions.env" | sha256sum | cut -c1-16)"

running() { pid_ours "$(cat "$PIDS/$1.pid" 2>/dev/null)"; }
node_ready() {
  [[ "$(kctl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

if [[ -f "$OWNER_FILE" && "$(cat "$OWNER_FILE")" != "$CLUSTER_WORKDIR" ]]; then
  other="$(cat "$OWNER_FILE")"
  if running containerd || running kubelet; then
    ndie "the real node of another cluster ($other) is running; there is one per machine. Stop it (PLATFORM_CLUSTER_NAME=$(basename "$other") npm run cluster:down) or use PLATFORM_NODE=kwok"
  fi
  nlog "cleaning up after the stopped node of $other"
  PLATFORM_NODE_OWNER="$other" "$NODE_SCRIPTS/down.sh"
fi

if running containerd && running kubelet && running kube-proxy && running kube-router && [[ "$(cat "$NODE_RUN/fingerprint" 2>/dev/null)" == "$NODE_FINGERPRINT" ]] && node_ready; then
  nlog "$NODE_NAME is already running: reusing it"
  exit 0
fi
if [[ -d "$NODE_RUN" || -d "$NODE_STATE" ]]; then
  nlog "stopping the previous (half-started, stopped or changed) node first"
  "$NODE_SCRIPTS/down.sh" --keep-before
fi

START=$SECONDS
mkdir -p "$NODE_RUN" "$PIDS" "$NODE_STATE"/{logs,pki,cni/net.d,cni/ipam,kubelet,pod-logs,certs.d/_default}
echo "$CLUSTER_WORKDIR" >"$OWNER_FILE"

# --- what the machine looks like before the first node (undone exactly by down.sh) -------------------------
if [[ ! -f "$NODE_BEFORE/complete" ]]; then
  rm -rf "$NODE_BEFORE" && mkdir -p "$NODE_BEFORE/nft"
  for s in "${NODE_SYSCTLS[@]}"; do printf '%s=%s\n' "$s" "$(sysctl -n "$s")"; done >"$NODE_BEFORE/sysctls"
  nft list tables 2>/dev/null | awk '{print $2, $3}' >"$NODE_BEFORE/nft-tables"
  while read -r family name; do nft list table "$family" "$name" >"$NODE_BEFORE/nft/$family-$name"; done <"$NODE_BEFORE/nft-tables"
  for p in "${NODE_FIXED_PATHS[@]}"; do [[ -e "$p" ]] && echo "$p"; done >"$NODE_BEFORE/fixed-paths"
  ipset list -n | sort >"$NODE_BEFORE/ipsets"
  while read -r h; do [[ -e "$h/$CGROUP_ROOT" ]] || echo "$h/$CGROUP_ROOT"; done < <(cgroup_hierarchies) >"$NODE_BEFORE/cgroups"
  touch "$NODE_BEFORE/complete"
fi

# --- the guard, before anything can send a packet ---------------------------------------------------------
TEMPLATES="$NODE_SCRIPTS/templates"
render_template "$TEMPLATES/guard.nft" "$NODE_STATE/guard.nft"
nft -f "$NODE_STATE/guard.nft" || ndie "could not install the nftables guard"
nft list table inet "$GUARD_TABLE" >/dev/null || ndie "the nftables guard is not installed"

# --- the bridge (static MAC) and the routes -----------------------------------------------------------------
ip link add "$NODE_BRIDGE" type bridge
ip link set "$NODE_BRIDGE" address "$NODE_BRIDGE_MAC"
ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$NODE_BRIDGE"
ip link set "$NODE_BRIDGE" up
ip route add "$SERVICE_CIDR" dev "$NODE_BRIDGE" src "$NODE_IP"
for probe in "$POD_RANGE_START" "${SERVICE_CIDR%.*}.10"; do
  route="$(ip route get "$probe")"
  [[ "$route" == *" dev $NODE_BRIDGE "* ]] || ndie "ip route get $probe does not use $NODE_BRIDGE: $route"
done

# --- cgroups: the kubelet's cgroupRoot in every hierarchy --------------------------------------------------
while read -r h; do mkdir -p "$h/$CGROUP_ROOT"; done < <(cgroup_hierarchies)

# --- certificates signed by the cluster's CA ---------------------------------------------------------------
CA_CRT="$CLUSTER_WORKDIR/pki/ca.crt"
CA_KEY="$CLUSTER_WORKDIR/pki/ca.key"
[[ -f "$CA_CRT" && -f "$CA_KEY" ]] || ndie "the cluster's CA is not in $CLUSTER_WORKDIR/pki"
# shellcheck disable=SC2034  # read by the component.kubeconfig template
SERVER="$(kctl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
issue() { # name, subject
  openssl req -newkey rsa:2048 -nodes -keyout "$NODE_STATE/pki/$1.key" -subj "$2" -out "$NODE_STATE/pki/$1.csr" 2>/dev/null
  openssl x509 -req -in "$NODE_STATE/pki/$1.csr" -CA "$CA_CRT" -CAkey "$CA_KEY" -CAcreateserial -days 30 \
    -extfile <(printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n') -out "$NODE_STATE/pki/$1.crt" 2>/dev/null
  chmod 600 "$NODE_STATE/pki/$1.key"
  COMPONENT=$1 render_template "$TEMPLATES/component.kubeconfig" "$NODE_STATE/$1.kubeconfig"
}
issue kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
issue kube-proxy "/CN=system:kube-proxy"
KUBE_ROUTER_USER=platform:kube-router
issue kube-router "/CN=$KUBE_ROUTER_USER"
# The kubelet's serving certificate from the same CA (instead of the self-signed one it would make), so that its
# clients can verify it: metrics-server does (cluster/metrics/metrics.sh, --kubelet-certificate-authority).
openssl req -newkey rsa:2048 -nodes -keyout "$NODE_STATE/pki/kubelet-serving.key" -subj "/CN=system:node:$NODE_NAME" \
  -out "$NODE_STATE/pki/kubelet-serving.csr" 2>/dev/null
openssl x509 -req -in "$NODE_STATE/pki/kubelet-serving.csr" -CA "$CA_CRT" -CAkey "$CA_KEY" -CAcreateserial -days 30 \
  -extfile <(printf 'extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\nsubjectAltName=IP:%s,DNS:%s\n' "$NODE_IP" "$NODE_NAME") \
  -out "$NODE_STATE/pki/kubelet-serving.crt" 2>/dev/null
chmod 600 "$NODE_STATE/pki/kubelet-serving.key"

# --- containerd --------------------------------------------------------------------------------------------
CONTAINERD_ROOT="$CACHE_ROOT/node/containerd" # the image store survives a down (like the built binaries)
mkdir -p "$CONTAINERD_ROOT"
# Images are imported, never pulled (hosts.toml: every registry resolves to a closed loopback port).
cp "$TEMPLATES/hosts.toml" "$NODE_STATE/certs.d/_default/hosts.toml"
render_template "$TEMPLATES/10-platform.conflist" "$NODE_STATE/cni/net.d/10-platform.conflist"
render_template "$TEMPLATES/containerd.toml" "$NODE_STATE/containerd.toml"

start() { # name, command... (own session; pid recorded; output to logs/<name>.log)
  local name=$1; shift
  setsid "$@" >"$NODE_STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
}
wait_for() { # seconds, description, command...
  local seconds=$1 what=$2; shift 2
  wait_until "$seconds" "$@" || ndie "$what (logs: $NODE_STATE/logs)"
}
start containerd containerd --config "$NODE_STATE/containerd.toml"
wait_for 30 "containerd did not start" nctr version
# Its CRI service initializes after containerd answers (recovering the state of earlier containers first: 0.5 s seen);
# a kubelet started before that exits ("server is not initialized yet"). containerd 1.6 logs this line right before.
wait_for 30 "containerd's CRI service did not initialize" grep -q "Start streaming server" "$NODE_STATE/logs/containerd.log"

# --- the pause (sandbox) image: a static C program, built once --------------------------------------------
PAUSE_CACHE="$CACHE_ROOT/node/pause-$(sha256sum "$NODE_SCRIPTS/pause.c" | cut -c1-12)"
if ! nctr images ls -q | grep -qx "$PAUSE_IMAGE"; then
  if [[ ! -f "$PAUSE_CACHE/pause.tar" ]]; then
    mkdir -p "$PAUSE_CACHE/rootfs"
    gcc -static -O2 -o "$PAUSE_CACHE/rootfs/pause" "$NODE_SCRIPTS/pause.c"
    PLATFORM_IMAGE_ARCHIVE="$PAUSE_CACHE/pause.tar" "$NODE_SCRIPTS/oci-archive.sh" "$PAUSE_CACHE/rootfs" "$PAUSE_IMAGE" /pause 65535 >&2
  fi
  nctr images import "$PAUSE_CACHE/pause.tar" >&2
fi

# --- kubelet -----------------------------------------------------------------------------------------------
render_template "$TEMPLATES/kubelet.yaml" "$NODE_STATE/kubelet.yaml"
start kubelet "$BIN/kubelet" --config="$NODE_STATE/kubelet.yaml" --kubeconfig="$NODE_STATE/kubelet.kubeconfig" \
  --root-dir="$NODE_STATE/kubelet" --cert-dir="$NODE_STATE/pki/kubelet-serving" --node-ip="$NODE_IP" \
  --hostname-override="$NODE_NAME" --node-labels="platform.local/node=real,topology.kubernetes.io/zone=local-real" -v=1

# --- kube-proxy (iptables mode; changes no sysctl with these settings) -------------------------------------
start kube-proxy "$BIN/kube-proxy" --kubeconfig="$NODE_STATE/kube-proxy.kubeconfig" --hostname-override="$NODE_NAME" \
  --proxy-mode=iptables --healthz-bind-address=127.0.0.1:10256 --metrics-bind-address=127.0.0.1:10249 \
  --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
  --iptables-localhost-nodeports=false --nodeport-addresses="$NODE_IP/32" -v=1

wait_for 90 "$NODE_NAME did not become Ready" node_ready
wait_for 30 "kube-proxy is not healthy" curl -sf --max-time 2 http://127.0.0.1:10256/healthz

# --- NetworkPolicy enforcement: kube-router's policy controller only (iptables + ipset) ---------------------------
# No routing, no service proxy (kube-proxy's job); metrics on loopback; its health port is off (it can only bind
# every interface). Reads what it needs through platform:kube-router (templates/kube-router-rbac.yaml).
render_template "$TEMPLATES/kube-router-rbac.yaml" "$NODE_STATE/kube-router-rbac.yaml"
kctl apply -f "$NODE_STATE/kube-router-rbac.yaml" >/dev/null || ndie "could not grant kube-router its read access"
start kube-router "$KUBE_ROUTER" --kubeconfig="$NODE_STATE/kube-router.kubeconfig" --hostname-override="$NODE_NAME" \
  --run-router=false --run-service-proxy=false --run-firewall=true --run-loadbalancer=false \
  --enable-ipv4=true --enable-ipv6=false --service-cluster-ip-range="$SERVICE_CIDR" \
  --health-port=0 --metrics-addr=127.0.0.1 --metrics-port="$KUBE_ROUTER_METRICS_PORT" -v=1
kube_router_synced() {
  curl -sf --max-time 2 "http://127.0.0.1:$KUBE_ROUTER_METRICS_PORT/metrics" >/dev/null && iptables -w 5 -S KUBE-ROUTER-FORWARD >/dev/null
}
wait_for 60 "kube-router's policy controller did not install its chains" kube_router_synced
echo "$NODE_FINGERPRINT" >"$NODE_RUN/fingerprint"
nlog "$NODE_NAME Ready in $((SECONDS - START))s (pods $POD_CIDR on $NODE_BRIDGE, services $SERVICE_CIDR, NetworkPolicy enforced by kube-router $KUBE_ROUTER_VERSION; logs $NODE_STATE/logs)"
