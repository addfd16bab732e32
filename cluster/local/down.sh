#!/usr/bin/env bash
# `npm run local:down`: undoes `npm run local:up`: stops the local PostgreSQL and removes its data directory, then takes
# the cluster down (cluster/down.sh: the real node, its nftables guard, chains, ipsets, bridge, ... leave nothing
# behind). The built binaries and the image store stay cached. A no-op for what is not running.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../node/lib.sh
source "$CLUSTER_DIR/node/lib.sh"
# shellcheck source=postgres.sh
source "$CLUSTER_DIR/local/postgres.sh"
pg_stop_and_remove
bash "$CLUSTER_DIR/down.sh"
log "local: environment down"
