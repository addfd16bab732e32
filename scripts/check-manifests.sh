#!/usr/bin/env bash
# CI: the committed manifests/ must equal a fresh synth of charts/ + config/, so every change is reviewable.
# Synthesizes only the manifests (node, no AWS), then fails on any difference or any untracked file in manifests/.
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/build.mjs
node dist/charts.js

status=0
if ! git diff --exit-code --stat -- manifests/; then
  echo "check-manifests: manifests/ differ from a fresh synth (diff above). Run 'npm run synth' and commit manifests/." >&2
  # `|| true`: head closes the pipe early on a long diff; under pipefail git's SIGPIPE would end the script here,
  # before the untracked-file report.
  { git --no-pager diff -- manifests/ || true; } | head -200 >&2
  status=1
fi
untracked=$(git ls-files --others --exclude-standard -- manifests/)
if [ -n "$untracked" ]; then
  echo "check-manifests: untracked files in manifests/ (new targets must be committed):" >&2
  echo "$untracked" >&2
  status=1
fi
if [ "$status" -eq 0 ]; then echo "check-manifests: manifests/ match a fresh synth"; fi
exit "$status"
