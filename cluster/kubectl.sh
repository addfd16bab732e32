#!/usr/bin/env bash
# kubectl (the cached v1.35 build) against the local cluster started by cluster/up.sh.
#   cluster/kubectl.sh get pods -A
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
find_binaries || die "binaries not built yet: run cluster/build.sh (or cluster/up.sh)"
[[ -f "$KUBECONFIG_PATH" ]] || die "cluster '$CLUSTER_NAME' is not up: run cluster/up.sh"
exec "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"
