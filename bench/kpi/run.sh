#!/usr/bin/env bash
# bench/kpi: GET /api/stats/cases over 10M synthetic cases, and in the same
# run the equivalent GROUP BY in PostgreSQL 15.
#
# The cases: the demo's grids, departments and categories, reported evenly
# over the three years before today, all closed but those of the last 30
# days (70% closed, 20% being handled, 10% just reported), with the timestamps, deadlines, ratings, reworks and whistles a
# closed loop leaves. Both databases get the same rows (the same formulas
# over generate_series). Generated with the search, map and count triggers
# off and the secondary indexes dropped, then the reported_at index built:
# the bench measures reading KPIs, not loading 10M cases.
#
# wangge answers whole local days from its in-memory counters; they are
# built from the cases on the first request (timed and printed apart). The
# figure is the median over 21 requests per group of the time curl sees
# (HTTP on loopback included) for one year. PostgreSQL runs the same
# counts, sums and rates as one GROUP BY over the year with an index on
# reported_at and two parallel workers, warm: median of 5.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/build/wangge}
n=${CASES:-10000000}
. "$root/bench/lib/pg.sh"
. "$root/bench/lib/wangge.sh"
wg_workdir kpi
"$bin" init --db "$work/k.db" >/dev/null 2>&1
(cd "$root" && "$bin" demo --db "$work/k.db" --cases 0 >/dev/null 2>&1)

# The year asked about: the last whole calendar year inside the three.
now=$(date +%s)
start=$((now - 3 * 365 * 86400))
year=$(($(date +%Y) - 1))
from="$year-01-01"
to="$((year + 1))-01-01"

# One row per case: t when it was reported, r a hash of its number whose
# digits pick the grid, category, department, reporter and what happened.
# st: 0 closed, 1 being handled, 2 just reported. Cases of the last 30 days
# are 70% closed, 20% handled, 10% reported; older ones are all closed.
recent=$((now - 30 * 86400))
rows_sql="SELECT id, t, r, CASE WHEN t < $recent OR r % 100 < 70 THEN 0 WHEN r % 100 < 90 THEN 1
  ELSE 2 END AS st FROM (SELECT value AS id, $start + value * $((3 * 365 * 86400)) / $n AS t,
  (value * 2654435761) % 4294967296 AS r FROM generate_series(1, $n))"

echo "== generating $n cases"
t0=$(date +%s)
sqlite3 "$work/k.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
DROP TRIGGER IF EXISTS cases_fts_insert;
DROP INDEX IF EXISTS cases_near;
DROP TRIGGER case_count_insert;
DROP INDEX cases_status; DROP INDEX IF EXISTS cases_grid; DROP INDEX cases_department;
DROP INDEX cases_category; DROP INDEX cases_reported; DROP INDEX cases_due;
DELETE FROM case_count_log;
CREATE TEMP TABLE m (i INTEGER PRIMARY KEY, grid, l3, l2, l1);
INSERT INTO m SELECT row_number() OVER (ORDER BY g.code) - 1, g.code, g3.code, g2.code, g1.code
  FROM grids g JOIN grids g3 ON g3.code = g.parent JOIN grids g2 ON g2.code = g3.parent
  JOIN grids g1 ON g1.code = g2.parent WHERE g.level = 'micro';
CREATE TEMP TABLE d (i INTEGER PRIMARY KEY, code);
INSERT INTO d SELECT row_number() OVER (ORDER BY code) - 1, code FROM departments;
CREATE TEMP TABLE k (i INTEGER PRIMARY KEY, code);
INSERT INTO k SELECT row_number() OVER (ORDER BY code) - 1, code FROM categories;
INSERT INTO cases (id, category, status, urgency, source, description, grid, grid_l1, grid_l2,
    grid_l3, department, reporter_login, reported_at, filed_at, dispatched_at, acknowledged_at,
    fed_back_at, closed_at, handle_due_at, closed_on_time, satisfaction, reworks, extensions,
    deferred, whistles, overdue, updated_at)
