# The local environment's PostgreSQL (sourced by cluster/local/up.sh and down.sh, after cluster/lib.sh and
# cluster/node/lib.sh): Debian's package, its own data directory under the cache, listening ONLY on the real node's
# bridge address (where the pods reach it; the NetworkPolicy's database egress admits it) and on a Unix socket in its
# own directory (the superuser's way in, for creating the workloads' roles). Runs as Debian's `postgres` user.
# shellcheck shell=bash
# shellcheck disable=SC2034  # settings read by the scripts that source this file
# Outside /root (mode 700: the postgres user could not reach it); removed by local:down.
PG_DIR=/var/lib/platform-local-postgres
PG_DATA="$PG_DIR/data"
PG_SOCKET_DIR="$PG_DIR/run"
PG_LOG="$PG_DIR/server.log"
# The port the generic target's NetworkPolicy admits for the database (config DATABASE_PORT).
PG_PORT=5432
PG_USER=postgres

# The directory with initdb, pg_ctl and postgres (Debian: /usr/lib/postgresql/<version>/bin, the newest); installs
# Debian's postgresql package when missing.
pg_bin() {
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)"
  if [[ -z "$dir" || ! -x "$dir/pg_ctl" ]]; then
    log "local: installing Debian's postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2 ||
      { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2; }
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n 1)"
  fi
  [[ -x "$dir/pg_ctl" ]] || die "local: PostgreSQL's pg_ctl not found under /usr/lib/postgresql/*/bin"
  echo "$dir"
}

as_pg() { setpriv --reuid="$PG_USER" --regid="$PG_USER" --init-groups "$@"; }

pg_pid() { head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true; }
pg_running() { pid_ours "$(pg_pid)" "$PG_DIR"; }

# Starts the server (initialising its data directory the first time); a no-op when it runs.
pg_start() {
  local bin
  bin="$(pg_bin)"
  if pg_running; then log "local: PostgreSQL is already running ($NODE_IP:$PG_PORT)"; return 0; fi
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    rm -rf "$PG_DIR" && mkdir -p "$PG_DATA" "$PG_SOCKET_DIR"
    chown -R "$PG_USER:$PG_USER" "$PG_DIR" && chmod 700 "$PG_DIR" "$PG_SOCKET_DIR"
    as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C \
      --no-instructions >/dev/null || die "local: initdb failed"
    # The superuser only over the socket; every workload role with its password from the pods' range only.
    printf 'local all postgres trust\nhost app all %s scram-sha-256\n' "$POD_CIDR" >"$PG_DATA/pg_hba.conf"
    chown "$PG_USER:$PG_USER" "$PG_DATA/pg_hba.conf"
  fi
  [[ "$(ip route get "$NODE_IP" 2>/dev/null)" == "local $NODE_IP "* ]] || die "local: $NODE_IP is not this machine's bridge address (is the real node up?)"
  as_pg "$bin/pg_ctl" start -w -t 60 -D "$PG_DATA" -l "$PG_LOG" \
    -o "-p $PG_PORT -c listen_addresses='$NODE_IP' -c unix_socket_directories='$PG_SOCKET_DIR' -c password_encryption=scram-sha-256" \
    >/dev/null || die "local: PostgreSQL did not start (log: $PG_LOG)"
  log "local: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $NODE_IP:$PG_PORT (the node's bridge only), data $PG_DATA"
}

# Stops the server (fast, then SIGKILL of its postmaster) and removes its data directory.
pg_stop_and_remove() {
  local bin pid
  if pg_running; then
    bin="$(pg_bin)"
    pid="$(pg_pid)"
    as_pg "$bin/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 20 >/dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 bash -c "! kill -0 $pid" || true
    log "local: PostgreSQL stopped"
  fi
  rm -rf "$PG_DIR"
}
