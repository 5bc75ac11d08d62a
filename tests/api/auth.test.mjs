// Accounts, sessions, CSRF, throttling, API keys, personal data and the
// audit log (issue: Actors and trust).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import {
  startServer, req, assertError, login, adminToken, makeUser, cli, ADMIN_PASSWORD, tempDir,
} from './lib.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  admin = await adminToken(srv);
});
after(async () => { await srv.stop(); });

test('login gives a token, a CSRF token and an HttpOnly SameSite=Strict cookie', async () => {
  const s = await login(srv, 'admin', ADMIN_PASSWORD);
  assert.match(s.token, /^wgs_[A-Za-z0-9_-]{43}$/);
  assert.ok(s.csrf.length >= 32);
  assert.match(s.setCookie, /^wg_session=wgs_[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/);
  const byBearer = await req(srv, 'GET', '/api/me', { token: s.token });
  assert.equal(byBearer.status, 200);
  assert.equal(byBearer.json.user.login, 'admin');
  assert.deepEqual(byBearer.json.user.roles, [{ role: 'admin', scope_kind: 'all', scope: '' }]);
  const byCookie = await req(srv, 'GET', '/api/me', { session: s });
  assert.equal(byCookie.status, 200);
  assert.equal(byCookie.json.csrf_token, s.csrf);
});

test('unknown login and wrong password get the same 401', async () => {
  const a = await req(srv, 'POST', '/api/login', { body: { login: 'admin', password: 'wrong-password' } });
  const b = await req(srv, 'POST', '/api/login', { body: { login: 'nobody-here', password: 'wrong-password' } });
  assertError(a, 401, 'unauthorized');
  assertError(b, 401, 'unauthorized');
  assert.equal(a.json.error.message, b.json.error.message);
  assert.equal(a.json.error.message, 'wrong login or password');
});

test('login body errors: malformed JSON, wrong type, missing field, too large, wrong type of body', async () => {
  const bad = await req(srv, 'POST', '/api/login', { raw: true, body: '{"login": "admin",\n "password": }', headers: { 'content-type': 'application/json' } });
  assertError(bad, 400, 'malformed_json');
  assert.match(bad.json.error.message, /line 2, column \d+/);
  assertError(await req(srv, 'POST', '/api/login', { body: { login: 7, password: 'x' } }), 400, 'bad_request', 'login');
  assertError(await req(srv, 'POST', '/api/login', { body: { login: 'admin' } }), 422, 'invalid', 'password');
  assertError(await req(srv, 'POST', '/api/login', { body: [1, 2] }), 400, 'bad_request');
  assertError(await req(srv, 'POST', '/api/login', { body: { login: 'a', password: 'x'.repeat(5000) } }), 413, 'body_too_large');
  assertError(await req(srv, 'POST', '/api/login', { raw: true, body: 'login=admin', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
  // A chunked body over the cap is refused too (no Content-Length to check up front).
  const big = 'x'.repeat(6000);
  const chunked = await fetch(srv.url + '/api/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, duplex: 'half',
    body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(`{"login":"${big}"}`)); c.close(); } }),
  });
  assert.equal(chunked.status, 413);
  assert.equal((await chunked.json()).error.code, 'body_too_large');
});

test('logout ends the session', async () => {
  const s = await login(srv, 'admin', ADMIN_PASSWORD);
  assert.equal((await req(srv, 'POST', '/api/logout', { token: s.token })).status, 200);
  assertError(await req(srv, 'GET', '/api/me', { token: s.token }), 401, 'unauthorized');
});

test('no credentials, a bad token: 401 with WWW-Authenticate', async () => {
  const r = await req(srv, 'GET', '/api/me');
  assertError(r, 401, 'unauthorized');
  assert.match(r.headers.get('www-authenticate'), /^Bearer/);
  assertError(await req(srv, 'GET', '/api/me', { token: 'wgs_nonsense' }), 401, 'unauthorized');
  assertError(await req(srv, 'GET', '/api/me', { token: 'x'.repeat(500) }), 401, 'unauthorized');
});

