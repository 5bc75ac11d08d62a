// The closed loop over HTTP on the demo (issue: The closed loop for cases).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { startServer, req, login, assertError, tempDir, demoDatabase, cli, DEMO_PASSWORD } from './lib.mjs';

let srv, tok = {};
let micro; // a point inside micro-grid 410102008004010101 (the member's)

before(async () => {
  const dir = tempDir();
  demoDatabase(dir);
  srv = await startServer({ dir, init: false, env: { WANGGE_ESCALATION_INTERVAL: '1', WANGGE_MAX_ATTACHMENT: '64K' } });
  for (const u of ['member', 'staff', 'chief', 'leader', 'police', 'chengguan', 'citizen', 'auditor', 'demo-admin'])
    tok[u] = (await login(srv, u, DEMO_PASSWORD)).token;
  const g = await req(srv, 'GET', '/api/grids/410102008004010101/geojson', { token: tok.member });
  const geom = g.json.features[0].geometry;
  const ring = geom.type === 'Polygon' ? geom.coordinates[0] : geom.coordinates[0][0];
  let x = 0, y = 0;
  for (let i = 0; i < ring.length - 1; i++) { x += ring[i][0]; y += ring[i][1]; }
  micro = [x / (ring.length - 1), y / (ring.length - 1)];
});
after(async () => { await srv.stop(); });

const report = (who, body, headers) => req(srv, 'POST', '/api/cases', { token: tok[who], body, headers });
const act = (who, id, action, body = {}, headers) => req(srv, 'POST', `/api/cases/${id}/actions/${action}`, { token: tok[who], body, headers });

test('the catalogue is data: JSON and CSV, every category routable in the demo', async () => {
  const r = await req(srv, 'GET', '/api/categories', { token: tok.citizen });
  assert.equal(r.status, 200);
  const names = r.json.items.map((c) => c.name_zh);
  for (const n of ['飞线充电', '乱停乱放', '杂物堆放', '扬尘', '餐饮油烟', '违法建设', '燃气隐患', '设施损坏'])
    assert.ok(names.includes(n), n);
  const csv = await req(srv, 'GET', '/api/categories?format=csv', { token: tok.citizen });
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  assert.equal(csv.text.trim().split('\n').length, r.json.items.length + 1);
  for (const c of r.json.items) {
    const route = await req(srv, 'GET', `/api/route?category=${c.code}&lon=${micro[0]}&lat=${micro[1]}`, { token: tok.member });
    assert.equal(route.status, 200, `${c.code}: ${route.text}`);
    assert.ok(route.json.department);
  }
  // The most specific rule wins, and says why.
  const wuye = await req(srv, 'GET', `/api/route?category=E0404&lon=${micro[0]}&lat=${micro[1]}`, { token: tok.member });
  assert.equal(wuye.json.department, 'wuye');
  assert.match(wuye.json.explanation, /410102008004/);
  const elsewhere = await req(srv, 'GET', '/api/route?category=E0404&grid=41010200800601', { token: tok.member });
  assert.equal(elsewhere.json.department, 'yingji');
  assert.match(elsewhere.json.explanation, /own department/);
  assertError(await req(srv, 'GET', '/api/route?category=E0404&grid=4101020089', { token: tok.member }), 422, 'invalid', 'grid');
  assertError(await req(srv, 'GET', '/api/route?category=E0404&grid=%FF', { token: tok.member }), 422, 'invalid', 'grid');
  // An error that quotes bytes which are not UTF-8 is still UTF-8 (U+FFFD).
  for (const path of ['/api/route?category=%FF&grid=41010200800601', '/api/cases?status=%FF%C3%28']) {
    const res = await fetch(srv.url + path, { headers: { authorization: `Bearer ${tok.member}` } });
    assert.ok(res.status === 400 || res.status === 422, `${path}: ${res.status}`);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await res.arrayBuffer());
    assert.match(JSON.parse(text).error.message, /\uFFFD/);
  }
  // Import: all or nothing, with line numbers.
  const bad = 'code,kind,major,minor,fine,name_zh,name_en,department,file,dispatch,acknowledge,handle,verify,urgent_percent\nE0999,event,x,y,,z,z,nowhere,30m,30m,1h,4h,1h,25\n';
  const imp = await req(srv, 'PUT', '/api/categories', { token: tok['demo-admin'], raw: true, body: bad, headers: { 'content-type': 'text/csv' } });
  assertError(imp, 422, 'invalid', 'catalogue');
  assert.match(imp.json.error.details.issues[0], /line 2: department 'nowhere'/);
  const again = await req(srv, 'PUT', '/api/categories', { token: tok['demo-admin'], raw: true, body: csv.text, headers: { 'content-type': 'text/csv' } });
  assert.equal(again.json.imported, r.json.items.length);
});

