// cases.js - the case lists: the actor's queues (tabs), filters, text
// search and keyset paging ("more" asks for the page before the last id).

import { get, qs } from '../api.js';
import { pick, t, t2 } from '../i18n.js';
import { field, fmtTime, h, mount, pageHeader, select, showError, statusBadge, table } from '../ui.js';
import { departmentNames, gridIndex, gridName } from '../names.js';
import { queues } from './queues.js';

const STATUSES = ['reported', 'filed', 'dispatched', 'acknowledged', 'handling', 'fed_back', 'verified',
  'closed', 'not_filed', 'merged', 'deferred'];

// Names of grids and departments for the list, as far as the actor may read them.
export async function caseNames(ctx) {
  const [grids, depts] = await Promise.all([
    ctx.can('grids.read') ? gridIndex() : new Map(),
    ctx.can('departments.read') ? departmentNames() : new Map(),
  ]);
  return { grids, depts };
}

export function caseRows(ctx, rows, names = { grids: new Map(), depts: new Map() }) {
  const cols = [
    { label: t('col_id'), cell: (c) => h('a', { href: `#/cases/${c.id}` }, `#${c.id}`) },
    { label: t('col_category'), cell: (c) => pick(c.category, 'name') },
    {
      label: t('col_status'),
      cell: (c) => [statusBadge(c.status), c.overdue ? [' ', h('span.badge.overdue', t('overdue'))] : null,
        c.urgency === 'urgent' ? [' ', h('span.badge.urgent', t('urgent'))] : null],
    },
    { label: t('col_description'), cell: (c) => c.description, cls: 'desc' },
    { label: t('col_grid'), cell: (c) => gridName(names.grids, c.grid?.code), cls: 'wide' },
    { label: t('col_department'), cell: (c) => names.depts.get(c.department) || c.department || '', cls: 'wide' },
    { label: t('col_reported'), cell: (c) => fmtTime(c.times?.reported_at), cls: 'wide' },
    { label: t('col_due'), cell: (c) => (c.due?.at ? `${t2('step_', c.due.step)} ${fmtTime(c.due.at)}` : ''), cls: 'wide' },
  ];
  return table(cols, rows, { onRow: (c) => ctx.go(`cases/${c.id}`) });
}

export async function render(root, params, ctx) {
  const qlist = queues(ctx);
  const queueId = params.query.get('queue') || (qlist[0] ? qlist[0].id : 'all');
  const current = qlist.find((q) => q.id === queueId);
  const base = current ? { ...current.query } : {};

  const status = select('status', [['', t('all')], ...STATUSES.map((s) => [s, t2('st_', s)])], params.query.get('status') || '');
  const text = h('input', { type: 'search', name: 'q', value: params.query.get('q') || '' });
  const filters = h(
    'form.inline-form',
    {
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        const q = new URLSearchParams({ queue: queueId });
        if (status.value) q.set('status', status.value);
        if (text.value.trim()) q.set('q', text.value.trim());
        if (params.query.get('grid')) q.set('grid', params.query.get('grid'));
        ctx.go(`cases?${q}`);
      },
    },
    field(t('col_status'), status),
    field(t('search'), text),
    h('button', { type: 'submit' }, t('filter')),
  );
  const tabs = h(
    'nav.tabs',
    { 'aria-label': t('cases_title') },
    [...qlist, { id: 'all', label: 'queue_all' }].map((q) =>
      h('a', { href: `#/cases?queue=${q.id}`, 'aria-current': q.id === queueId ? 'page' : null }, t(q.label)),
    ),
  );
  const list = h('div.table-wrap');
  const more = h('button', { type: 'button', hidden: true }, t('more'));
  mount(root, pageHeader(t('cases_title'), ctx.can('cases.report') ? h('a.button.primary', { href: '#/report' }, t('nav_report')) : null),
    tabs, filters, list, h('p', more));

  const query = { ...base, limit: 50 };
  if (status.value) query.status = status.value;
  if (text.value.trim()) query.q = text.value.trim();
  if (params.query.get('grid')) query.grid = params.query.get('grid');
  let rows = [];
  const names = await caseNames(ctx);
  async function page(before) {
    try {
      const r = await get(`/api/cases${qs({ ...query, before })}`);
      rows = rows.concat(r.items);
      mount(list, caseRows(ctx, rows, names));
      more.hidden = !r.next;
      more.onclick = () => page(r.next);
    } catch (e) {
      showError(e);
    }
  }
  await page();
}
