#!/usr/bin/env bash
# Sourced by scripts/lint-pipelines.sh and scripts/gitlab-ci-local.sh: the npm-distributed pipeline tools, pinned and
# installed on first use under $PLATFORM_CACHE_DIR/tools/npm (not project dependencies: only these checks need them).
# Releases that run on Node.js 20 (the machines' version): gitlab-ci-local 4.75.1 needs Node.js 22 (Set.prototype.union)
# and npm-groovy-lint 18.0.0 declares node >= 22; 4.65.0 (engines node >= 18) and 15.2.2 (node >= 20) run here.
# shellcheck disable=SC2034 # used by the scripts that source this file
GITLAB_CI_LOCAL_VERSION=4.65.0
# shellcheck disable=SC2034
NPM_GROOVY_LINT_VERSION=15.2.2
PIPELINE_TOOLS="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/tools/npm"

# Prints the path of the tool's binary, installing the pinned version when it is missing or another version.
pipeline_tool() {
  local name=$1 version=$2 manifest="$PIPELINE_TOOLS/node_modules/$1/package.json"
  if ! [ -f "$manifest" ] || [ "$(node -p "require('$manifest').version")" != "$version" ]; then
    echo "pipeline-tools: installing $name@$version into $PIPELINE_TOOLS" >&2
    mkdir -p "$PIPELINE_TOOLS"
    npm install --prefix "$PIPELINE_TOOLS" --no-audit --no-fund --save-exact --loglevel=error "$name@$version" >&2
  fi
  echo "$PIPELINE_TOOLS/node_modules/.bin/$name"
}
