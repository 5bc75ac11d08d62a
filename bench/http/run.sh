#!/usr/bin/env bash
# bench/http: a small GET with keep-alive, wangge against nginx.
#
# wrk (2 threads, 64 keep-alive connections) against GET /api/version on
# wangge and, in the same run, against nginx serving a static file with the
# identical body; both servers get 2 workers and no access log. Runs
# alternate (wangge, nginx, wangge, ...) so that machine noise hits both;
# the medians and their ratio are printed. Keep-alive is checked, not
# assumed: the kernel's count of accepted TCP connections (PassiveOpens) must
# grow by about the number of wrk connections, not the number of requests.
#
# WG_PATH picks what is fetched: /api/version (the default: a small JSON
# answer from the API) or a file of the console, e.g. /app/js/api.js
# (served from memory by wangge, from the file system by nginx).
#
# usage: bench/http/run.sh [BINARY]   (env: ROUNDS=3 DURATION=5s CONNS=64 WG_PATH=/api/version)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/wangge}
rounds=${ROUNDS:-3}
duration=${DURATION:-5s}
conns=${CONNS:-64}
target=${WG_PATH:-/api/version}
work=$(mktemp -d /tmp/wg-bench-http.XXXXXX)
chmod 755 "$work" # nginx workers run as www-data
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
passive_opens() { awk '/^Tcp:/ { if (!h) { for (i=1;i<=NF;i++) if ($i=="PassiveOpens") c=i; h=1 } else print $c }' /proc/net/snmp; }

# wangge
"$bin" serve --db "$work/bench.db" --listen 127.0.0.1:0 --threads 2 --access-log false \
    --log-level warn --web-root "$root/web" --web-npm-root "$root/node_modules" >"$work/wangge.out" 2>"$work/wangge.err" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/wangge.out" ] && break; sleep 0.1; done
wg_url="$(head -1 "$work/wangge.out")$target"

# nginx with the same body as a static file
mkdir -p "$(dirname "$work/www$target")" "$work/nginx"
curl -sf "$wg_url" >"$work/www$target"
chmod -R a+rX "$work/www"
nport=$(free_port)
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$nport;
        root $work/www;
    }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
ng_url="http://127.0.0.1:$nport$target"
for _ in $(seq 50); do curl -sf "$ng_url" >/dev/null && break; sleep 0.1; done
cmp <(curl -sf "$wg_url") <(curl -sf "$ng_url") || { echo "bodies differ" >&2; exit 1; }

run() { # url -> prints "rps conns_opened requests"
    local before after out
    before=$(passive_opens)
    out=$(wrk -t2 -c"$conns" -d"$duration" "$1")
    after=$(passive_opens)
    local rps reqs
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then echo "$out" >&2; fi
    echo "$rps $((after - before)) $reqs"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

wg_all=() ng_all=()
for i in $(seq "$rounds"); do
    read -r rps opened reqs < <(run "$wg_url")
    echo "round $i wangge: $rps req/s ($reqs requests over $opened new connections)"
    if [ "$opened" -gt $((conns * 4)) ]; then
        echo "keep-alive did not hold for wangge: $opened connections for $reqs requests" >&2
        exit 1
    fi
    wg_all+=("$rps")
    read -r rps opened reqs < <(run "$ng_url")
    echo "round $i nginx:  $rps req/s ($reqs requests over $opened new connections)"
    ng_all+=("$rps")
done
wg_med=$(printf '%s\n' "${wg_all[@]}" | median)
ng_med=$(printf '%s\n' "${ng_all[@]}" | median)
ratio=$(awk -v a="$wg_med" -v b="$ng_med" 'BEGIN {printf "%.2f", a / b}')
echo
echo "GET $target, $conns keep-alive connections, median of $rounds x $duration:"
printf '  wangge %10.0f req/s\n  nginx  %10.0f req/s (static file, same body)\n  ratio  %10s x nginx (goal >= 1.0)\n' \
    "$wg_med" "$ng_med" "$ratio"