SELECT 1000000 + id, k.code,
  CASE st WHEN 0 THEN 'closed' WHEN 1 THEN 'handling' ELSE 'reported' END,
  'normal', 'grid_member', '压测', m.grid, m.l1, m.l2, m.l3, d.code, 'member' || (r / 4000 % 200), t,
  CASE WHEN st < 2 THEN t + 600 END,
  CASE WHEN st < 2 THEN t + 1800 END,
  CASE WHEN st < 2 THEN t + 3600 + r % 7200 END,
  CASE WHEN st = 0 THEN t + 86400 * (r / 7 % 3) + 7200 END,
  CASE WHEN st = 0 THEN t + 86400 * (r / 7 % 3) + 10800 END,
  CASE WHEN st < 2 THEN t + 2 * 86400 END,
  CASE WHEN st = 0 THEN (86400 * (r / 7 % 3) + 10800 <= 2 * 86400) END,
  CASE WHEN st = 0 AND r / 11 % 5 > 0 THEN 1 + r / 13 % 5 END,
  (r / 17 % 20 = 0), (r / 19 % 25 = 0), 0, (r / 23 % 50 = 0), (r / 7 % 3 = 2), t
FROM ($rows_sql) s
CROSS JOIN m ON m.i = r % 436 CROSS JOIN k ON k.i = r / 436 % 31 CROSS JOIN d ON d.i = r / 13516 % 10;
CREATE INDEX cases_reported ON cases (reported_at);
-- The generated cases are left out of the full-text index and the grid
-- table (this bench reads KPIs only): the mark moves past them, or the
-- server's first write (the login) would index all of them at once.
UPDATE case_indexed SET upto = (SELECT max(id) FROM cases);
CREATE TRIGGER case_count_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_count_log SELECT NULL, 1, * FROM case_contrib WHERE case_id = new.id;
END;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
echo "   sqlite: $(($(date +%s) - t0)) s, $(du -m "$work/k.db" | cut -f1) MB"

wg_serve "$work/k.db"
token=$(wg_login demo-admin)
ask() { curl -sf -o "$work/last.json" -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url/api/stats/cases?$1"; }
build=$(ask "group=all&from=$from&to=$to")
rss=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/${pids[0]}/status)
python3 - "$work/last.json" "$n" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["computed_from"] == "counters", j.get("computed_from")
PY
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)] * 1000}'; }
declare -A ours
for g in all micro department category member; do
    ours[$g]=$(for _ in $(seq 21); do ask "group=$g&from=$from&to=$to"; done | median)
    [ "$g" = micro ] && rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["rows"]))' "$work/last.json")
done
# The SQL path of the same server: a period not on day boundaries.
sqlpath=$(ask "group=micro&from=${from}T00:00:01%2B08:00&to=$to" | median)

echo "== PostgreSQL"
pg_start
t0=$(date +%s)
pg_psql <<SQL
CREATE TABLE cases (id bigint PRIMARY KEY, category text NOT NULL, status text NOT NULL,
  grid text NOT NULL, grid_l1 text, grid_l2 text, grid_l3 text, department text,
  reporter_login text, reported_at bigint NOT NULL, filed_at bigint, dispatched_at bigint,
  acknowledged_at bigint, fed_back_at bigint, closed_at bigint, handle_due_at bigint,
  closed_on_time boolean, satisfaction int, reworks int, extensions int, deferred int,
  whistles int, overdue int);
