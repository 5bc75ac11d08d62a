// The console's files and the API the console leans on (issue: The
// console): /, /app/, /vendor/ served from web/ and node_modules with
// types, ETags and safe paths; /api/me's permissions; case queues by
// status lists and pending whistles; photos on a report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, cpSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, req, login, assertError, tempDir, demoDatabase, rawHttp, DEMO_PASSWORD } from './lib.mjs';

let srv, tok = {};

before(async () => {
  const dir = tempDir();
  demoDatabase(dir, 'test.db', { cases: 300 });
  srv = await startServer({ dir, init: false });
  for (const u of ['member', 'staff', 'police', 'chengguan', 'leader'])
    tok[u] = (await login(srv, u, DEMO_PASSWORD)).token;
});
after(async () => { await srv.stop(); });

test('/ is the console: HTML, revalidated by ETag', async () => {
  const r = await req(srv, 'GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
  assert.match(r.text, /<script src="\/app\/js\/main.js" type="module">/);
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}(-gz)?"$/); // fetch takes gzip
  const again = await req(srv, 'GET', '/', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.text, '');
  // every asset the page names is served with its type
  for (const [p, type] of [['/app/js/main.js', /^text\/javascript/], ['/app/app.css', /^text\/css/],
    ['/app/icon.svg', /^image\/svg\+xml/], ['/vendor/leaflet/leaflet.js', /^text\/javascript/],
    ['/vendor/leaflet/leaflet.css', /^text\/css/], ['/vendor/leaflet/images/marker-icon.png', /^image\/png/],
    ['/vendor/echarts/echarts.min.js', /^text\/javascript/]]) {
    const a = await req(srv, 'GET', p);
    assert.equal(a.status, 200, p);
    assert.match(a.headers.get('content-type'), type, p);
    assert.ok(a.text.length > 0, p);
  }
  assert.match((await req(srv, 'GET', '/vendor/echarts/echarts.min.js')).headers.get('cache-control'), /max-age/);
  const head = await req(srv, 'HEAD', '/app/js/main.js');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
});

