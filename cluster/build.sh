#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy (no Docker,
# no prebuilt downloads): kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, kubelet, kube-proxy (k8s.io/kubernetes; the last two for the real node), etcd (go.etcd.io/etcd/server/v3), kwok + kwokctl;
# then metrics-server (cluster/metrics/build.sh: its own wrapper module and cache entry, built after these) and
# kube-router (cluster/node/kube-router-build.sh: the real node's NetworkPolicy controller, its own cache entry).
#
# Versions: cluster/versions.env (the only place to change them).
# Output:   ${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/<version-key>/bin
#           (outside the repo; Go's build and module caches are the default ones).
# Idempotent: does nothing when every binary of this version key exists.
#
# Usage: cluster/build.sh [--force] [--print-bin-dir]
#   --print-bin-dir  print the bin dir (last line of stdout) and exit 0 if complete, 1 if not
#   --force          rebuild even if the binaries exist
# Progress goes to stderr; the bin dir is printed as the last line of stdout.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"

FORCE=0
PRINT_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --print-bin-dir) PRINT_ONLY=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { printf '[cluster/build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# shellcheck source=build/go.sh
source "$HERE/build/go.sh"
require_go 1.25 log

GOOS="$(go env GOOS)"
GOARCH="$(go env GOARCH)"
CACHE_ROOT="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}"
K8S_MOD="$HERE/build/k8s"
ETCD_MOD="$HERE/build/etcd"
# Versions + a digest of the wrapper modules (a hand-edited go.mod/go.sum, e.g. a
# patched dependency, gets its own cache entry).
set_key() {
  local digest
  digest="$({ cat "$K8S_MOD"/go.mod "$K8S_MOD"/go.sum "$ETCD_MOD"/go.mod "$ETCD_MOD"/go.sum 2>/dev/null || true; } |
    sha256sum | cut -c1-8)"
  KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_${GOOS}-${GOARCH}_${digest}"
  BIN="$CACHE_ROOT/$KEY/bin"
}
set_key
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy etcd kwok kwokctl)

complete() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$BIN/$b" ]] || return 1; done
}

# metrics-server: its own module, step and cache entry (cluster/metrics/build.sh), so that neither graph moves the
# other and a change of one rebuilds only that one.
# kube-router likewise (cluster/node/kube-router-build.sh): the real node's NetworkPolicy enforcement.
build_side_components() {
  "$HERE/metrics/build.sh" >/dev/null || { log "ERROR: metrics-server did not build (cluster/metrics/build.sh)"; exit 1; }
  "$HERE/node/kube-router-build.sh" >/dev/null || { log "ERROR: kube-router did not build (cluster/node/kube-router-build.sh)"; exit 1; }
}

if [[ $PRINT_ONLY == 1 ]]; then
  echo "$BIN"
  complete
  exit $?
fi

if [[ $FORCE == 0 ]] && complete; then
  log "binaries up to date in $BIN"
  build_side_components
  echo "$BIN"
  exit 0
fi

# No VCS stamping (the wrapper modules live inside this repo), static binaries.
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false"
# Never let a go.mod line trigger a toolchain download: use the installed Go.
export GOTOOLCHAIN=local

START=$SECONDS
mkdir -p "$CACHE_ROOT"
STAGE="$(mktemp -d "$CACHE_ROOT/stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

