// Indicators and targets, and the generated work report (issue: Ledgers
// and indicators): the seed's figures reproduced from the demo's values, a
// correction that keeps history, and the report's sentences.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startServer, req, login, assertError, tempDir, demoDatabase, DEMO_PASSWORD } from './lib.mjs';

let srv; const tok = {};
before(async () => {
  const dir = tempDir();
  demoDatabase(dir);
  srv = await startServer({ dir, init: false });
  for (const u of ['member', 'staff', 'leader', 'auditor', 'demo-admin'])
    tok[u] = (await login(srv, u, DEMO_PASSWORD)).token;
});
after(async () => { await srv.stop(); });

const view = async (to = '2023-04', who = 'leader') => {
  const r = await req(srv, 'GET', `/api/indicators?to=${to}`, { token: tok[who] });
  assert.equal(r.status, 200, r.text);
  return Object.fromEntries(r.json.items.map((i) => [i.code, i]));
};

test('the seed: tax 2.64亿 = 75.1% of target; year on year +5.9%, +11.3%, +37.5%; jobs; air', async () => {
  const v = await view();
  assert.equal(v.tax.year_to_date, 2.64);
  assert.equal(v.tax.unit, '亿元');
  assert.equal(v.tax.completion, 0.7511);
  assert.equal(v.tax.target_met, false);
  assert.equal(v.industrial_added_value.year_to_date, 92.8);
  assert.equal(v.industrial_added_value.change_year_on_year, 0.059);
  assert.equal(v.retail_sales.year_to_date, 2875.5);
  assert.equal(v.retail_sales.change_year_on_year, 0.113);
  assert.equal(v.services_revenue.year_to_date, 6052.9);
  assert.equal(v.services_revenue.change_year_on_year, 0.375);
  assert.equal(v.fixed_asset_investment.year_to_date, 50401);
  assert.equal(v.new_urban_jobs.year_to_date, 2520);
  assert.equal(v.reemployed.year_to_date, 410);
  // lower is better: a mean concentration under its target meets it
  assert.equal(v.pm25.cumulate, 'mean');
  assert.equal(v.pm25.year_to_date, 47);
  assert.equal(v.pm25.target_met, true);
  assert.equal(v.good_air_days.completion, 0.3);
  // derived from records: the dispute ledger's success rate
  assert.equal(v.dispute_success_rate.source, 'ledger:dispute:success_rate');
  assert.equal(v.dispute_success_rate.year_to_date, 0.9848);
  // the year so far at the end of February counts two months
  const feb = await view('2023-02');
  assert.equal(feb.tax.year_to_date, 1.22);
  assert.deepEqual(feb.tax.periods.map((p) => p.period), ['2023-01', '2023-02']);
});

test('entering a period again is a correction with a reason; the old value stays in history', async () => {
  const post = (body, who = 'leader') => req(srv, 'POST', '/api/indicators/tax/values', { token: tok[who], body });
  assertError(await post({ period: '2023-04', value: 0.75 }), 409, 'conflict', 'reason');
  const c = await post({ period: '2023-04', value: 0.75, reason: '区财政局更正4月数', source_note: '更正通知' });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.json.corrected, true);
  assert.equal((await view()).tax.year_to_date, 2.68);
  const h = await req(srv, 'GET', '/api/indicators/tax/values/2023-04', { token: tok.auditor });
  assert.equal(h.status, 200, h.text);
  assert.deepEqual(h.json.items.map((x) => [x.value, x.reason]), [[0.71, ''], [0.75, '区财政局更正4月数']]);
  // back to the published figure, again with a reason
  assert.equal((await post({ period: '2023-04', value: 0.71, reason: '撤销更正' })).status, 201);
  assert.equal((await view()).tax.year_to_date, 2.64);
  // a new period is not a correction
  const may = await post({ period: '2023-05', value: 0.7 });
  assert.equal(may.json.corrected, false);
  // errors name the field
  assertError(await post({ period: '2023-13', value: 1 }), 422, 'invalid', 'period');
  assertError(await post({ period: '2023-05' }), 400, 'bad_request', 'value');
  assertError(await post({ period: '2023-05', value: 1e308 }), 422, 'invalid', 'value');
  assertError(await post({ period: '2023-05', value: 1 }, 'staff'), 403, 'forbidden');
  assertError(await req(srv, 'POST', '/api/indicators/dispute_success_rate/values', { token: tok.leader, body: { period: '2023-04', value: 1 } }), 409, 'conflict', 'value');
  assertError(await req(srv, 'GET', '/api/indicators/tax/values/1999-01', { token: tok.leader }), 404, 'not_found');
});