test('a change to the routing rules or the catalogue routes the very next report, whoever made it', async () => {
  const body = { category: 'E0101', lon: micro[0], lat: micro[1], description: '路由变更测试' };
  const first = await report('member', body);
  assert.equal(first.status, 201, first.text);
  const usual = first.json.department;
  assert.notEqual(usual, 'zhiyuan');
  const put = await req(srv, 'POST', '/api/route-rules', { token: tok['demo-admin'], body: { category: 'E0101', grid_prefix: '410102008004010101', department: 'zhiyuan' } });
  assert.ok(put.status === 200 || put.status === 201, put.text);
  const id = put.json.id ?? put.json.items?.[0]?.id;
  assert.ok(id, put.text);
  let r = await report('member', body);
  assert.equal(r.json.department, 'zhiyuan');
  assert.equal(r.json.route_rule, id);
  // Another process changes the rule in the database itself.
  const sql = spawnSync('sqlite3', ['-cmd', '.timeout 5000', srv.db, `UPDATE route_rules SET department = 'shichang' WHERE id = ${id}`], { encoding: 'utf8' });
  assert.equal(sql.status, 0, sql.stderr);
  r = await report('member', body);
  assert.equal(r.json.department, 'shichang');
  // And a category's own department, through the catalogue import.
  assert.equal((await req(srv, 'DELETE', `/api/route-rules/${id}`, { token: tok['demo-admin'] })).status, 200);
  r = await report('member', body);
  assert.equal(r.json.department, usual);
  const sql2 = spawnSync('sqlite3', ['-cmd', '.timeout 5000', srv.db, "INSERT INTO categories SELECT 'E0197', kind, major, minor, fine, '路由测试', 'routing test', 'huanbao', limit_file, limit_dispatch, limit_acknowledge, limit_handle, limit_verify, urgent_percent FROM categories WHERE code = 'E0101'"], { encoding: 'utf8' });
  assert.equal(sql2.status, 0, sql2.stderr);
  r = await report('member', { ...body, category: 'E0197' });
  assert.equal(r.status, 201, r.text); // found at once, not "no category"
  const route = await req(srv, 'GET', `/api/route?category=E0197&lon=${micro[0]}&lat=${micro[1]}`, { token: tok.member });
  assert.equal(r.json.department, route.json.department);
});

