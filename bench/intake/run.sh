#!/usr/bin/env bash
# bench/intake: durable case intake. wrk POSTs cases (locate, route,
# deadlines, history, audit, a committed transaction each) to a copy of the
# demo database, 2 threads x 16 connections; in the same run, the same work
# in PostgreSQL 15 + PostGIS 3 (a throwaway cluster on loopback, fsync and
# synchronous_commit on): pgbench, 16 clients, each transaction locating a
# random point in the demo's micro-grids with ST_Contains (GiST), inserting
# the case and a history row. Prints both rates and the ratio.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/wangge}
duration=${DURATION:-10}
. "$root/bench/lib/pg.sh"
. "$root/bench/lib/wangge.sh"
wg_workdir intake
"$bin" init --db "$work/i.db" >/dev/null 2>&1
(cd "$root" && "$bin" demo --db "$work/i.db" >/dev/null 2>&1)
"$bin" export grids --db "$work/i.db" >"$work/grids.geojson"
wg_serve "$work/i.db"
token=$(wg_login member)
read -r x0 y0 x1 y1 < <(curl -sf "$url/api/grids/410102008" -H "Authorization: Bearer $token" |
    python3 -c 'import sys,json; print(*json.load(sys.stdin)["bbox"])')
before=$(sqlite3 "$work/i.db" 'SELECT count(*) FROM cases')
out=$(WG_TOKEN=$token WG_X0=$x0 WG_Y0=$y0 WG_X1=$x1 WG_Y1=$y1 \
    wrk -t2 -c16 -d"${duration}s" -s "$here/post.lua" "$url")
after=$(sqlite3 "$work/i.db" 'SELECT count(*) FROM cases')
ours=$(awk -v n=$((after - before)) -v d="$duration" 'BEGIN {printf "%.0f", n / d}')
echo "$out" | grep -E 'Latency|Requests/sec'

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
pg_before=$(pg_psql -At -c 'SELECT count(*) FROM cases')
pgbench -n -c 16 -j 2 -T "$duration" -f "$work/intake.sql" >"$work/pgbench.txt" 2>&1 || cat "$work/pgbench.txt"
pg_after=$(pg_psql -At -c 'SELECT count(*) FROM cases')
theirs=$(awk -v n=$((pg_after - pg_before)) -v d="$duration" 'BEGIN {printf "%.0f", n / d}')
echo
printf 'durable case intake, cases stored per second (%s s, 16 connections):\n' "$duration"
printf '  wangge                %8d /s\n' "$ours"
printf '  PostgreSQL + PostGIS  %8d /s\n' "$theirs"
awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "  ratio                 %8.2fx (goal: >= 5,000/s, the project aims at 10,000/s)\n", a / b}'
