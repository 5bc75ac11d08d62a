// The in-memory KPI counters under concurrent writes (issue: The closed loop
// for cases): reports, actions and the escalation scheduler write while the
// statistics are read; afterwards the live counters must equal what a
// restarted server computes from the cases themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, req, login, tempDir, demoDatabase, DEMO_PASSWORD } from './lib.mjs';

// By category, as the whole subdistrict's administrator asks (answered from
// the counters: a grid-scoped asker's category rows come from the cases).
const stats = async (srv, token, from = 'counters') => {
  const r = await req(srv, 'GET', '/api/stats/cases?group=category', { token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.computed_from, from);
  return Object.fromEntries(r.json.rows.map((x) => [x.key, x.counts]));
};

test('live KPI counters equal a fresh count after concurrent reports, actions and reads', async () => {
  const dir = tempDir();
  demoDatabase(dir, 'test.db', { cases: 100 });
  const env = { WANGGE_ESCALATION_INTERVAL: '1' };
  let srv = await startServer({ dir, init: false, env });
  const tok = {};
  for (const u of ['member', 'staff', 'chengguan', 'demo-admin']) tok[u] = (await login(srv, u, DEMO_PASSWORD)).token;
  const g = await req(srv, 'GET', '/api/grids/410102008004010101/geojson', { token: tok.member });
  // points between the grid's centre and its corners (its cells are convex)
  const geom = g.json.features[0].geometry;
  const ring = (geom.type === 'Polygon' ? geom.coordinates[0] : geom.coordinates[0][0]).slice(0, -1);
  const c = [0, 1].map((d) => ring.reduce((s, p) => s + p[d], 0) / ring.length);
  const at = (n) => { const v = ring[n % ring.length], k = 0.1 + 0.05 * (n % 7); return [0, 1].map((d) => c[d] + k * (v[d] - c[d])); };
  const before = await stats(srv, tok['demo-admin']); // the counters exist before the writes start

  let stop = false, reads = 0;
  const reader = async () => { while (!stop) { await stats(srv, tok['demo-admin']); reads++; } };
  const steps = [['staff', 'file'], ['staff', 'dispatch'], ['chengguan', 'acknowledge'], ['chengguan', 'start'],
    ['chengguan', 'feed_back'], ['member', 'verify'], ['staff', 'close']];
  const writer = async (w) => {
    for (let i = 0; i < 12; i++) {
      const [lon, lat] = at(w * 12 + i);
      const r = await req(srv, 'POST', '/api/cases', { token: tok.member,
        body: { category: i % 2 ? 'E0504' : 'E0101', lon, lat, description: `并发 ${w}-${i}` } });
      assert.equal(r.status, 201, r.text);
      // walk it part of the way: some stay reported, some are closed, one in three not filed
      if (i % 3 === 2) {
        const x = await req(srv, 'POST', `/api/cases/${r.json.id}/actions/reject`, { token: tok.staff, body: { note: '不属实' } });
        assert.equal(x.status, 200, x.text);
        continue;
      }
      for (const [who, action] of steps.slice(0, (w + i) % (steps.length + 1))) {
        const x = await req(srv, 'POST', `/api/cases/${r.json.id}/actions/${action}`, { token: tok[who], body: { note: action } });
        assert.equal(x.status, 200, `${action}: ${x.text}`);
      }
    }
  };
  const readers = [reader(), reader()];
  await Promise.all([0, 1, 2, 3, 4, 5].map(writer));
  stop = true;
  await Promise.all(readers);
  assert.ok(reads > 10, `only ${reads} reads ran beside the writes`);
  const live = await stats(srv, tok['demo-admin']);
  await srv.stop();

  srv = await startServer({ dir, init: false, env: { WANGGE_ESCALATION_INTERVAL: '0' } });
  const fresh = await stats(srv, (await login(srv, 'demo-admin', DEMO_PASSWORD)).token);
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
  // "due" counts open cases past their deadline at the time asked: the same
  // on both sides only if no deadline passed in between; compare the rest.
  const strip = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { ...v, due: undefined }]));
  assert.deepEqual(strip(live), strip(fresh));
  // per writer 6 cases of each category, 2 of them not filed (not counted)
  for (const k of ['E0504', 'E0101'])
    assert.equal(live[k].reported - (before[k]?.reported ?? 0), 24, k);
});