test('one case through every step, each by its proper role', async () => {
  let r = await report('member', { category: 'E0504', lon: micro[0], lat: micro[1], description: '3号楼单元门口电动车乱停乱放，堵塞消防通道' });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  assert.equal(r.headers.get('location'), `/api/cases/${id}`);
  assert.equal(r.json.status, 'reported');
  assert.equal(r.json.grid.code, '410102008004010101');
  assert.equal(r.json.grid.l2, '41010200800401');
  assert.equal(r.json.department, 'chengguan');
  assert.equal(r.json.due.step, 'file');
  // Reported within working hours the deadline keeps the report's seconds;
  // outside them it counts from the next working day's start (whole minutes).
  assert.match(r.json.due.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
  assert.ok(Date.parse(r.json.due.at) > Date.parse(r.json.times.reported_at), r.text);
  assert.deepEqual(r.json.allowed_actions, []);
  const steps = [
    ['staff', 'file', 'filed', 'dispatch'],
    ['staff', 'dispatch', 'dispatched', 'acknowledge'],
    ['chengguan', 'acknowledge', 'acknowledged', 'handle'],
    ['chengguan', 'start', 'handling', 'handle'],
    ['chengguan', 'feed_back', 'fed_back', 'verify'],
    ['member', 'verify', 'verified', 'close'],
    ['staff', 'close', 'closed', null],
  ];
  for (const [who, action, status, due] of steps) {
    r = await act(who, id, action, { note: `${action} by ${who}` });
    assert.equal(r.status, 200, `${action}: ${r.text}`);
    assert.equal(r.json.status, status);
    assert.equal(r.json.due.step, due, action);
  }
  assert.ok(r.json.times.closed_at);
  assert.equal(r.json.closed_on_time, true);
  r = await act('member', id, 'rate', { rating: 5 });
  assert.equal(r.json.satisfaction, 5);
  const h = await req(srv, 'GET', `/api/cases/${id}/history`, { token: tok.staff });
  assert.deepEqual(h.json.items.map((e) => [e.action, e.from, e.to, e.actor]), [
    ['report', '', 'reported', 'member'], ['file', 'reported', 'filed', 'staff'],
    ['dispatch', 'filed', 'dispatched', 'staff'], ['acknowledge', 'dispatched', 'acknowledged', 'chengguan'],
    ['start', 'acknowledged', 'handling', 'chengguan'], ['feed_back', 'handling', 'fed_back', 'chengguan'],
    ['verify', 'fed_back', 'verified', 'member'], ['close', 'verified', 'closed', 'staff'],
    ['rate', 'closed', 'closed', 'member']]);
  assert.equal(h.json.items[5].note, 'feed_back by chengguan');
});

test('an action not allowed now is 409 listing the allowed ones; wrong roles too', async () => {
  const r = await report('member', { category: 'E0101', lon: micro[0], lat: micro[1], description: '垃圾桶旁暴露垃圾' });
  const id = r.json.id;
  for (const a of ['dispatch', 'acknowledge', 'start', 'feed_back', 'verify', 'close', 'reopen', 'approve_extension']) {
    const x = await act('staff', id, a);
    assertError(x, 409, 'conflict', 'action');
    assert.deepEqual(x.json.error.details.allowed_actions.sort(), ['file', 'merge', 'reject'].sort());
  }
  assertError(await act('member', id, 'file'), 409, 'conflict', 'action');
  assertError(await act('chengguan', id, 'file'), 404, 'not_found'); // not dispatched to it yet: not even visible
  assertError(await act('staff', id, 'frobnicate'), 404, 'not_found', 'action');
  const ok = await act('staff', id, 'reject', { note: '重复上报' });
  assert.equal(ok.json.status, 'not_filed');
});

test('return, rework, extension, deferral, reopening, merge', async () => {
  let r = await report('member', { category: 'E0101', lon: micro[0], lat: micro[1], description: '绿化带暴露垃圾' });
  const id = r.json.id;
  await act('staff', id, 'file');
  await act('staff', id, 'dispatch');
  r = await act('chengguan', id, 'return', { note: '不属于城管' });
  assert.equal(r.json.status, 'filed');
  r = await act('staff', id, 'dispatch', { department: 'zhujian' });
  assert.equal(r.json.department, 'zhujian');
  assertError(await act('chengguan', id, 'acknowledge'), 404, 'not_found');
  const zj = (await login(srv, 'police', DEMO_PASSWORD)); // police is gongan, not zhujian
  assertError(await req(srv, 'POST', `/api/cases/${id}/actions/acknowledge`, { token: zj.token, body: {} }), 404, 'not_found');
  r = await act('staff', id, 'dispatch', { department: 'nowhere' });
  assertError(r, 409, 'conflict', 'action');
  // Back to chengguan through another return and dispatch.
  r = await act('demo-admin', id, 'defer', { note: '等待施工结束' });
  assert.equal(r.json.status, 'deferred');
  r = await act('staff', id, 'reopen');
  assert.equal(r.json.status, 'filed');
  r = await act('staff', id, 'dispatch', { department: 'chengguan' });
  await act('chengguan', id, 'acknowledge');
  r = await act('chengguan', id, 'request_extension', { note: '需要协调物业' });
  assert.equal(r.json.extension_requested, true);
  const before = r.json.due.handle_by;
  assertError(await act('chengguan', id, 'request_extension'), 409, 'conflict');
  r = await act('leader', id, 'approve_extension', { days: 2 });
  assert.equal(r.json.extensions, 1);
  assert.ok(r.json.due.handle_by > before, `${r.json.due.handle_by} > ${before}`);
  await act('chengguan', id, 'start');
  await act('chengguan', id, 'feed_back');
  r = await act('member', id, 'fail_verification', { note: '未清理干净' });
  assert.equal(r.json.status, 'handling');
  assert.equal(r.json.reworks, 1);
  // Merge a duplicate into this one.
  const dup = await report('member', { category: 'E0101', lon: micro[0], lat: micro[1], description: '绿化带暴露垃圾（重复）' });
  assert.ok(dup.json.possible_duplicates.some((d) => d.id === id), dup.text);
  assertError(await act('staff', dup.json.id, 'merge', { into: 99999999 }), 422, 'invalid', 'into');
  r = await act('staff', dup.json.id, 'merge', { into: id });
  assert.equal(r.json.status, 'merged');
  assert.equal(r.json.merged_into, id);
});

test('possible duplicates: an open case of the category close by, its description cut to 80 characters', async () => {
  const long = '小区东门外人行道上堆放大量装修垃圾和废弃家具'.repeat(5); // 110 characters
  const first = await report('member', { category: 'E0103', lon: micro[0], lat: micro[1], description: long });
  assert.equal(first.status, 201, first.text);
  // 20 m north: within the default 50 m.
  const again = await report('member', { category: 'E0103', lon: micro[0], lat: micro[1] + 20 / 110574, description: '东门外装修垃圾' });
  assert.equal(again.status, 201, again.text);
  const d = again.json.possible_duplicates.find((x) => x.id === first.json.id);
  assert.ok(d, again.text);
  assert.equal(d.description, [...long].slice(0, 80).join(''));
  assert.equal(d.status, 'reported');
  assert.ok(d.distance_m > 15 && d.distance_m < 25, `${d.distance_m}`);
  // Another category at the same spot is no duplicate; neither is the case itself.
  const other = await report('member', { category: 'E0104', lon: micro[0], lat: micro[1], description: '门口乱停车' });
  assert.ok(!other.json.possible_duplicates.some((x) => x.id === first.json.id), other.text);
  assert.ok(!first.json.possible_duplicates.some((x) => x.id === first.json.id), first.text);
  // At most duplicate_limit (10 by default), the newest first.
  let last;
  for (let i = 0; i < 11; i++)
    last = await report('member', { category: 'E0103', lon: micro[0], lat: micro[1], description: `东门外装修垃圾 ${i}` });
  const ids = last.json.possible_duplicates.map((x) => x.id);
  assert.equal(ids.length, 10, last.text);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  assert.equal(ids[0], last.json.id - 1);
});

test('possible duplicates follow each case: a rejected one drops out, one reported from the command line shows within seconds', async () => {
  const here = { category: 'E0106', lon: micro[0], lat: micro[1] };
  const a = await report('member', { ...here, description: '井盖缺失 A' });
  const b = await report('member', { ...here, description: '井盖缺失 B' });
  assert.ok(b.json.possible_duplicates.some((d) => d.id === a.json.id), b.text);
  const r = await act('staff', a.json.id, 'reject', { note: '重复上报' });
  assert.equal(r.json.status, 'not_filed', r.text);
  let c = await report('member', { ...here, description: '井盖缺失 C' });
  const ids = c.json.possible_duplicates.map((d) => d.id);
  assert.ok(!ids.includes(a.json.id) && ids.includes(b.json.id), c.text);
  // The command line writes the same database while the server runs.
  const out = cli(['case', 'report', '--db', srv.db, '--as', 'member', '--category', 'E0106',
    '--lon', String(micro[0]), '--lat', String(micro[1]), '--description', '命令行上报的井盖缺失']);
  assert.equal(out.status, 0, out.stderr);
  const viaCli = JSON.parse(out.stdout).id;
  // The server looks for such writes once a second.
  await new Promise((res) => setTimeout(res, 1100));
  c = await report('member', { ...here, description: '井盖缺失 D' });
  const seen = c.json.possible_duplicates.some((d) => d.id === viaCli);
  assert.ok(seen, `case ${viaCli} from the command line never offered: ${c.text}`);
});

test('a whistle to two departments: one reports for duty in time, the other late', async () => {
  let r = await report('chief', { category: 'E0301', lon: micro[0], lat: micro[1], description: '楼顶违法搭建彩钢房' });
  const id = r.json.id;
  await act('staff', id, 'file');
  await act('staff', id, 'dispatch');
  assertError(await act('member', id, 'whistle', { reason: 'lacks_enforcement_power', departments: ['gongan'] }), 409, 'conflict');
  assertError(await act('chief', id, 'whistle', { reason: 'bored', departments: ['gongan'] }), 422, 'invalid', 'reason');
  assertError(await act('chief', id, 'whistle', { reason: 'emergency', departments: ['nowhere'] }), 422, 'invalid', 'departments');
  r = await act('chief', id, 'whistle', { reason: 'lacks_enforcement_power', departments: ['gongan', 'zhujian'], note: '需要执法' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.whistles, 1);
  // The police station now sees the case and reports for duty.
  const seen = await req(srv, 'GET', `/api/cases/${id}`, { token: tok.police });
  assert.equal(seen.status, 200);
  assert.ok(seen.json.allowed_actions.includes('acknowledge'));
  r = await act('police', id, 'acknowledge');
  assert.equal(r.json.status, 'dispatched', 'a whistle acknowledgement does not move the case');
  r = await act('police', id, 'feed_back', { note: '已到场制止' });
  assert.equal(r.status, 200);
  const h = await req(srv, 'GET', `/api/cases/${id}/history`, { token: tok.chief });
  const ack = h.json.items.find((e) => e.actor === 'police' && e.action === 'acknowledge');
  assert.equal(ack.data.whistle_part.late, false);
  // The whistler rates the police's response.
  r = await act('chief', id, 'rate', { rating: 4, rate_department: 'gongan' });
  assert.equal(r.status, 200, r.text);
  const rated = (await req(srv, 'GET', `/api/cases/${id}/history`, { token: tok.chief })).json.items.pop();
  assert.deepEqual(rated.data.rated, { department: 'gongan', rating: 4 });
});

test('idempotent retries, ETag / If-Match, scope 404s, field errors', async () => {
  const body = { category: 'E0504', lon: micro[0], lat: micro[1], description: '幂等测试' };
  const key = { 'Idempotency-Key': 'retry-0000-0001' };
  const a = await report('member', body, key);
  const b = await report('member', body, key);
  assert.equal(a.status, 201);
  assert.equal(b.status, 200);
  assert.equal(b.json.id, a.json.id);
  assert.equal(b.json.replayed, true);
  assertError(await report('staff', body, key), 409, 'conflict', 'Idempotency-Key');
  assertError(await report('member', body, { 'Idempotency-Key': 'short' }), 400, 'bad_request', 'Idempotency-Key');
  // Versions.
  const g = await req(srv, 'GET', `/api/cases/${a.json.id}`, { token: tok.staff });
  const etag = g.headers.get('etag');
  assert.match(etag, /^"\d+"$/);
  assertError(await act('staff', a.json.id, 'file', {}, { 'If-Match': '"999"' }), 412, 'precondition_failed', 'If-Match');
  const ok = await act('staff', a.json.id, 'file', {}, { 'If-Match': etag });
  assert.equal(ok.status, 200);
  assertError(await act('staff', a.json.id, 'dispatch', {}, { 'If-Match': etag }), 412, 'precondition_failed');
  // Scope: another community's staff and a department it was not sent to see nothing.
  assertError(await req(srv, 'GET', `/api/cases/${a.json.id}`, { token: tok.police }), 404, 'not_found');
  assertError(await req(srv, 'GET', '/api/cases/99999999', { token: tok.staff }), 404, 'not_found');
  const list = await req(srv, 'GET', '/api/cases?limit=500', { token: tok.police });
  assert.ok(!list.json.items.some((c) => c.id === a.json.id));
  const mine = await req(srv, 'GET', '/api/cases?limit=500', { token: tok.citizen });
  assert.deepEqual(mine.json.items, []);
  // Field errors.
  assertError(await report('member', { ...body, category: 'E9999' }), 422, 'invalid', 'category');
  assertError(await report('member', { ...body, lon: 100, lat: 30 }), 422, 'invalid', 'lon');
  assertError(await report('member', { ...body, lon: 'x' }), 400, 'bad_request', 'lon');
  assertError(await report('member', { ...body, description: '' }), 422, 'invalid', 'description');
  assertError(await report('member', { ...body, urgency: 'now' }), 422, 'invalid', 'urgency');
  assertError(await report('member', { ...body, source: 'tv' }), 422, 'invalid', 'source');
  assertError(await report('member', { ...body, reporter: { name: '张三', phone: '123' } }), 422, 'invalid', 'reporter');
  assertError(await report('police', body), 403, 'forbidden');
  const withPhone = await report('citizen', { ...body, reporter: { name: '张三', phone: '13912345678' }, description: '市民上报' });
  assert.equal(withPhone.json.reporter.phone, '139****5678');
  assert.equal(withPhone.json.source, 'citizen');
  const own = await req(srv, 'GET', '/api/cases', { token: tok.citizen });
  assert.deepEqual(own.json.items.map((c) => c.id), [withPhone.json.id]);
});

test('queries: filters, Chinese full text, keyset pages', async () => {
  for (let i = 0; i < 5; i++)
    await report('member', { category: 'E0105', lon: micro[0], lat: micro[1], description: `小区门口烧烤店餐饮油烟扰民 ${i}` });
  let r = await req(srv, 'GET', '/api/cases?q=' + encodeURIComponent('油烟扰民'), { token: tok.staff });
  assert.equal(r.json.items.length, 5);
  r = await req(srv, 'GET', '/api/cases?q=' + encodeURIComponent('油烟'), { token: tok.staff }); // 2 characters: substring scan
  assert.equal(r.json.items.length, 5);
  r = await req(srv, 'GET', '/api/cases?q=' + encodeURIComponent('"油烟 OR'), { token: tok.staff }); // FTS syntax is just text
  assert.equal(r.status, 200);
  r = await req(srv, 'GET', '/api/cases?category=E0105&status=reported&limit=2', { token: tok.staff });
  assert.equal(r.json.items.length, 2);
  const seen = [...r.json.items.map((c) => c.id)];
  while (r.json.next) {
    r = await req(srv, 'GET', `/api/cases?category=E0105&status=reported&limit=2&before=${r.json.next}`, { token: tok.staff });
    seen.push(...r.json.items.map((c) => c.id));
  }
  assert.equal(seen.length, 5);
  assert.deepEqual([...seen].sort((a, b) => b - a), seen, 'newest first, no repeats');
  assertError(await req(srv, 'GET', '/api/cases?status=lost', { token: tok.staff }), 400, 'bad_request', 'status');
  assertError(await req(srv, 'GET', '/api/cases?from=yesterday', { token: tok.staff }), 400, 'bad_request', 'from');
  r = await req(srv, 'GET', '/api/cases?from=2020-01-01&to=2099-01-01&grid=41010200800401', { token: tok.leader });
  assert.ok(r.json.items.length >= 5);
});

test('the working calendar: holidays are data', async () => {
  const put = await req(srv, 'PUT', '/api/calendar/2024-10-01', { token: tok['demo-admin'], body: { kind: 'holiday', note: '国庆节' } });
  assert.equal(put.status, 200, put.text);
  const cal = await req(srv, 'GET', '/api/calendar', { token: tok.member });
  assert.equal(cal.json.work_periods, '08:30-12:00,13:30-18:00');
  assert.deepEqual(cal.json.days.find((d) => d.day === '2024-10-01'), { day: '2024-10-01', kind: 'holiday', note: '国庆节' });
  assertError(await req(srv, 'PUT', '/api/calendar/2023-02-29', { token: tok['demo-admin'], body: { kind: 'holiday' } }), 422, 'invalid', 'day');
  assertError(await req(srv, 'PUT', '/api/calendar/2024-10-02', { token: tok['demo-admin'], body: { kind: 'party' } }), 422, 'invalid', 'kind');
  assert.equal((await req(srv, 'DELETE', '/api/calendar/2024-10-01', { token: tok['demo-admin'] })).status, 200);
  assertError(await req(srv, 'DELETE', '/api/calendar/2024-10-01', { token: tok['demo-admin'] }), 404, 'not_found');
});

test('KPIs: counts and rates on fixtures worked out by hand', async () => {
  // A reporter of our own, so that the "member" group row holds only these.
  const mk = await req(srv, 'POST', '/api/users', { token: tok['demo-admin'], body: { login: 'kpi-member', display_name: 'KPI', password: 'pw-kpi-123456', roles: [{ role: 'grid_member', scope: '410102008004010101' }] } });
  assert.equal(mk.status, 201, mk.text);
  tok['kpi-member'] = (await login(srv, 'kpi-member', 'pw-kpi-123456')).token;
  const mkcase = async (d) => (await report('kpi-member', { category: 'E0102', lon: micro[0], lat: micro[1], description: d })).json.id;
  const walk = async (id, steps) => { for (const [who, a, body] of steps) { const r = await act(who, id, a, body); assert.equal(r.status, 200, `${a}: ${r.text}`); } };
  const A = await mkcase('A 楼道杂物'), B = await mkcase('B 楼道杂物'), C = await mkcase('C 楼道杂物');
  await mkcase('D 楼道杂物'); // only reported
  const toHandling = [['staff', 'file'], ['staff', 'dispatch'], ['wuye', 'acknowledge'], ['wuye', 'start'], ['wuye', 'feed_back']];
  // E0102 in 汝河小区社区 goes to the property company (wuye): log in as its staff.
  const wuye = await req(srv, 'POST', '/api/users', { token: tok['demo-admin'], body: { login: 'wuye-staff', display_name: '物业', password: 'pw-wuye-123456', roles: [{ role: 'department_staff', scope: 'wuye' }] } });
  assert.equal(wuye.status, 201);
  tok.wuye = (await login(srv, 'wuye-staff', 'pw-wuye-123456')).token;
  await walk(A, [...toHandling, ['kpi-member', 'verify'], ['staff', 'close'], ['kpi-member', 'rate', { rating: 5 }]]);
  await walk(B, [...toHandling, ['kpi-member', 'fail_verification'], ['wuye', 'feed_back'], ['kpi-member', 'verify'], ['staff', 'close'], ['kpi-member', 'rate', { rating: 2 }]]);
  await walk(C, [['staff', 'file'], ['staff', 'dispatch'], ['staff', 'defer']]);
  const r = await req(srv, 'GET', '/api/stats/cases?group=member', { token: tok.leader });
  assert.equal(r.status, 200, r.text);
  const row = r.json.rows.find((x) => x.key === 'kpi-member');
  assert.ok(row, r.text);
  // reported 4; filed A B C; dispatched A B C; acknowledged A B; disposed A B;
  // due = closed (A B) + none whose disposal deadline passed; closed A B, both on time;
  // rework B; deferred C; rated A (5) B (2): satisfied (>= 4) A.
  assert.deepEqual(row.counts, {
    reported: 4, filed: 3, dispatched: 3, acknowledged: 2, disposed: 2, due: 2, closed: 2,
    closed_on_time: 2, rework: 1, extended: 0, deferred: 1, overdue: 0, rated: 2, whistles: 0,
  });
  assert.deepEqual(row.rates, {
    closure_rate: 1, on_time_rate: 1, rework_rate: 0.5, response_rate: 0.6667,
    resolution_rate: 0.6667, satisfaction_rate: 0.5,
  });
  assert.equal(row.means.satisfaction, 3.5);
  // Groups, scope and errors.
  const byDept = await req(srv, 'GET', '/api/stats/cases?group=department', { token: tok.leader });
  assert.ok(byDept.json.rows.some((x) => x.key === 'wuye'));
  const staffView = await req(srv, 'GET', '/api/stats/cases?group=grid_l2', { token: tok.staff });
  assert.ok(staffView.json.rows.every((x) => x.key.startsWith('410102008004')), 'community staff see their own subtree');
  // Whole local days are answered from the in-memory counters, other
  // periods by SQL over the cases: the two agree on every group and scope.
  const day = (d) => new Date(Date.now() + d * 86400000 + 8 * 3600000).toISOString().slice(0, 10);
  for (const [who, g] of [['demo-admin', 'all'], ['demo-admin', 'grid_l1'], ['demo-admin', 'grid_l2'],
    ['demo-admin', 'grid_l3'], ['demo-admin', 'micro'], ['demo-admin', 'department'],
    ['demo-admin', 'category'], ['demo-admin', 'member'], ['leader', 'all'], ['staff', 'all'], ['staff', 'micro']]) {
    const whole = await req(srv, 'GET', `/api/stats/cases?group=${g}&from=${day(-400)}&to=${day(2)}`, { token: tok[who] });
    const cut = await req(srv, 'GET', `/api/stats/cases?group=${g}&from=${day(-400)}T00:00:01%2B08:00&to=${day(2)}`, { token: tok[who] });
    assert.equal(whole.json.computed_from, 'counters', `${who} ${g}`);
    assert.equal(cut.json.computed_from, 'cases', `${who} ${g}`);
    assert.ok(whole.json.rows.length > 0, `${who} ${g}`);
    assert.deepEqual(whole.json.rows, cut.json.rows, `${who} ${g}`);
  }
  // Changes after the counters were built (and their log trimmed) count too.
  const all = async (q) => (await req(srv, 'GET', `/api/stats/cases?group=all&from=${day(-400)}${q}&to=${day(2)}`, { token: tok['demo-admin'] })).json;
  const before = await all('');
  const E = await mkcase('E 楼道杂物');
  await walk(E, [['staff', 'file']]);
  const after = await all('');
  assert.equal(after.computed_from, 'counters');
  assert.equal(after.rows[0].counts.reported, before.rows[0].counts.reported + 1);
  assert.equal(after.rows[0].counts.filed, before.rows[0].counts.filed + 1);
  assert.deepEqual(after.rows, (await all('T00:00:01%2B08:00')).rows);
  assertError(await req(srv, 'GET', '/api/stats/cases?group=planet', { token: tok.leader }), 400, 'bad_request', 'group');
  assertError(await req(srv, 'GET', '/api/stats/cases', { token: tok.member }), 403, 'forbidden');
  const w = await req(srv, 'GET', '/api/stats/whistles', { token: tok.leader });
  const police = w.json.rows.find((x) => x.department === 'gongan');
  assert.equal(police.acknowledged, 1);
  assert.equal(police.rating, 4);
});

test('an overdue step gets an escalation entry from the scheduler', async () => {
  // A server whose working day is the whole day, today a working day, and a
  // category whose urgent file limit is 1% of a minute: overdue in 0.6 s.
  const dir = tempDir();
  demoDatabase(dir);
  const s2 = await startServer({ dir, init: false, env: { WANGGE_ESCALATION_INTERVAL: '1', WANGGE_WORK_PERIODS: '00:00-24:00' } });
  try {
    const admin = (await login(s2, 'demo-admin', DEMO_PASSWORD)).token;
    const member = (await login(s2, 'member', DEMO_PASSWORD)).token;
    const day = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 10);
    for (const d of [day(Date.now()), day(Date.now() + 86400e3)])
      assert.equal((await req(s2, 'PUT', `/api/calendar/${d}`, { token: admin, body: { kind: 'workday', note: 'test' } })).status, 200);
    const csv = (await req(s2, 'GET', '/api/categories?format=csv', { token: admin })).text +
      'E0998,event,测试,测试,,测试超期,overdue test,chengguan,1m,1m,1m,1m,1m,1\n';
    assert.equal((await req(s2, 'PUT', '/api/categories', { token: admin, raw: true, body: csv, headers: { 'content-type': 'text/csv' } })).status, 200);
    const r = await req(s2, 'POST', '/api/cases', { token: member, body: { category: 'E0998', urgency: 'urgent', lon: micro[0], lat: micro[1], description: '超期测试' } });
    assert.equal(r.status, 201, r.text);
    let h;
    for (let i = 0; i < 40; i++) {
      await new Promise((res) => setTimeout(res, 250));
      h = await req(s2, 'GET', `/api/cases/${r.json.id}/history`, { token: member });
      if (h.json.items.some((e) => e.action === 'escalate')) break;
    }
    const esc = h.json.items.filter((e) => e.action === 'escalate');
    assert.equal(esc.length, 1, JSON.stringify(h.json.items));
    assert.equal(esc[0].actor, 'system');
    assert.equal(esc[0].data.step, 'file');
    const c = await req(s2, 'GET', `/api/cases/${r.json.id}`, { token: member });
    assert.equal(c.json.overdue, true);
    const list = await req(s2, 'GET', '/api/cases?overdue=true', { token: member });
    assert.ok(list.json.items.some((x) => x.id === r.json.id));
    // Once: a later scan does not escalate it again.
    await new Promise((res) => setTimeout(res, 1500));
    h = await req(s2, 'GET', `/api/cases/${r.json.id}/history`, { token: member });
    assert.equal(h.json.items.filter((e) => e.action === 'escalate').length, 1);
  } finally {
    await s2.stop();
  }
});

test('the command line: case report, act, show, list', async () => {
  const dir = tempDir();
  const db = demoDatabase(dir, 'cli.db');
  let r = cli(['case', 'report', '--db', db, '--as', 'member', '--category', 'E0101', '--grid', '410102008004010101', '--description', '命令行上报的暴露垃圾']);
  assert.equal(r.status, 0, r.stderr);
  const id = JSON.parse(r.stdout).id;
  r = cli(['case', 'act', String(id), 'file', '--db', db, '--as', 'staff', '--note', '受理']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).status, 'filed');
  r = cli(['case', 'act', String(id), 'close', '--db', db, '--as', 'staff']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /'close' is not allowed on a filed case for you; allowed: merge, dispatch, defer, whistle/);
  r = cli(['case', 'act', String(id), 'dispatch', '--db', db, '--as', 'staff', '--department', 'zhujian']);
  assert.equal(JSON.parse(r.stdout).department, 'zhujian');
  r = cli(['case', 'show', String(id), '--db', db]);
  assert.deepEqual(JSON.parse(r.stdout).history.map((e) => e.action), ['report', 'file', 'dispatch']);
  r = cli(['case', 'list', '--db', db, '--status', 'dispatched']);
  assert.match(r.stdout, new RegExp(`^${id}\\s+dispatched\\s+E0101\\s+410102008004010101\\s+zhujian\\s+命令行上报的暴露垃圾$`, 'm'));
  assert.equal(cli(['case', 'act', String(id), 'file', '--db', db]).status, 2);
  assert.equal(cli(['case', 'frob', '--db', db]).status, 2);
  assert.equal(cli(['case', 'show', '999999', '--db', db]).status, 1);
  assert.equal(cli(['audit', 'verify', '--db', db]).status, 0);
});

