// ledger_entry.js - one ledger entry (#/ledgers/<kind>/<id>): its fields
// as the kind declares them, its state and deadline, the actions this
// actor may take now (each sent with If-Match: the entry's ETag, so a
// change made meanwhile is refused rather than overwritten), and its
// history.

import { ApiError, get, post, put } from '../api.js';
import { t } from '../i18n.js';
import { alertBox, field, fmtTime, h, loading, mount, pageHeader, toast } from '../ui.js';
import { gridIndex, gridName } from '../names.js';
import {
  control, errField, fieldText, hintOf, kindName, ledgerKind, pairLabel, stateBadge,
} from './ledgers.js';

// The form that changes an entry's fields: prefilled, only what changed
// is sent (an emptied field as null), with If-Match. Personal fields are
// shown masked, so theirs start empty: left empty they stay as they are.
function editForm(kind, grids, ctx, entry, etag, base, onSaved, onCancel) {
  const alert = alertBox();
  alert.tabIndex = -1;
  const boxes = new Map();
  const parts = [];
  const common = [
    ['owner_unit', h('input', { name: 'owner_unit', maxLength: 128, value: entry.owner_unit || '' })],
    ['owner_person', h('input', { name: 'owner_person', maxLength: 64, value: entry.owner_person || '' })],
  ];
  for (const [name, el] of common) {
    const box = errField(t(name), el);
    boxes.set(name, { box, el, common: true, read: () => el.value.trim(), was: entry[name] || '' });
    parts.push(box);
  }
  for (const f of kind.fields) {
    const c = control(f, grids, ctx);
    const was = entry.fields[f.name];
    if (f.type !== 'person' && was !== undefined && was !== null) {
      c.el.value = f.type === 'bool' ? String(was) : String(was);
    }
    const box = errField(f.label, c.el, f.type === 'person' ? `${hintOf(f)}；${t('person_keep')}` : hintOf(f), f.required);
    if (c.extra) box.append(c.extra);
    boxes.set(f.name, { box, el: c.el, read: c.read, was, person: f.type === 'person' });
    parts.push(box);
  }
  const save = h('button.primary', { type: 'submit' }, t('save'));
  return h(
    'form.card.edit-form',
    {
      noValidate: true,
      'aria-labelledby': 'edit-h',
      onsubmit: async (e) => {
        e.preventDefault();
        alert.clear();
        for (const x of boxes.values()) x.box.clearError();
        const body = { fields: {} };
        for (const [name, x] of boxes) {
          const v = x.read();
          if (x.common) {
            if (v !== x.was) body[name] = v;
            continue;
          }
          if (x.person && v === undefined) continue;
          const now = v === undefined ? null : v;
          const before = x.was === undefined ? null : x.was;
          if (JSON.stringify(now) !== JSON.stringify(before)) body.fields[name] = now;
        }
        if (!Object.keys(body.fields).length) delete body.fields;
        if (!Object.keys(body).length) {
          onCancel();
          return;
        }
        save.disabled = true;
        try {
          await put(base, body, { ifMatch: etag });
          onSaved();
        } catch (err) {
          const x = err instanceof ApiError && err.field ? boxes.get(err.field) : null;
          alert.show(err.status === 412 ? t('stale_entry') : err);
          if (x) {
            x.box.setError(err.message);
            x.el.focus();
          } else {
            alert.focus();
          }
          save.disabled = false;
        }
      },
    },
    h('h2#edit-h', { style: 'margin-top:0' }, t('edit_entry')),
    alert,
    h('div', { style: 'display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:0 16px' }, parts),
    h('div.row', save, h('button', { type: 'button', onclick: () => onCancel() }, t('cancel'))),
  );
}

function kv(pairs) {
  return h(
    'dl.kv',
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [h('dt', k), h('dd', v)]),
  );
}

function actionLabel(kind, action) {
  const a = (kind.actions || []).find((x) => x.action === action);
  if (a) return a.label;
  return t(`lact_${action}`) === `lact_${action}` ? action : t(`lact_${action}`);
}

function historyList(kind, items) {
  if (!items.length) return h('p.hint', t('none'));
  return h(
    'ol.timeline',
    items.map((it) => {
      const changed = it.data && Array.isArray(it.data.fields) ? it.data.fields : null;
      const labels = changed ? changed.map((n) => (kind.fields.find((f) => f.name === n) || {}).label || n) : null;
      return h(
        'li',
        h('div.when', fmtTime(it.at), ' · ', it.actor),
        h(
          'div',
          h('strong', actionLabel(kind, it.action)),
          it.from && it.to && it.from !== it.to ? ` ${pairLabel(kind.states, it.from)} → ${pairLabel(kind.states, it.to)}` : '',
          !it.from && it.to ? ` → ${pairLabel(kind.states, it.to)}` : '',
        ),
        it.note ? h('div', it.note) : null,
        labels && labels.length ? h('div.hint', `${t('fields_changed')}: ${labels.join('、')}`) : null,
      );
    }),
  );
}

