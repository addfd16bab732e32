#!/usr/bin/env bash
# Independent scanners over what the platform ships, judged against the reviewed skip list (scripts/scan-skips.json):
#   checkov (offline: --skip-download) over cdk.out/ (CloudFormation), manifests/ (Kubernetes), .github/workflows/
#   (GitHub Actions) and app/Dockerfile; kube-score over each target's manifests.
# Fails on any finding no skip covers (scripts/scan-report.ts). Then a self-check: a deliberately privileged
# Deployment must fail the same scan (SCAN_SELF_CHECK=0 skips it).
# Needs `npm run synth` first (cdk.out/ and manifests/). Tools are pinned and cached under $PLATFORM_CACHE_DIR/tools:
# checkov (installed by scripts/setup-tools.sh, in its own virtualenv), kube-score from the Go module proxy (as
# scripts/actionlint.sh installs actionlint).
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30 # the version scripts/setup-tools.sh installs
KUBE_SCORE_VERSION=v1.20.0
TOOLS="${PLATFORM_CACHE_DIR:-$HOME/.cache/platform-k8s}/tools"
CHECKOV="$TOOLS/checkov-$CHECKOV_VERSION/bin/checkov"
KUBE_SCORE="$TOOLS/kube-score"
export BC_SKIP_MAPPING=TRUE # no download of the check-ID mapping (offline)

[ -x "$CHECKOV" ] || bash scripts/setup-tools.sh
[ "$("$CHECKOV" --version)" = "$CHECKOV_VERSION" ] || { echo "scan: $CHECKOV is not checkov $CHECKOV_VERSION (scripts/setup-tools.sh pins it)" >&2; exit 1; }
if ! [ -x "$KUBE_SCORE" ] || ! go version -m "$KUBE_SCORE" 2>/dev/null | grep -q "mod.*github.com/zegl/kube-score.*$KUBE_SCORE_VERSION"; then
  echo "scan: installing kube-score $KUBE_SCORE_VERSION into $TOOLS" >&2
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" go install "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
fi
for required in cdk.out manifests; do
  [ -d "$required" ] || { echo "scan: $required/ is missing; run \"npm run synth\" first" >&2; exit 2; }
done
node scripts/build.mjs

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# checkov exits 1 on findings: --soft-fail, the report judges them. Its banner and progress go to stderr.
checkov() { "$CHECKOV" --skip-download --quiet --soft-fail --output json "$@"; }
# kube-score: one run per file (with several files it attributes same-named objects to one of them).
kube_score() { "$KUBE_SCORE" score --output-format json "$1" || [ $? -eq 1 ]; }

checkov --directory cdk.out --framework cloudformation > "$out/checkov-cloudformation.json"
checkov --directory manifests --framework kubernetes > "$out/checkov-kubernetes.json"
checkov --directory .github/workflows --framework github_actions > "$out/checkov-github-actions.json"
checkov --file app/Dockerfile --framework dockerfile > "$out/checkov-dockerfile.json"
# Every workload's file and each target's namespace file.
for manifest in manifests/*/*.k8s.yaml; do
  kube_score "$manifest" > "$out/kube-score-$(basename "$(dirname "$manifest")")-$(basename "$manifest" .k8s.yaml).json"
done
node dist/scan-report.js --skips scripts/scan-skips.json "$out"/*.json

if [ "${SCAN_SELF_CHECK:-1}" != 0 ]; then
  # A copy of the generic manifests with a privileged container: both scanners must report it as unacknowledged.
  mkdir -p "$out/self-check/manifests/generic"
  sed -e 's/privileged: false/privileged: true/' manifests/generic/web.k8s.yaml > "$out/self-check/manifests/generic/web.k8s.yaml"
  grep -q 'privileged: true' "$out/self-check/manifests/generic/web.k8s.yaml" || { echo "scan self-check: could not introduce the deliberate finding" >&2; exit 1; }
  (cd "$out/self-check" && checkov --directory manifests --framework kubernetes) > "$out/self-check/checkov.json"
  node dist/scan-report.js --skips scripts/scan-skips.json --expect-finding CKV_K8S_16 "$out/self-check/checkov.json"
  (cd "$out/self-check" && kube_score manifests/generic/web.k8s.yaml) > "$out/self-check/kube-score.json"
  (cd "$out/self-check" && node "$OLDPWD/dist/scan-report.js" --skips "$OLDPWD/scripts/scan-skips.json" --expect-finding container-security-context-privileged kube-score.json)
fi