test('cookie-authenticated writes need the CSRF token; Bearer writes do not', async () => {
  const s = await login(srv, 'admin', ADMIN_PASSWORD);
  const body = { code: 'csrf-test', name: 'CSRF 测试' };
  const noCsrf = await req(srv, 'POST', '/api/departments', { body, headers: { cookie: s.cookie } });
  assertError(noCsrf, 403, 'forbidden', 'X-CSRF-Token');
  const wrong = await req(srv, 'POST', '/api/departments', { body, headers: { cookie: s.cookie, 'x-csrf-token': 'nope' } });
  assertError(wrong, 403, 'forbidden', 'X-CSRF-Token');
  assert.equal((await req(srv, 'POST', '/api/departments', { body, session: s })).status, 201);
  const viaBearer = await req(srv, 'POST', '/api/departments', { token: s.token, body: { code: 'csrf-test-2', name: 'x' } });
  assert.equal(viaBearer.status, 201);
  // Reads with the cookie need no CSRF token.
  assert.equal((await req(srv, 'GET', '/api/departments', { headers: { cookie: s.cookie } })).status, 200);
});

test('responses carry the security headers', async () => {
  const r = await req(srv, 'GET', '/api/version');
  assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
});

test('accounts: create, masked phone, invalid input named, conflict', async () => {
  const r = await req(srv, 'POST', '/api/users', {
    token: admin,
    body: { login: 'wang.wu', display_name: '王五', password: 'pw-wang-12345', phone: '+86 13912345678', roles: [{ role: 'grid_member', scope: '410102008004' }] },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.phone, '139****5678');
  assert.deepEqual(r.json.roles, [{ role: 'grid_member', scope_kind: 'grid', scope: '410102008004' }]);
  assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'wang.wu', display_name: 'x', password: 'pw-x-123456' } }), 409, 'conflict', 'login');
  assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'Bad Login', display_name: 'x', password: 'pw-x-123456' } }), 422, 'invalid', 'login');
  assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'p1', display_name: 'x', password: 'short' } }), 422, 'invalid', 'password');
  assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'p2', display_name: 'x', password: 'pw-x-123456', phone: '12345' } }), 422, 'invalid', 'phone');
  assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'p3', display_name: 'x', password: 'pw-x-123456', roles: [{ role: 'wizard' }] } }), 422, 'invalid', 'roles');
  assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'p4', display_name: 'x', password: 'pw-x-123456', roles: [{ role: 'grid_member' }] } }), 422, 'invalid', 'roles');
  assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'p5', display_name: 'x', password: 'pw-x-123456', roles: [{ role: 'department_staff', scope: 'no-such-dept' }] } }), 422, 'invalid', 'roles');
  assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'p6', display_name: 'x', password: 'pw-x-123456', roles: 'admin' } }), 400, 'bad_request', 'roles');
  // Nothing half-written: none of the refused accounts exists.
  for (const l of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'])
    assertError(await req(srv, 'GET', `/api/users/${l}`, { token: admin }), 404, 'not_found');
  const list = await req(srv, 'GET', '/api/users', { token: admin });
  assert.ok(list.json.items.some((u) => u.login === 'wang.wu' && u.phone === '139****5678'));
  assert.ok(!list.text.includes('13912345678'), 'a list must never show a clear phone');
});

test('personal data: clear only for allowed roles, with a reason, and audited', async () => {
  const auditor = await makeUser(srv, admin, 'aud1', [{ role: 'auditor' }]);
  await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'zhao', display_name: '赵六', password: 'pw-zhao-12345', phone: '13700001111' } });
  assertError(await req(srv, 'GET', '/api/users/zhao?reveal=phone', { token: admin }), 422, 'invalid', 'reason');
  assertError(await req(srv, 'GET', '/api/users/zhao?reveal=id', { token: admin }), 400, 'bad_request', 'reveal');
  const clear = await req(srv, 'GET', '/api/users/zhao?reveal=phone&reason=' + encodeURIComponent('回访 return call'), { token: admin });
  assert.equal(clear.status, 200, clear.text);
  assert.equal(clear.json.phone, '13700001111');
  assert.equal((await req(srv, 'GET', '/api/users/zhao', { token: admin })).json.phone, '137****1111');
  // The read is in the audit log, with who, what and why.
  const log = await req(srv, 'GET', '/api/audit?action=pii.read', { token: auditor.token });
  const row = log.json.items.find((x) => x.resource === '/api/users/zhao');
  assert.ok(row, log.text);
  assert.equal(row.actor, 'admin');
  assert.match(row.detail, /回访 return call/);
  assert.match(row.request_id, /\S/);
  assert.equal(row.client_addr, '127.0.0.1');
  // The database holds no clear phone.
  const dump = execFileSync('sqlite3', [srv.db, 'SELECT quote(phone_sealed), phone_masked FROM users'], { encoding: 'utf8' });
  assert.ok(!dump.includes('13700001111'));
});

