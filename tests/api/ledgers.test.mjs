// Ledgers whose kinds are data (issue: Ledgers and indicators): the seed's
// figures from the demo's entries, each kind's workflow, roles and scope,
// validation, history, and a new kind added by data alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startServer, req, login, assertError, tempDir, demoDatabase, cli, DEMO_PASSWORD } from './lib.mjs';

let srv; const tok = {};
const MEMBER_GRID = '410102008004010101';

before(async () => {
  const dir = tempDir();
  demoDatabase(dir);
  srv = await startServer({ dir, init: false });
  for (const u of ['member', 'staff', 'chief', 'leader', 'citizen', 'auditor', 'demo-admin', 'police'])
    tok[u] = (await login(srv, u, DEMO_PASSWORD)).token;
});
after(async () => { await srv.stop(); });

const Y2023 = 'from=2023-01-01&to=2023-05-01';
const kpis = async (kind, who = 'leader', q = Y2023) => {
  const r = await req(srv, 'GET', `/api/ledgers/${kind}/kpis?${q}`, { token: tok[who] });
  assert.equal(r.status, 200, r.text);
  return r.json.kpis;
};

test('the seed: 199 disputes, 195 mediated, 1 withdrawn: 98.5%; hazards, inspections, activities', async () => {
  const d = await kpis('dispute');
  assert.equal(d.entered.value, 199);
  assert.equal(d.succeeded.value, 195);
  assert.equal(d.withdrawn.value, 1);
  // succeeded / (entered - withdrawn) = 195 / 198, not 195 / 199 (98.0%)
  assert.equal(d.success_rate.value, 0.9848);
  assert.equal(d.success_rate.display, '98.5%');
  assert.equal(d.success_rate.denominator, 198);
  const h = await kpis('hazard');
  assert.equal(h.found.value, 176);
  assert.ok(h.rectified.value >= 170, 'the seed: 170+ rectified');
  const ins = await kpis('inspection');
  assert.equal(ins.places_inspected.value, 6 + 320 + 39 + 1 + 4 + 18 + 12 + 19);
  const act = await kpis('activity');
  assert.ok(act.party_lessons.value >= 40 && act.participants.value >= 860, JSON.stringify(act));
  // Outside 2023's first four months there is nothing of the seed.
  const later = await kpis('dispute', 'leader', 'from=2024-01-01&to=2024-12-31');
  assert.equal(later.entered.value, 0);
  assert.equal(later.success_rate.value, null);
  // A community's share is within its grid.
  const part = await kpis('dispute', 'staff');
  assert.ok(part.entered.value > 0 && part.entered.value < 199, JSON.stringify(part.entered));
});

test('every kind declared in share/ledgers is served, and walks from its first state to done', async () => {
  const files = readdirSync('share/ledgers').filter((f) => f.endsWith('.json'));
  const list = await req(srv, 'GET', '/api/ledgers', { token: tok.member });
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.items.map((k) => k.code).sort(), files.map((f) => f.replace('.json', '')).sort());
  for (const f of files) {
    const spec = JSON.parse(readFileSync(`share/ledgers/${f}`, 'utf8'));
    const fields = {};
    for (const fd of spec.fields.filter((x) => x.required)) {
      fields[fd.name] = { text: '测试', org: '测试单位', place: '测试地点', date: '2026-12-01', number: 1, money: 100, area: 10,
        bool: true, enum: fd.values?.[0]?.[0], person: fd.multiple ? [{ name: '张三' }] : { name: '张三' }, grid: MEMBER_GRID }[fd.type];
    }
    const made = await req(srv, 'POST', `/api/ledgers/${spec.code}/records`, { token: tok['demo-admin'], body: { grid: MEMBER_GRID, owner_unit: '汝河小区社区', fields } });
    assert.equal(made.status, 201, `${spec.code}: ${made.text}`);
    assert.equal(made.json.status, spec.initial);
    // shortest path of actions to a done state (breadth first over the declaration)
    const prev = new Map([[spec.initial, null]]);
    const queue = [spec.initial];
    while (queue.length) {
      const s = queue.shift();
      for (const a of spec.actions) if (a.to && a.from.includes(s) && !prev.has(a.to)) { prev.set(a.to, [s, a.action]); queue.push(a.to); }
    }
    const goal = spec.done.find((s) => prev.has(s) && s !== spec.initial);
    assert.ok(goal, `${spec.code}: a done state is reachable`);
    const path = [];
    for (let s = goal; prev.get(s); s = prev.get(s)[0]) path.unshift(prev.get(s)[1]);
    let cur = made.json;
    for (const a of path) {
      const r = await req(srv, 'POST', `/api/ledgers/${spec.code}/records/${cur.id}/actions/${a}`, { token: tok['demo-admin'], body: { note: 'ok' } });
      assert.equal(r.status, 200, `${spec.code} ${a}: ${r.text}`);
      cur = r.json;
    }
    assert.equal(cur.status, goal);
    assert.ok(cur.done_at, `${spec.code}: done_at set`);
    const h = await req(srv, 'GET', `/api/ledgers/${spec.code}/records/${cur.id}/history`, { token: tok.leader });
    assert.deepEqual(h.json.items.map((e) => e.action), ['create', ...path]);
  }
});

