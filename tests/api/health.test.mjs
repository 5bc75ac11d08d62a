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
