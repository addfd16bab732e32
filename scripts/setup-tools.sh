#!/usr/bin/env bash
# Installs the Python tools the tests and checks use when a machine lacks them (pinned; skipped when present):
# moto (AWS API emulator for the Lambda and deploy-command tests), cfn-lint, and checkov (for `npm run scan`, in its
# own virtualenv under $PLATFORM_CACHE_DIR/tools so its pinned dependencies never change moto's or cfn-lint's).
# Runs before `npm test`.
# actionlint and shellcheck are installed by scripts/actionlint.sh; the Kubernetes binaries by cluster/build.sh.
set -euo pipefail

CFN_LINT_VERSION=1.51.0
MOTO_VERSION=5.2.1
CHECKOV_VERSION=3.3.30
CHECKOV_VENV="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/tools/checkov-$CHECKOV_VERSION"

installed() { python3 -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('$1') == '$2' else 1)" 2>/dev/null; }

if ! command -v moto_server >/dev/null || ! installed moto "$MOTO_VERSION"; then
  echo "setup-tools: installing moto[server]==$MOTO_VERSION" >&2
  python3 -m pip install --quiet "moto[server]==$MOTO_VERSION"
fi
if ! command -v cfn-lint >/dev/null || ! installed cfn-lint "$CFN_LINT_VERSION"; then
  echo "setup-tools: installing cfn-lint==$CFN_LINT_VERSION" >&2
  python3 -m pip install --quiet "cfn-lint==$CFN_LINT_VERSION"
fi
if ! [ -x "$CHECKOV_VENV/bin/checkov" ] || [ "$("$CHECKOV_VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  echo "setup-tools: installing checkov==$CHECKOV_VERSION into $CHECKOV_VENV" >&2
  mkdir -p "$(dirname "$CHECKOV_VENV")"
  python3 -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install --quiet "checkov==$CHECKOV_VERSION"
fi
