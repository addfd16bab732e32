#!/usr/bin/env bash
# EKS-style access entries of the local cluster (cluster/access/): what `aws eks create-access-entry`,
# `associate-access-policy` and `update-kubeconfig` do on EKS. Permissions come from the access webhook, not RBAC.
#
#   cluster/access-entry.sh put --username U [--group G]... [--policy AmazonEKSAdminPolicy --namespace NS]...
#   cluster/access-entry.sh kubeconfig --username U --out FILE     # a new token for U; prints FILE
#   cluster/access-entry.sh delete --username U
#
# Env: PLATFORM_CLUSTER_NAME (default platform-local), PLATFORM_CACHE_DIR, PLATFORM_KWOK_WORKDIR.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=access/access.sh
source "$CLUSTER_DIR/access/access.sh"
find_binaries || die "binaries not built yet: run cluster/build.sh (or cluster/up.sh)"
[[ -f "$KUBECONFIG_PATH" ]] || die "cluster '$CLUSTER_NAME' is not up: run cluster/up.sh"
access_webhook_running || die "the access webhook of cluster '$CLUSTER_NAME' is not running: run cluster/up.sh"
(( $# > 0 )) || die "usage: cluster/access-entry.sh put|kubeconfig|delete --username U ..."
command="$1"
shift
extra=()
if [[ "$command" == kubeconfig ]]; then
  extra=(--server "$(kctl config view --raw -o jsonpath='{.clusters[0].cluster.server}')" --ca-file "$CLUSTER_WORKDIR/pki/ca.crt")
fi
exec node "$CLUSTER_DIR/access/entries.mjs" "$command" --entries "$ACCESS_ENTRIES" "$@" "${extra[@]}"
