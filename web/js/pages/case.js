// case.js - one case: what, where, deadlines, its timeline with photos,
// and exactly the actions the server says this actor may take now, each
// as a button opening a small form (note, photos, and what the action
// needs: a department, departments and a reason, days, a rating...).
// Every action is sent with If-Match: a stale page gets 412 and reloads.

import { get, post, upload } from '../api.js';
import { pick, t, t2 } from '../i18n.js';
import { alertBox, field, fmtTime, h, mount, pageHeader, select, showError, statusBadge, toast } from '../ui.js';
import { departmentNames, gridIndex, gridName } from '../names.js';
import { gridMap } from './mapkit.js';

const REASONS = ['cannot_solve_alone', 'lacks_enforcement_power', 'emergency'];

// What each action asks for besides a note and photos: [name, build(deps, kase) -> control, read(control)].
const extra = {
  merge: [['into', () => h('input', { type: 'number', min: 1, required: true }), (c) => Number(c.value)]],
  dispatch: [['department', (d, k) => select('department', d.map((x) => [x.code, x.name]), k.department), (c) => c.value]],
  approve_extension: [['days', () => h('input', { type: 'number', min: 1, max: 60, value: 1, required: true }), (c) => Number(c.value)]],
  request_extension: [['days', () => h('input', { type: 'number', min: 1, max: 60, value: 1, required: true }), (c) => Number(c.value)]],
  whistle: [
    ['reason', () => select('reason', REASONS.map((r) => [r, t2('why_', r)])), (c) => c.value],
    ['departments', (d) => h('fieldset.checks', h('legend', t('departments')),
      d.map((x) => h('label', h('input', { type: 'checkbox', value: x.code }), ` ${x.name}`))),
    (c) => [...c.querySelectorAll('input:checked')].map((i) => i.value)],
  ],
  rate: [
    ['rating', () => select('rating', [5, 4, 3, 2, 1].map((n) => [n, '★'.repeat(n)])), (c) => Number(c.value)],
    ['rate_department', (d) => select('rate_department', [['', '—'], ...d.map((x) => [x.code, x.name])]), (c) => c.value || undefined],
  ],
};
const LABEL = { into: 'into', department: 'department', days: 'days', reason: 'reason', departments: null, rating: 'rating', rate_department: 'department' };

function history(items, depts) {
  const name = (code) => depts.find((d) => d.code === code)?.name || code;
  return h('ol.timeline', items.map((ev) => {
    const d = ev.data || {};
    const bits = [];
    if (d.department && ev.action === 'dispatch') bits.push(`→ ${name(d.department)}`);
    if (d.whistle) bits.push(`${t2('why_', d.whistle.reason)} → ${d.whistle.departments.map(name).join('、')}`);
    if (d.whistle_part) bits.push(name(d.whistle_part.department));
    if (d.rated) bits.push(`${name(d.rated.department)} ${'★'.repeat(d.rated.rating)}`);
    return h('li', { dataset: { action: ev.action } },
      h('div', h('strong', t2('act_', ev.action)), ' ', ev.to && ev.to !== ev.from ? statusBadge(ev.to) : null,
        ' ', h('span.when', `${fmtTime(ev.at)} · ${ev.actor}`)),
      bits.length ? h('div', bits.join(' ')) : null,
      ev.note ? h('div', ev.note) : null,
      d.attachments?.length ? h('div.photos', d.attachments.map((sha) =>
        h('a', { href: `/api/attachments/${sha}`, target: '_blank', rel: 'noopener' },
          h('img', { src: `/api/attachments/${sha}`, alt: `${t('photos')} ${sha.slice(0, 8)}`, loading: 'lazy' })))) : null);
  }));
}

