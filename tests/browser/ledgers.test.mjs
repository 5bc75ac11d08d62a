// The ledger pages against the real API on the demo database: the kinds
// with their counts, the dispute entries (the table follows
// /api/ledgers/dispute/records), the KPIs (98.5%), the state filter, the
// new-entry form built from the declaration (an entry is created and
// appears; a bad value is named next to its input), the xlsx export (a
// real workbook), an entry page with its history and an action taken with
// If-Match, a phone, and no error in the browser console.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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


const api = async (p) => {
  const r = await req(env.srv, 'GET', p, { token });
  assert.equal(r.status, 200, `${p}: ${r.text}`);
  return r.json;
};

// The 422s a test provokes on purpose show in the console as failed loads.
const unexpected = (problems) => problems.filter((p) => !/status of 422/.test(p));

test('the kinds, the dispute entries, their KPIs and the state filter', async () => {
  const page = await newPage(env);
  await login(page, env, 'leader');
  await page.goto(`${env.srv.url}/#/ledgers`);
  await page.getByRole('heading', { level: 1, name: '台账' }).waitFor();
  const kinds = await api('/api/ledgers');
  // The heading comes first, the kinds after their fetch: wait for them.
  await page.waitForFunction((n) => document.querySelectorAll('a.ledger-kind').length === n, kinds.items.length);
  // the dispute ledger holds the demo's 199 entries
  await page.waitForFunction(() => document.querySelector('[data-count="dispute"]')?.textContent === '199');
  await page.waitForFunction(() => ![...document.querySelectorAll('[data-count]')].some((e) => e.textContent === '…'));
  await shot(page, 'ledgers');

  await page.locator('a[data-kind="dispute"]').click();
  await page.getByRole('heading', { level: 1, name: '矛盾纠纷' }).waitFor();
  const first = await api('/api/ledgers/dispute/records?limit=50');
  const rows = page.locator('table.grid-table tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), first.items.length);
  assert.equal((await rows.first().locator('td').first().textContent()).trim(), `#${first.items[0].id}`);
  assert.ok((await rows.first().textContent()).includes(first.items[0].fields.title));
  // columns come from the declaration (labels in Chinese), enums show their labels
  for (const label of ['纠纷名称', '发生日期', '状态']) {
    await page.getByRole('columnheader', { name: label, exact: true }).waitFor();
  }
  assert.ok((await rows.first().textContent()).includes('邻里纠纷') || first.items[0].fields.dispute_type !== 'neighbour');

  // KPIs of the newest entries' year: 98.5%
  const rate = page.locator('[data-kpi="success_rate"] .value');
  await rate.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-kpi="success_rate"] .value')?.textContent === '98.5%');
  await shot(page, 'ledger-dispute');
  assert.deepEqual(await unlabelled(page), []);
  assert.deepEqual(await skippedHeadings(page), []);

  // more: the next keyset page is appended
  await page.getByRole('button', { name: '更多' }).click();
  await page.waitForFunction(() => document.querySelectorAll('table.grid-table tbody tr').length === 100);

  // filter by state: only succeeded entries, the same as the API's
  await page.getByLabel('状态', { exact: true }).selectOption('referred');
  await page.getByRole('button', { name: '筛选' }).click();
  const referred = await api('/api/ledgers/dispute/records?status=referred&limit=50');
  await page.waitForFunction((n) => document.querySelectorAll('table.grid-table tbody tr').length === n, referred.items.length);
  assert.equal(await page.locator('table.grid-table tbody [data-state="referred"]').count(), referred.items.length);
  assert.match(page.url(), /status=referred/);

  // overdue only
  await page.getByLabel('状态', { exact: true }).selectOption('');
  await page.getByLabel('只看超期').check();
  await page.getByRole('button', { name: '筛选' }).click();
  const overdue = await api('/api/ledgers/dispute/records?overdue=true&limit=50');
  await page.waitForFunction((n) => document.querySelectorAll('table.grid-table tbody .badge.overdue').length === n, overdue.items.length);

  // text search: the same rows as the API's
  await page.getByLabel('只看超期').uncheck();
  await page.getByLabel('搜索').fill('漏水');
  await page.getByRole('button', { name: '筛选' }).click();
  const leak = await api(`/api/ledgers/dispute/records?q=${encodeURIComponent('漏水')}&limit=50`);
  assert.ok(leak.items.length > 0);
  await page.waitForFunction((n) => document.querySelectorAll('table.grid-table tbody tr').length === n, leak.items.length);
  assert.match(decodeURIComponent(page.url()), /q=漏水/);

  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the new-entry form (a field error next to its input, then a new entry) and the entry page (action, edit, stale ETag)', async () => {
  const page = await newPage(env);
  await login(page, env, 'staff');
  await page.goto(`${env.srv.url}/#/ledgers/dispute`);
  await page.locator('table.grid-table tbody tr').first().waitFor();
  await page.getByRole('button', { name: '新增' }).click();
  const form = page.locator('form.entry-form');
  await form.waitFor();
  // controls from the declaration: a date input, enum selects with labels, a number
  assert.equal(await form.getByLabel('发生日期').getAttribute('type'), 'date');
  assert.equal(await form.getByLabel('涉及人数').getAttribute('type'), 'number');
  assert.ok((await form.getByLabel('纠纷类型').textContent()).includes('邻里纠纷'));
  assert.equal(await form.getByLabel('纠纷名称').getAttribute('aria-required'), 'true');

  const title = `浏览器测试纠纷 ${Date.now()}`;
  await form.getByLabel('纠纷名称').fill(title);
  await form.getByLabel('发生日期').fill('2023-04-28');
  await form.getByLabel('纠纷类型').selectOption('neighbour');
  await form.getByLabel('风险等级').selectOption('yellow');
  await form.getByLabel('当事人').fill('王五 13800000101；赵六');
  // a bad value: nobody involved
  await form.getByLabel('涉及人数').fill('0');
  await form.getByRole('button', { name: '保存' }).click();
  const err = form.locator('.field-error:not([hidden])');
  await err.waitFor();
  assert.match(await err.textContent(), /涉及人数/);
  const people = form.getByLabel('涉及人数');
  assert.equal(await people.getAttribute('aria-invalid'), 'true');
  assert.ok((await people.getAttribute('aria-describedby')).includes(await err.getAttribute('id')));
  assert.ok(await people.evaluate((el) => el === document.activeElement));
  // the error sits in the people field's box
  assert.equal(await err.evaluate((el) => el.parentElement.querySelector('input').name), 'people');
  await shot(page, 'ledger-form-error');
  assert.deepEqual(await unlabelled(page), []);
  assert.deepEqual(await skippedHeadings(page), []);

  // fixed: the entry is made and is the table's first row
  await people.fill('2');
  await form.getByRole('button', { name: '保存' }).click();
  await form.waitFor({ state: 'detached' });
  const firstRow = page.locator('table.grid-table tbody tr').first();
  await page.waitForFunction((t) => document.querySelector('table.grid-table tbody tr')?.textContent.includes(t), title);
  const staff = (await apiLogin(env.srv, 'staff', DEMO_PASSWORD)).token;
  const mine = await req(env.srv, 'GET', '/api/ledgers/dispute/records?limit=1', { token: staff });
  const made = mine.json.items[0];
  assert.equal(made.fields.title, title);
  assert.equal(made.fields.people, 2);
  assert.equal(made.fields.parties, '王*（138****0101），赵*');
  assert.equal((await firstRow.locator('td').first().textContent()).trim(), `#${made.id}`);
  assert.equal(made.status, 'entered');

  // the entry page: fields, history, an action with If-Match
  await firstRow.click();
  await page.getByRole('heading', { level: 1, name: `矛盾纠纷 #${made.id}` }).waitFor();
  assert.ok((await page.locator('dl.kv').first().textContent()).includes(title));
  assert.ok((await page.locator('ol.timeline').textContent()).includes('登记'));
  const reqs = [];
  page.on('request', (r) => { if (r.method() === 'POST' || r.method() === 'PUT') reqs.push(r); });
  await page.locator('button[data-action="start"]').click();
  await page.getByLabel('说明').fill('约双方到调解室');
  await page.getByRole('button', { name: /确认/ }).click();
  await page.waitForFunction(() => document.querySelector('ol.timeline')?.textContent.includes('约双方到调解室'));
  assert.equal(reqs.at(-1).headers()['if-match'], `"${made.version}"`);
  const after = await req(env.srv, 'GET', `/api/ledgers/dispute/records/${made.id}`, { token: staff });
  assert.equal(after.json.status, 'mediating');
  await page.locator('[data-state="mediating"]').first().waitFor();
  await shot(page, 'ledger-entry');

  // edit: prefilled from the entry, only the changed field is sent (with If-Match)
  await page.locator('button[data-action="edit"]').click();
  const edit = page.locator('form.edit-form');
  assert.equal(await edit.getByLabel('纠纷类型').inputValue(), 'neighbour');
  assert.equal(await edit.getByLabel('涉及人数').inputValue(), '2');
  await edit.getByLabel('调解人').fill('李调解员');
  await edit.getByRole('button', { name: '保存' }).click();
  await page.waitForFunction(() => document.querySelector('dl.kv')?.textContent.includes('李调解员'));
  const sent = reqs.at(-1);
  assert.equal(sent.method(), 'PUT');
  assert.deepEqual(JSON.parse(sent.postData()), { fields: { mediator: '李调解员' } });
  assert.equal(sent.headers()['if-match'], `"${made.version + 1}"`);
  const edited = await req(env.srv, 'GET', `/api/ledgers/dispute/records/${made.id}`, { token: staff });
  assert.equal(edited.json.fields.mediator, '李调解员');
  assert.equal(edited.json.fields.parties, made.fields.parties);
  assert.equal(edited.json.fields.people, 2);
  await page.locator('ol.timeline li', { hasText: '修改' }).waitFor();

  // changed by someone else meanwhile: the page's ETag is stale, the action is refused (412)
  const other = await req(env.srv, 'POST', `/api/ledgers/dispute/records/${made.id}/actions/succeed`, { token: staff, body: { note: '电话调解成功' } });
  assert.equal(other.status, 200, other.text);
  await page.locator('button[data-action="withdraw"]').click();
  await page.getByRole('button', { name: /确认/ }).click();
  await page.getByRole('alert').filter({ hasText: '已被他人修改' }).waitFor();
  const still = await req(env.srv, 'GET', `/api/ledgers/dispute/records/${made.id}`, { token: staff });
  assert.equal(still.json.status, 'succeeded');
  page.problems = page.problems.filter((p) => !/status of 412/.test(p));

  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test('the xlsx export downloads a real workbook', async () => {
  const page = await newPage(env);
  await login(page, env, 'leader');
  await page.goto(`${env.srv.url}/#/ledgers/dispute`);
  await page.locator('table.grid-table tbody tr').first().waitFor();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 Excel' }).click()]);
  assert.equal(dl.suggestedFilename(), 'dispute.xlsx');
  const file = path.join(SHOTS, 'dispute.xlsx');
  await dl.saveAs(file);
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
  const list = execFileSync('unzip', ['-l', file], { encoding: 'utf8' });
  assert.match(list, /xl\/worksheets\/sheet1\.xml/);
  // the sheet holds the entries with the declaration's Chinese headers
  const sheet = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml'], { encoding: 'utf8', maxBuffer: 1 << 26 })
;
  assert.match(sheet, /纠纷名称/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the ledgers on a phone, in English', async () => {
  const page = await newPage(env, { viewport: PHONE, lang: 'en' });
  await page.goto(env.srv.url + '/');
  await page.getByLabel(/Account/).fill('member');
  await page.getByLabel(/Password/).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: /^Log in$/ }).click();
  await page.locator('main .tiles').waitFor();
  await page.goto(`${env.srv.url}/#/ledgers/dispute`);
  await page.getByRole('heading', { level: 1, name: 'Disputes' }).waitFor();
  await page.locator('table.grid-table tbody tr').first().waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 391, `page is ${wide}px wide`);
  // the table scrolls inside its wrapper
  assert.equal(await page.locator('table.grid-table').evaluate((t) => getComputedStyle(t.parentElement).overflowX), 'auto');
  // keyboard: a row is reachable and Enter opens the entry
  const row = page.locator('table.grid-table tbody tr').first();
  await row.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/ledgers\/dispute\/\d+$/);
  await page.locator('ol.timeline').waitFor();
  await shot(page, 'ledger-entry-phone-en');
  await page.goto(`${env.srv.url}/#/ledgers/dispute`);
  await page.locator('table.grid-table tbody tr').first().waitFor();
  await shot(page, 'ledger-dispute-phone-en');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
