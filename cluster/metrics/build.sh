#!/usr/bin/env bash
# Builds metrics-server (sigs.k8s.io/metrics-server, METRICS_SERVER_VERSION in cluster/versions.env) from the Go
# module proxy through its own wrapper module (cluster/build/metrics-server), so that its dependency graph
# (k8s.io/* v0.33) never moves the Kubernetes or etcd ones, and into its own cache entry:
#   ${PLATFORM_CACHE_DIR:-~/.cache/platform-k8s}/metrics-server-<version>_<os>-<arch>_<go.mod+go.sum digest>/metrics-server
# A no-op when the binary exists. Called by cluster/build.sh (npm run cluster:build); cluster/up.sh runs it.
#
# Usage: cluster/metrics/build.sh [--force] [--print-path]
#   --print-path  print the binary's path (last line of stdout); exit 0 if it exists, 1 if not
# Progress goes to stderr; the binary's path is printed as the last line of stdout.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../versions.env
source "$HERE/../versions.env"
MOD="$HERE/../build/metrics-server"
PKG=sigs.k8s.io/metrics-server/cmd/metrics-server

FORCE=0 PRINT_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --print-path) PRINT_ONLY=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "metrics/build.sh: unknown argument: $arg (--force, --print-path)" >&2; exit 2 ;;
  esac
done

log() { printf '[cluster/metrics-server %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# shellcheck source=../build/go.sh
source "$HERE/../build/go.sh"
require_go 1.24 log
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false"

CACHE_ROOT="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}"
set_path() {
  local digest
  digest="$({ cat "$MOD/go.mod" "$MOD/go.sum" 2>/dev/null || true; } | sha256sum | cut -c1-8)"
  OUT="$CACHE_ROOT/metrics-server-${METRICS_SERVER_VERSION}_$(go env GOOS)-$(go env GOARCH)_${digest}/metrics-server"
}
set_path

if [[ $PRINT_ONLY == 1 ]]; then
  echo "$OUT"
  [[ -x "$OUT" ]]
  exit $?
fi
if [[ $FORCE == 0 && -x "$OUT" ]]; then
  log "metrics-server ${METRICS_SERVER_VERSION} up to date: $OUT"
  echo "$OUT"
  exit 0
fi

START=$SECONDS
# (Re)generate the wrapper module when versions.env names another version (commit go.mod and go.sum).
if ! { [[ -f "$MOD/go.mod" && -f "$MOD/go.sum" ]] && grep -Eq "sigs\.k8s\.io/metrics-server ${METRICS_SERVER_VERSION}( |$)" "$MOD/go.mod"; }; then
  log "generating $MOD/go.mod for metrics-server ${METRICS_SERVER_VERSION}"
  (
    cd "$MOD"
    rm -f go.mod go.sum
    go mod init platform.local/cluster/build/metrics-server 2>/dev/null
    # Same go line (so the same GODEBUG defaults) as metrics-server's own module.
    upstream="$(go mod download -json "sigs.k8s.io/metrics-server@${METRICS_SERVER_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    [[ -f "$upstream" ]] || { log "ERROR: could not download sigs.k8s.io/metrics-server@${METRICS_SERVER_VERSION}"; exit 1; }
    go mod edit -go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream")"
    go get -tool "${PKG}@${METRICS_SERVER_VERSION}"
    go mod tidy
  )
  set_path
fi

log "building metrics-server ${METRICS_SERVER_VERSION} (a few minutes on a cold cache)"
mkdir -p "$(dirname "$OUT")"
stage="$(mktemp -d "$CACHE_ROOT/metrics-server-build.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
# The version metrics-server reports (its Makefile sets the same client-go variables).
v=k8s.io/client-go/pkg/version
(
  cd "$MOD"
  go build -mod=readonly -trimpath -ldflags "-s -w -X $v.gitVersion=${METRICS_SERVER_VERSION} -X $v.gitTreeState=clean" -o "$stage/metrics-server" "$PKG"
)
"$stage/metrics-server" --version >&2 || { log "ERROR: the built metrics-server does not run"; exit 1; }
mv -f "$stage/metrics-server" "$OUT"
log "metrics-server built in $((SECONDS - START))s: $OUT"
echo "$OUT"