test('indicators are defined by data; bad definitions are refused naming the field', async () => {
  const put = (code, body) => req(srv, 'PUT', `/api/indicators/${code}`, { token: tok['demo-admin'], body: { code, ...body } });
  const ok = await put('trees', { name: '植树', unit: '株', period: 'quarter', direction: 'higher', cumulate: 'sum', section: 'environment', targets: { 2023: 1000 } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await req(srv, 'POST', '/api/indicators/trees/values', { token: tok.leader, body: { period: '2023-Q1', value: 300 } })).status, 201);
  assertError(await req(srv, 'POST', '/api/indicators/trees/values', { token: tok.leader, body: { period: '2023-03', value: 1 } }), 422, 'invalid', 'period');
  const v = await view('2023-04');
  assert.equal(v.trees.year_to_date, 300);
  assert.equal(v.trees.completion, 0.3);
  assertError(await put('x1', { name: 'x', period: 'week', direction: 'higher', cumulate: 'sum' }), 422, 'invalid', 'period');
  assertError(await put('x1', { name: 'x', period: 'month', direction: 'up', cumulate: 'sum' }), 422, 'invalid', 'direction');
  assertError(await put('x1', { name: 'x', period: 'month', direction: 'higher', cumulate: 'sum', source: 'ledger:dispute:nothing' }), 422, 'invalid', 'source');
  assertError(await req(srv, 'PUT', '/api/indicators/x1', { token: tok['demo-admin'], body: { code: 'x2', name: 'x' } }), 422, 'invalid', 'code');
});

