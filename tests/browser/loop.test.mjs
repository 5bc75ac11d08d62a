// The case loop walked in the browser, each step by its proper role and
// by clicks: a grid member reports by clicking the map (with a photo);
// community staff files and dispatches; the department reports for duty,
// handles and feeds back with a photo; the member verifies; staff closes.
// Then the same member on a phone: report and verify, each within three
// taps from the home screen. Screenshots of every page; no console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConsole, newPage, login, shot, PHONE } from './lib.mjs';

let env;
before(async () => { env = await startConsole({ cases: 300 }); });
after(async () => { await env?.stop(); });

// A 2x2 PNG: real image bytes for the upload (the server sniffs the type).
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001049444154789c6338212707440c100a001f260411a28f22af0000000049454e44ae426082',
  'hex');
const photo = (name) => ({ name, mimeType: 'image/png', buffer: PNG });

// A point inside a grid: the mean of its outer ring's vertices (the demo's
// grids are convex cells).
async function inside(page, code) {
  const fc = await page.evaluate(async (c) => (await fetch(`/api/grids/${c}/geojson?depth=0`)).json(), code);
  const ring = fc.features[0].geometry.coordinates[0].slice(0, -1);
  const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length;
  const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  return { lon, lat };
}

// Click the map in `sel` at lon/lat (the pixel from Leaflet's projection).
async function clickMap(page, sel, { lon, lat }) {
  const map = page.locator(sel);
  await map.waitFor();
  await page.waitForFunction((s) => document.querySelector(s)?.wgMap?._loaded, sel); // view set
  const xy = await map.evaluate((el, p) => {
    const pt = el.wgMap.latLngToContainerPoint([p.lat, p.lon]);
    return { x: pt.x, y: pt.y };
  }, { lon, lat });
  await map.click({ position: xy });
}

async function caseStatus(page, id) {
  return page.evaluate(async (i) => (await (await fetch(`/api/cases/${i}`)).json()).status, id);
}

