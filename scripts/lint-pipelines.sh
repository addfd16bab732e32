#!/usr/bin/env bash
# Validates the pipelines of the CI systems beside GitHub Actions (whose workflows scripts/actionlint.sh checks):
#   - .gitlab-ci.yml (+ .gitlab/ci/*.yml) against GitLab's CI schema, and gitlab-ci-local's own parse of the
#     pipeline (rules, needs, extends) for a develop push, a staging push and a release tag;
#   - bitbucket-pipelines.yml against Bitbucket's schema (test/pipelines/ also checks its structure: schemas miss keys);
#   - Jenkinsfile with npm-groovy-lint (CodeNarc; needs Java), rules of .groovylintrc.json: the Jenkinsfile preset,
#     longer lines (one sh step per command) and repeated literals allowed (declarative stages repeat them by design);
#   - the project scripts these pipelines call, with shellcheck (when installed).
# check-jsonschema comes from scripts/setup-tools.sh (pinned); gitlab-ci-local and npm-groovy-lint from
# scripts/pipeline-tools.sh (pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pipeline-tools.sh
source scripts/pipeline-tools.sh

command -v check-jsonschema >/dev/null || bash scripts/setup-tools.sh
check-jsonschema --builtin-schema vendor.gitlab-ci .gitlab-ci.yml .gitlab/ci/*.yml
check-jsonschema --builtin-schema vendor.bitbucket-pipelines bitbucket-pipelines.yml

gcl=$(pipeline_tool gitlab-ci-local "$GITLAB_CI_LOCAL_VERSION")
for ref in "CI_COMMIT_BRANCH=develop" "CI_COMMIT_BRANCH=staging" "CI_COMMIT_TAG=v1.0.0"; do
  echo "lint-pipelines: gitlab-ci-local --list with $ref" >&2
  "$gcl" --list --no-color --variable PLATFORM_LOCAL_CI=true --variable "$ref" >/dev/null
done

command -v java >/dev/null || { echo "lint-pipelines: npm-groovy-lint needs Java (17+)" >&2; exit 1; }
groovy=$(pipeline_tool npm-groovy-lint "$NPM_GROOVY_LINT_VERSION")
"$groovy" --failon warning --noserver --output txt Jenkinsfile
if command -v shellcheck >/dev/null; then
  shellcheck -x scripts/*.sh .github/scripts/*.sh
fi
echo "lint-pipelines: GitLab, Bitbucket and Jenkins pipelines OK"