export async function render(root, params, ctx) {
  mount(root, h('p.loading', t('loading')));
  const id = Number(params.id);
  let kase, events, depts;
  try {
    [kase, events, depts] = await Promise.all([
      get(`/api/cases/${id}`),
      get(`/api/cases/${id}/history`),
      ctx.can('departments.read')
        ? departmentNames().then((m) => [...m].map(([code, name]) => ({ code, name })))
        : Promise.resolve([]),
    ]);
  } catch (e) {
    mount(root, pageHeader(`${t('case_title')} #${id}`), h('div.alert', { role: 'alert' }, e.message));
    return;
  }
  const grids = ctx.can('grids.read') ? await gridIndex() : new Map();
  const deptName = (code) => depts.find((d) => d.code === code)?.name || code || '—';
  const actionArea = h('div.action-form', { hidden: true });
  // One note and photos for the actions that need nothing else: their
  // buttons act at once (a grid member verifies in one tap); the others
  // open a small form for what they need.
  const note = h('textarea', { name: 'note', rows: 2 });
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/jpeg,image/png,image/webp', multiple: true });
  const alert = alertBox();

  async function act(action, fields, button) {
    alert.clear();
    button.disabled = true;
    try {
      const body = { note: note.value.trim() || undefined, ...fields };
      const shas = await upload(photos.files);
      if (shas.length) body.attachments = shas;
      await post(`/api/cases/${id}/actions/${action}`, body, { ifMatch: kase.etag });
      toast(`${t2('act_', action)}: ${t('action_done')}`);
      ctx.go(`cases/${id}`); // drawn again through the router: this page's map is removed
    } catch (err) {
      button.disabled = false;
      alert.show(err);
      if (err.status === 412) {
        setTimeout(() => {
          if (root.isConnected) ctx.go(`cases/${id}`);
        }, 1500);
      }
    }
  }

  function openAction(action) {
    const controls = extra[action].map(([name, build, read]) => ({ name, el: build(depts, kase), read }));
    const form = h('form', {
      'aria-label': t2('act_', action),
      onsubmit: (e) => {
        e.preventDefault();
        const fields = {};
        for (const c of controls) fields[c.name] = c.read(c.el);
        act(action, fields, form.querySelector('button[type=submit]'));
      },
    },
    h('h3', t2('act_', action)),
    controls.map((c) => (LABEL[c.name] ? field(t(LABEL[c.name]), c.el) : c.el)),
    h('div.row', h('button.primary', { type: 'submit' }, t('submit')),
      h('button', { type: 'button', onclick: () => { actionArea.hidden = true; } }, t('cancel'))));
    mount(actionArea, form);
    actionArea.hidden = false;
    controls[0].el.focus();
  }

  const allowed = kase.allowed_actions || [];
  const MAIN = ['verify', 'close', 'dispatch', 'acknowledge', 'feed_back', 'file', 'start'];
  const actions = h('section.card', { 'aria-labelledby': 'actions-h' },
    h('h2#actions-h', t('actions')),
    allowed.length
      ? [alert, field(t('note'), note), field(t('attach_photos'), photos),
        h('div.actions-bar', allowed.map((a) => h('button', {
          type: 'button',
          dataset: { action: a },
          class: MAIN.includes(a) ? 'primary' : '',
          onclick: (e) => (extra[a] ? openAction(a) : act(a, {}, e.currentTarget)),
        }, t2('act_', a))))]
      : h('p.hint', t('no_actions')),
    actionArea);

  const mapEl = h('div.map.case-map', { role: 'region', 'aria-label': t('location') });
  const info = h('section.card', h('dl.kv',
    h('dt', t('col_status')), h('dd', statusBadge(kase.status), kase.overdue ? [' ', h('span.badge.overdue', t('overdue'))] : null,
      kase.urgency === 'urgent' ? [' ', h('span.badge.urgent', t('urgent'))] : null),
    h('dt', t('col_category')), h('dd', `${pick(kase.category, 'name')} (${kase.category.code})`),
    h('dt', t('col_description')), h('dd', kase.description),
    h('dt', t('address')), h('dd', kase.address || '—'),
    h('dt', t('col_grid')), h('dd', gridName(grids, kase.grid?.code) || '—'),
    h('dt', t('col_department')), h('dd', deptName(kase.department)),
    h('dt', t('source')), h('dd', t2('src_', kase.source)),
    h('dt', t('reporter')), h('dd', kase.reporter?.login || kase.reporter?.name || '—'),
    h('dt', t('col_reported')), h('dd', fmtTime(kase.times.reported_at)),
    kase.due?.at ? [h('dt', t('due_at')), h('dd', `${fmtTime(kase.due.at)}（${t2('step_', kase.due.step)}）`)] : null,
    kase.due?.handle_by ? [h('dt', t('handle_by')), h('dd', fmtTime(kase.due.handle_by))] : null,
    kase.whistles ? [h('dt', t('whistles')), h('dd', String(kase.whistles))] : null,
  ), mapEl);

  mount(root,
    pageHeader(`${t('case_title')} #${kase.id}`, h('a.button', { href: '#/cases' }, t('back'))),
    h('div.cols',
      h('div.stack', actions, h('section.card', h('h2', t('timeline')), history(events.items, depts))),
      h('div.stack', info)));
  const m = gridMap(mapEl, { keepView: true, hide: ['dedicated'] });
  if (m && kase.location) {
    m.map.setView([kase.location.lat, kase.location.lon], 17);
    window.L.circleMarker([kase.location.lat, kase.location.lon], { radius: 9, color: '#b71c1c', fillOpacity: 0.8 }).addTo(m.map);
    m.loadGrids(kase.grid.l3 || kase.grid.l1, 1).catch(showError);
  }
  return () => m && m.map.remove();
}