test('the audit log records writes and logins, filters, pages, and only auditors read it', async () => {
  const auditor = await makeUser(srv, admin, 'aud2', [{ role: 'auditor' }]);
  await req(srv, 'POST', '/api/login', { body: { login: 'aud2', password: 'definitely-wrong' } });
  assertError(await req(srv, 'GET', '/api/audit', { token: admin }), 403, 'forbidden');
  const fails = await req(srv, 'GET', '/api/audit?action=login.failure&actor=aud2', { token: auditor.token });
  assert.equal(fails.status, 200);
  assert.equal(fails.json.items.length, 1);
  assert.match(fails.json.items[0].detail, /wrong login or password/);
  const creates = await req(srv, 'GET', '/api/audit?action=user.*', { token: auditor.token });
  assert.ok(creates.json.items.some((x) => x.action === 'user.create' && x.resource === '/api/users/aud2' && x.actor === 'admin'));
  assert.ok(creates.json.items.every((x) => x.action.startsWith('user.')));
  // Keyset pagination: pages of 2 cover everything once, in order.
  const seen = [];
  let after = 0;
  for (;;) {
    const p = await req(srv, 'GET', `/api/audit?limit=2&after=${after}`, { token: auditor.token });
    seen.push(...p.json.items.map((x) => x.id));
    if (p.json.next === null) break;
    after = p.json.next;
  }
  const all = await req(srv, 'GET', '/api/audit?limit=1000', { token: auditor.token });
  assert.deepEqual(seen, all.json.items.map((x) => x.id));
  assertError(await req(srv, 'GET', '/api/audit?limit=0', { token: auditor.token }), 400, 'bad_request', 'limit');
  assertError(await req(srv, 'GET', '/api/audit?from=yesterday', { token: auditor.token }), 400, 'bad_request', 'from');
  const future = await req(srv, 'GET', '/api/audit?from=2999-01-01', { token: auditor.token });
  assert.deepEqual(future.json.items, []);
});

test('API keys act as their account; revoked keys stop working', async () => {
  await makeUser(srv, admin, 'bot', [{ role: 'auditor' }]);
  const k = await req(srv, 'POST', '/api/users/bot/api-keys', { token: admin, body: { name: 'open311 bridge' } });
  assert.equal(k.status, 201, k.text);
  assert.match(k.json.key, /^wgk_/);
  const me = await req(srv, 'GET', '/api/me', { token: k.json.key });
  assert.equal(me.json.user.login, 'bot');
  assert.equal(me.json.auth, 'api_key');
  assert.equal((await req(srv, 'GET', '/api/audit?limit=1', { token: k.json.key })).status, 200);
  const list = await req(srv, 'GET', '/api/users/bot/api-keys', { token: admin });
  assert.equal(list.json.items.length, 1);
  assert.ok(!list.text.includes(k.json.key), 'the secret is shown only once');
  assert.equal((await req(srv, 'DELETE', `/api/users/bot/api-keys/${k.json.id}`, { token: admin })).status, 200);
  assertError(await req(srv, 'GET', '/api/me', { token: k.json.key }), 401, 'unauthorized');
  assertError(await req(srv, 'DELETE', `/api/users/bot/api-keys/${k.json.id}`, { token: admin }), 404, 'not_found');
});

test('disabling an account, revoking its sessions, changing a password', async () => {
  const u = await makeUser(srv, admin, 'temp1', [{ role: 'citizen' }]);
  assert.equal((await req(srv, 'GET', '/api/me', { token: u.token })).status, 200);
  const s2 = await login(srv, 'temp1', u.password);
  assert.equal((await req(srv, 'POST', '/api/users/temp1/revoke-sessions', { token: admin })).json.revoked, 2);
  assertError(await req(srv, 'GET', '/api/me', { token: s2.token }), 401, 'unauthorized');
  // Own password: needs the current one.
  const s3 = await login(srv, 'temp1', u.password);
  assertError(await req(srv, 'POST', '/api/users/temp1/password', { token: s3.token, body: { password: 'new-pass-7890' } }), 422, 'invalid', 'current_password');
  assertError(await req(srv, 'POST', '/api/users/admin/password', { token: s3.token, body: { password: 'new-pass-7890' } }), 403, 'forbidden');
  assert.equal((await req(srv, 'POST', '/api/users/temp1/password', { token: s3.token, body: { password: 'new-pass-7890', current_password: u.password } })).status, 200);
  assertError(await req(srv, 'GET', '/api/me', { token: s3.token }), 401, 'unauthorized');
  const s4 = await login(srv, 'temp1', 'new-pass-7890');
  assert.equal((await req(srv, 'POST', '/api/users/temp1/disable', { token: admin })).json.disabled, true);
  assertError(await req(srv, 'GET', '/api/me', { token: s4.token }), 401, 'unauthorized');
  assertError(await req(srv, 'POST', '/api/login', { body: { login: 'temp1', password: 'new-pass-7890' } }), 401, 'unauthorized');
  assertError(await req(srv, 'POST', '/api/users/admin/disable', { token: admin }), 409, 'conflict');
  assert.equal((await req(srv, 'POST', '/api/users/temp1/enable', { token: admin })).status, 200);
  await login(srv, 'temp1', 'new-pass-7890');
});

