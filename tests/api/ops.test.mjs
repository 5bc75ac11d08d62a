// Operations endpoints and the HTTP error contract (issue: Foundation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, req, rawHttp, assertError } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('GET /api/version gives version and schema', async () => {
  const r = await req(srv, 'GET', '/api/version');
  assert.equal(r.status, 200);
  assert.match(r.json.version, /^\d+\.\d+\.\d+/);
  assert.ok(Number.isInteger(r.json.schema) && r.json.schema >= 1);
});

test('HEAD is answered like GET without a body', async () => {
  const r = await req(srv, 'HEAD', '/api/version');
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
});

test('GET /healthz is 200 when the database answers', async () => {
  const r = await req(srv, 'GET', '/healthz');
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ok');
});

test('every response carries an X-Request-Id; a sane one is echoed', async () => {
  const a = await req(srv, 'GET', '/api/version');
  const b = await req(srv, 'GET', '/api/version');
  assert.match(a.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
  assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
  const c = await req(srv, 'GET', '/api/version', { headers: { 'X-Request-Id': 'trace-42.a_b:c' } });
  assert.equal(c.headers.get('x-request-id'), 'trace-42.a_b:c');
  // Insane ones (too long, odd characters) are replaced.
  const d = await req(srv, 'GET', '/api/version', { headers: { 'X-Request-Id': 'x'.repeat(65) } });
  assert.match(d.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
  const e = await req(srv, 'GET', '/api/version', { headers: { 'X-Request-Id': 'a b"c' } });
  assert.match(e.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
  const f = await req(srv, 'GET', '/nope');
  assert.ok(f.headers.get('x-request-id'));
});

test('unknown path is a JSON 404', async () => {
  assertError(await req(srv, 'GET', '/no/such/thing'), 404, 'not_found');
  assertError(await req(srv, 'POST', '/api/nothing', { body: {} }), 404, 'not_found');
});

test('known path with the wrong method is 405 with Allow', async () => {
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const r = await req(srv, m, '/api/version');
    assertError(r, 405, 'method_not_allowed');
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  }
});

test('an unknown method is 405', async () => {
  const r = await rawHttp(srv.port, 'BREW /api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.1 405/);
  assert.match(r.text, /"code":"method_not_allowed"/);
});

test('an oversized URI is a JSON 414', async () => {
  const r = await req(srv, 'GET', '/api/version?q=' + 'a'.repeat(9000));
  assertError(r, 414, 'uri_too_long');
  const p = await req(srv, 'GET', '/' + 'b'.repeat(9000));
  assertError(p, 414, 'uri_too_long');
});

test('oversized headers are a JSON 431', async () => {
  const headers = {};
  for (let i = 0; i < 8; i++) headers['x-filler-' + i] = 'h'.repeat(4000);
  assertError(await req(srv, 'GET', '/api/version', { headers }), 431, 'headers_too_large');
});

test('headers and a URI just under their limits are served', async () => {
  // 24 KiB of headers and 8 KiB of URI are accepted (max_header_bytes,
  // max_uri): the connection's memory must hold both at once.
  const headers = {};
  for (let i = 0; i < 5; i++) headers['x-filler-' + i] = 'h'.repeat(4500);
  const r = await req(srv, 'GET', '/api/version?q=' + 'a'.repeat(7900), { headers });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.version);
});

test('a body on a route that takes none is 413 and not read', async () => {
  const r = await req(srv, 'DELETE', '/api/version');
  assert.equal(r.status, 405);
  const big = await rawHttp(srv.port,
    'GET /api/version HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n' + 'x'.repeat(1000));
  assert.match(big.text, /^HTTP\/1\.1 413/);
  assert.match(big.text, /"code":"body_too_large"/);
  assert.equal(big.closed, true, 'connection must close: the body was not read');
});

test('a body whose end is in doubt is refused and the connection closes', async () => {
  const post = 'POST /api/departments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
  const cases = [
    ['Content-Length: 2\r\nContent-Length: 10\r\n\r\n{}', /more than one Content-Length/],
    ['Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n', /both Transfer-Encoding and Content-Length/],
    ['Transfer-Encoding: gzip\r\n\r\nxx', /only the chunked transfer coding/],
  ];
  for (const [rest, why] of cases) {
    const r = await rawHttp(srv.port, post + rest, { idleMs: 2000 });
    assert.match(r.text, /^HTTP\/1\.1 400/, r.text);
    assert.match(r.text, why);
    assert.equal(r.closed, true, 'the connection must close');
  }
});

test('keep-alive holds across requests, including errors', async () => {
  const one = 'GET /api/version HTTP/1.1\r\nHost: x\r\n\r\n';
  const miss = 'GET /missing HTTP/1.1\r\nHost: x\r\n\r\n';
  const r = await rawHttp(srv.port, one + miss + one);
  const statuses = [...r.text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '404', '200']);
  assert.equal(r.closed, false, 'the server must not close a keep-alive connection');
});

test('GET /metrics is Prometheus text with routes, statuses, latency, in-flight, db size, build', async () => {
  await req(srv, 'GET', '/api/version');
  await req(srv, 'GET', '/definitely/missing');
  const r = await req(srv, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  assert.match(r.text, /^wangge_http_requests_total\{route="\/api\/version",status="200"\} \d+$/m);
  assert.match(r.text, /^wangge_http_requests_total\{route="unmatched",status="404"\} \d+$/m);
  assert.match(r.text, /^wangge_http_request_duration_seconds_bucket\{route="\/api\/version",le="\+Inf"\} \d+$/m);
  assert.match(r.text, /^wangge_http_request_duration_seconds_sum\{route="\/api\/version"\} [\d.]+$/m);
  assert.match(r.text, /^wangge_http_requests_in_flight \d+$/m);
  assert.match(r.text, /^wangge_db_size_bytes [1-9]\d*$/m);
  assert.match(r.text, /^wangge_build_info\{version="[^"]+",engine="sqlite [\d.]+"\} 1$/m);
  // Counters count: one more request, one more in the series.
  const count = (t) => Number(t.match(/route="\/api\/version",status="200"\} (\d+)/)[1]);
  const before = count(r.text);
  await req(srv, 'GET', '/api/version');
  assert.equal(count((await req(srv, 'GET', '/metrics')).text), before + 1);
});

test('the access log has one JSON line per request', async () => {
  await req(srv, 'GET', '/api/version', { headers: { 'X-Request-Id': 'log-probe-1' } });
  await new Promise((r) => setTimeout(r, 100));
  const line = srv.stderr.split('\n').find((l) => l.includes('"log-probe-1"'));
  assert.ok(line, 'no access-log line for the request');
  const j = JSON.parse(line);
  assert.equal(j.level, 'access');
  assert.equal(j.method, 'GET');
  assert.equal(j.path, '/api/version');
  assert.equal(j.status, 200);
  assert.ok(j.bytes > 0);
  assert.ok(Number.isInteger(j.us));
  assert.match(j.t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});
