// The dashboard (#/dashboard) against the real API on the demo database:
// the KPI cards show the figures /api/stats/cases gives, the dispute
// success rate is the demo's 98.5% (195 / (199 − 1)), the tax indicator
// stands at 75.1% of its target, the charts are drawn by ECharts, the
// group table and the whistle table follow the API, the work report
// downloads, a phone can use it, and the browser logged no error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startConsole, newPage, login, shot, unlabelled, skippedHeadings, PHONE, SHOTS, DEMO_PASSWORD } from './lib.mjs';
import { req, login as apiLogin } from '../api/lib.mjs';

let env;
let token;
before(async () => {
  env = await startConsole({ cases: 300 });
  token = (await apiLogin(env.srv, 'leader', DEMO_PASSWORD)).token;
});
after(async () => {
  await env?.stop();
});

// Log in on a phone, where the navigation hides behind the menu button.
async function phoneLogin(page, name) {
  await page.goto(env.srv.url + '/');
  await page.getByLabel(/账号|Account/).fill(name);
  await page.getByLabel(/密码|Password/).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: /^(登录|Log in)$/ }).click();
  await page.locator('main .tiles').waitFor();
}


const api = async (p) => {
  const r = await req(env.srv, 'GET', p, { token });
  assert.equal(r.status, 200, `${p}: ${r.text}`);
  return r.json;
};
const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const num = (x, d = 0) => (x === null || x === undefined ? '—' : Number(x).toLocaleString('zh-CN', { maximumFractionDigits: d }));

async function kpiText(page, key) {
  const v = page.locator(`[data-part="cases"] [data-kpi="${key}"] .value`);
  await v.waitFor();
  return (await v.textContent()).trim();
}