export async function render(root, params, ctx) {
  mount(root, pageHeader(t('entry')), loading());
  const base = `/api/ledgers/${encodeURIComponent(params.kind)}/records/${encodeURIComponent(params.id)}`;
  const [kind, grids, entry, hist] = await Promise.all([
    ledgerKind(params.kind),
    gridIndex(),
    get(base),
    get(`${base}/history`),
  ]);
  const etag = entry.etag || `"${entry.version}"`;

  const alert = alertBox();
  const actionBox = h('div');
  const buttons = (entry.allowed_actions || []).map((a) =>
    h('button', { type: 'button', dataset: { action: a.action }, onclick: () => openAction(a) }, a.label || actionLabel(kind, a.action)),
  );

  function openAction(a) {
    alert.clear();
    const note = h('textarea', { name: 'note', rows: 2, maxLength: 2000 });
    const go = h('button.primary', { type: 'submit' }, `${t('confirm')}：${a.label || actionLabel(kind, a.action)}`);
    mount(
      actionBox,
      h(
        'form.action-form',
        {
          onsubmit: async (e) => {
            e.preventDefault();
            go.disabled = true;
            try {
              const body = note.value.trim() ? { note: note.value.trim() } : {};
              await post(`${base}/actions/${encodeURIComponent(a.action)}`, body, { ifMatch: etag });
              toast(t('action_done'));
              render(root, params, ctx);
            } catch (err) {
              alert.show(err.status === 412 ? t('stale_entry') : err);
              go.disabled = false;
            }
          },
        },
        field(t('note'), note),
        h('div.row', go, h('button', { type: 'button', onclick: () => mount(actionBox) }, t('cancel'))),
      ),
    );
    note.focus();
  }

  const fieldsList = kv(kind.fields.map((f) => [f.label, fieldText(f, entry.fields[f.name])]));
  const fieldsCard = h('section.card', { 'aria-labelledby': 'e-fields' });
  const editBtn = ctx.can('ledgers.write')
    ? h('button', { type: 'button', dataset: { action: 'edit' }, onclick: () => showEdit() }, t('edit_entry'))
    : null;
  function showFields() {
    mount(fieldsCard,
      h('div.page-head', h('h2#e-fields', { style: 'margin:0' }, t('entry_fields')), editBtn),
      fieldsList);
  }
  function showEdit() {
    mount(fieldsCard, editForm(kind, grids, ctx, entry, etag, base, () => {
      toast(t('saved'));
      render(root, params, ctx);
    }, () => {
      showFields();
      editBtn.focus();
    }));
    fieldsCard.querySelector('input, select, textarea')?.focus();
  }
  showFields();
  const g = grids.get(entry.grid);
  mount(
    root,
    h('p', h('a', { href: `#/ledgers/${encodeURIComponent(kind.code)}` }, `← ${kindName(kind)}`)),
    pageHeader(`${kindName(kind)} #${entry.id}`, stateBadge(kind, entry.status, entry.status_label),
      entry.overdue ? h('span.badge.overdue', t('overdue')) : null),
    h(
      'div.cols',
      h(
        'div.stack',
        fieldsCard,
        h(
          'section.card',
          { 'aria-labelledby': 'e-hist' },
          h('h2#e-hist', { style: 'margin-top:0' }, t('history')),
          historyList(kind, hist.items || []),
        ),
      ),
      h(
        'div.stack',
        h(
          'section.card',
          { 'aria-labelledby': 'e-state' },
          h('h2#e-state', { style: 'margin-top:0' }, t('state')),
          kv([
            [t('state'), stateBadge(kind, entry.status, entry.status_label)],
            [t('grid'), g ? `${g.name}（${entry.grid}）` : gridName(grids, entry.grid)],
            [t('owner_unit'), entry.owner_unit],
            [t('owner_person'), entry.owner_person],
            [t('deadline'), entry.due_at ? [fmtTime(entry.due_at), entry.overdue ? [' ', h('span.badge.overdue', t('overdue'))] : null] : ''],
            [t('done_at'), entry.done_at ? fmtTime(entry.done_at) : ''],
            [t('visits'), String(entry.visits ?? 0)],
            [t('created_by'), `${entry.created_by} · ${fmtTime(entry.created_at)}`],
            [t('updated_at'), fmtTime(entry.updated_at)],
          ]),
        ),
        h(
          'section.card',
          { 'aria-labelledby': 'e-actions' },
          h('h2#e-actions', { style: 'margin-top:0' }, t('actions')),
          alert,
          buttons.length ? h('div.actions-bar', buttons) : h('p.hint', t('no_entry_actions')),
          actionBox,
        ),
      ),
    ),
  );
}