CREATE TEMP TABLE m (i int, grid text, l3 text, l2 text, l1 text);
CREATE TEMP TABLE k (i int, code text);
CREATE TEMP TABLE d (i int, code text);
SQL
sqlite3 -csv "$work/k.db" "SELECT row_number() OVER (ORDER BY g.code) - 1, g.code, g3.code, g2.code, g1.code FROM grids g JOIN grids g3 ON g3.code = g.parent JOIN grids g2 ON g2.code = g3.parent JOIN grids g1 ON g1.code = g2.parent WHERE g.level = 'micro'" >"$work/m.csv"
sqlite3 -csv "$work/k.db" "SELECT row_number() OVER (ORDER BY code) - 1, code FROM categories" >"$work/k.csv"
sqlite3 -csv "$work/k.db" "SELECT row_number() OVER (ORDER BY code) - 1, code FROM departments" >"$work/d.csv"
chmod 644 "$work"/*.csv
pg_psql <<SQL
CREATE TABLE mm (i int, grid text, l3 text, l2 text, l1 text);
CREATE TABLE kk (i int, code text);
CREATE TABLE dd (i int, code text);
\copy mm FROM '$work/m.csv' WITH (FORMAT csv)
\copy kk FROM '$work/k.csv' WITH (FORMAT csv)
\copy dd FROM '$work/d.csv' WITH (FORMAT csv)
INSERT INTO cases
SELECT 1000000 + id, kk.code,
  CASE st WHEN 0 THEN 'closed' WHEN 1 THEN 'handling' ELSE 'reported' END,
  mm.grid, mm.l1, mm.l2, mm.l3, dd.code, 'member' || (r / 4000 % 200), t,
  CASE WHEN st < 2 THEN t + 600 END,
  CASE WHEN st < 2 THEN t + 1800 END,
  CASE WHEN st < 2 THEN t + 3600 + r % 7200 END,
  CASE WHEN st = 0 THEN t + 86400 * (r / 7 % 3) + 7200 END,
  CASE WHEN st = 0 THEN t + 86400 * (r / 7 % 3) + 10800 END,
  CASE WHEN st < 2 THEN t + 2 * 86400 END,
  CASE WHEN st = 0 THEN (86400 * (r / 7 % 3) + 10800 <= 2 * 86400) END,
  CASE WHEN st = 0 AND r / 11 % 5 > 0 THEN 1 + r / 13 % 5 END,
  (r / 17 % 20 = 0)::int, (r / 19 % 25 = 0)::int, 0, (r / 23 % 50 = 0)::int, (r / 7 % 3 = 2)::int
FROM (SELECT id, t, r, CASE WHEN t < $recent OR r % 100 < 70 THEN 0 WHEN r % 100 < 90 THEN 1
        ELSE 2 END AS st FROM (SELECT v AS id, $start + v * $((3 * 365 * 86400))::bigint / $n AS t,
        (v * 2654435761) % 4294967296 AS r FROM generate_series(1::bigint, $n) v) s0) s
JOIN mm ON mm.i = r % 436 JOIN kk ON kk.i = r / 436 % 31 JOIN dd ON dd.i = r / 13516 % 10;
CREATE INDEX ON cases (reported_at);
VACUUM ANALYZE cases;
SQL
echo "   postgresql: $(($(date +%s) - t0)) s"
f=$(date -d "$from 00:00 +0800" +%s)
tt=$(date -d "$to 00:00 +0800" +%s)
pgq() { # $1: the group column
    cat <<SQL
SELECT $1 AS k, count(*), count(filed_at), count(dispatched_at), count(acknowledged_at),
  count(fed_back_at), count(*) FILTER (WHERE closed_at IS NOT NULL OR handle_due_at <= $tt),
  count(closed_at), count(*) FILTER (WHERE closed_on_time), count(*) FILTER (WHERE reworks > 0),
  count(*) FILTER (WHERE extensions > 0), sum(deferred), sum(overdue), count(satisfaction),
  count(*) FILTER (WHERE satisfaction >= 4), sum(satisfaction), sum(whistles),
  sum(acknowledged_at - dispatched_at), count(*) FILTER (WHERE acknowledged_at IS NOT NULL),
  sum(closed_at - reported_at)
FROM cases WHERE reported_at >= $f AND reported_at < $tt AND status NOT IN ('merged', 'not_filed')
GROUP BY 1 ORDER BY 1;
SQL
}
declare -A theirs
for g in all:"''" micro:grid department:department category:category member:reporter_login; do
    name=${g%%:*}
    col=${g#*:}
    theirs[$name]=$(for _ in 1 2 3 4 5 6; do
        { echo '\timing on'; pgq "$col"; } | pg_psql -o /dev/null | awk '/^Time:/ {print $2 / 1000}'
    done | tail -5 | median)
done
pgrows=$(pgq grid | pg_psql -At | wc -l)

echo
printf 'KPIs over %d cases, one year (%s to %s), median ms (%d micro-grid rows; PostgreSQL %d):\n' \
    "$n" "$from" "$to" "$rows" "$pgrows"
printf '  %-11s %10s %12s %8s\n' group wangge PostgreSQL ratio
for g in all micro department category member; do
    awk -v g="$g" -v a="${ours[$g]}" -v b="${theirs[$g]}" \
        'BEGIN {printf "  %-11s %10.2f %12.1f %7.0fx\n", g, a, b, b / a}'
done
awk -v b="$build" -v r="$rss" 'BEGIN {printf "  counters built from the cases on the first request: %.1f s; server RSS %d MB\n", b, r}'
awk -v s="$sqlpath" 'BEGIN {printf "  the same server by SQL (a period not on day boundaries): %.0f ms\n", s}'
echo "  goal: <= 50 ms (issue), the project aims at <= 10 ms"
