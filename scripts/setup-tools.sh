#!/usr/bin/env bash
# Installs the Python tools the tests and checks use when a machine lacks them (pinned; skipped when present):
# moto (AWS API emulator for the Lambda and deploy-command tests) and cfn-lint. Runs before `npm test`.
# actionlint and shellcheck are installed by scripts/actionlint.sh; the Kubernetes binaries by cluster/build.sh.
set -euo pipefail

CFN_LINT_VERSION=1.51.0
MOTO_VERSION=5.2.1

installed() { python3 -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('$1') == '$2' else 1)" 2>/dev/null; }

if ! command -v moto_server >/dev/null || ! installed moto "$MOTO_VERSION"; then
  echo "setup-tools: installing moto[server]==$MOTO_VERSION" >&2
  python3 -m pip install --quiet "moto[server]==$MOTO_VERSION"
fi
if ! command -v cfn-lint >/dev/null || ! installed cfn-lint "$CFN_LINT_VERSION"; then
  echo "setup-tools: installing cfn-lint==$CFN_LINT_VERSION" >&2
  python3 -m pip install --quiet "cfn-lint==$CFN_LINT_VERSION"
fi