// Wait (up to 10 s) until the case's status is no longer `from` / is `to`.
async function statusChange(page, id, { from, to }) {
  for (let i = 0; i < 100; i++) {
    const s = await caseStatus(page, id);
    if ((from && s !== from) || (to && s === to)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`case ${id} stayed ${from ?? 'not ' + to}`);
}

// Do an action on the case page by its button (and its form, if any).
async function act(page, id, label, { note, file, form } = {}) {
  await page.goto(`${env.srv.url}/#/home`); // the same hash again would not reload the case
  await page.goto(`${env.srv.url}/#/cases/${id}`);
  const bar = page.locator('.actions-bar');
  await bar.waitFor();
  if (note) await page.getByLabel('说明').first().fill(note);
  if (file) await page.getByLabel('附照片').first().setInputFiles(file);
  const before = await caseStatus(page, id);
  await bar.getByRole('button', { name: label, exact: true }).click();
  if (form) {
    const f = page.getByRole('form', { name: label });
    await form(f);
    await f.getByRole('button', { name: '提交' }).click();
  }
  await statusChange(page, id, { from: before });
  await page.locator('.actions-bar, .hint').first().waitFor();
}

// The dashboard's case KPI cards, as the leader's page shows them. A
// hash navigation keeps the old page on screen until the new one mounts,
// so the home page is waited for first: a dashboard left from an earlier
// visit would otherwise answer with its old figures.
async function dashboardKpis(page) {
  await page.goto(`${env.srv.url}/#/home`);
  await page.locator('[data-tile]').first().waitFor();
  await page.goto(`${env.srv.url}/#/dashboard`);
  const get = async (key) => {
    const v = page.locator(`[data-part="cases"] [data-kpi="${key}"] .value`);
    await v.filter({ hasText: /\d/ }).waitFor();
    return Number((await v.textContent()).replace(/[^\d.]/g, ''));
  };
  return { reported: await get('reported'), closed: await get('closed') };
}

test('the closed loop, step by step, each by its role', async () => {
  const leader = await newPage(env);
  await login(leader, env, 'leader');
  await leader.locator('[data-tile]').first().waitFor();
  const kpiBefore = await dashboardKpis(leader);

  // 1. a grid member reports by clicking the map
  const member = await newPage(env);
  await login(member, env, 'member');
  await shot(member, 'home-member');
  const me = await member.evaluate(async () => (await fetch('/api/me')).json());
  const grid = me.user.roles[0].scope;
  const where = await inside(member, grid);
  await member.getByRole('link', { name: '上报问题' }).first().click();
  await member.locator('.report-map').waitFor();
  await clickMap(member, '.report-map', where);
  await member.locator('#report-where', { hasText: '所在网格' }).waitFor();
  await member.getByLabel('大类').selectOption('街面秩序');
  await member.getByLabel('小类').selectOption('E0504');
  await member.getByLabel('问题描述').fill('浏览器测试：小区东门电动车乱停乱放，堵塞消防通道');
  await member.getByLabel('地址').fill('汝河小区东门');
  await member.getByLabel('附照片').setInputFiles(photo('scene.png'));
  await shot(member, 'report-filled');
  await member.getByRole('button', { name: '提交' }).click();
  const done = member.getByRole('status').filter({ hasText: '已上报，案件编号' });
  await done.waitFor();
  const id = Number((await done.locator('h2').textContent()).match(/#(\d+)/)[1]);
  assert.ok(id > 0);
  const kase = await member.evaluate(async (i) => (await fetch(`/api/cases/${i}`)).json(), id);
  assert.equal(kase.status, 'reported');
  assert.equal(kase.grid.code, grid, 'located in the member\'s own micro-grid');
  assert.equal(kase.department, 'chengguan');
  await shot(member, 'report-done');

  // 2. community staff: the case is in their queue; file, then dispatch
  const staff = await newPage(env);
  await login(staff, env, 'staff');
  await staff.getByRole('link', { name: '案件' }).click();
  await staff.getByRole('link', { name: `#${id}`, exact: true }).waitFor();
  await shot(staff, 'cases-staff');
  await act(staff, id, '立案', { note: '属实，立案' });
  assert.equal(await caseStatus(staff, id), 'filed');
  await act(staff, id, '派遣', { form: async (f) => {
    assert.equal(await f.getByLabel('部门').inputValue(), 'chengguan');
  } });
  assert.equal(await caseStatus(staff, id), 'dispatched');
  await shot(staff, 'case-dispatched');

  // 3. the department: report for duty, handle, feed back with a photo
  const dept = await newPage(env);
  await login(dept, env, 'chengguan');
  await dept.locator('[data-tile="dept"] .big').filter({ hasText: /\d/ }).waitFor();
  await dept.locator('[data-tile="dept"]').click();
  await dept.getByRole('link', { name: `#${id}`, exact: true }).click();
  await dept.locator('.actions-bar').waitFor();
  await shot(dept, 'case-department');
  await act(dept, id, '报到');
  await act(dept, id, '开始处置');
  await act(dept, id, '处置反馈', { note: '已清理，通道畅通', file: photo('after.png') });
  assert.equal(await caseStatus(dept, id), 'fed_back');

  // 4. the member verifies; 5. staff closes
  await act(member, id, '核查通过', { note: '现场核查，已整改' });
  assert.equal(await caseStatus(member, id), 'verified');
  await act(staff, id, '结案');
  assert.equal(await caseStatus(staff, id), 'closed');

  // the timeline shows every step, and both photos
  await staff.goto(`${env.srv.url}/#/cases/${id}`);
  const steps = await staff.locator('.timeline li').evaluateAll((li) => li.map((x) => x.dataset.action));
  assert.deepEqual(steps, ['report', 'file', 'dispatch', 'acknowledge', 'start', 'feed_back', 'verify', 'close']);
  assert.equal(await staff.locator('.timeline img').count(), 2);
  await staff.waitForFunction(() => [...document.querySelectorAll('.timeline img')].every((i) => i.complete && i.naturalWidth === 2));
  await shot(staff, 'case-closed');

  // the dashboard reflects it: one more reported, one more closed
  const kpiAfter = await dashboardKpis(leader);
  assert.deepEqual(kpiAfter, { reported: kpiBefore.reported + 1, closed: kpiBefore.closed + 1 });
  await shot(leader, 'dashboard-after-loop');

  for (const p of [member, staff, dept, leader]) assert.deepEqual(p.problems, []);
});

test('an action no longer allowed: the server says why and the page reloads', async () => {
  const staff = await newPage(env);
  await login(staff, env, 'staff');
  const c = await staff.evaluate(async () => (await (await fetch('/api/cases?status=reported&limit=1')).json()).items[0]);
  await staff.goto(`${env.srv.url}/#/cases/${c.id}`);
  await staff.locator('.actions-bar').waitFor();
  // someone else files it meanwhile
  await staff.evaluate(async (i) => {
    const me = await (await fetch('/api/me')).json();
    await fetch(`/api/cases/${i}/actions/file`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token }, body: '{}' });
  }, c.id);
  staff.problems.length = 0;
  await staff.locator('.actions-bar').getByRole('button', { name: '立案', exact: true }).click();
  await staff.getByRole('alert').filter({ hasText: /version|版本|changed|412|stale/i }).waitFor();
  // the 412 itself is logged by the browser; nothing else may be
  assert.ok(staff.problems.every((p) => /412/.test(p)), staff.problems.join('\n'));
});

test('phone: a grid member reports and verifies, each within three taps from home', async () => {
  const page = await newPage(env, { viewport: PHONE });
  await page.context().grantPermissions(['geolocation']);
  await login(page, env, 'member');
  const me = await page.evaluate(async () => (await fetch('/api/me')).json());
  const where = await inside(page, me.user.roles[0].scope);
  await page.context().setGeolocation({ latitude: where.lat, longitude: where.lon });
  await shot(page, 'phone-home');

  // report: tap 1 the tile, (the phone's location is taken by itself),
  // choose the category and type, tap 2 submit
  let taps = 0;
  await page.locator('[data-tile="report"]').tap(); taps++;
  await page.locator('#report-where', { hasText: '所在网格' }).waitFor();
  await page.getByLabel('大类').selectOption('街面秩序');
  await page.getByLabel('小类').selectOption('E0504');
  await page.getByLabel('问题描述').fill('手机上报：单元门口电动车乱停');
  await page.getByRole('button', { name: '提交' }).tap(); taps++;
  const done = page.getByRole('status').filter({ hasText: '已上报' });
  await done.waitFor();
  assert.ok(taps <= 3, `report took ${taps} taps`);
  await shot(page, 'phone-report');

  // verify: a case fed back in the member's grid, made ready by API
  const id = Number((await done.locator('h2').textContent()).match(/#(\d+)/)[1]);
  const { srv } = env;
  const token = async (login) => (await (await fetch(`${srv.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login, password: 'wangge-demo-2023' }) })).json()).token;
  const staffTok = await token('staff');
  const deptTok = await token('chengguan');
  for (const [tok, a] of [[staffTok, 'file'], [staffTok, 'dispatch'], [deptTok, 'acknowledge'], [deptTok, 'start'], [deptTok, 'feed_back']]) {
    const r = await fetch(`${srv.url}/api/cases/${id}/actions/${a}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tok}` }, body: '{}' });
    assert.equal(r.status, 200, `${a}: ${await r.text()}`);
  }
  await page.goto(`${srv.url}/#/home`);
  taps = 0;
  await page.locator('[data-tile="verify"]').tap(); taps++;
  await page.getByRole('link', { name: `#${id}`, exact: true }).tap(); taps++;
  await page.locator('.actions-bar').getByRole('button', { name: '核查通过' }).tap(); taps++;
  await statusChange(page, id, { to: 'verified' });
  assert.ok(taps <= 3, `verify took ${taps} taps`);
  await shot(page, 'phone-verified');

  // the menu opens from the button on a phone
  await page.getByRole('button', { name: '菜单' }).tap();
  await page.locator('#nav.open').waitFor();
  await shot(page, 'phone-menu');
  assert.deepEqual(page.problems, []);
});

test('English switch, the map and the login error', async () => {
  const page = await newPage(env);
  await page.goto(env.srv.url + '/');
  await page.getByLabel('账号').fill('leader');
  await page.getByLabel('密码').fill('wrong-password');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('alert').filter({ hasText: '登录失败' }).waitFor();
  page.problems.length = 0; // the 401 of the wrong password
  await login(page, env, 'leader');
  await page.locator('#lang-toggle').click();
  await page.locator('#nav').getByRole('link', { name: 'Grid map' }).click();
  await page.locator('.leaflet-overlay-pane path').first().waitFor();
  const grids = await page.locator('.leaflet-overlay-pane path').count();
  assert.ok(grids > 14, `the map drew ${grids} paths`);
  // a click on the map opens the profile of the grid there
  const l1 = await page.evaluate(async () => (await (await fetch('/api/grids?level=l3')).json()).items[0].code);
  await clickMap(page, '#grid-map', await inside(page, l1));
  await page.locator('.map-side h2').waitFor();
  const name = await page.locator('.map-side h2').textContent();
  assert.ok(name.length > 0);
  await page.locator('.map-side', { hasText: '1+3+N' }).waitFor();
  await shot(page, 'map-leader-en');
  await page.locator('#lang-toggle').click();
  await page.locator('#nav').getByRole('link', { name: '网格地图' }).waitFor();
  // log out: the login form on a fresh page, and the session is gone
  await Promise.all([page.waitForEvent('load'), page.locator('#logout').click()]); // it reloads
  await page.getByLabel('账号').waitFor();
  assert.equal(await page.locator('#top').isHidden(), true);
  assert.equal(await page.evaluate(async () => {
    const r = await fetch('/api/me');
    await r.text(); // read to the end: a reload would abort the body and log it
    return r.status;
  }), 401);
  page.problems.length = 0; // that 401 was asked for
  await page.reload();
  await page.getByLabel('账号').waitFor();
  assert.deepEqual(page.problems, [], 'no /api/me asked after a logout');
});

test('keyboard only: report by choosing the grid from a list', async () => {
  const page = await newPage(env);
  await login(page, env, 'staff');
  await page.locator('[data-tile]').first().waitFor();
  await page.goto(`${env.srv.url}/#/report`);
  const grid = page.getByLabel('或选择所在网格');
  await grid.locator('option').nth(1).waitFor({ state: 'attached' });
  const code = await grid.locator('option').nth(1).getAttribute('value');
  await grid.focus();
  await grid.selectOption(code);
  await page.getByLabel('大类').selectOption('街面秩序');
  await page.getByLabel('小类').selectOption('E0504');
  await page.getByLabel('问题描述').fill('键盘上报：电动车乱停');
  await page.getByLabel('问题描述').press('Tab');
  await page.getByRole('button', { name: '提交' }).focus();
  await page.keyboard.press('Enter');
  const done = page.getByRole('status').filter({ hasText: '已上报' });
  await done.waitFor();
  const id = Number((await done.locator('h2').textContent()).match(/#(\d+)/)[1]);
  const c = await page.evaluate(async (i) => (await fetch(`/api/cases/${i}`)).json(), id);
  assert.equal(c.grid.code, code);
  assert.deepEqual(page.problems, []);
});