test('text files go gzipped to browsers that take it, with their own ETag', async () => {
  const file = readFileSync(path.resolve('node_modules/echarts/dist/echarts.min.js'));
  const gz = await req(srv, 'GET', '/vendor/echarts/echarts.min.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  assert.equal(gz.headers.get('content-encoding'), 'gzip');
  assert.equal(gz.headers.get('vary'), 'Accept-Encoding');
  assert.equal(gz.text, file.toString('utf8'), 'the same bytes once unzipped');
  const raw = await rawHttp(srv.port, 'GET /vendor/echarts/echarts.min.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n', { idleMs: 2000 });
  const len = Number(raw.text.match(/content-length: (\d+)/i)[1]);
  assert.ok(len < file.length / 2, `gzipped ${len} of ${file.length} bytes`);
  for (const enc of ['GZIP', 'gzip ; q=0.5', 'gzip;level=1, br;q=0', 'x-gzip;q=0, gzip', 'br,gzip']) {
    const r = await rawHttp(srv.port, `HEAD /vendor/echarts/echarts.min.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${enc}\r\nConnection: close\r\n\r\n`);
    assert.match(r.text, /content-encoding: gzip/i, enc);
  }
  for (const enc of ['identity', 'gzip;q=0', 'gzip; q=0.000', 'br', 'x-gzip', '*']) {
    const plain = await req(srv, 'GET', '/vendor/echarts/echarts.min.js', { headers: { 'accept-encoding': enc } });
    assert.equal(plain.headers.get('content-encoding'), null, enc);
    assert.notEqual(plain.headers.get('etag'), gz.headers.get('etag'));
  }
  const again = await req(srv, 'GET', '/vendor/echarts/echarts.min.js', { headers: { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.get('etag') } });
  assert.equal(again.status, 304);
  // images and small files go as they are
  const png = await req(srv, 'GET', '/vendor/leaflet/images/marker-icon.png', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(png.headers.get('content-encoding'), null);
});

test('nothing outside the mounts can be named', async () => {
  for (const p of ['/app/.hidden', '/app/js/../../README.md', '/app/%2e%2e/README.md', '/app/js//main.js',
    '/app/nope.js', '/app/js', '/vendor/leaflet/../../package.json', '/vendor/echarts/package.json.bak',
    '/app/README', '/index.html', '/vendor/other/x.js']) {
    const r = await req(srv, 'GET', p);
    assertError(r, 404, 'not_found');
  }
  // raw bytes: a path the client did not normalise
  const raw = await rawHttp(srv.port, 'GET /app/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(raw.text, /^HTTP\/1\.1 404/);
  assert.doesNotMatch(raw.text, /root:/);
  const post = await req(srv, 'POST', '/app/js/main.js', { body: {} });
  assertError(post, 405, 'method_not_allowed');
});

test('a changed file is served changed within a second, without a restart', async () => {
  const web = mkdtempSync(path.join(os.tmpdir(), 'wg-web-'));
  cpSync(path.resolve('web'), web, { recursive: true });
  const s2 = await startServer({ args: ['--web-root', web] });
  try {
    const a = await req(s2, 'GET', '/app/js/api.js');
    writeFileSync(path.join(web, 'js/api.js'), '// changed\n');
    await new Promise((r) => setTimeout(r, 1100)); // the disk is looked at once a second
    const b = await req(s2, 'GET', '/app/js/api.js');
    assert.equal(b.text, '// changed\n');
    assert.notEqual(a.headers.get('etag'), b.headers.get('etag'));
  } finally {
    await s2.stop();
  }
});

test('many first requests at once: each file cached once, none freed while cached', async () => {
  const web = mkdtempSync(path.join(os.tmpdir(), 'wg-web-many-'));
  for (let i = 0; i < 300; i++) writeFileSync(path.join(web, `f${i}.txt`), `file ${i}\n`.repeat(1 + (i % 7)));
  const s2 = await startServer({ args: ['--web-root', web, '--threads', '4'] });
  try {
    for (let round = 0; round < 3; round++) {
      const got = await Promise.all(Array.from({ length: 300 }, (_, i) => req(s2, 'GET', `/app/f${i}.txt`)));
      got.forEach((r, i) => assert.equal(r.text, `file ${i}\n`.repeat(1 + (i % 7))));
    }
  } finally {
    await s2.stop(); // a clean exit: no sanitizer report (use after free, double free)
  }
});

test('/api/me: every permission by name, and the console settings', async () => {
  const staff = await req(srv, 'GET', '/api/me', { token: tok.staff });
  for (const p of ['cases.read', 'cases.report', 'cases.dispatch', 'cases.verify', 'stats.read', 'ledgers.read', 'ledgers.write'])
    assert.ok(staff.json.permissions.includes(p), p);
  assert.ok(!staff.json.permissions.includes('users.write'));
  assert.deepEqual(staff.json.console, { map_tiles: null });
  const police = await req(srv, 'GET', '/api/me', { token: tok.police });
  assert.deepEqual(police.json.permissions.filter((p) => p.startsWith('cases.')).sort(), ['cases.handle', 'cases.read']);
});

test('queues: status lists and whistles waiting for my department', async () => {
  const r = await req(srv, 'GET', '/api/cases?status=reported,filed,verified&limit=500', { token: tok.staff });
  assert.equal(r.status, 200);
  assert.ok(r.json.items.length > 0);
  assert.ok(r.json.items.every((c) => ['reported', 'filed', 'verified'].includes(c.status)));
  const each = await Promise.all(['reported', 'filed', 'verified'].map((s) =>
    req(srv, 'GET', `/api/cases?status=${s}&limit=500`, { token: tok.staff })));
  assert.equal(r.json.items.length, each.reduce((n, x) => n + x.json.items.length, 0));
  assertError(await req(srv, 'GET', '/api/cases?status=filed,bogus', { token: tok.staff }), 400, 'bad_request', 'status');
  assertError(await req(srv, 'GET', '/api/cases?status=,', { token: tok.staff }), 400, 'bad_request', 'status');
  assertError(await req(srv, 'GET', '/api/cases?whistle=all', { token: tok.staff }), 400, 'bad_request', 'whistle');

  // whistle to the police: pending for the police until they report for duty
  const c = (await req(srv, 'GET', '/api/cases?status=handling&limit=1', { token: tok.staff })).json.items[0];
  assert.ok(c, 'a case being handled in the staff\'s grids');
  const w = await req(srv, 'POST', `/api/cases/${c.id}/actions/whistle`, { token: tok.staff,
    body: { reason: 'lacks_enforcement_power', departments: ['gongan'], note: '需要民警到场' } });
  assert.equal(w.status, 200, w.text);
  const pending = async () => (await req(srv, 'GET', '/api/cases?whistle=pending&limit=500', { token: tok.police })).json.items.map((x) => x.id);
  assert.ok((await pending()).includes(c.id));
  const other = (await req(srv, 'GET', '/api/cases?whistle=pending&limit=500', { token: tok.chengguan })).json.items.map((x) => x.id);
  assert.ok(!other.includes(c.id), 'not pending for a department not whistled');
  const ack = await req(srv, 'POST', `/api/cases/${c.id}/actions/acknowledge`, { token: tok.police, body: { note: '已到场' } });
  assert.equal(ack.status, 200, ack.text);
  assert.ok(!(await pending()).includes(c.id));
});

test('a report carries photos into its first history row', async () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001049444154789c6338212707440c100a001f260411a28f22af0000000049454e44ae426082', 'hex');
  const fd = new FormData();
  fd.append('file', new Blob([png], { type: 'image/png' }), 'scene.png');
  const up = await fetch(`${srv.url}/api/attachments`, { method: 'POST', headers: { authorization: `Bearer ${tok.member}` }, body: fd });
  assert.equal(up.status, 201);
  const sha = (await up.json()).items[0].sha256;
  const body = { category: 'E0504', grid: '410102008004010101', description: '带照片的上报', attachments: [sha] };
  const r = await req(srv, 'POST', '/api/cases', { token: tok.member, body });
  assert.equal(r.status, 201, r.text);
  const h = await req(srv, 'GET', `/api/cases/${r.json.id}/history`, { token: tok.member });
  assert.deepEqual(h.json.items[0].data.attachments, [sha]);
  const bad = await req(srv, 'POST', '/api/cases', { token: tok.member, body: { ...body, attachments: ['0'.repeat(64)] } });
  assert.ok(bad.status >= 400 && bad.status < 500, bad.text);
  assert.equal(bad.json.error.field, 'attachments');
  const notList = await req(srv, 'POST', '/api/cases', { token: tok.member, body: { ...body, attachments: 'x' } });
  assert.equal(notList.json.error.field, 'attachments');
});
