#!/usr/bin/env bash
# Scans the filesystem of an image archive (docker save / buildx type=docker) with ClamAV; exits 1 on a finding.
# Installs clamav from Debian/Ubuntu packages when missing (root or passwordless sudo), refreshes the signatures.
# Usage: npm run scan:clamav -- <image.tar>
set -euo pipefail

archive=${1:?usage: $0 <image.tar>}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v clamscan >/dev/null; then
  as_root apt-get update -qq
  as_root apt-get install -y -qq clamav >/dev/null
fi
# Signatures: freshclam needs the network; keep going with whatever database is installed when it cannot refresh.
as_root systemctl stop clamav-freshclam >/dev/null 2>&1 || true
as_root freshclam --quiet || echo "clamav-scan: freshclam failed; scanning with the installed signatures" >&2

# Unpack every layer of the archive (a docker-save layout: manifest.json + layer tarballs) into one tree.
mkdir -p "$work/image" "$work/rootfs"
tar -xf "$archive" -C "$work/image"
find "$work/image" -type f -size +0 | while read -r blob; do
  if tar -tf "$blob" >/dev/null 2>&1; then
    tar -xf "$blob" -C "$work/rootfs" --no-same-owner --exclude='dev/*' 2>/dev/null || true
  fi
done

echo "clamav-scan: scanning $(find "$work/rootfs" -type f | wc -l) files from $archive" >&2
clamscan --recursive --infected "$work/rootfs"
