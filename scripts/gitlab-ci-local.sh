#!/usr/bin/env bash
# Runs jobs of .gitlab-ci.yml on this machine with gitlab-ci-local's shell executor (each job in its own copy of the
# repository under .gitlab-ci-local/), as a GitLab runner would; GitLab-hosted templates are left out
# (PLATFORM_LOCAL_CI=true). Jobs that use AWS (push, deploy) need GitLab's OIDC token and are not for local runs.
# Usage: npm run ci:gitlab-local -- <job> [<job>…]     e.g. typecheck lint-ci
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pipeline-tools.sh
source scripts/pipeline-tools.sh

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <job> [<job>…] (check stage: typecheck test synth lint-ci e2e)" >&2
  exit 2
fi
gcl=$(pipeline_tool gitlab-ci-local "$GITLAB_CI_LOCAL_VERSION")
# --shell-isolation copies the repository for each job with rsync.
if ! command -v rsync >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "gitlab-ci-local: installing rsync (Debian package)" >&2
    apt-get install -y -qq rsync >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq rsync >/dev/null; }
  else
    echo "gitlab-ci-local: rsync is required (each job runs in its own copy of the repository)" >&2
    exit 1
  fi
fi
args=(--force-shell-executor --shell-isolation --no-color --variable PLATFORM_LOCAL_CI=true --variable "PLATFORM_CACHE_DIR=${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}")
for job in "$@"; do args+=(--job "$job"); done
"$gcl" "${args[@]}"