test('roles can be replaced, and the new scope applies at once', async () => {
  await req(srv, 'POST', '/api/departments', { token: admin, body: { code: 'chengguan', name: '城管执法', kind: 'force' } });
  const u = await makeUser(srv, admin, 'dept1', [{ role: 'citizen' }]);
  const r = await req(srv, 'PUT', '/api/users/dept1/roles', { token: admin, body: { roles: [{ role: 'department_staff', scope: 'chengguan' }] } });
  assert.equal(r.status, 200, r.text);
  const me = await req(srv, 'GET', '/api/me', { token: u.token });
  assert.deepEqual(me.json.user.roles, [{ role: 'department_staff', scope_kind: 'department', scope: 'chengguan' }]);
  assert.ok(me.json.permissions.includes('departments.read'));
  assertError(await req(srv, 'PUT', '/api/users/dept1/roles', { token: admin, body: {} }), 422, 'invalid', 'roles');
  assertError(await req(srv, 'PUT', '/api/users/nobody/roles', { token: admin, body: { roles: [] } }), 404, 'not_found');
});

test('the audit chain verifies, and an edited, deleted or inserted row is found', async () => {
  const dir = tempDir();
  const s = await startServer({ dir });
  const tok = await adminToken(s);
  for (let i = 0; i < 3; i++)
    await req(s, 'POST', '/api/departments', { token: tok, body: { code: `d${i}`, name: `部门${i}` } });
  await s.stop();
  const ok = cli(['audit', 'verify', '--db', s.db]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /intact: \d+ rows, head [0-9a-f]{64}/);
  const sql = (q) => execFileSync('sqlite3', [s.db, q], { encoding: 'utf8' });
  // The database itself refuses edits...
  assert.throws(() => sql("UPDATE audit_log SET detail = 'x' WHERE id = 2"));
  // ...so an attacker drops the triggers first; the chain still tells.
  sql('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  const backup = sql("SELECT detail FROM audit_log WHERE id = 3").trim();
  sql("UPDATE audit_log SET detail = 'forged' WHERE id = 3");
  let r = cli(['audit', 'verify', '--db', s.db]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /BROKEN at row 3: .*changed/);
  sql(`UPDATE audit_log SET detail = '${backup.replace(/'/g, "''")}' WHERE id = 3`);
  assert.equal(cli(['audit', 'verify', '--db', s.db]).status, 0);
  const last = Number(sql('SELECT max(id) FROM audit_log'));
  sql(`INSERT INTO audit_log SELECT ${last + 1}, at, actor_id, actor, action, resource, request_id, client_addr, detail, prev_hash, hash FROM audit_log WHERE id = 2`);
  r = cli(['audit', 'verify', '--db', s.db]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, new RegExp(`BROKEN at row ${last + 1}`));
  sql(`DELETE FROM audit_log WHERE id = ${last + 1}`);
  sql('DELETE FROM audit_log WHERE id = 2');
  r = cli(['audit', 'verify', '--db', s.db]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /BROKEN at row 3: .*deleted/);
});

test('the key file: created 0600 beside the database; missing or foreign keys stop startup', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'k.db');
  assert.equal(cli(['init', '--db', db], { env: { ...process.env, WANGGE_ADMIN_PASSWORD: 'pw-admin-12345', WANGGE_PASSWORD_MEMLIMIT: '8M' } }).status, 0);
  const st = statSync(db + '.key');
  assert.equal(st.mode & 0o777, 0o600);
  renameSync(db + '.key', db + '.key.bak');
  let r = cli(['serve', '--db', db, '--listen', '127.0.0.1:0']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /key file .*k\.db\.key is missing/);
  // Another key (from another database) is refused.
  const other = path.join(dir, 'other.db');
  assert.equal(cli(['init', '--db', other], { env: { ...process.env, WANGGE_ADMIN_PASSWORD: 'pw-admin-12345', WANGGE_PASSWORD_MEMLIMIT: '8M' } }).status, 0);
  r = cli(['serve', '--db', db, '--listen', '127.0.0.1:0', '--key-file', other + '.key']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /does not belong to database/);
  // A key readable by others is refused.
  renameSync(db + '.key.bak', db + '.key');
  chmodSync(db + '.key', 0o644);
  r = cli(['serve', '--db', db, '--listen', '127.0.0.1:0']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /chmod 600/);
  writeFileSync(db + '.key', 'garbage\n', { mode: 0o600 });
  chmodSync(db + '.key', 0o600);
  r = cli(['serve', '--db', db, '--listen', '127.0.0.1:0']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /k\.db\.key/);
});

