#!/usr/bin/env bash
# The pipeline's scan gates outside GitHub Actions (which runs the Trivy action with the same settings): Trivy on
# the image archive, or on the IaC (cdk.out and manifests after `npm run synth`); fails on HIGH/CRITICAL.
# Trivy comes from PATH, else it is installed from the Go module proxy with `go install` (cached).
# Usage: npm run scan:image -- <image.tar> [<sbom.cdx.json>] | npm run scan:iac
# (`npm run images:scan` runs the image scan for each image of the plan, each with its own SBOM file.)
set -euo pipefail
cd "$(dirname "$0")/.."

TRIVY_VERSION=v0.74.0
TOOLS="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/tools"
command -v go >/dev/null || for d in "$TOOLS"/go*/bin; do [ -x "$d/go" ] && PATH="$d:$PATH"; done
trivy=$(command -v trivy || true)
if [ -z "$trivy" ]; then
  trivy="$TOOLS/trivy-$TRIVY_VERSION/trivy"
  if ! [ -x "$trivy" ]; then
    echo "scan: installing trivy $TRIVY_VERSION into $(dirname "$trivy")" >&2
    GOBIN="$(dirname "$trivy")" go install "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION"
  fi
fi

case "${1:-}" in
  image)
    [ "$#" -eq 2 ] || [ "$#" -eq 3 ] || { echo "usage: $0 image <image.tar> [<sbom.cdx.json>]" >&2; exit 2; }
    "$trivy" image --input "$2" --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1
    "$trivy" image --input "$2" --format cyclonedx --output "${3:-sbom.cdx.json}"
    ;;
  config)
    "$trivy" config --severity HIGH,CRITICAL --exit-code 1 --skip-dirs node_modules,dist .
    ;;
  *)
    echo "usage: $0 image <image.tar> [<sbom.cdx.json>] | $0 config" >&2
    exit 2
    ;;
esac
