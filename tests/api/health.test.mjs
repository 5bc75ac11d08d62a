// /healthz reports a database that does not answer (fault injected).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, req, assertError } from './lib.mjs';

test('GET /healthz is 503 when the database does not answer', async () => {
  const srv = await startServer({ env: { WANGGE_FAULTS: 'store_ping' } });
  try {
    assertError(await req(srv, 'GET', '/healthz'), 503, 'unavailable');
    // The rest of the server still works.
    assert.equal((await req(srv, 'GET', '/api/version')).status, 200);
  } finally {
    await srv.stop();
  }
});

test('a failed sync of the write-ahead log: the write fails, later writes are refused, health says so', async () => {
  const srv = await startServer({ env: { WANGGE_FAULTS: 'store_fsync', WANGGE_ESCALATION_INTERVAL: '0' } });
  try {
    const first = await req(srv, 'POST', '/api/login', { body: { login: 'admin', password: 'admin-test-pass-1' } });
    assert.ok(first.status >= 500, `${first.status} ${first.text}`);
    assertError(await req(srv, 'POST', '/api/login', { body: { login: 'admin', password: 'admin-test-pass-1' } }), 503, 'unavailable');
    const h = await req(srv, 'GET', '/healthz');
    assertError(h, 503, 'unavailable');
    assert.match(h.json.error.message, /write-ahead log/);
    assert.equal((await req(srv, 'GET', '/api/version')).status, 200);
  } finally {
    await srv.stop();
  }
});
