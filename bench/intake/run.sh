#!/usr/bin/env bash
# bench/intake: durable case intake. wrk POSTs cases (locate, route,
# deadlines, history, audit, a committed transaction each) to a copy of the
# demo database, 2 threads; in the same run, the same work in PostgreSQL
# 15 + PostGIS 3 (a throwaway cluster on loopback, fsync and
# synchronous_commit on): pgbench, each transaction locating a random point
# in the demo's micro-grids with ST_Contains (GiST), inserting the case and
# a history row. Both at 16 connections (each client waits for its commit:
# the fsync's latency bounds both) and at 64 (enough to keep both busy:
# what the machine can take in). Prints both rates and the ratios.
# CONNS="16 64" by default; DURATION seconds each (10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/wangge}
duration=${DURATION:-10}
. "$root/bench/lib/pg.sh"
. "$root/bench/lib/wangge.sh"
wg_workdir intake
conns=${CONNS:-16 64}
"$bin" init --db "$work/tpl.db" >/dev/null 2>&1
(cd "$root" && "$bin" demo --db "$work/tpl.db" >/dev/null 2>&1)
"$bin" export grids --db "$work/tpl.db" >"$work/grids.geojson"

# One fresh copy of the demo database per run; prints cases stored per second.
wg_run() {
    rm -f "$work"/i.db* "$work/serve.out"
    cp "$work/tpl.db" "$work/i.db"
    cp "$work/tpl.db.key" "$work/i.db.key"
    wg_serve "$work/i.db"
    local token x0 y0 x1 y1 before after out
    token=$(wg_login member)
    read -r x0 y0 x1 y1 < <(curl -sf "$url/api/grids/410102008" -H "Authorization: Bearer $token" |
        python3 -c 'import sys,json; print(*json.load(sys.stdin)["bbox"])')
    echo "$x0 $y0 $x1 $y1" >"$work/bbox"
    before=$(sqlite3 "$work/i.db" 'SELECT count(*) FROM cases')
    out=$(WG_TOKEN=$token WG_X0=$x0 WG_Y0=$y0 WG_X1=$x1 WG_Y1=$y1 \
        wrk -t2 -c"$1" -d"${duration}s" -s "$here/post.lua" "$url")
    after=$(sqlite3 "$work/i.db" 'SELECT count(*) FROM cases')
    echo "$out" | grep -E 'Latency|Requests/sec' >&2
    kill "${pids[-1]}"
    wait "${pids[-1]}" 2>/dev/null || true
    awk -v n=$((after - before)) -v d="$duration" 'BEGIN {printf "%.0f", n / d}'
}

declare -A ours theirs
for c in $conns; do
    echo "== wangge, $c connections" >&2
    ours[$c]=$(wg_run "$c")
done
read -r x0 y0 x1 y1 <"$work/bbox"
echo "== PostgreSQL + PostGIS"
pg_start
python3 - "$work/grids.geojson" >"$work/micro.csv" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1]))["features"]:
    p = f["properties"]
    if p["level"] == "micro":
        print('%s,"%s"' % (p["code"], json.dumps(f["geometry"]).replace('"', '""')))
PY
chmod 644 "$work/micro.csv"
pg_psql <<SQL
CREATE EXTENSION postgis;
CREATE TABLE grids_raw (code text, geojson text);
\copy grids_raw FROM '$work/micro.csv' WITH (FORMAT csv)
CREATE TABLE grids AS SELECT code, ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326) AS geom FROM grids_raw;
CREATE INDEX ON grids USING gist (geom);
CREATE TABLE cases (id bigserial PRIMARY KEY, category text NOT NULL, status text NOT NULL,
    description text NOT NULL, lon float8, lat float8, grid text NOT NULL, department text NOT NULL,
    reported_at timestamptz NOT NULL, due_at timestamptz);
CREATE INDEX ON cases (grid, id); CREATE INDEX ON cases (status, id);
CREATE TABLE case_history (id bigserial PRIMARY KEY, case_id bigint NOT NULL REFERENCES cases (id),
    at timestamptz NOT NULL, actor text NOT NULL, action text NOT NULL, to_status text NOT NULL);
ANALYZE grids;
SQL
cat >"$work/intake.sql" <<SQL
\set i random(0, 1000000)
\set j random(0, 1000000)
BEGIN;
WITH c AS (
  INSERT INTO cases (category, status, description, lon, lat, grid, department, reported_at, due_at)
  SELECT 'E0504', 'reported', '压测上报', p.x, p.y, g.code, 'chengguan', now(), now() + interval '30 minutes'
  FROM (SELECT $x0 + (:i / 1000000.0) * ($x1 - $x0) AS x, $y0 + (:j / 1000000.0) * ($y1 - $y0) AS y) p
  JOIN grids g ON ST_Contains(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
  RETURNING id)
INSERT INTO case_history (case_id, at, actor, action, to_status) SELECT id, now(), 'member', 'report', 'reported' FROM c;
COMMIT;
SQL
chmod 644 "$work/intake.sql"
for c in $conns; do
    echo "== PostgreSQL + PostGIS, $c clients" >&2
    pg_psql -c 'TRUNCATE cases, case_history'
    pg_before=$(pg_psql -At -c 'SELECT count(*) FROM cases')
    pgbench -n -c "$c" -j 2 -T "$duration" -f "$work/intake.sql" >"$work/pgbench.txt" 2>&1 || cat "$work/pgbench.txt"
    pg_after=$(pg_psql -At -c 'SELECT count(*) FROM cases')
    theirs[$c]=$(awk -v n=$((pg_after - pg_before)) -v d="$duration" 'BEGIN {printf "%.0f", n / d}')
done
echo
printf 'durable case intake, cases stored per second (%s s each):\n' "$duration"
printf '  %-12s %10s %22s %8s\n' connections wangge 'PostgreSQL + PostGIS' ratio
for c in $conns; do
    awk -v c="$c" -v a="${ours[$c]}" -v b="${theirs[$c]}" \
        'BEGIN {printf "  %-12s %8d/s %20d/s %7.2fx\n", c, a, b, a / b}'
done
echo '  (goal: >= 5,000/s on 2 cores; the project aims at 10,000/s)'
