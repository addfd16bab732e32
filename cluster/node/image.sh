#!/usr/bin/env bash
# Builds the sample service's image without Docker or a registry and imports it into the real node's
# containerd: the service bundle (app/build.mjs, as in app/Dockerfile) on a base assembled here (this
# machine's Node.js binary and the libraries `ldd` lists: no shell, no package manager), user 65532,
# entrypoint node, CMD /app/server.js, packed by buildah (no daemon; vfs storage in the build cache).
# app/Dockerfile stays the production build (CI, with a registry).
#
#   npm run -s image:local -- --tag 1.0.0            # prints platform.local/web:1.0.0
#   npm run -s image:local -- --tag 1.0.0 --variants never-ready,crash,http-5xx,slow,ok
#   npm run -s image:local -- --tag 1.0.0 --also-tag 1.0.1,1.0.2   # the same image (and variants) under more tags
#
# --variants also builds TEST images, platform.local/web-test:<variant>-<tag>, each with its own entry point
# (test/e2e/variants/main.ts, the fault fixed at build time); the production image has no such switch.
# Prints one reference per line, the production image's last. Needs the node running (npm run cluster:up),
# unless --no-import (then the OCI archives stay in $PLATFORM_CACHE_DIR/images/archives).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$(cd "$CLUSTER_DIR/.." && pwd)"

TAG="" VARIANTS="" ALSO="" IMPORT=1
while (( $# )); do
  case "$1" in
    --tag) TAG="${2:-}"; shift 2 ;;
    --variants) VARIANTS="${2:-}"; shift 2 ;;
    --also-tag) ALSO="${2:-}"; shift 2 ;;
    --no-import) IMPORT=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "image: unknown argument '$1' (--tag TAG [--also-tag T2,T3] [--variants a,b] [--no-import])" ;;
  esac
done
[[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$ ]] || die "image: --tag '$TAG' is not an image tag (letters, digits, _ . -; up to 101 characters)"
KNOWN_VARIANTS="$(sed -n "s/^export const VARIANTS = \[\(.*\)\] as const;$/\1/p" "$ROOT/test/e2e/variants/variants.ts" | tr -d "'," )"
IFS=',' read -r -a variants <<<"$VARIANTS"
IFS=',' read -r -a also <<<"$ALSO"
for t in "${also[@]}"; do
  [[ "$t" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$ ]] || die "image: --also-tag '$t' is not an image tag"
done
(( IMPORT || ${#also[@]} == 0 )) || die "image: --also-tag needs the import (tags are added in containerd)"
for v in "${variants[@]}"; do
  [[ " $KNOWN_VARIANTS " == *" $v "* ]] || die "image: unknown variant '$v' (one of: $KNOWN_VARIANTS)"
done
if (( IMPORT )); then
  if ! { [[ -S "$CONTAINERD_SOCK" ]] && nctr version >/dev/null 2>&1; }; then die "image: the real node is not running (npm run cluster:up), or pass --no-import"; fi
fi
command -v buildah >/dev/null || bash "$NODE_PACKAGES_SCRIPT"

IMAGES="$CACHE_ROOT/images"
STORE="$CACHE_ROOT/buildah"
mkdir -p "$IMAGES/archives" "$STORE"
# --cni-config-dir: buildah would otherwise create /etc/cni/net.d on the host.
bh() { buildah --root "$STORE/root" --runroot "$STORE/run" --storage-driver vfs "$@"; }

# --- the base: node + its libraries, /tmp, nothing else (cached by the binary's and libraries' digests) ------
NODE_BIN="$(readlink -f "$(command -v node)")"
mapfile -t LIBS < <(ldd "$NODE_BIN" | grep -oE '/[^ ]+' | sort -u)
BASE_KEY="$(sha256sum "$NODE_BIN" "${LIBS[@]/#/}" 2>/dev/null | sha256sum | cut -c1-12)"
BASE="localhost/platform-node-base:$BASE_KEY"
if ! bh inspect --type image "$BASE" >/dev/null 2>&1; then
  log "image: assembling the base ($NODE_BIN $(node --version), ${#LIBS[@]} libraries)"
  rootfs="$(mktemp -d)"
  install -D -m 0755 "$NODE_BIN" "$rootfs/nodejs/bin/node"
  for lib in "${LIBS[@]}"; do install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"; done
  mkdir -p "$rootfs/tmp" "$rootfs/app" "$rootfs/etc"
  chmod 1777 "$rootfs/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
  ctr_id="$(bh from --quiet --cni-config-dir "$STORE/cni" scratch)"
  bh copy --quiet "$ctr_id" "$rootfs/" / >/dev/null
  bh config --os linux --arch amd64 --user 65532:65532 --workingdir /app --entrypoint '["/nodejs/bin/node"]' "$ctr_id"
  bh commit --quiet --rm "$ctr_id" "$BASE" >/dev/null
  rm -rf "$rootfs"
fi

# --- one image per bundle ---------------------------------------------------------------------------------
build_image() { # reference, bundle file
  local ref=$1 bundle=$2 ctr_id archive
  archive="$IMAGES/archives/$(tr '/:' '__' <<<"$ref").tar"
  ctr_id="$(bh from --quiet --cni-config-dir "$STORE/cni" "$BASE")"
  bh copy --quiet --chown 0:0 --chmod 0444 "$ctr_id" "$bundle" /app/server.js >/dev/null
  bh config --env NODE_ENV=production --env "APP_VERSION=$TAG" --env PORT=8080 --port 8080 \
    --cmd /app/server.js --label org.opencontainers.image.title=platform-web --label "org.opencontainers.image.version=$TAG" "$ctr_id"
  rm -f "$archive"
  bh commit --quiet --rm --disable-compression --format oci "$ctr_id" "oci-archive:$archive:$ref" >/dev/null
  if (( IMPORT )); then
    nctr images import "$archive" >/dev/null
    rm -f "$archive"
  fi
  echo "$ref"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for v in "${variants[@]}"; do
  node "$ROOT/test/e2e/variants/build.mjs" "$v" "$work/$v.js"
  build_image "platform.local/web-test:$v-$TAG" "$work/$v.js"
done
node "$ROOT/app/build.mjs" "$work/server.js"
for t in "${also[@]}"; do
  nctr images rm "platform.local/web:$t" >/dev/null 2>&1 || true
done
build_image "platform.local/web:$TAG" "$work/server.js" >/dev/null
for t in "${also[@]}"; do
  nctr images tag "platform.local/web:$TAG" "platform.local/web:$t" >/dev/null
  echo "platform.local/web:$t"
  # The test variants under the extra tags too (one release after another of the same variant, e.g. a good one).
  for v in "${variants[@]}"; do
    nctr images rm "platform.local/web-test:$v-$t" >/dev/null 2>&1 || true
    nctr images tag "platform.local/web-test:$v-$TAG" "platform.local/web-test:$v-$t" >/dev/null
    echo "platform.local/web-test:$v-$t"
  done
done
echo "platform.local/web:$TAG"