test('a dispute through its workflow by proper roles; 409, 403, 412, scope', async () => {
  const body = { grid: MEMBER_GRID, owner_unit: '汝河小区社区', owner_person: '刘芳',
    fields: { title: '楼上漏水', occurred_on: '2026-11-20', dispute_type: 'neighbour', risk: 'yellow',
      parties: [{ name: '王建国', phone: '13803710100' }, { name: '李秀英' }], people: 2 } };
  const made = await req(srv, 'POST', '/api/ledgers/dispute/records', { token: tok.member, body });
  assert.equal(made.status, 201, made.text);
  const d = made.json;
  assert.equal(d.fields.parties, '王**（138****0100），李**', 'personal data shown masked');
  assert.ok(!made.text.includes('13803710100') && !made.text.includes('王建国'));
  assert.match(d.due_at, /^2026-12-/); // 30 days when no deadline is given
  assert.deepEqual(d.allowed_actions.map((a) => a.action).sort(), ['start', 'succeed', 'withdraw']);
  assert.equal(made.headers.get('etag'), '"1"');
  const act = (who, a, headers) => req(srv, 'POST', `/api/ledgers/dispute/records/${d.id}/actions/${a}`, { token: tok[who], body: {}, headers });
  assert.equal((await act('member', 'start')).status, 200);
  const again = await act('member', 'start');
  assertError(again, 409, 'conflict', 'action');
  assert.deepEqual(again.json.error.details.allowed_actions.map((a) => a.action).sort(), ['succeed', 'withdraw']);
  assertError(await act('member', 'terminate'), 403, 'forbidden'); // community staff and up
  assertError(await act('member', 'fly'), 404, 'not_found', 'action');
  assertError(await act('member', 'succeed', { 'If-Match': '"1"' }), 412, 'precondition_failed', 'If-Match');
  const ok = await act('member', 'succeed', { 'If-Match': '"2"' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.status_label, '调解成功');
  const v = await act('staff', 'visit');
  assert.equal(v.json.visits, 1);
  assert.equal(v.json.status, 'succeeded');
  // an edit keeps the history
  const ed = await req(srv, 'PUT', `/api/ledgers/dispute/records/${d.id}`, { token: tok.member, body: { fields: { mediator: '调解员甲', summary: null } } });
  assert.equal(ed.status, 200, ed.text);
  assert.equal(ed.json.fields.mediator, '调解员甲');
  const h = await req(srv, 'GET', `/api/ledgers/dispute/records/${d.id}/history`, { token: tok.staff });
  assert.deepEqual(h.json.items.map((e) => [e.action, e.from, e.to]),
    [['create', '', 'entered'], ['start', 'entered', 'mediating'], ['succeed', 'mediating', 'succeeded'],
      ['visit', 'succeeded', 'succeeded'], ['edit', 'succeeded', 'succeeded']]);
  assert.deepEqual(h.json.items[4].data.fields, ['mediator', 'summary']);
  // scope: the member sees only their grid; others' entries are 404
  const other = await req(srv, 'GET', '/api/ledgers/dispute/records?limit=500', { token: tok.member });
  assert.ok(other.json.items.every((e) => e.grid.startsWith(MEMBER_GRID)));
  const all = await req(srv, 'GET', '/api/ledgers/dispute/records?limit=500', { token: tok.leader });
  const outside = all.json.items.find((e) => !e.grid.startsWith(MEMBER_GRID));
  assertError(await req(srv, 'GET', `/api/ledgers/dispute/records/${outside.id}`, { token: tok.member }), 404, 'not_found');
  assertError(await req(srv, 'POST', '/api/ledgers/dispute/records', { token: tok.member, body: { ...body, grid: outside.grid } }), 403, 'forbidden', 'grid');
  assertError(await req(srv, 'GET', '/api/ledgers/dispute/records', { token: tok.citizen }), 403, 'forbidden');
  assertError(await req(srv, 'GET', '/api/ledgers/planets/records', { token: tok.leader }), 404, 'not_found');
  // keyset pages: newest first, no repeats
  let page = await req(srv, 'GET', '/api/ledgers/dispute/records?limit=70', { token: tok.leader });
  const seen = page.json.items.map((e) => e.id);
  while (page.json.next) {
    page = await req(srv, 'GET', `/api/ledgers/dispute/records?limit=70&before=${page.json.next}`, { token: tok.leader });
    seen.push(...page.json.items.map((e) => e.id));
  }
  assert.equal(new Set(seen).size, seen.length);
  assert.equal(seen.length, 201); // the seed's 199, the walk's and this one
  const overdue = await req(srv, 'GET', '/api/ledgers/dispute/records?overdue=true&limit=500', { token: tok.leader });
  assert.ok(overdue.json.items.length >= 1 && overdue.json.items.every((e) => e.overdue), 'the seed\'s open dispute is overdue');
  // text: in text fields and the owner unit, never in sealed personal data
  const q = (s, extra = '') => req(srv, 'GET', `/api/ledgers/dispute/records?limit=500&q=${encodeURIComponent(s)}${extra}`, { token: tok.leader });
  const leak = await q('漏水');
  assert.ok(leak.json.items.length > 0 && leak.json.items.every((e) => JSON.stringify(e.fields).includes('漏水')));
  const succeeded = await q('漏水', '&status=succeeded');
  assert.ok(succeeded.json.items.length > 0 && succeeded.json.items.every((e) => e.status === 'succeeded'));
  assert.ok(succeeded.json.items.length < leak.json.items.length || leak.json.items.every((e) => e.status === 'succeeded'));
  assert.equal((await q('没有这样的纠纷')).json.items.length, 0);
  assert.equal((await q('sealed')).json.items.length, 0, 'the sealed object is not searched');
  assertError(await req(srv, 'GET', '/api/ledgers/dispute/records?status=bogus', { token: tok.leader }), 400, 'bad_request', 'status');
  assertError(await req(srv, 'GET', `/api/ledgers/dispute/records?q=${'x'.repeat(201)}`, { token: tok.leader }), 400, 'bad_request', 'q');
});

test('bad input is a 4xx naming the field', async () => {
  const post = (body) => req(srv, 'POST', '/api/ledgers/dispute/records', { token: tok.member, body });
  const base = { grid: MEMBER_GRID, fields: { title: 't', occurred_on: '2026-11-20', dispute_type: 'neighbour', risk: 'red' } };
  assertError(await post({ ...base, fields: { ...base.fields, title: undefined } }), 422, 'invalid', 'title');
  assertError(await post({ ...base, fields: { ...base.fields, risk: 'purple' } }), 422, 'invalid', 'risk');
  assertError(await post({ ...base, fields: { ...base.fields, occurred_on: '2023-02-29' } }), 422, 'invalid', 'occurred_on');
  assertError(await post({ ...base, fields: { ...base.fields, people: 'many' } }), 422, 'invalid', 'people');
  assertError(await post({ ...base, fields: { ...base.fields, colour: 'blue' } }), 422, 'invalid', 'colour');
  assertError(await post({ ...base, fields: { ...base.fields, parties: { name: '张三', phone: '12345' } } }), 422, 'invalid', 'parties');
  assertError(await post({ ...base, grid: '999' }), 422, 'invalid', 'grid');
  // A figure without a declared maximum is still bounded (sums stay numbers).
  const project = (investment) => req(srv, 'POST', '/api/ledgers/project/records', { token: tok.member, body: { grid: MEMBER_GRID, fields: { project_name: '大额', investment } } });
  assertError(await project(1e300), 422, 'invalid', 'investment');
  assertError(await project(-2e15), 422, 'invalid', 'investment');
  assertError(await post({ ...base, fields: { ...base.fields, title: 'x'.repeat(201) } }), 422, 'invalid', 'title');
});

test('a new kind by data alone: declared, entered, acted on, counted', async () => {
  const spec = {
    code: 'tree_planting', name: '义务植树', name_en: 'Tree planting',
    fields: [{ name: 'site', label: '地点', type: 'place', required: true }, { name: 'trees', label: '株数', type: 'number', min: 1 }],
    deadline: { days: 7 },
    states: [['planned', '计划'], ['planted', '已种植']], initial: 'planned', done: ['planted'],
    actions: [{ action: 'plant', label: '种植', from: ['planned'], to: 'planted', roles: ['grid_member', 'community_staff'] }],
    kpis: [{ name: 'events', label: '活动', count: {} }, { name: 'planted', label: '已种植', count: { status: 'planted' } },
      { name: 'trees', label: '株数', sum: 'trees' }, { name: 'rate', label: '完成率', ratio: { num: 'planted', den: ['events'] } }],
  };
  const put = (s, who = 'demo-admin', code = s.code) => req(srv, 'PUT', `/api/ledgers/${code}`, { token: tok[who], body: JSON.stringify(s), raw: true, headers: { 'content-type': 'application/json' } });
  assertError(await put(spec, 'leader'), 403, 'forbidden');
  assertError(await put({ ...spec, states: [] }), 422, 'invalid', 'states');
  assertError(await put({ ...spec, actions: [{ ...spec.actions[0], roles: ['wizard'] }] }), 422, 'invalid', 'actions');
  for (const bad of [1, null, {}]) // not a string: refused, not a crash
    assertError(await put({ ...spec, actions: [{ ...spec.actions[0], roles: [bad] }] }), 422, 'invalid', 'actions');
  assertError(await req(srv, 'PUT', '/api/ledgers/tree_planting', { token: tok['demo-admin'], body: '', raw: true, headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  assertError(await put({ ...spec, kpis: [{ name: 'r', label: 'r', ratio: { num: 'x', den: ['y'] } }] }), 422, 'invalid', 'kpis');
  assertError(await put({ ...spec, fields: [{ name: 'a', label: 'a', type: 'colour' }] }), 422, 'invalid', 'fields');
  assertError(await put(spec, 'demo-admin', 'other_code'), 422, 'invalid', 'code');
  const r = await put(spec);
  assert.equal(r.status, 200, r.text);
  for (const n of [30, 20]) {
    const m = await req(srv, 'POST', '/api/ledgers/tree_planting/records', { token: tok.member, body: { grid: MEMBER_GRID, fields: { site: '汝河公园', trees: n } } });
    assert.equal(m.status, 201, m.text);
    if (n === 30) assert.equal((await req(srv, 'POST', `/api/ledgers/tree_planting/records/${m.json.id}/actions/plant`, { token: tok.member, body: {} })).status, 200);
  }
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const k = await kpis('tree_planting', 'leader', `from=${today}`);
  assert.deepEqual([k.events.value, k.planted.value, k.trees.value, k.rate.display], [2, 1, 50, '50.0%']);
  const list = await req(srv, 'GET', '/api/ledgers', { token: tok.member });
  assert.ok(list.json.items.some((x) => x.code === 'tree_planting'));

  // the same machinery as cases: a deadline in working time, a refusal that lists what is allowed
  assertError(await put({ ...spec, deadline: { limit: '4x' } }), 422, 'invalid', 'deadline');
  assert.equal((await put({ ...spec, deadline: { limit: '1d' } })).status, 200);
  const e = await req(srv, 'POST', '/api/ledgers/tree_planting/records', { token: tok.member, body: { grid: MEMBER_GRID, fields: { site: '汝河公园' } } });
  assert.equal(e.status, 201, e.text);
  const due = Date.parse(e.json.due_at), made = Date.parse(e.json.created_at);
  // one working day: at least 8.5 working hours later, at most past a long holiday
  assert.ok(due - made >= 7 * 3600e3 && due - made <= 12 * 86400e3, `${e.json.created_at} -> ${e.json.due_at}`);
  const local = new Date(due + 8 * 3600e3);
  assert.ok(local.getUTCDay() >= 1 && local.getUTCDay() <= 5, 'due on a weekday');
  const hm = local.getUTCHours() * 60 + local.getUTCMinutes();
  assert.ok((hm >= 8 * 60 + 30 && hm <= 12 * 60) || (hm >= 13 * 60 + 30 && hm <= 18 * 60), `due in working hours: ${e.json.due_at}`);
  const staffTry = await req(srv, 'POST', `/api/ledgers/tree_planting/records/${e.json.id}/actions/plant`, { token: tok.chief, body: {} });
  assertError(staffTry, 403, 'forbidden', 'action');
  assert.match(staffTry.json.error.message, /'plant' is not allowed on a 计划 entry for you; allowed: none/);
});

test('a ledger exports as a real .xlsx with Chinese headers and no personal data in clear', async () => {
  const res = await fetch(srv.url + '/api/ledgers/dispute/export', { headers: { authorization: `Bearer ${tok.leader}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.match(res.headers.get('content-disposition'), /dispute\.xlsx/);
  const bytes = Buffer.from(await res.arrayBuffer());
  const dir = tempDir();
  writeFileSync(`${dir}/d.xlsx`, bytes);
  // Read it back as any spreadsheet program would: unzip, parse the sheet XML.
  const py = `
import json, re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
ss = re.findall(r'<si><t[^>]*>(.*?)</t></si>', z.read('xl/sharedStrings.xml').decode()) if 'xl/sharedStrings.xml' in names else []
wb = z.read('xl/workbook.xml').decode()
sheet = z.read('xl/worksheets/sheet1.xml').decode()
rows = re.findall(r'<row [^>]*>(.*?)</row>', sheet)
def val(c):
    m = re.search(r'<is><t[^>]*>(.*?)</t></is>', c)
    if m: return m.group(1)
    m = re.search(r'<v>(.*?)</v>', c)
    if not m: return None
    return ss[int(m.group(1))] if 't="s"' in c else float(m.group(1))
table = [[val(c) for c in re.findall(r'<c [^>]*?(?:/>|>.*?</c>)', r)] for r in rows]
strings = ss + [v for r in table for v in r if isinstance(v, str)]
print(json.dumps({'names': re.findall(r'<sheet name="([^"]+)"', wb), 'table': table, 'strings': strings}, ensure_ascii=False))`;
  const out = spawnSync('python3', ['-c', py, `${dir}/d.xlsx`], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const x = JSON.parse(out.stdout);
  assert.deepEqual(x.names, ['矛盾纠纷']);
  const head = x.table[0];
  for (const h of ['编号', '网格', '状态', '纠纷名称', '纠纷类型', '当事人', '风险等级', '期限', '回访次数']) assert.ok(head.includes(h), h);
  const all = await req(srv, 'GET', '/api/ledgers/dispute/records?limit=500', { token: tok.leader });
  assert.equal(x.table.length - 1, all.json.items.length);
  assert.ok(x.table.slice(1).some((r) => r.includes('调解成功') && r.includes('邻里纠纷')));
  assert.ok(!x.strings.some((s) => s.includes('王建国') || s.includes('13803710100')), 'no personal data in clear');
  assert.ok(x.strings.some((s) => s.includes('王**')));
  // scope: the member's export holds only the member's grid
  const mine = await fetch(srv.url + '/api/ledgers/dispute/export', { headers: { authorization: `Bearer ${tok.member}` } });
  assert.equal(mine.status, 200);
  assert.ok((await mine.arrayBuffer()).byteLength < bytes.length);
});

test('CSV import: all rows or none, each bad row reported with its line', async () => {
  const imp = (csv, who = 'member') => req(srv, 'POST', '/api/ledgers/dispute/import', { token: tok[who], body: csv, raw: true, headers: { 'content-type': 'text/csv' } });
  const count = async () => (await req(srv, 'GET', '/api/ledgers/dispute/records?limit=500', { token: tok.leader })).json.items.length;
  const before = await count();
  const bad = [
    'grid,纠纷名称,occurred_on,纠纷类型,风险等级,当事人,people',
    `${MEMBER_GRID},噪音扰民,2026-11-01,邻里纠纷,黄色（就地化解）,张三 13800138000；李四,2`,
    `${MEMBER_GRID},,2026-11-02,neighbour,yellow,,1`,
    `${MEMBER_GRID},欠薪,2026-11-31,labour,red,王五,3`,
    `${MEMBER_GRID},"含逗号,的名称",2026-11-03,contract,orange,,many`,
  ].join('\n');
  const r = await imp(bad);
  assertError(r, 422, 'invalid', 'csv');
  assert.deepEqual(r.json.error.details.errors.map((e) => [e.line, e.field]), [[3, 'title'], [4, 'occurred_on'], [5, 'people']]);
  assert.equal(await count(), before, 'nothing imported');
  const good = [
    'grid,title,occurred_on,dispute_type,risk,parties,owner_unit',
    `${MEMBER_GRID},噪音扰民,2026-11-01,邻里纠纷,yellow,张三 13800138000；李四,汝河小区社区`,
    `${MEMBER_GRID},"含逗号,的名称",2026-11-03,contract,orange,,汝河小区社区`,
  ].join('\r\n') + '\r\n';
  const ok = await imp(good);
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.imported, 2);
  assert.equal(await count(), before + 2);
  const list = await req(srv, 'GET', '/api/ledgers/dispute/records?limit=2', { token: tok.member });
  assert.deepEqual(list.json.items.map((e) => e.fields.title), ['含逗号,的名称', '噪音扰民']);
  assert.equal(list.json.items[1].fields.parties, '张*（138****8000），李*');
  assertError(await imp('grid,colour\n1,2\n'), 422, 'invalid', 'csv');
  assertError(await imp('grid,title\n"unclosed,x\n'), 422, 'invalid', 'csv');
});

test('attachments on entries and actions: stored files only, kept in the history', async () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300, 9)]);
  const fd = new FormData();
  fd.append('file', new Blob([png], { type: 'image/png' }), 'visit.png');
  const up = await fetch(srv.url + '/api/attachments', { method: 'POST', body: fd, headers: { authorization: `Bearer ${tok.member}` } });
  assert.equal(up.status, 201);
  const sha = (await up.json()).items[0].sha256;
  const made = await req(srv, 'POST', '/api/ledgers/hazard/records', { token: tok.member, body: {
    grid: MEMBER_GRID, attachments: [sha],
    fields: { title: '楼道堆放杂物', sector: 'fire', place: '3号楼', level: 'general', found_on: '2026-11-20' } } });
  assert.equal(made.status, 201, made.text);
  const id = made.json.id;
  assertError(await req(srv, 'POST', `/api/ledgers/hazard/records/${id}/actions/start`, { token: tok.member, body: { attachments: ['c'.repeat(64)] } }), 422, 'invalid', 'attachments');
  assertError(await req(srv, 'POST', `/api/ledgers/hazard/records/${id}/actions/start`, { token: tok.member, body: { attachments: 'x' } }), 400, 'bad_request', 'attachments');
  const ok = await req(srv, 'POST', `/api/ledgers/hazard/records/${id}/actions/start`, { token: tok.member, body: { note: '已通知物业', attachments: [sha] } });
  assert.equal(ok.status, 200, ok.text);
  const h = await req(srv, 'GET', `/api/ledgers/hazard/records/${id}/history`, { token: tok.member });
  assert.deepEqual(h.json.items.map((e) => e.data.attachments), [[sha], [sha]]);
  assert.equal(h.json.items[1].note, '已通知物业');
});

test('the command line installs ledger kinds and indicators from files, all or nothing', () => {
  const dir = tempDir();
  const db = `${dir}/cli.db`;
  const env = { ...process.env, WANGGE_PASSWORD_MEMLIMIT: '8M' };
  assert.equal(cli(['init', '--db', db], { env }).status, 0);
  let r = cli(['import', 'ledgers', 'share/ledgers/dispute.json', 'share/ledgers/hazard.json', '--db', db], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ledger dispute: installed\nledger hazard: installed/);
  writeFileSync(`${dir}/bad.json`, JSON.stringify({ code: 'bad_kind', name: '坏' }));
  r = cli(['import', 'ledgers', 'share/ledgers/activity.json', `${dir}/bad.json`, '--db', db], { env });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.json: .*fields.*nothing was imported/);
  r = cli(['import', 'indicators', 'share/indicators.json', '--db', db], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /imported 13 indicator\(s\) and 56 value\(s\)/);
  r = cli(['import', 'indicators', 'share/indicators.json', '--db', db], { env });
  assert.match(r.stdout, /and 0 value\(s\)/, 'values already there are left alone');
  const kinds = spawnSync('sqlite3', [db, 'SELECT group_concat(code) FROM ledger_kinds'], { encoding: 'utf8' });
  assert.equal(kinds.stdout.trim(), 'dispute,hazard');
  assert.equal(cli(['import', 'ledgers', '--db', db], { env }).status, 2);
});

test('kinds whose names Excel refuses as sheet names still export, each on a sheet of its own', async () => {
  const hazard = JSON.parse(readFileSync(new URL('../../share/ledgers/hazard.json', import.meta.url), 'utf8'));
  const put = (spec) => req(srv, 'PUT', `/api/ledgers/${spec.code}`, { token: tok['demo-admin'], body: JSON.stringify(spec), raw: true, headers: { 'content-type': 'application/json' } });
  const odd = { ...hazard, code: 'odd_name', name: "'a/b:c*d?[e]'" + '长'.repeat(40) };
  const twin = { ...hazard, code: 'twin_name', name: hazard.name };
  for (const k of [odd, twin]) assert.equal((await put(k)).status, 200);
  const sheets = async (path) => {
    const res = await fetch(srv.url + path, { headers: { authorization: `Bearer ${tok['demo-admin']}` } });
    assert.equal(res.status, 200, path);
    const dir = tempDir();
    writeFileSync(`${dir}/x.xlsx`, Buffer.from(await res.arrayBuffer()));
    const out = spawnSync('python3', ['-c', `
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print('\\n'.join(re.findall(r'<sheet name="([^"]+)"', z.read('xl/workbook.xml').decode())))`, `${dir}/x.xlsx`], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    return out.stdout.trim().split('\n');
  };
  const [one] = await sheets('/api/ledgers/odd_name/export');
  // 31 characters, cut whole; the quote in front dropped, the one inside kept
  assert.equal(one, "a_b_c_d__e_'" + '长'.repeat(18));
  const all = await sheets('/api/reports/summary?format=xlsx');
  assert.ok(all.includes(hazard.name) && all.includes('twin_name') && all.includes(one), all.join(','));
  assert.equal(new Set(all).size, all.length);
});
