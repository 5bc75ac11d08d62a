# bench/lib/wangge.sh - what the benchmarks that run wangge share. Source it
# after bench/lib/pg.sh with $bin set: wg_workdir NAME makes $work (removed
# on exit, with the servers started and the PostgreSQL cluster), wg_serve
# DB starts a server on a free port and sets $url, wg_login LOGIN prints a
# demo account's token.
pids=()

wg_workdir() {
    work=$(mktemp -d "/tmp/wg-bench-$1.XXXXXX")
    chmod 755 "$work"
    trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; pg_stop; rm -rf "$work"' EXIT
    export WANGGE_PASSWORD_MEMLIMIT=8M
}

wg_serve() {
    "$bin" serve --db "$1" --listen 127.0.0.1:0 --access-log false --log-level warn \
        --escalation-interval 0 >"$work/serve.out" 2>"$work/serve.err" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$work/serve.out" ] && break; sleep 0.1; done
    url=$(head -1 "$work/serve.out")
}

wg_login() {
    curl -sf -X POST "$url/api/login" -H 'content-type: application/json' \
        -d "{\"login\":\"$1\",\"password\":\"wangge-demo-2023\"}" |
        python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])'
}
