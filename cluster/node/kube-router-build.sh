#!/usr/bin/env bash
# Builds kube-router (KUBE_ROUTER_VERSION in cluster/versions.env) from the Go module proxy into its own cache entry:
#   ${PLATFORM_CACHE_DIR:-~/.cache/platform-k8s}/kube-router-<version>_<os>-<arch>/kube-router
# Its go.mod has no replace directives, so a plain `go install` in its own module graph (like kwok). A no-op when the
# binary exists. Called by cluster/build.sh; the real node (cluster/node/up.sh) runs only its NetworkPolicy
# controller. A local test component: never shipped (security flaws are reported against v2.1.0).
#
# Usage: cluster/node/kube-router-build.sh [--print-path]
#   --print-path  print the binary's path (last line of stdout); exit 0 if it exists, 1 if not
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../versions.env
source "$HERE/../versions.env"
log() { printf '[cluster/kube-router %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# shellcheck source=../build/go.sh
source "$HERE/../build/go.sh"
require_go 1.21 log
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false"

CACHE_ROOT="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}"
OUT="$CACHE_ROOT/kube-router-${KUBE_ROUTER_VERSION}_$(go env GOOS)-$(go env GOARCH)/kube-router"
case "${1:-}" in
  --print-path) echo "$OUT"; [[ -x "$OUT" ]]; exit $? ;;
  "") ;;
  *) echo "kube-router-build.sh: unknown argument: $1 (--print-path)" >&2; exit 2 ;;
esac
if [[ -x "$OUT" ]]; then
  log "kube-router ${KUBE_ROUTER_VERSION} up to date: $OUT"
  echo "$OUT"
  exit 0
fi

START=$SECONDS
log "building kube-router ${KUBE_ROUTER_VERSION} (a few minutes on a cold cache)"
mkdir -p "$(dirname "$OUT")"
stage="$(mktemp -d "$CACHE_ROOT/kube-router-build.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
GOBIN="$stage" go install -trimpath -ldflags="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_VERSION}" \
  "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@${KUBE_ROUTER_VERSION}"
mv -f "$stage/kube-router" "$OUT"
log "kube-router built in $((SECONDS - START))s: $OUT"
echo "$OUT"
