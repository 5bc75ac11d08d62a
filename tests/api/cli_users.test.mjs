// The account commands, init's first admin and the demo accounts
// (issue: Actors and trust).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { cli, tempDir, startServer, req, login, assertError } from './lib.mjs';

const env = { ...process.env, WANGGE_PASSWORD_MEMLIMIT: '8M' };

test('init prints a random admin password once; it works; a second init creates nothing', async () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'a.db');
    const r = cli(['init', '--db', db], { env });
    assert.equal(r.status, 0, r.stderr);
    const pw = r.stdout.match(/login admin, password (\S+) \(shown once/)[1];
    assert.ok(pw.length >= 16);
    const again = cli(['init', '--db', db], { env });
    assert.doesNotMatch(again.stdout, /password/);
    const srv = await startServer({ dir, init: false, dbName: 'a.db' });
    try {
      await login(srv, 'admin', pw);
    } finally {
      await srv.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('user add / role / passwd / disable / enable / list, each audited', async () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'u.db');
    assert.equal(cli(['init', '--db', db], { env: { ...env, WANGGE_ADMIN_PASSWORD: 'pw-admin-12345' } }).status, 0);
    let r = cli(['user', 'add', 'liu', '--db', db, '--name', '刘芳', '--role', 'grid_member:4101020080040101', '--phone', '13812345678', '--password-stdin'], { env, input: 'pw-liu-123456\n' });
    assert.equal(r.status, 0, r.stderr);
    r = cli(['user', 'add', 'liu', '--db', db, '--name', 'again'], { env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /taken/);
    r = cli(['user', 'add', 'x1', '--db', db, '--name', 'x', '--role', 'wizard'], { env });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown role/);
    r = cli(['user', 'add', 'x2', '--db', db], { env });
    assert.equal(r.status, 2);
    r = cli(['user', 'list', '--db', db], { env });
    assert.match(r.stdout, /^liu\s+刘芳\s+138\*\*\*\*5678\s+active$/m);
    assert.doesNotMatch(r.stdout, /13812345678/);
    r = cli(['user', 'role', 'liu', 'community_staff:410102008004', 'auditor', '--db', db], { env });
    assert.equal(r.status, 0, r.stderr);
    r = cli(['user', 'passwd', 'liu', '--db', db], { env });
    assert.equal(r.status, 0, r.stderr);
    const pw = r.stdout.match(/new password for liu: (\S+)/)[1];
    assert.equal(cli(['user', 'disable', 'liu', '--db', db], { env }).status, 0);
    assert.match(cli(['user', 'list', '--db', db], { env }).stdout, /^liu .* disabled$/m);
    const srv = await startServer({ dir, init: false, dbName: 'u.db' });
    try {
      assertError(await req(srv, 'POST', '/api/login', { body: { login: 'liu', password: pw } }), 401, 'unauthorized');
      assert.equal(cli(['user', 'enable', 'liu', '--db', db], { env }).status, 0);
      const s = await login(srv, 'liu', pw);
      assert.deepEqual(s.user.roles.map((x) => x.role), ['community_staff', 'auditor']);
      const log = await req(srv, 'GET', '/api/audit?actor=' + encodeURIComponent('cli:root'), { token: s.token });
      const actions = log.json.items.map((x) => x.action);
      for (const a of ['user.create', 'user.roles', 'user.password', 'user.disable', 'user.enable'])
        assert.ok(actions.includes(a), `${a} not audited: ${actions}`);
    } finally {
      await srv.stop();
    }
    assert.equal(cli(['audit', 'verify', '--db', db], { env }).status, 0);
    assert.equal(cli(['user', 'frob', '--db', db], { env }).status, 2);
    assert.equal(cli(['user', 'disable', 'nobody', '--db', db], { env }).status, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('demo adds departments and one account per role, once; each can log in', async () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'd.db');
    assert.equal(cli(['init', '--db', db], { env }).status, 0);
    // the whole demo (divisions, grids, cases, ledgers): slow under ASan on a busy machine
    let r = cli(['demo', '--db', db], { env, timeout: 300000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /10 department\(s\), 31 categories and 9 account\(s\) added/);
    const pw = r.stdout.match(/password (\S+)\):/)[1];
    const roles = [...r.stdout.matchAll(/^ {2}(\S+)\s+(\S+)/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual([...new Set(roles.map((x) => x[1]))].sort(),
      ['admin', 'auditor', 'citizen', 'community_staff', 'department_staff', 'grid_chief', 'grid_member', 'leader']);
    r = cli(['demo', '--db', db], { env });
    assert.match(r.stdout, /0 department\(s\), 0 categories and 0 account\(s\) added/);
    const srv = await startServer({ dir, init: false, dbName: 'd.db' });
    try {
      for (const [loginName, role] of roles) {
        const s = await login(srv, loginName, pw);
        assert.ok(s.user.roles.some((x) => x.role === role));
      }
    } finally {
      await srv.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
