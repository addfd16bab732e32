#!/usr/bin/env bash
# Runs Helm, building it from the Go module proxy when missing (pinned; cached under $PLATFORM_CACHE_DIR/tools,
# like actionlint): `bash scripts/helm.sh <helm args>`, or `bash scripts/helm.sh --path` to print the binary.
set -euo pipefail

HELM_VERSION=v3.22.0
TOOLS="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/tools"
HELM="$TOOLS/helm-$HELM_VERSION"

if ! [ -x "$HELM" ]; then
  if ! command -v go >/dev/null; then
    echo "helm: the Go toolchain is needed to build helm $HELM_VERSION (go install helm.sh/helm/v3/cmd/helm)" >&2
    exit 1
  fi
  echo "helm: building $HELM_VERSION into $TOOLS (a few minutes, once)" >&2
  mkdir -p "$TOOLS"
  stage=$(mktemp -d "$TOOLS/helm-build.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  # -ldflags: the version `helm version` reports (a `go install` build would say v3.x-dirty otherwise).
  GOBIN="$stage" CGO_ENABLED=0 go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$stage/helm" "$HELM"
  rm -rf "$stage"
  trap - EXIT
fi

if [ "${1:-}" = "--path" ]; then
  echo "$HELM"
  exit 0
fi
exec "$HELM" "$@"
