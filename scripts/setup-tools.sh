#!/usr/bin/env bash
# Installs the non-npm tools the checks use when a machine lacks them (a fresh machine has Node, Go, Python).
# Pinned versions; each is skipped when already present.
set -euo pipefail

CFN_LINT_VERSION=1.51.0
MOTO_VERSION=5.2.1

python_has() { python3 -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('$1') == '$2' else 1)" 2>/dev/null; }

if ! command -v cfn-lint >/dev/null || ! python_has cfn-lint "$CFN_LINT_VERSION"; then
  python3 -m pip install --quiet "cfn-lint==$CFN_LINT_VERSION"
fi
if ! command -v moto_server >/dev/null || ! python_has moto "$MOTO_VERSION"; then
  python3 -m pip install --quiet "moto[server]==$MOTO_VERSION"
fi
if ! command -v shellcheck >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; }) || echo "setup-tools: shellcheck unavailable; actionlint runs without it" >&2
fi
command -v kubectl >/dev/null || echo "setup-tools: kubectl not on PATH; the local cluster build provides one" >&2