test('the work report: the seed\'s numbers in the seed\'s sentences, as JSON, Markdown and HTML, with an xlsx annex', async () => {
  const r = await req(srv, 'GET', '/api/reports/summary?grid=410102008&to=2023-04-30', { token: tok.leader });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.title, '汝河路街道工作情况（截至2023年4月30日）');
  const p = r.json.paragraphs;
  assert.ok(p[0].startsWith('截至4月底，汝河路街道财政税收完成2.64亿元，占目标任务的75.1%；规上工业增加值92.8亿元，同比增长5.9%；社会消费品零售总额2875.5万元，同比增长11.3%；规上服务业营业收入6052.9万元，同比增长37.5%；固定资产投资50401万元'), p[0]);
  assert.ok(p.some((x) => x.includes('城镇新增就业2520人') && x.includes('失业人员再就业410人')));
  assert.ok(p.some((x) => x === '共排查出各类矛盾纠纷199起，录入199起，成功调处195起，撤回调解1起，矛盾纠纷成功调处率达98.5%。'), JSON.stringify(p));
  assert.ok(p.some((x) => x.includes('排查各类安全隐患176处，已整改173处') &&
    x.includes('检查建筑工地6个、餐饮店320家、汽车4S店39家、锅炉1台、垃圾中转站4座、门窗加工店18家、干洗店12家、印刷店19家')), JSON.stringify(p));
  assert.ok(p.some((x) => x.includes('黄河智谷·中原企业总部港总投资32亿元、规划建筑面积44万平方米')));
  const md = await req(srv, 'GET', '/api/reports/summary?grid=410102008&to=2023-04-30&format=md', { token: tok.leader });
  assert.match(md.headers.get('content-type'), /^text\/markdown/);
  assert.ok(md.text.startsWith('# 汝河路街道工作情况'));
  assert.ok(md.text.includes('矛盾纠纷成功调处率达98.5%'));
  const html = await req(srv, 'GET', '/api/reports/summary?grid=410102008&to=2023-04-30&format=html', { token: tok.leader });
  assert.match(html.headers.get('content-type'), /^text\/html/);
  assert.ok(html.text.includes('<p>截至4月底，汝河路街道财政税收完成2.64亿元，占目标任务的75.1%'));
  // mid-month, and before anything happened
  const mid = await req(srv, 'GET', '/api/reports/summary?grid=410102008&to=2023-02-15', { token: tok.leader });
  assert.ok(mid.json.paragraphs[0].startsWith('截至2月15日，汝河路街道财政税收完成1.22亿元'), mid.json.paragraphs[0]);
  const none = await req(srv, 'GET', '/api/reports/summary?grid=410102008&to=2021-06-30', { token: tok.leader });
  assert.deepEqual(none.json.paragraphs, []);
  // scope and errors
  assertError(await req(srv, 'GET', '/api/reports/summary?grid=410102008&to=2023-04-30', { token: tok.staff }), 403, 'forbidden', 'grid');
  // Without a grid: one's own scope. Community staff's is their community (a
  // division, not a grid); the same as naming it.
  const own = await req(srv, 'GET', '/api/reports/summary?to=2023-04-30', { token: tok.staff });
  assert.equal(own.status, 200, own.text);
  assert.equal(own.json.grid, '410102008004');
  assert.equal(own.json.name, '汝河小区社区居民委员会');
  const named = await req(srv, 'GET', '/api/reports/summary?grid=410102008004&to=2023-04-30', { token: tok.staff });
  assert.deepEqual(named.json, own.json);
  // Whoever sees every grid: the top of the tree.
  const all = await req(srv, 'GET', '/api/reports/summary?to=2023-04-30', { token: tok['demo-admin'] });
  assert.equal(all.status, 200, all.text);
  assert.equal(all.json.title, '汝河路街道工作情况（截至2023年4月30日）');
  assertError(await req(srv, 'GET', '/api/reports/summary?grid=410102008999&to=2023-04-30', { token: tok.leader }), 422, 'invalid', 'grid');
  assertError(await req(srv, 'GET', '/api/reports/summary?grid=410102008&to=2023-04-31', { token: tok.leader }), 400, 'bad_request', 'to');
  assertError(await req(srv, 'GET', '/api/reports/summary?grid=410102008&format=pdf', { token: tok.leader }), 400, 'bad_request', 'format');
  // the annex: every ledger, a sheet each
  const x = await fetch(srv.url + '/api/reports/summary?grid=410102008&format=xlsx', { headers: { authorization: `Bearer ${tok.leader}` } });
  assert.equal(x.status, 200);
  const dir = tempDir();
  writeFileSync(`${dir}/a.xlsx`, Buffer.from(await x.arrayBuffer()));
  const out = spawnSync('python3', ['-c', `
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print('\\n'.join(re.findall(r'<sheet name="([^"]+)"', z.read('xl/workbook.xml').decode())))`, `${dir}/a.xlsx`], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const sheets = out.stdout.trim().split('\n');
  assert.equal(sheets.length, 8);
  assert.ok(sheets.includes('矛盾纠纷') && sheets.includes('安全隐患'), sheets.join(','));
});

test('figures stored before they were bounded show as null, not as a 500', async () => {
  // Two huge values put in by hand: their sum is no number.
  const sql = spawnSync('sqlite3', ['-cmd', '.timeout 5000', srv.db,
    "INSERT INTO indicator_values (code, period, value, entered_by, entered_at) VALUES ('retail_sales', '2019-11', 1e308, 'test', 0), ('retail_sales', '2019-12', 1e308, 'test', 0)"], { encoding: 'utf8' });
  assert.equal(sql.status, 0, sql.stderr);
  const v = await view('2019-12');
  assert.equal(v.retail_sales.year_to_date, null);
  const rep = await req(srv, 'GET', '/api/reports/summary?grid=410102008&to=2019-12-31', { token: tok.leader });
  assert.equal(rep.status, 200, rep.text);
});
