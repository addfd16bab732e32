# Puts a Go toolchain on PATH for the build scripts (sourced, not executed): the machine's, else one installed by
# `scripts/setup-tools.sh --go` (CI images without Go). Usage: require_go <minimum version> <log function>
# shellcheck shell=bash
require_go() {
  command -v go >/dev/null || for d in "${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}"/tools/go*/bin; do [ -x "$d/go" ] && PATH="$d:$PATH"; done
  command -v go >/dev/null || { "$2" "ERROR: go is not installed (Go >= $1 needed; scripts/setup-tools.sh --go installs one)"; exit 1; }
}
