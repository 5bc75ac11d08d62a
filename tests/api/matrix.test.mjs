// Every role x every endpoint -> allowed or denied, from the table below.
// The table must list every route in src/http/routes.c: a new endpoint
// fails this test until its row is added (issue: Actors and trust).
//
// Scope (in / out of a grid subtree or department) is checked per resource
// by the endpoints that hold scoped records (grids, cases, ledgers); the
// endpoints so far are not scoped, so each row says only which roles pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, req, adminToken, makeUser, login } from './lib.mjs';

const ROLES = ['admin', 'leader', 'community_staff', 'grid_chief', 'grid_member', 'department_staff', 'citizen', 'auditor'];
const STAFF = ['admin', 'leader', 'community_staff', 'grid_chief', 'grid_member', 'department_staff'];
const GRID_READERS = [...STAFF, 'auditor'];
const LEDGER_WRITERS = ['admin', 'leader', 'community_staff', 'grid_chief', 'grid_member'];
const LEDGER_READERS = [...LEDGER_WRITERS, 'auditor'];
const square = { type: 'Polygon', coordinates: [[[113.60, 34.73], [113.61, 34.73], [113.61, 34.74], [113.60, 34.74], [113.60, 34.73]]] };

// allow: 'public' (no login needed), 'any' (any logged-in role), or a list.
// path may be a function of the role (for endpoints that change things).
const MATRIX = [
  { route: 'GET /healthz', allow: 'public' },
  { route: 'GET /metrics', allow: 'public' },
  { route: 'GET /api/version', allow: 'public' },
  { route: 'GET /', allow: 'public' },
  { route: 'GET /app/{file*}', allow: 'public', path: '/app/js/main.js' },
  { route: 'GET /vendor/leaflet/{leaflet*}', allow: 'public', path: '/vendor/leaflet/leaflet.css' },
  { route: 'GET /vendor/echarts/{echarts*}', allow: 'public', path: '/vendor/echarts/echarts.min.js' },
  { route: 'POST /api/login', allow: 'public', body: () => ({ login: 'admin', password: 'admin-test-pass-1' }) },
  { route: 'POST /api/logout', allow: 'any', fresh: true },
  { route: 'GET /api/me', allow: 'any' },
  { route: 'GET /api/users', allow: ['admin'] },
  { route: 'POST /api/users', allow: ['admin'], body: (r) => ({ login: `new-${r}`, display_name: 'n', password: 'pw-new-123456' }) },
  { route: 'GET /api/users/{login}', allow: ['admin'], path: '/api/users/victim' },
  { route: 'PUT /api/users/{login}', allow: ['admin'], path: '/api/users/victim', body: () => ({ display_name: '受害者' }) },
  { route: 'PUT /api/users/{login}/roles', allow: ['admin'], path: '/api/users/victim/roles', body: () => ({ roles: [{ role: 'citizen' }] }) },
  { route: 'POST /api/users/{login}/password', allow: ['admin'], path: '/api/users/victim/password', body: () => ({ password: 'pw-victim-2345678' }) },
  { route: 'POST /api/users/{login}/disable', allow: ['admin'], path: '/api/users/victim/disable' },
  { route: 'POST /api/users/{login}/enable', allow: ['admin'], path: '/api/users/victim/enable' },
  { route: 'POST /api/users/{login}/revoke-sessions', allow: ['admin'], path: '/api/users/victim/revoke-sessions' },
  { route: 'GET /api/users/{login}/api-keys', allow: ['admin'], path: '/api/users/victim/api-keys' },
  { route: 'POST /api/users/{login}/api-keys', allow: ['admin'], path: '/api/users/victim/api-keys', body: (r) => ({ name: `key by ${r}` }) },
  { route: 'DELETE /api/users/{login}/api-keys/{id}', allow: ['admin'], path: '/api/users/victim/api-keys/999999' },
  { route: 'GET /api/audit', allow: ['auditor'] },
  { route: 'GET /api/grids', allow: GRID_READERS },
  { route: 'POST /api/grids', allow: ['admin', 'leader'], body: () => ({ code: '41010200800401', name: 'x', level: 'l2', parent: '410102008', geometry: square }) },
  { route: 'GET /api/grids/{code}', allow: GRID_READERS, path: '/api/grids/410102008' },
  { route: 'PUT /api/grids/{code}', allow: ['admin', 'leader'], path: '/api/grids/410102008', body: () => ({ name: 'x', level: 'l1', geometry: square }) },
  { route: 'DELETE /api/grids/{code}', allow: ['admin', 'leader'], path: '/api/grids/410102008' },
  { route: 'GET /api/grids/{code}/children', allow: GRID_READERS, path: '/api/grids/410102008/children' },
  { route: 'GET /api/grids/{code}/geojson', allow: GRID_READERS, path: '/api/grids/410102008/geojson' },
  { route: 'GET /api/grids/{code}/staff', allow: GRID_READERS, path: '/api/grids/410102008/staff' },
  { route: 'PUT /api/grids/{code}/staff', allow: ['admin', 'leader', 'community_staff'], path: '/api/grids/410102008/staff', body: () => ({ staff: [] }) },
  { route: 'GET /api/grids/{code}/parties', allow: GRID_READERS, path: '/api/grids/410102008/parties' },
  { route: 'PUT /api/grids/{code}/parties', allow: ['admin', 'leader', 'community_staff'], path: '/api/grids/410102008/parties', body: () => ({}) },
  { route: 'GET /api/locate', allow: 'any', path: '/api/locate?lon=113.6&lat=34.7' },
  { route: 'POST /api/locate', allow: 'any', body: () => ({ points: [[113.6, 34.7]] }) },
  { route: 'GET /api/categories', allow: 'any' },
  { route: 'PUT /api/categories', allow: ['admin'], raw: 'code,kind\n' },
  { route: 'GET /api/route', allow: 'any', path: '/api/route?category=E0101&grid=410102008' },
  { route: 'GET /api/route-rules', allow: 'any' },
  { route: 'POST /api/route-rules', allow: ['admin'], body: () => ({ department: 'nowhere' }) },
  { route: 'DELETE /api/route-rules/{id}', allow: ['admin'], path: '/api/route-rules/999999' },
  { route: 'GET /api/calendar', allow: 'any' },
  { route: 'PUT /api/calendar/{day}', allow: ['admin'], path: '/api/calendar/2024-10-01', body: () => ({ kind: 'holiday', note: '国庆节' }) },
  { route: 'DELETE /api/calendar/{day}', allow: ['admin'], path: '/api/calendar/2099-01-01' },
  { route: 'GET /api/cases', allow: 'any' },
  { route: 'POST /api/cases', allow: ['admin', 'leader', 'community_staff', 'grid_chief', 'grid_member', 'citizen'], body: () => ({ category: 'E0101', description: 'x', grid: '410102008' }) },
  { route: 'GET /api/cases/{id}', allow: 'any', path: '/api/cases/999999' },
  { route: 'GET /api/cases/{id}/history', allow: 'any', path: '/api/cases/999999/history' },
  { route: 'POST /api/cases/{id}/actions/{action}', allow: 'any', path: '/api/cases/999999/actions/file' },
  { route: 'POST /api/attachments', allow: 'any', raw: 'x' },
  { route: 'GET /api/attachments/{sha}', allow: 'any', path: '/api/attachments/' + '0'.repeat(64) },
  { route: 'GET /api/stats/cases', allow: ['admin', 'leader', 'community_staff', 'grid_chief', 'auditor'] },
  { route: 'GET /api/stats/whistles', allow: ['admin', 'leader', 'community_staff', 'grid_chief', 'auditor'] },
  { route: 'GET /api/ledgers', allow: LEDGER_READERS },
  { route: 'GET /api/ledgers/{kind}', allow: LEDGER_READERS, path: '/api/ledgers/dispute' },
  { route: 'PUT /api/ledgers/{kind}', allow: ['admin'], path: '/api/ledgers/dispute', raw: '{}' },
  { route: 'GET /api/ledgers/{kind}/kpis', allow: LEDGER_READERS, path: '/api/ledgers/dispute/kpis' },
  { route: 'GET /api/ledgers/{kind}/export', allow: LEDGER_READERS, path: '/api/ledgers/dispute/export' },
  { route: 'POST /api/ledgers/{kind}/import', allow: LEDGER_WRITERS, path: '/api/ledgers/dispute/import', raw: 'grid\n' },
  { route: 'GET /api/ledgers/{kind}/records', allow: LEDGER_READERS, path: '/api/ledgers/dispute/records' },
  { route: 'POST /api/ledgers/{kind}/records', allow: LEDGER_WRITERS, path: '/api/ledgers/dispute/records' },
  { route: 'GET /api/ledgers/{kind}/records/{id}', allow: LEDGER_READERS, path: '/api/ledgers/dispute/records/1' },
  { route: 'PUT /api/ledgers/{kind}/records/{id}', allow: LEDGER_WRITERS, path: '/api/ledgers/dispute/records/1' },
  { route: 'POST /api/ledgers/{kind}/records/{id}/actions/{action}', allow: LEDGER_WRITERS, path: '/api/ledgers/dispute/records/1/actions/start' },
  { route: 'GET /api/ledgers/{kind}/records/{id}/history', allow: LEDGER_READERS, path: '/api/ledgers/dispute/records/1/history' },
  { route: 'GET /api/indicators', allow: ['admin', 'leader', 'community_staff', 'grid_chief', 'auditor'] },
  { route: 'PUT /api/indicators/{code}', allow: ['admin', 'leader'], path: '/api/indicators/tax', body: () => ({ code: 'tax', name: '财政税收', unit: '亿元', period: 'month', direction: 'higher', cumulate: 'sum' }) },
  { route: 'POST /api/indicators/{code}/values', allow: ['admin', 'leader'], path: '/api/indicators/nothing/values', body: () => ({ period: '2023-01', value: 1 }) },
  { route: 'GET /api/indicators/{code}/values/{period}', allow: ['admin', 'leader', 'community_staff', 'grid_chief', 'auditor'], path: '/api/indicators/tax/values/2023-01' },
  { route: 'GET /api/reports/summary', allow: ['admin', 'leader', 'community_staff', 'grid_chief', 'auditor'], path: '/api/reports/summary?grid=4101020080040101' },
  { route: 'GET /api/departments', allow: [...STAFF, 'auditor'] },
  { route: 'POST /api/departments', allow: ['admin'], body: (r) => ({ code: `m-${r.replace(/_/g, '-')}`, name: 'x' }) },
];

