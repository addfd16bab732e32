#!/usr/bin/env bash
# Installs the tools the tests and checks use when a machine lacks them (pinned; skipped when present). Runs before
# `npm test`, and as the first step of every CI job (GitHub, GitLab, Bitbucket, Jenkins): the pipelines install
# their tools through this one script instead of a CI image of their own.
#   - Python tools: moto (AWS API emulator for the Lambda and deploy-command tests), cfn-lint, check-jsonschema, and
#     checkov (for `npm run scan:misconfig`) in its own virtualenv under $PLATFORM_CACHE_DIR/tools, so its pinned
#     dependencies never change moto's or cfn-lint's.
#   - On a bare Debian-based CI image (e.g. the pinned node:22-bookworm-slim) as root: python3/pip, git, curl, unzip
#     from Debian packages.
#   - With --tests (npm test's pretest, scripts/test-tools.sh): only what the jest suites run, moto, and Debian's
#     PostgreSQL server binaries for the app's integration tests (root on Debian; test/app/postgres.ts installs them
#     itself otherwise). cfn-lint, check-jsonschema and checkov serve `npm run lint:cfn`, `lint:pipelines` and
#     `scan:misconfig`, never a jest test: a first `npm test` does not wait for them.
#   - With --go: a Go toolchain (the version cluster/build/k8s/go.mod names) when `go` is missing, from the Go
#     module proxy's golang.org/toolchain module (what `go` itself does with GOTOOLCHAIN), under $PLATFORM_CACHE_DIR;
#     it prints the directory to put on PATH.
# actionlint and shellcheck are installed by scripts/actionlint.sh; gitlab-ci-local and npm-groovy-lint by
# scripts/lint-pipelines.sh; the Kubernetes binaries by cluster/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION=1.51.0
MOTO_VERSION=5.2.1
CHECK_JSONSCHEMA_VERSION=0.39.0
CHECKOV_VERSION=3.3.30
TOOLS="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/tools"

WANT_GO=0
TESTS_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --go) WANT_GO=1 ;;
    --tests) TESTS_ONLY=1 ;;
    *) echo "setup-tools: unknown argument: $arg (allowed: --go, --tests)" >&2; exit 2 ;;
  esac
done

# System packages a slim CI image lacks (root on Debian only; elsewhere they must be there).
missing=()
command -v python3 >/dev/null || missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v git >/dev/null || missing+=(git)
# The app's integration tests start a throwaway PostgreSQL server (test/app/postgres.ts).
if [ "$TESTS_ONLY" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && ! command -v initdb >/dev/null; then
  missing+=(postgresql)
fi
if [ "$WANT_GO" = 1 ] && ! command -v go >/dev/null; then
  command -v curl >/dev/null || missing+=(curl ca-certificates)
  command -v unzip >/dev/null || missing+=(unzip)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup-tools: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup-tools: missing ${missing[*]} (install them, or run as root on a Debian-based image)" >&2
    exit 1
  fi
fi

# A throwaway CI container's Debian Python is "externally managed" (PEP 668): pip may install into it there only.
# --no-compile: moto[server] alone is ~300 MB of packages (cfn-lint's schemas, sympy); byte-compiling all of them up
# front is most of a first install. Python compiles what a run imports, when it first imports it.
pip_install() {
  local args=(--quiet --no-compile)
  if [ "${CI:-}" = true ] && python3 -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED")) else 1)'; then
    args+=(--break-system-packages)
  fi
  python3 -m pip install "${args[@]}" "$@"
}
installed() { python3 -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('$1') == '$2' else 1)" 2>/dev/null; }

if ! command -v moto_server >/dev/null || ! installed moto "$MOTO_VERSION"; then
  echo "setup-tools: installing moto[server]==$MOTO_VERSION" >&2
  pip_install "moto[server]==$MOTO_VERSION"
fi
if [ "$TESTS_ONLY" = 1 ]; then
  exit 0
fi
if ! command -v cfn-lint >/dev/null || ! installed cfn-lint "$CFN_LINT_VERSION"; then
  echo "setup-tools: installing cfn-lint==$CFN_LINT_VERSION" >&2
  pip_install "cfn-lint==$CFN_LINT_VERSION"
fi
if ! command -v check-jsonschema >/dev/null || ! installed check-jsonschema "$CHECK_JSONSCHEMA_VERSION"; then
  echo "setup-tools: installing check-jsonschema==$CHECK_JSONSCHEMA_VERSION" >&2
  pip_install "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
fi
checkov_venv="$TOOLS/checkov-$CHECKOV_VERSION"
if ! [ -x "$checkov_venv/bin/checkov" ] || [ "$("$checkov_venv/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  echo "setup-tools: installing checkov==$CHECKOV_VERSION into $checkov_venv" >&2
  mkdir -p "$TOOLS"
  python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install --quiet --no-compile "checkov==$CHECKOV_VERSION"
fi

if [ "$WANT_GO" = 1 ]; then
  if command -v go >/dev/null; then
    dirname "$(command -v go)"
  else
    version=$(sed -n 's/^go \([0-9.]*\)$/\1/p' cluster/build/k8s/go.mod)
    case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) echo "setup-tools: no Go toolchain for $(uname -m)" >&2; exit 1 ;; esac
    goroot="$TOOLS/go$version"
    if ! [ -x "$goroot/bin/go" ]; then
      echo "setup-tools: installing Go $version (golang.org/toolchain from the Go module proxy) into $goroot" >&2
      mkdir -p "$TOOLS"
      zip="$TOOLS/go$version.zip"
      curl -fsSL -o "$zip" "${GOPROXY_URL:-https://proxy.golang.org}/golang.org/toolchain/@v/v0.0.1-go$version.linux-$arch.zip"
      rm -rf "$goroot.tmp" && mkdir -p "$goroot.tmp"
      unzip -q "$zip" -d "$goroot.tmp" && rm -f "$zip"
      mv "$goroot.tmp/golang.org/toolchain@v0.0.1-go$version.linux-$arch" "$goroot" && rm -rf "$goroot.tmp"
      chmod +x "$goroot"/bin/* "$goroot"/pkg/tool/*/* 2>/dev/null || true
    fi
    echo "$goroot/bin"
  fi
fi
