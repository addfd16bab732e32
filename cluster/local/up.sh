#!/usr/bin/env bash
# `npm run local:up`: the whole local environment with one command, as a user would try it. The cluster with the real
# node (cluster/up.sh: NetworkPolicy enforced by kube-router), a real PostgreSQL (Debian's package) listening only on
# the node's bridge address, the workloads' database roles created by the statements the AWS custom resource runs
# (scripts/local-database.ts) with each workload's `<workload>-database` Secret, the sample image built and imported
# (cluster/node/image.sh), and every workload of the portable target deployed by `npm run deploy`. Prints how to reach
# `web` from this machine and how to deploy a change. Safe to re-run (reuses what runs; the image gets a new tag).
# `npm run local:down` leaves the machine as it was.
# Env: PLATFORM_LOCAL_TARGET (the portable target to deploy, default generic), PLATFORM_LOCAL_CONFIG (the
# configuration, default "local": the default one with rollouts paced for one machine, config/examples/local.ts),
# and cluster/up.sh's.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../node/lib.sh
source "$CLUSTER_DIR/node/lib.sh"
# shellcheck source=postgres.sh
source "$CLUSTER_DIR/local/postgres.sh"
ROOT="$(cd "$CLUSTER_DIR/.." && pwd)"
TARGET="${PLATFORM_LOCAL_TARGET:-generic}"
CONFIG="${PLATFORM_LOCAL_CONFIG:-local}"
START=$SECONDS
[[ "${PLATFORM_NODE:-real}" == real ]] || die "local:up needs the real node (PLATFORM_NODE=$PLATFORM_NODE): unset PLATFORM_NODE"

kubeconfig="$(bash "$CLUSTER_DIR/up.sh" | tail -n 1)"
find_binaries || die "the cluster binaries are not built"
pg_start
node "$ROOT/scripts/build.mjs" >/dev/null
node "$ROOT/dist/local-database.js" --config "$CONFIG" --target "$TARGET" --socket-dir "$PG_SOCKET_DIR" --host "$NODE_IP" --port "$PG_PORT" --kubeconfig "$kubeconfig"
image="$(bash "$CLUSTER_DIR/node/image.sh" --tag "local-$(date -u +%Y%m%d%H%M%S)" | tail -n 1)"
# The sample's one image (config SAMPLE_IMAGE "app") releases every workload that runs it: web, worker, prune.
node "$ROOT/dist/deploy.js" --config "$CONFIG" --env "$TARGET" --image "app=$image" --kubeconfig "$kubeconfig" >&2 || die "npm run deploy failed (above)"

namespace="$(kctl get deployments -A --field-selector metadata.name=web -o jsonpath='{.items[0].metadata.namespace}')"
web="$(kctl get service web -n "$namespace" -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}')"
cat >&2 <<MSG

[local] ready in $((SECONDS - START))s: target "$TARGET" (namespace $namespace) on the real node, image $image
  web, from this machine (its Service address, routed through the node's bridge):
    curl -s http://$web/healthz; curl -s -X POST -H 'content-type: application/json' -d '{"payload":"hello"}' http://$web/work
  or through the API server:  cluster/kubectl.sh -n $namespace port-forward service/web 8080:${web##*:}
  kubectl:                    export KUBECONFIG=$kubeconfig   (or cluster/kubectl.sh)
  PostgreSQL:                 $NODE_IP:$PG_PORT, database app, one role per workload (Secrets <workload>-database in $namespace)
  deploy a change:            npm run -s image:local -- --tag my-change   # prints the image reference
                              npm run deploy -- --config $CONFIG --env $TARGET --image app=platform.local/web:my-change --kubeconfig $kubeconfig
  stop, leaving the machine as it was: npm run local:down
MSG
echo "$kubeconfig"
