// lib.mjs - browser tests: the real server on a copy of the demo database,
// Debian's Chromium headless driven by playwright-core (no browser
// download), screenshots of each page in tests/browser/out/ (or
// $WG_SHOTS), and every console error or failed request collected so a
// test can assert there were none.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { demoDatabase, startServer, tempDir, DEMO_PASSWORD } from '../api/lib.mjs';

export { DEMO_PASSWORD };
export const SHOTS = process.env.WG_SHOTS ?? path.resolve('tests/browser/out');
export const CHROMIUM = process.env.WG_CHROMIUM ?? '/usr/bin/chromium';
export const PHONE = { width: 390, height: 844 };

// The flags a closed network needs (no background connections, no
// component updates), root without a sandbox, no GPU.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

// Start the server on a demo database (with `cases` demo cases) and a
// browser. Returns {srv, browser, stop()}.
export async function startConsole({ cases = 300 } = {}) {
  const dir = tempDir();
  demoDatabase(dir, 'test.db', { cases });
  const srv = await startServer({ dir, init: false });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  mkdirSync(SHOTS, { recursive: true });
  return {
    srv, browser,
    async stop() {
      await browser.close();
      await srv.stop();
    },
  };
}

// A new page (own cookies) with console errors and failed requests
// collected in page.problems.
export async function newPage(env, { viewport = { width: 1280, height: 860 }, lang = 'zh' } = {}) {
  const phone = viewport.width < 600; // a phone: touch, mobile layout
  const context = await env.browser.newContext({ viewport, locale: 'zh-CN', acceptDownloads: true,
    hasTouch: phone, isMobile: phone });
  if (lang === 'en') await context.addInitScript(() => localStorage.setItem('wg_lang', 'en'));
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    // 4xx answers a test provokes on purpose are filtered by the test; 5xx never.
    if (r.status() >= 500) page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return page;
}

export async function login(page, env, loginName, password = DEMO_PASSWORD) {
  await page.goto(env.srv.url + '/');
  await page.getByLabel(/账号|Account/).fill(loginName);
  await page.getByLabel(/密码|Password/).fill(password);
  await page.getByRole('button', { name: /^(登录|Log in)$/ }).click();
  await page.locator('#logout').waitFor();
  await page.locator('main .tiles').waitFor(); // home is drawn: the next goto starts clean
}

// Form controls in <main> without a label (there should be none), and
// headings that skip a level.
export const unlabelled = (page) => page.evaluate(() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter((el) => !el.labels?.length && !el.getAttribute('aria-label')).map((el) => el.name || el.outerHTML));
export const skippedHeadings = (page) => page.evaluate(() => {
  const levels = [...document.querySelectorAll('main h1, main h2, main h3, main h4')].map((x) => Number(x.tagName[1]));
  return levels.filter((l, i) => i > 0 && l > levels[i - 1] + 1);
});

export async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
