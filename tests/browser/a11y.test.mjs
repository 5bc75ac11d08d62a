// Accessibility of every page, checked by axe-core (from npm, run inside
// the page): labels, names, roles, colour contrast, landmarks, headings.
// Any violation fails, for each role's pages, on a desk and on a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startConsole, newPage, login, PHONE } from './lib.mjs';

const AXE = readFileSync(path.resolve('node_modules/axe-core/axe.min.js'), 'utf8');
let env;
before(async () => { env = await startConsole({ cases: 300 }); });
after(async () => { await env?.stop(); });

async function violations(page) {
  await page.evaluate(AXE); // evaluate, not a script tag: the page's CSP forbids inline scripts
  const r = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  return r.violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

// The page is drawn when its <h1> is there and nothing says it is loading.
async function visit(page, hash) {
  await page.goto(`${env.srv.url}/#/home`);
  await page.goto(`${env.srv.url}/#/${hash}`);
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('main .loading'));
  await page.waitForLoadState('networkidle');
}

const PAGES = {
  leader: ['home', 'map', 'cases', 'dashboard', 'ledgers', 'ledgers/dispute', 'ledgers/dispute/1'],
  staff: ['home', 'cases?queue=mine', 'report'],
  chengguan: ['home', 'cases?queue=whistles'],
};

test('no axe violations on any page, for each role', async () => {
  const found = [];
  const first = await newPage(env);
  await first.goto(`${env.srv.url}/`);
  await first.getByLabel('账号').waitFor();
  for (const v of await violations(first)) found.push(`login: ${v}`);
  for (const [who, pages] of Object.entries(PAGES)) {
    const page = await newPage(env);
    await login(page, env, who);
    for (const hash of pages) {
      await visit(page, hash);
      for (const v of await violations(page)) found.push(`${who} #/${hash}: ${v}`);
    }
    // a case page with its actions
    const c = await page.evaluate(async () => (await (await fetch('/api/cases?limit=1')).json()).items[0]);
    await visit(page, `cases/${c.id}`);
    for (const v of await violations(page)) found.push(`${who} #/cases/${c.id}: ${v}`);
    assert.deepEqual(page.problems, []);
  }
  assert.deepEqual(found, []);
});

test('no axe violations on a phone', async () => {
  const page = await newPage(env, { viewport: PHONE });
  await login(page, env, 'member');
  const found = [];
  for (const hash of ['home', 'report', 'cases?queue=verify', 'map', 'ledgers']) {
    await visit(page, hash);
    for (const v of await violations(page)) found.push(`#/${hash}: ${v}`);
  }
  assert.deepEqual(found, []);
  assert.deepEqual(page.problems, []);
});
