// The command line: help, exit codes, configuration sources, database
// problems, clean shutdown (issue: Foundation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { cli, tempDir, startServer, req } from './lib.mjs';

test('--help on the program and on every subcommand exits 0', () => {
  const top = cli(['--help']);
  assert.equal(top.status, 0);
  for (const cmd of ['init', 'serve', 'demo', 'import', 'export', 'grids', 'locate', 'case', 'user', 'audit', 'config', 'version']) {
    assert.match(top.stdout, new RegExp(`^  ${cmd} `, 'm'));
    const r = cli([cmd, '--help']);
    assert.equal(r.status, 0, `${cmd} --help: ${r.stderr}`);
    assert.match(r.stdout, /^usage: wangge /);
  }
  // serve's help lists every configuration key with its environment name.
  const serve = cli(['serve', '--help']).stdout;
  for (const flag of ['--db', '--listen', '--threads', '--max-body', '--config', 'WANGGE_LISTEN'])
    assert.ok(serve.includes(flag), `serve --help lacks ${flag}`);
});

test('usage errors exit 2', () => {
  assert.equal(cli([]).status, 2);
  assert.equal(cli(['frobnicate']).status, 2);
  const r = cli(['serve', '--no-such-flag']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
  assert.equal(cli(['serve', '--listen']).status, 2);
  assert.equal(cli(['init', '--db', 'x.db', 'extra']).status, 2);
  assert.equal(cli(['version', 'extra']).status, 2);
  assert.equal(cli(['config']).status, 2);
});

test('version prints the version', () => {
  const r = cli(['version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^wangge \d+\.\d+\.\d+ \(schema \d+; sqlite/);
});

test('an invalid value stops startup with exit 1 naming the key, from flag, env or file', () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'a.db');
    let r = cli(['serve', '--db', db, '--threads', 'many']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /'threads'.*flag --threads/);
    r = cli(['serve', '--db', db], { env: { ...process.env, WANGGE_LISTEN: 'nowhere' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /'listen'.*WANGGE_LISTEN/);
    const conf = path.join(dir, 'w.conf');
    writeFileSync(conf, '# test\nmax_body = huge\n');
    r = cli(['serve', '--db', db, '--config', conf]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /'max_body'.*w\.conf:2/);
    writeFileSync(conf, 'max_bdoy = 1M\n');
    r = cli(['serve', '--db', db, '--config', conf]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown key 'max_bdoy'/);
    r = cli(['serve', '--db', db, '--config', path.join(dir, 'absent.conf')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /absent\.conf/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flags win over the environment, which wins over the file', () => {
  const dir = tempDir();
  try {
    const conf = path.join(dir, 'w.conf');
    writeFileSync(conf, 'threads = 3\nmax_body = 2M\nlog_level = warn\n');
    const env = { ...process.env, WANGGE_THREADS: '5', WANGGE_LOG_LEVEL: 'error' };
    const r = cli(['config', 'check', '--config', conf, '--threads', '7'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^threads = 7$/m);
    assert.match(r.stdout, /^log_level = error$/m);
    assert.match(r.stdout, /^max_body = 2097152$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the committed example configuration is what the binary prints, and it is valid', () => {
  const r = cli(['config', 'example']);
  assert.equal(r.status, 0);
  const committed = execFileSync('cat', [path.resolve('wangge.conf.example')], { encoding: 'utf8' });
  assert.equal(r.stdout, committed, 'wangge.conf.example is stale: regenerate with `wangge config example`');
  const check = cli(['config', 'check', '--config', path.resolve('wangge.conf.example')]);
  assert.equal(check.status, 0, check.stderr);
});

test('init creates, then reports up to date', () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'n.db');
    let r = cli(['init', '--db', db]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /migrated from schema 0 to \d+/);
    r = cli(['init', '--db', db]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /up to date/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unusable or corrupt database stops init and serve with exit 1 and a clear message', () => {
  const dir = tempDir();
  try {
    const nodir = path.join(dir, 'missing-dir', 'x.db');
    for (const cmd of ['init', 'serve']) {
      const r = cli([cmd, '--db', nodir, ...(cmd === 'serve' ? ['--listen', '127.0.0.1:0'] : [])]);
      assert.equal(r.status, 1, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, /missing-dir\/x\.db/);
      assert.match(r.stderr, /unable to open|No such file/);
    }
    const junk = path.join(dir, 'junk.db');
    writeFileSync(junk, 'not a database '.repeat(500));
    for (const cmd of ['init', 'serve']) {
      const r = cli([cmd, '--db', junk, ...(cmd === 'serve' ? ['--listen', '127.0.0.1:0'] : [])]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /junk\.db.*not a database/);
    }
    const dirAsDb = path.join(dir, 'adir');
    mkdirSync(dirAsDb);
    const r = cli(['init', '--db', dirAsDb]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /adir/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database from a newer wangge is refused', () => {
  const dir = tempDir();
  try {
    const db = path.join(dir, 'future.db');
    assert.equal(cli(['init', '--db', db]).status, 0);
    execFileSync('sqlite3', [db, "INSERT INTO schema_migrations VALUES (999, 'future', 'now')"]);
    for (const cmd of ['init', 'serve']) {
      const r = cli([cmd, '--db', db, ...(cmd === 'serve' ? ['--listen', '127.0.0.1:0'] : [])]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /schema version 999 is newer/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a port in use is a clear error', async () => {
  const srv = await startServer();
  try {
    const r = cli(['serve', '--db', path.join(srv.dir, 'other.db'), '--listen', `127.0.0.1:${srv.port}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+/);
  } finally {
    await srv.stop();
  }
});

test('SIGINT and SIGTERM stop the server cleanly', async () => {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    const srv = await startServer();
    assert.equal((await req(srv, 'GET', '/healthz')).status, 200);
    const err = await srv.stop(sig);
    assert.match(err, new RegExp(`received ${sig}`));
    assert.match(err, /stopped cleanly/);
  }
});

test('SIGTERM lets an in-flight request finish before the server exits', async () => {
  // A login with the real argon2id cost takes a noticeable while.
  const srv = await startServer({ env: { WANGGE_PASSWORD_MEMLIMIT: '64M' } });
  const pending = req(srv, 'POST', '/api/login', { body: { login: 'admin', password: 'wrong-but-slow' } });
  // wait until the server holds it (on a loaded machine 30 ms may not do)
  for (let i = 0; i < 200; i++) {
    const m = await req(srv, 'GET', '/metrics');
    if (Number(m.text.match(/^wangge_http_requests_in_flight (\d+)/m)?.[1] ?? 0) >= 2) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const t0 = Date.now();
  const stopped = srv.stop('SIGTERM');
  const r = await pending;
  assert.equal(r.status, 401, 'the request in flight got its answer');
  const err = await stopped;
  assert.match(err, /finishing in-flight requests/);
  assert.match(err, /stopped cleanly/);
  assert.ok(Date.now() - t0 < 9000);
});
