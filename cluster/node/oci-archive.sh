#!/usr/bin/env bash
# Packs a root filesystem directory into a single-layer OCI image archive with buildah (no daemon, no
# registry, vfs storage in the build cache), for `ctr images import`.
#   PLATFORM_IMAGE_ARCHIVE=<out.tar> [PLATFORM_IMAGE_ENV="K=V ..."] oci-archive.sh <rootfs> <reference> <entrypoint> <uid> [cmd]
# Prints the reference.
set -euo pipefail
ROOTFS=$1 REF=$2 ENTRYPOINT=$3 USER_ID=$4 CMD=${5:-}
OUT="${PLATFORM_IMAGE_ARCHIVE:?set PLATFORM_IMAGE_ARCHIVE to the archive to write}"
STORE="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/buildah"
mkdir -p "$STORE"
# --cni-config-dir: buildah would otherwise create /etc/cni/net.d on the host.
bh() { buildah --root "$STORE/root" --runroot "$STORE/run" --storage-driver vfs "$@"; }
ctr_id="$(bh from --quiet --cni-config-dir "$STORE/cni" scratch)"
trap 'bh rm "$ctr_id" >/dev/null 2>&1 || true' EXIT
bh copy --quiet "$ctr_id" "$ROOTFS/" / >/dev/null
config=(--entrypoint "[\"$ENTRYPOINT\"]" --user "$USER_ID:$USER_ID" --workingdir / --os linux --arch amd64)
[[ -n "$CMD" ]] && config+=(--cmd "$CMD")
for kv in ${PLATFORM_IMAGE_ENV:-}; do config+=(--env "$kv"); done
bh config "${config[@]}" "$ctr_id"
rm -f "$OUT.tmp"
bh commit --quiet --rm --format oci "$ctr_id" "oci-archive:$OUT.tmp:$REF" >/dev/null
trap - EXIT
mv "$OUT.tmp" "$OUT"
echo "$REF"
