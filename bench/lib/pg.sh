# bench/lib/pg.sh - a throwaway PostgreSQL 15 + PostGIS cluster on loopback
# for the benchmarks' anchors. Source it; it defines pg_start, pg_psql,
# pg_stop. The cluster lives in a temporary directory owned by the
# postgres user (PostgreSQL refuses to run as root), listens on 127.0.0.1
# at a free port, and is removed by pg_stop.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_start() {
    PG_DIR=$(mktemp -d /tmp/wg-pg.XXXXXX)
    chown postgres: "$PG_DIR"
    chmod 700 "$PG_DIR"
    PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
    # Settings a user would pick for a fast single-machine server.
    cat >>"$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
shared_buffers = 2GB
work_mem = 256MB
maintenance_work_mem = 1GB
max_parallel_workers_per_gather = 2
jit = off
fsync = on
synchronous_commit = on
CONF
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start >/dev/null
    export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=postgres
}

pg_psql() {
    psql -X -q -v ON_ERROR_STOP=1 "$@"
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}
