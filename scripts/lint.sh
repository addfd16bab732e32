#!/usr/bin/env bash
# `npm run lint`: ESLint (typescript-eslint, with the layer-direction rules of eslint.config.mjs), Prettier
# (--check: reports, never rewrites) and shellcheck over every shell script in cluster/, scripts/, .ci/ and
# .github/scripts/. Runs every check and fails if any failed. shellcheck comes from Debian packages when missing
# and possible (root), as in scripts/actionlint.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
echo "lint: eslint" >&2
npx --no-install eslint --max-warnings=0 . || status=1

echo "lint: prettier --check" >&2
npx --no-install prettier --check --log-level=warn . || status=1

if ! command -v shellcheck >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "lint: installing shellcheck (Debian package)" >&2
  apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; } || true
fi
if ! command -v shellcheck >/dev/null; then
  echo "lint: shellcheck is required (apt-get install shellcheck)" >&2
  exit 1
fi
# Every tracked shell script: *.sh, and files whose first line names bash or sh (.ci/run).
mapfile -t scripts < <(git ls-files cluster scripts .ci .github/scripts | while read -r f; do
  if [[ "$f" == *.sh ]] || head -n 1 "$f" 2>/dev/null | grep -Eq '^#!.*\b(ba)?sh\b'; then echo "$f"; fi
done)
echo "lint: shellcheck (${#scripts[@]} scripts)" >&2
shellcheck -x --source-path=SCRIPTDIR "${scripts[@]}" || status=1

if [ "$status" -eq 0 ]; then echo "lint: eslint, prettier and shellcheck clean" >&2; fi
exit "$status"