test('session idle timeout and login throttling (own server, short limits)', async () => {
  const s = await startServer({ env: { WANGGE_SESSION_IDLE: '1', WANGGE_LOGIN_FREE_TRIES: '3' } });
  try {
    const a = await login(s, 'admin', ADMIN_PASSWORD);
    assert.equal((await req(s, 'GET', '/api/me', { token: a.token })).status, 200);
    await new Promise((r) => setTimeout(r, 2300));
    const expired = await req(s, 'GET', '/api/me', { token: a.token });
    assertError(expired, 401, 'unauthorized');
    assert.match(expired.json.error.message, /expired/);
    const bad = async (i) => assertError(await req(s, 'POST', '/api/login', { body: { login: 'admin', password: 'bad-' + i } }), 401, 'unauthorized');
    for (let i = 0; i < 3; i++) await bad(i); // the free tries
    await bad(3); // the 4th failure: the next try waits 1 s
    await new Promise((r) => setTimeout(r, 1300));
    await bad(4); // the 5th: the next try waits 2 s
    // Now even the right password is refused, with the time to wait.
    const w = await req(s, 'POST', '/api/login', { body: { login: 'admin', password: ADMIN_PASSWORD } });
    assertError(w, 429, 'too_many_requests');
    const wait = Number(w.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 2, `Retry-After ${wait}`);
    await new Promise((r) => setTimeout(r, 1000 * wait + 400));
    await login(s, 'admin', ADMIN_PASSWORD);
  } finally {
    await s.stop();
  }
});

test('citizen ID numbers: GB 11643 checked, stored sealed, masked, found by blind index, revealed with a reason', async () => {
  const auditor = await makeUser(srv, admin, 'aud3', [{ role: 'auditor' }]);
  const r = await req(srv, 'POST', '/api/users', {
    token: admin,
    body: { login: 'sun', display_name: '孙', password: 'pw-sun-123456', phone: '13611112222', id_number: '11010519491231002x' },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.id_number, '1101**********002X');
  for (const bad of ['11010519491231002Y', '110105194912310021', '11010519490231002X', '1101051949123100', '110105299912310028'])
    assertError(await req(srv, 'POST', '/api/users', { token: admin, body: { login: 'sun2', display_name: 'x', password: 'pw-sun-123456', id_number: bad } }), 422, 'invalid', 'id_number');
  // Equality lookups go through the keyed hash: same person however written.
  let f = await req(srv, 'GET', '/api/users?id_number=11010519491231002X', { token: admin });
  assert.deepEqual(f.json.items.map((u) => u.login), ['sun']);
  f = await req(srv, 'GET', '/api/users?phone=' + encodeURIComponent('+86 136-1111-2222'), { token: admin });
  assert.deepEqual(f.json.items.map((u) => u.login), ['sun']);
  f = await req(srv, 'GET', '/api/users?id_number=440524188001010014', { token: admin });
  assert.deepEqual(f.json.items, []);
  assertError(await req(srv, 'GET', '/api/users?id_number=123', { token: admin }), 422, 'invalid', 'id_number');
  const clear = await req(srv, 'GET', '/api/users/sun?reveal=id_number&reason=' + encodeURIComponent('实名核验'), { token: admin });
  assert.equal(clear.json.id_number, '11010519491231002X');
  assert.equal(clear.json.phone, '136****2222');
  const log = await req(srv, 'GET', '/api/audit?action=pii.read&actor=admin', { token: auditor.token });
  assert.ok(log.json.items.some((x) => x.resource === '/api/users/sun' && /id_number: 实名核验/.test(x.detail)));
  const dump = execFileSync('sqlite3', [srv.db, "SELECT quote(id_sealed) || id_masked FROM users WHERE login = 'sun'"], { encoding: 'utf8' });
  assert.ok(!dump.includes('11010519491231002'));
  const cleared = await req(srv, 'PUT', '/api/users/sun', { token: admin, body: { id_number: '' } });
  assert.equal(cleared.json.id_number, null);
});