// The routes the server has, read from its routes table.
function serverRoutes() {
  const src = readFileSync(path.resolve('src/http/routes.c'), 'utf8');
  const out = [];
  for (const m of src.matchAll(/\{\s*(HTTP_[A-Z_| ]+?)\s*,\s*"([^"]+)"/g))
    for (const meth of m[1].split('|').map((x) => x.trim().replace('HTTP_', '')))
      out.push(`${meth} ${m[2]}`);
  return out;
}

let srv;
const tokens = {};
const passwords = {};
before(async () => {
  srv = await startServer();
  const admin = await adminToken(srv);
  await req(srv, 'POST', '/api/departments', { token: admin, body: { code: 'gongan', name: '公安', kind: 'force' } });
  const scope = { leader: '410102008', community_staff: '410102008004', grid_chief: '41010200800401', grid_member: '4101020080040101', department_staff: 'gongan' };
  for (const role of ROLES) {
    const u = await makeUser(srv, admin, `m-${role.replace(/_/g, '-')}`, [{ role, ...(scope[role] ? { scope: scope[role] } : {}) }]);
    tokens[role] = u.token;
    passwords[role] = u.password;
  }
  await makeUser(srv, admin, 'victim', [{ role: 'citizen' }]);
});
after(async () => { await srv.stop(); });

test('the matrix lists every route of the server, and nothing else', () => {
  const have = serverRoutes().sort();
  const listed = MATRIX.map((m) => m.route).sort();
  assert.ok(have.length >= 20, 'could not read the routes table');
  assert.deepEqual(listed, have);
});

test('anonymous: public routes answer, every other route is 401', async () => {
  for (const m of MATRIX) {
    const [method, pattern] = m.route.split(' ');
    const r = await req(srv, method, m.path ?? pattern, {
      body: m.raw ?? (m.body ? m.body('anonymous') : (method === 'GET' || method === 'DELETE' ? undefined : {})),
      raw: !!m.raw, headers: m.raw ? { 'content-type': 'text/csv' } : {},
    });
    if (m.allow === 'public') assert.ok(![401, 403].includes(r.status), `${m.route} anonymous: ${r.status} ${r.text}`);
    else assert.equal(r.status, 401, `${m.route} anonymous: ${r.status} ${r.text}`);
  }
});

for (const role of ROLES) {
  test(`role ${role}: allowed where the table says, 403 elsewhere`, async () => {
    for (const m of MATRIX) {
      const [method, pattern] = m.route.split(' ');
      const token = m.fresh ? (await login(srv, `m-${role.replace(/_/g, '-')}`, passwords[role])).token : tokens[role];
      const r = await req(srv, method, m.path ?? pattern, {
        token, body: m.raw ?? (m.body ? m.body(role) : (method === 'GET' || method === 'DELETE' ? undefined : {})),
        raw: !!m.raw, headers: m.raw ? { 'content-type': 'text/csv' } : {},
      });
      const allowed = m.allow === 'public' || m.allow === 'any' || m.allow.includes(role);
      if (allowed) assert.ok(![401, 403].includes(r.status), `${role} ${m.route}: ${r.status} ${r.text}`);
      else {
        assert.equal(r.status, 403, `${role} ${m.route}: ${r.status} ${r.text}`);
        assert.equal(r.json.error.code, 'forbidden');
      }
    }
  });
}
