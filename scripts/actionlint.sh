#!/usr/bin/env bash
# Lints every GitHub Actions workflow with actionlint, and the shell in their run: steps with shellcheck.
# Installs actionlint from the Go module proxy when missing (cached under $PLATFORM_CACHE_DIR/tools) and shellcheck
# from Debian packages when missing and possible (root). Fails if shellcheck is unavailable unless
# ACTIONLINT_ALLOW_NO_SHELLCHECK=1.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
TOOLS="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/tools"
ACTIONLINT="$TOOLS/actionlint"
# A Go toolchain installed by `scripts/setup-tools.sh --go` when the machine has none (CI images without Go).
command -v go >/dev/null || for d in "$TOOLS"/go*/bin; do [ -x "$d/go" ] && PATH="$d:$PATH"; done

if ! [ -x "$ACTIONLINT" ] || ! "$ACTIONLINT" -version 2>/dev/null | head -n 1 | grep -qx "$ACTIONLINT_VERSION"; then
  if command -v go >/dev/null; then
    echo "actionlint: installing $ACTIONLINT_VERSION into $TOOLS" >&2
    mkdir -p "$TOOLS"
    GOBIN="$TOOLS" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  elif command -v actionlint >/dev/null; then
    ACTIONLINT=$(command -v actionlint)
    echo "actionlint: no Go toolchain; using $ACTIONLINT ($("$ACTIONLINT" -version | head -n 1))" >&2
  else
    echo "actionlint: neither Go (to install $ACTIONLINT_VERSION) nor an actionlint on PATH" >&2
    exit 1
  fi
fi

if ! command -v shellcheck >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "actionlint: installing shellcheck (Debian package)" >&2
  apt-get install -y -qq shellcheck >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; } \
    || true
fi
if command -v shellcheck >/dev/null; then
  SHELLCHECK=$(command -v shellcheck)
elif [ "${ACTIONLINT_ALLOW_NO_SHELLCHECK:-0}" = 1 ]; then
  SHELLCHECK=""
  echo "actionlint: shellcheck unavailable; run: steps are not checked (ACTIONLINT_ALLOW_NO_SHELLCHECK=1)" >&2
else
  echo "actionlint: shellcheck is required (install it, or set ACTIONLINT_ALLOW_NO_SHELLCHECK=1)" >&2
  exit 1
fi

mapfile -t workflows < <(find .github/workflows -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "actionlint: no workflows in .github/workflows" >&2
  exit 1
fi
"$ACTIONLINT" -shellcheck="$SHELLCHECK" "${workflows[@]}"

# The scripts that workflow steps call.
if [ -n "$SHELLCHECK" ]; then
  "$SHELLCHECK" scripts/actionlint.sh scripts/helm.sh .github/scripts/*.sh
fi
echo "actionlint $ACTIONLINT_VERSION: ${#workflows[@]} workflows OK (shellcheck: ${SHELLCHECK:-off})"