test('attachments: multipart upload, type from the bytes, size cap, content-addressed, in actions', async () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(200, 7)]);
  const pdf = Buffer.from('%PDF-1.4\n% test\n');
  const upload = async (files, token = tok.chengguan) => {
    const fd = new FormData();
    for (const [name, buf, type] of files) fd.append('file', new Blob([buf], { type }), name);
    const res = await fetch(srv.url + '/api/attachments', { method: 'POST', body: fd, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: await res.json(), headers: res.headers };
  };
  let r = await upload([['scene.png', png, 'image/png'], ['report.pdf', pdf, 'application/pdf']]);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.deepEqual(r.json.items.map((x) => x.media_type), ['image/png', 'application/pdf']);
  const sha = r.json.items[0].sha256;
  assert.match(sha, /^[0-9a-f]{64}$/);
  // The same bytes under another name and claimed type: the same attachment, typed by content.
  const again = await upload([['other.jpg', png, 'image/jpeg']]);
  assert.equal(again.json.items[0].sha256, sha);
  assert.equal(again.json.items[0].media_type, 'image/png');
  const got = await fetch(`${srv.url}/api/attachments/${sha}`, { headers: { authorization: `Bearer ${tok.member}` } });
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), png);
  r = await upload([['note.txt', Buffer.from('just text'), 'image/png']]);
  assert.equal(r.status, 415);
  assert.equal(r.json.error.code, 'unsupported_media_type');
  // One refused file refuses the upload, and leaves no file of it behind.
  const fresh = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300, 9)]);
  const freshSha = createHash('sha256').update(fresh).digest('hex');
  const onDisk = () => existsSync(`${srv.db}.files/${freshSha.slice(0, 2)}/${freshSha}`);
  r = await upload([['ok.png', fresh, 'image/png'], ['note.txt', Buffer.from('just text'), 'image/png']]);
  assert.equal(r.status, 415);
  assert.equal(onDisk(), false);
  r = await upload([['ok.png', fresh, 'image/png']]);
  assert.equal(r.status, 201);
  assert.equal(r.json.items[0].sha256, freshSha);
  assert.equal(onDisk(), true);
  r = await upload([['big.png', Buffer.concat([png, Buffer.alloc(70 * 1024)]), 'image/png']]);
  assert.equal(r.status, 413);
  assert.equal(r.json.error.field, 'file');
  assertError(await req(srv, 'GET', '/api/attachments/' + 'a'.repeat(64), { token: tok.member }), 404, 'not_found');
  assertError(await req(srv, 'POST', '/api/attachments', { token: tok.member, raw: true, body: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', 'Content-Type');
  // Photos travel with actions.
  const c = await report('member', { category: 'E0101', lon: micro[0], lat: micro[1], description: '附件测试' });
  await act('staff', c.json.id, 'file');
  await act('staff', c.json.id, 'dispatch');
  await act('chengguan', c.json.id, 'acknowledge');
  await act('chengguan', c.json.id, 'start');
  assertError(await act('chengguan', c.json.id, 'feed_back', { attachments: ['b'.repeat(64)] }), 422, 'invalid', 'attachments');
  const fb = await act('chengguan', c.json.id, 'feed_back', { note: '处理后照片', attachments: [sha] });
  assert.equal(fb.status, 200, fb.text);
  const h = await req(srv, 'GET', `/api/cases/${c.json.id}/history`, { token: tok.member });
  assert.deepEqual(h.json.items.pop().data.attachments, [sha]);
});

test('the demo holds cases in every state, some overdue and whistled', async () => {
  const dir = tempDir();
  demoDatabase(dir, 'test.db', { cases: 300 });
  const s3 = await startServer({ dir, init: false, env: { WANGGE_ESCALATION_INTERVAL: '0' } });
  try {
    const admin = (await login(s3, 'demo-admin', DEMO_PASSWORD)).token;
    const states = ['reported', 'filed', 'not_filed', 'merged', 'dispatched', 'acknowledged', 'handling', 'fed_back', 'verified', 'closed', 'deferred'];
    for (const st of states) {
      const r = await req(s3, 'GET', `/api/cases?status=${st}&limit=1`, { token: admin });
      assert.equal(r.json.items.length, 1, `no ${st} case`);
    }
    const overdue = await req(s3, 'GET', '/api/cases?overdue=true&limit=5', { token: admin });
    assert.ok(overdue.json.items.length > 0);
    const stats = await req(s3, 'GET', '/api/stats/cases', { token: admin });
    assert.ok(stats.json.rows[0].counts.reported >= 250, stats.text); // merged and not-filed cases are left out
    assert.ok(stats.json.rows[0].counts.whistles > 0);
    const member = (await login(s3, 'member', DEMO_PASSWORD)).token;
    const mine = await req(s3, 'GET', '/api/cases?limit=500', { token: member });
    assert.ok(mine.json.items.length > 5, 'the member sees the cases of its grid');
  } finally {
    await s3.stop();
  }
});
