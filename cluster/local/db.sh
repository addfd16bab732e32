#!/usr/bin/env bash
# The local environment's PostgreSQL alone (cluster/local/postgres.sh): `db.sh start` (needs the real node: it listens
# on the node's bridge address), `db.sh stop` (stops it and removes its data). local:up / local:down and the e2e
# tests that need a real database use it.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../node/lib.sh
source "$CLUSTER_DIR/node/lib.sh"
# shellcheck source=postgres.sh
source "$CLUSTER_DIR/local/postgres.sh"
case "${1:-}" in
  start) pg_start; echo "$PG_SOCKET_DIR $NODE_IP $PG_PORT" ;;
  stop) pg_stop_and_remove ;;
  *) die "db.sh: unknown command '${1:-}' (start | stop)" ;;
esac
