#!/usr/bin/env bash
# bench/intake: durable case intake. wrk POSTs cases (locate, route,
# deadlines, history, audit, a committed transaction each) to a copy of the
# demo database, 2 threads; in the same run, the same work in PostgreSQL
# 15 + PostGIS 3 (a throwaway cluster on loopback, fsync and
# synchronous_commit on): pgbench, each transaction locating a random point
# in the demo's micro-grids with ST_Contains (GiST), inserting the case and
# a history row. Both draw their points from the same list of random points
# inside the micro-grids (a report from the field is inside the
# subdistrict; drawn from the bounding box instead, a quarter of the
# requests were refusals that stored nothing). Both at 16 connections (each client waits for its commit:
# the fsync's latency bounds both) and at 64 (enough to keep both busy:
# what the machine can take in). Prints both rates and the ratios.
# CONNS="16 64" by default; DURATION seconds each (10); ROUNDS (3), each
# running both at every connection count, the figures being medians.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/wangge}
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
. "$root/bench/lib/pg.sh"
. "$root/bench/lib/wangge.sh"
wg_workdir intake
conns=${CONNS:-16 64}
"$bin" init --db "$work/tpl.db" >/dev/null 2>&1
(cd "$root" && "$bin" demo --db "$work/tpl.db" >/dev/null 2>&1)
"$bin" export grids --db "$work/tpl.db" >"$work/grids.geojson"
# 20,000 random points inside the micro-grids (fixed seed): "i,lon,lat".
python3 - "$work/grids.geojson" >"$work/points.csv" <<'PY'
import json, random, sys

def inside(x, y, rings):  # even-odd rule over all rings (holes too)
    c = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                c = not c
    return c

polys = []
for f in json.load(open(sys.argv[1]))["features"]:
    if f["properties"]["level"] != "micro":
        continue
    g = f["geometry"]
    for rings in ([g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]):
        xs = [p[0] for p in rings[0]]
        ys = [p[1] for p in rings[0]]
        polys.append((min(xs), min(ys), max(xs), max(ys), rings))
x0, y0 = min(p[0] for p in polys), min(p[1] for p in polys)
x1, y1 = max(p[2] for p in polys), max(p[3] for p in polys)
rnd = random.Random(42)
n = 0
while n < 20000:
    x, y = rnd.uniform(x0, x1), rnd.uniform(y0, y1)
    if any(a <= x <= c and b <= y <= d and inside(x, y, r) for a, b, c, d, r in polys):
        n += 1
        print("%d,%.7f,%.7f" % (n, x, y))
PY

# One fresh copy of the demo database per run; prints cases stored per second.
wg_run() {
    rm -f "$work"/i.db* "$work/serve.out"
    cp "$work/tpl.db" "$work/i.db"
    cp "$work/tpl.db.key" "$work/i.db.key"
    wg_serve "$work/i.db"
    local token before after out
    token=$(wg_login member)
    before=$(sqlite3 "$work/i.db" 'SELECT count(*) FROM cases')
    out=$(WG_TOKEN=$token WG_POINTS="$work/points.csv" \
        wrk -t2 -c"$1" -d"${duration}s" -s "$here/post.lua" "$url")
    after=$(sqlite3 "$work/i.db" 'SELECT count(*) FROM cases')
    echo "$out" | grep -E 'Latency|Requests/sec|Non-2xx' >&2
    kill "${pids[-1]}"
    wait "${pids[-1]}" 2>/dev/null || true
    awk -v n=$((after - before)) -v d="$duration" 'BEGIN {printf "%.0f", n / d}'
}

echo "== PostgreSQL + PostGIS: set-up" >&2
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
CREATE TABLE points (i int PRIMARY KEY, x float8 NOT NULL, y float8 NOT NULL);
\copy points FROM '$work/points.csv' WITH (FORMAT csv)
CREATE TABLE cases (id bigserial PRIMARY KEY, category text NOT NULL, status text NOT NULL,
    description text NOT NULL, lon float8, lat float8, grid text NOT NULL, department text NOT NULL,
    reported_at timestamptz NOT NULL, due_at timestamptz);
CREATE INDEX ON cases (grid, id); CREATE INDEX ON cases (status, id);
CREATE TABLE case_history (id bigserial PRIMARY KEY, case_id bigint NOT NULL REFERENCES cases (id),
    at timestamptz NOT NULL, actor text NOT NULL, action text NOT NULL, to_status text NOT NULL);
ANALYZE grids; ANALYZE points;
SQL
cat >"$work/intake.sql" <<SQL
\set k random(1, 20000)
BEGIN;
WITH c AS (
  INSERT INTO cases (category, status, description, lon, lat, grid, department, reported_at, due_at)
  SELECT 'E0504', 'reported', '压测上报', p.x, p.y, g.code, 'chengguan', now(), now() + interval '30 minutes'
  FROM points p
  JOIN grids g ON ST_Contains(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
  WHERE p.i = :k
  RETURNING id)
INSERT INTO case_history (case_id, at, actor, action, to_status) SELECT id, now(), 'member', 'report', 'reported' FROM c;
COMMIT;
SQL
chmod 644 "$work/intake.sql" "$work/points.csv"
# PostgreSQL's cases stored per second with $1 clients.
pg_run() {
    pg_psql -c 'TRUNCATE cases, case_history'
    local before after
    before=$(pg_psql -At -c 'SELECT count(*) FROM cases')
    pgbench -n -c "$1" -j 2 -T "$duration" -f "$work/intake.sql" >"$work/pgbench.txt" 2>&1 || cat "$work/pgbench.txt" >&2
    after=$(pg_psql -At -c 'SELECT count(*) FROM cases')
    pg_psql -c CHECKPOINT # its dirty pages on disk before wangge's next run
    awk -v n=$((after - before)) -v d="$duration" 'BEGIN {printf "%.0f", n / d}'
}
# Rounds interleave the two at each connection count (the machine is
# noisy); each figure is a median over the rounds, and so is the ratio,
# taken round by round.
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A ours theirs ratios
for r in $(seq "$rounds"); do
    for c in $conns; do
        echo "== round $r: wangge, $c connections" >&2
        a=$(wg_run "$c")
        echo "== round $r: PostgreSQL + PostGIS, $c clients" >&2
        b=$(pg_run "$c")
        ours[$c]="${ours[$c]:-} $a"
        theirs[$c]="${theirs[$c]:-} $b"
        ratios[$c]="${ratios[$c]:-} $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')"
    done
done
echo
printf 'durable case intake, cases stored per second (median of %s rounds of %s s):\n' "$rounds" "$duration"
printf '  %-12s %10s %22s %8s\n' connections wangge 'PostgreSQL + PostGIS' ratio
for c in $conns; do
    a=$(printf '%s\n' ${ours[$c]} | median)
    b=$(printf '%s\n' ${theirs[$c]} | median)
    x=$(printf '%s\n' ${ratios[$c]} | median)
    awk -v c="$c" -v a="$a" -v b="$b" -v x="$x" \
        'BEGIN {printf "  %-12s %8d/s %20d/s %7.2fx\n", c, a, b, x}'
done
for c in $conns; do
    echo "  rounds at $c: wangge${ours[$c]}; PostgreSQL${theirs[$c]}"
done
echo '  (goal: >= 5,000/s on 2 cores; the project aims at 10,000/s)'
