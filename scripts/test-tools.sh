#!/usr/bin/env bash
# `npm test`'s pretest: the tools the jest suites run, installed side by side when missing (moto and PostgreSQL by
# scripts/setup-tools.sh --tests, helm by scripts/helm.sh); a no-op of well under a second once they are there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-tools.sh --tests &
tools=$!
bash scripts/helm.sh --path >/dev/null &
helm=$!
wait "$tools"
wait "$helm"
