#!/usr/bin/env bash
# Installs the Debian packages a real local node needs (containerd, runc, CNI plugins, iptables, ipset (kube-router's
# policy controller), conntrack,
# nftables, buildah, a static C toolchain for the pause binary). A no-op when every command is present.
# Needs root and apt-get; `apt-get update` runs once, only when an install is needed.
set -euo pipefail

# command -> package
declare -A NEEDED=(
  [containerd]=containerd
  [ctr]=containerd
  [runc]=runc
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [/usr/lib/cni/host-local]=containernetworking-plugins
  [/usr/lib/cni/loopback]=containernetworking-plugins
  [iptables]=iptables
  [ip6tables]=iptables
  [conntrack]=conntrack
  [ipset]=ipset
  [nft]=nftables
  [buildah]=buildah
  [gcc]=gcc
  [/usr/lib/x86_64-linux-gnu/libc.a]=libc6-dev
  [ip]=iproute2
  [mount]=mount
  [envsubst]=gettext-base
)

missing=()
for cmd in "${!NEEDED[@]}"; do
  if [[ $cmd == /* ]]; then [[ -e $cmd ]] && continue; else command -v "$cmd" >/dev/null && continue; fi
  missing+=("${NEEDED[$cmd]}")
done
(( ${#missing[@]} )) || exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

[[ $(id -u) == 0 ]] || { echo "node/packages: need root to install: ${missing[*]}" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "node/packages: no apt-get to install: ${missing[*]}" >&2; exit 1; }
echo "node/packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