# --- wrapper module for k8s.io/kubernetes -----------------------------------
# (Re)generate cluster/build/k8s/go.mod + go.sum when versions.env changed.
k8s_mod_current() {
  [[ -f "$K8S_MOD/go.mod" && -f "$K8S_MOD/go.sum" ]] &&
    grep -q "^require k8s.io/kubernetes ${K8S_VERSION}\$\|^	k8s.io/kubernetes ${K8S_VERSION}\$" "$K8S_MOD/go.mod" &&
    grep -q "=> k8s.io/api ${K8S_STAGING_VERSION}\$" "$K8S_MOD/go.mod"
}
if ! k8s_mod_current; then
  log "generating $K8S_MOD/go.mod for k8s.io/kubernetes ${K8S_VERSION}"
  upstream_mod="$(cd "$STAGE" && go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$upstream_mod" ]] || { log "ERROR: could not download k8s.io/kubernetes@${K8S_VERSION}"; exit 1; }
  # every `k8s.io/<name> => ./staging/src/k8s.io/<name>` line of the upstream go.mod
  mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$upstream_mod")
  (( ${#staging[@]} > 20 )) || { log "ERROR: found only ${#staging[@]} staging modules in $upstream_mod"; exit 1; }
  upstream_go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream_mod")"
  upstream_godebug="$(sed -n 's/^godebug \(.*\)$/\1/p' "$upstream_mod")"
  (
    cd "$K8S_MOD"
    rm -f go.mod go.sum
    go mod init platform.local/cluster/build/k8s 2>/dev/null
    edits=(-go="$upstream_go" -require="k8s.io/kubernetes@${K8S_VERSION}")
    [[ -n "$upstream_godebug" ]] && edits+=(-godebug="$upstream_godebug")
    for m in "${staging[@]}"; do edits+=(-replace="$m=$m@${K8S_STAGING_VERSION}"); done
    go mod edit "${edits[@]}"
    go mod tidy
  )
  log "generated go.mod with ${#staging[@]} staging replaces (commit cluster/build/k8s/go.mod and go.sum)"
fi

# --- wrapper module for etcd --------------------------------------------------
if ! { [[ -f "$ETCD_MOD/go.mod" && -f "$ETCD_MOD/go.sum" ]] &&
       grep -q "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}\$" "$ETCD_MOD/go.mod"; }; then
  log "generating $ETCD_MOD/go.mod for etcd ${ETCD_VERSION}"
  (
    cd "$ETCD_MOD"
    rm -f go.mod go.sum
    go mod init platform.local/cluster/build/etcd 2>/dev/null
    # Same go line (so the same GODEBUG defaults) as etcd's own module.
    etcd_mod="$(go mod download -json "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" |
      sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    go mod edit -go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$etcd_mod")" \
      -require="go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
    go mod tidy
  )
fi

# --- build --------------------------------------------------------------------
set_key  # the wrapper modules may have just been regenerated
if [[ $FORCE == 0 ]] && complete; then
  log "binaries up to date in $BIN"
  build_side_components
  echo "$BIN"
  exit 0
fi
mkdir -p "$BIN"
minor="${K8S_VERSION#v}"; major="${minor%%.*}"; minor="${minor#*.}"; minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
kldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kldflags+=" -X $pkg.gitVersion=${K8S_VERSION} -X $pkg.gitMajor=${major} -X $pkg.gitMinor=${minor}"
  kldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${build_date}"
done

log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet, kube-proxy ${K8S_VERSION} (slow on a cold cache: ~12 min on 2 cores)"
(
  cd "$K8S_MOD"
  go build -mod=readonly -trimpath -ldflags="$kldflags" -o "$STAGE/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy
)
log "kubernetes binaries built ($((SECONDS - START))s so far)"

log "building etcd ${ETCD_VERSION}"
(
  cd "$ETCD_MOD"
  go build -mod=readonly -trimpath -ldflags="-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3
)
log "etcd built ($((SECONDS - START))s so far)"

log "building kwok + kwokctl ${KWOK_VERSION}"
# kwok has no replace directives: a plain `go install` (in its own module graph).
GOBIN="$STAGE" GOFLAGS="" go install -trimpath \
  -ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION#v}" \
  "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" "sigs.k8s.io/kwok/cmd/kwokctl@${KWOK_VERSION}"

for b in "${BINARIES[@]}"; do
  [[ -x "$STAGE/$b" ]] || { log "ERROR: $b was not built"; exit 1; }
  mv -f "$STAGE/$b" "$BIN/$b"
done
log "done in $((SECONDS - START))s: $BIN"
"$BIN/kube-apiserver" --version >&2 || true
build_side_components
echo "$BIN"
