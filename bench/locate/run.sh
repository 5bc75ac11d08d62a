#!/usr/bin/env bash
# bench/locate: point location, our index against GEOS and PostGIS.
#
# 1. build/bench_locate: our index over a synthetic Zhengzhou-sized tiling of
#    70,818 grids (10M random points, median of 5) and over 436 grids; the
#    GEOS STRtree + prepared polygons baseline on 200,000 of the points.
# 2. PostGIS 3.3 on PostgreSQL 15 (a throwaway cluster on loopback), same
#    polygons (SRID 4326, GiST index) and the same 200,000 points:
#    (a) one statement joining all points to the grids with ST_Contains,
#        time per point; (b) one query per point, via pgbench, one client.
#    Every answer of the join must equal ours.
# Prints the rates and the ratios; exits 1 when an answer differs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/bench_locate}
. "$root/bench/lib/pg.sh"

work=$(mktemp -d /tmp/wg-bench-locate.XXXXXX)
chmod 755 "$work"
trap 'pg_stop; rm -rf "$work"' EXIT

# The demo's micro-grids, for case (c).
wangge=${WANGGE:-$root/build/wangge}
WANGGE_PASSWORD_MEMLIMIT=8M "$wangge" init --db "$work/demo.db" >/dev/null 2>&1
(cd "$root" && WANGGE_PASSWORD_MEMLIMIT=8M "$wangge" demo --db "$work/demo.db" >/dev/null 2>&1)
"$wangge" export grids --db "$work/demo.db" >"$work/demo.geojson"

echo "== ours and GEOS"
WG_BENCH_DUMP="$work" WG_BENCH_DEMO="$work/demo.geojson" "$bin" | tee "$work/ours.txt"
ours_rate=$(awk '/^\(a\) ours/ {print $(NF-1)}' "$work/ours.txt")
small_rate=$(awk '/^\(c\) ours/ {print $NF}' "$work/ours.txt")
chmod 644 "$work"/*.csv

echo
echo "== PostGIS"
pg_start
pg_psql <<SQL
CREATE EXTENSION postgis;
CREATE TABLE grids_raw (id int, wkt text);
\copy grids_raw FROM '$work/grids.csv' WITH (FORMAT csv)
CREATE TABLE grids AS SELECT id, ST_GeomFromText(wkt, 4326) AS geom FROM grids_raw;
CREATE INDEX grids_geom ON grids USING gist (geom);
CREATE TABLE points (id int, x float8, y float8);
\copy points FROM '$work/points.csv' WITH (FORMAT csv)
ALTER TABLE points ADD COLUMN geom geometry(Point, 4326);
UPDATE points SET geom = ST_SetSRID(ST_MakePoint(x, y), 4326);
CREATE TABLE ours (pid int, gid int);
\copy ours FROM '$work/ours.csv' WITH (FORMAT csv)
VACUUM ANALYZE grids; VACUUM ANALYZE points;
SQL
npts=$(pg_psql -At -c 'SELECT count(*) FROM points')
ngrids=$(pg_psql -At -c 'SELECT count(*) FROM grids')

# (a) the batch join, best of 3
best=""
for i in 1 2 3; do
    t=$(pg_psql -At <<'SQL' | tail -1
SET client_min_messages = warning;
DROP TABLE IF EXISTS answers;
\timing on
CREATE TABLE answers AS SELECT p.id AS pid, g.id AS gid FROM points p JOIN grids g ON ST_Contains(g.geom, p.geom);
SQL
)
    ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$t")
    [ -n "$ms" ] || ms=$(pg_psql -At -c "SELECT 0")
    if [ -z "$best" ] || awk -v a="$ms" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$ms; fi
done
join_rate=$(awk -v n="$npts" -v ms="$best" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
diff=$(pg_psql -At -c "SELECT count(*) FROM (SELECT pid, gid FROM answers EXCEPT SELECT pid, gid FROM ours) a" )
diff2=$(pg_psql -At -c "SELECT count(*) FROM (SELECT pid, gid FROM ours EXCEPT SELECT pid, gid FROM answers) a")

# (b) one query per point: pgbench, one client, 10 s
read -r x0 x1 y0 y1 < <(pg_psql -At -F ' ' -c 'SELECT min(x), max(x), min(y), max(y) FROM points')
cat >"$work/one.sql" <<SQL
\set i random(0, 1000000)
\set j random(0, 1000000)
SELECT id FROM grids WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($x0 + (:i / 1000000.0) * ($x1 - $x0), $y0 + (:j / 1000000.0) * ($y1 - $y0)), 4326));
SQL
chmod 644 "$work/one.sql"
query_rate=$(pgbench -n -c 1 -j 1 -T 10 -M prepared -f "$work/one.sql" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}')

echo
printf '%-48s %12s\n' "method ($ngrids grids)" "lookups/s"
printf '%-48s %12.0f\n' "wangge index, one core" "$ours_rate"
printf '%-48s %12.0f\n' "PostGIS batch join (ST_Contains + GiST), per point" "$join_rate"
printf '%-48s %12.0f\n' "PostGIS one query per point (pgbench, 1 client)" "$query_rate"
printf '%-48s %12.0f\n' "wangge index, the demo's 436 micro-grids, one core" "$small_rate"
echo
awk -v o="$ours_rate" -v j="$join_rate" -v q="$query_rate" 'BEGIN {
    printf "ratio to the PostGIS batch join:   %8.0fx (goal >= 10x)\n", o / j
    printf "ratio to one PostGIS query/point:  %8.0fx (goal >= 100x)\n", o / q
    printf "%s lookups/s at 70k grids (goal >= 2M, the project aims at 5M)\n", (o >= 2e6) ? "meets" : "MISSES"
}'
echo "answers differing from PostGIS on $npts points: $diff + $diff2"
[ "$diff" = 0 ] && [ "$diff2" = 0 ]