test('the dashboard shows the API figures, the dispute rate and the indicators', async () => {
  const page = await newPage(env);
  await login(page, env, 'leader');
  await page.goto(`${env.srv.url}/#/dashboard`);
  await page.getByRole('heading', { level: 1, name: '统计分析' }).waitFor();

  // KPI cards = /api/stats/cases?group=all (the API's default period)
  const all = (await api('/api/stats/cases?group=all')).rows[0];
  assert.ok(all.counts.reported > 0);
  const want = {
    reported: num(all.counts.reported),
    closed: num(all.counts.closed),
    closure_rate: pct(all.rates.closure_rate),
    on_time_rate: pct(all.rates.on_time_rate),
    rework_rate: pct(all.rates.rework_rate),
    response_rate: pct(all.rates.response_rate),
    resolution_rate: pct(all.rates.resolution_rate),
    satisfaction_rate: pct(all.rates.satisfaction_rate),
    hours_to_acknowledge: num(all.means.hours_to_acknowledge, 1),
    hours_to_close: num(all.means.hours_to_close, 1),
  };
  for (const [k, v] of Object.entries(want)) assert.equal(await kpiText(page, k), v, `KPI ${k}`);

  // dispute success rate: the demo's 98.5% (195 of 199 − 1 withdrawn)
  const dispute = page.locator('[data-kpi="dispute_rate"]');
  await dispute.waitFor();
  assert.equal((await dispute.locator('.value').textContent()).trim(), '98.5%');
  assert.match(await dispute.textContent(), /195 \/ 198/);

  // indicators: tax at 75.1% of its target (as of the demo's last month)
  const tax = page.locator('[data-completion="tax"]');
  await tax.waitFor();
  assert.equal((await tax.textContent()).trim(), '75.1%');
  const ind = await api(`/api/indicators?to=${await page.locator('input[name="month"]').inputValue()}`);
  assert.equal(pct(ind.items.find((i) => i.code === 'tax').completion), '75.1%');
  // year on year of retail sales (+11.3%) is shown
  await page.getByRole('cell', { name: '+11.3%' }).waitFor();
  // the progress bars carry their values for assistive technology
  assert.ok((await page.locator('[role="progressbar"]').count()) >= 5);

  // the charts are ECharts canvases (group rates, trend, indicators, whistles)
  await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length >= 4);
  const charts = await page.evaluate(() => [...document.querySelectorAll('.chart')].map((el) => !!window.echarts.getInstanceByDom(el)));
  assert.ok(charts.filter(Boolean).length >= 4, `charts: ${charts}`);

  // trend: 12 months of reported/closed; the months' sum of the current month equals the API
  const trend = await page.evaluate(() => {
    const el = document.querySelector('[data-part="trend"] .chart');
    const o = window.echarts.getInstanceByDom(el).getOption();
    return { months: o.xAxis[0].data, reported: o.series[0].data };
  });
  assert.equal(trend.months.length, 12);
  const now = new Date();
  const first = new Date(now.getFullYear(), now.getMonth(), 1);
  const next = new Date(now.getFullYear(), now.getMonth() + 1, 1);
  const d = (x) => `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, '0')}-${String(x.getDate()).padStart(2, '0')}`;
  const month = (await api(`/api/stats/cases?group=all&from=${d(first)}&to=${d(next)}`)).rows[0];
  assert.equal(trend.reported[11], month ? month.counts.reported : 0);

  // overdue list: the open overdue cases, rows linking to the case page
  const overdue = await api('/api/cases?overdue=true&status=reported,filed,dispatched,acknowledged,handling,fed_back,verified&limit=20');
  const rows = page.locator('[data-part="overdue"] tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), overdue.items.length);
  assert.equal(await rows.first().locator('a').getAttribute('href'), `#/cases/${overdue.items[0].id}`);
  assert.equal(await rows.first().getAttribute('tabindex'), '0');

  // whistles per department, as many rows as the API has
  const wh = await api('/api/stats/whistles');
  await page.locator('[data-part="whistles"] tbody tr').first().waitFor();
  assert.equal(await page.locator('[data-part="whistles"] tbody tr').count(), wh.rows.length);
  assert.ok((await page.locator('[data-part="whistles"]').textContent()).includes('中原区生态环境分局'));

  await shot(page, 'dashboard');
  assert.deepEqual(await unlabelled(page), []);
  assert.deepEqual(await skippedHeadings(page), []);

  // group by department: the table has a row per department with its closure rate
  await page.getByLabel('分组').selectOption('department');
  await page.waitForFunction(() => location.hash.includes('group=department'));
  const byDept = await api('/api/stats/cases?group=department');
  const tableRows = page.locator('[data-part="cases"] tbody tr');
  await tableRows.first().waitFor();
  assert.equal(await tableRows.count(), byDept.rows.length);
  const cg = byDept.rows.find((r) => r.key === 'chengguan');
  const cgRow = page.locator('[data-part="cases"] tbody tr', { hasText: '中原区城市管理执法局' });
  assert.ok((await cgRow.textContent()).includes(pct(cg.rates.closure_rate)));
  await shot(page, 'dashboard-department');

  // a period (the last 60 days but today): the KPI cards follow the API for the same days (to inclusive)
  const from = d(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 60));
  const to = d(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1));
  const toExcl = d(new Date(now.getFullYear(), now.getMonth(), now.getDate()));
  await page.getByLabel('自').fill(from);
  await page.getByLabel('至').fill(to);
  await page.getByRole('button', { name: '查询' }).first().click();
  await page.waitForFunction(() => location.hash.includes('from='));
  const period = (await api(`/api/stats/cases?group=department&from=${from}&to=${toExcl}`));
  const periodAll = (await api(`/api/stats/cases?group=all&from=${from}&to=${toExcl}`)).rows[0];
  await page.waitForFunction((w) => document.querySelector('[data-part="cases"] [data-kpi="reported"] .value')?.textContent === w,
    num(periodAll.counts.reported));
  await page.waitForFunction((n) => document.querySelectorAll('[data-part="cases"] tbody tr').length === n, period.rows.length);

  // the work report downloads (HTML) and reads the dispute rate
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-report="html"]').click()]);
  const file = path.join(SHOTS, 'work-report.html');
  await dl.saveAs(file);
  const html = readFileSync(file, 'utf8');
  assert.match(html, /矛盾纠纷成功调处率达98\.5%/);
  assert.match(html, /占目标任务的75\.1%/);

  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the dashboard in English and on a phone', async () => {
  const page = await newPage(env, { viewport: PHONE, lang: 'en' });
  await phoneLogin(page, 'leader');
  await page.goto(`${env.srv.url}/#/dashboard`);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await page.locator('[data-kpi="dispute_rate"]').waitFor();
  assert.equal((await page.locator('[data-kpi="dispute_rate"] .value').textContent()).trim(), '98.5%');
  assert.ok((await page.locator('[data-part="cases"] [data-kpi="closure_rate"] .label').textContent()).includes('Closure rate'));
  await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length >= 4);
  // nothing wider than the screen but the tables, which scroll in their wrapper
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 390 + 1, `page is ${wide}px wide`);
  await shot(page, 'dashboard-phone-en');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a community staff member sees the dashboard of their community', async () => {
  const page = await newPage(env);
  await login(page, env, 'staff');
  await page.goto(`${env.srv.url}/#/dashboard`);
  await page.locator('[data-kpi="dispute_rate"]').waitFor();
  const staff = (await apiLogin(env.srv, 'staff', DEMO_PASSWORD)).token;
  const r = await req(env.srv, 'GET', '/api/stats/cases?group=all', { token: staff });
  assert.equal(await kpiText(page, 'reported'), num(r.json.rows[0].counts.reported));
  // the work report needs a grid of theirs: the page offers one
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-report="md"]').click()]);
  const file = path.join(SHOTS, 'work-report-staff.md');
  await dl.saveAs(file);
  assert.match(readFileSync(file, 'utf8'), /汝河小区社区/);
  await shot(page, 'dashboard-staff');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
