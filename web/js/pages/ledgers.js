// ledgers.js - the ledgers (台账): #/ledgers lists the kinds with how many
// entries each holds; #/ledgers/<kind> is one kind's entries (filters,
// keyset pages, KPIs, xlsx export) and the "new entry" form, built from
// the kind's field declarations. Kinds are data on the server, so nothing
// here knows a kind by name.
//
// Also exported for the entry page: the declaration helpers.

import { ApiError, download, get, post, qs } from '../api.js';
import { gridIndex, gridName } from '../names.js';
import { getLang, pick, t } from '../i18n.js';
import {
  alertBox, field, fmtNum, fmtPct, fmtTime, h, loading, mount, pageHeader, select, showError, table, toast,
} from '../ui.js';

// Grids an actor may write to: those under its scope (or all).
export function gridsInScope(grids, scope) {
  return [...grids.values()].filter((g) => !scope || g.code.startsWith(scope));
}

// A text input with a datalist of grid names; value is the grid code.
export function gridInput(grids, name, value, scope) {
  const listId = `grids-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const order = { l1: 0, l2: 1, dedicated: 2, l3: 3, micro: 4 };
  const opts = gridsInScope(grids, scope)
    .sort((a, b) => (order[a.level] ?? 9) - (order[b.level] ?? 9) || a.code.localeCompare(b.code))
    .map((g) => h('option', { value: g.code }, `${g.name}（${t2level(g.level)}）`));
  const input = h('input', { name, value: value || '', list: listId, autocomplete: 'off', inputMode: 'numeric', spellcheck: 'false' });
  return { input, list: h('datalist', { id: listId }, opts) };
}

function t2level(level) {
  return t(`level_${level}`);
}

// ---- declarations ----

let kindsP = null;
export function ledgerKinds() {
  if (!kindsP) {
    kindsP = get('/api/ledgers')
      .then((r) => r.items)
      .catch((e) => {
        kindsP = null;
        throw e;
      });
  }
  return kindsP;
}

export async function ledgerKind(code) {
  const kinds = await ledgerKinds().catch(() => []);
  return kinds.find((k) => k.code === code) || get(`/api/ledgers/${encodeURIComponent(code)}`);
}

export function kindName(k) {
  return getLang() === 'en' ? k.name_en || k.name : k.name;
}

export function pairLabel(pairs, code) {
  const p = (pairs || []).find((x) => x[0] === code);
  return p ? p[1] : code;
}

// A field's value as text, as the declaration describes it.
export function fieldText(f, v) {
  if (v === null || v === undefined || v === '') return '';
  switch (f.type) {
    case 'enum':
      return pairLabel(f.values, v);
    case 'bool':
      return v ? t('yes') : t('no');
    case 'money':
      return `${fmtNum(v, 2)} ${t('unit_yuan')}`;
    case 'area':
      return `${fmtNum(v, 2)} m²`;
    case 'number':
      return fmtNum(v, 2);
    case 'person':
      return Array.isArray(v) ? v.join('，') : String(v);
    default:
      return String(v);
  }
}

export function stateBadge(kind, status, label) {
  const done = (kind.done || []).includes(status);
  return h(`span.badge${done ? '.st-closed' : '.st-handling'}`, { dataset: { state: status } }, label || pairLabel(kind.states, status));
}

// A KPI of a ledger as text: ratios as their display, sums and counts as numbers.
export function kpiText(k) {
  if (!k) return '—';
  if (k.display) return k.display;
  if (k.value === null || k.value === undefined) return '—';
  if (k.numerator !== undefined) return fmtPct(k.value);
  return fmtNum(k.value, 2);
}

// How many entries a kind holds (all time, in the asker's scope): its
// first unconditional count KPI, else the records counted page by page.
async function entryCount(kind) {
  const total = (kind.kpis || []).find((q) => q.count && Object.keys(q.count).length === 0);
  if (total) {
    const r = await get(`/api/ledgers/${kind.code}/kpis${qs({ from: '1900-01-01', to: '9999-01-01' })}`);
    return fmtNum(r.kpis[total.name].value);
  }
  let n = 0;
  let before;
  for (let i = 0; i < 10; i++) {
    const r = await get(`/api/ledgers/${kind.code}/records${qs({ limit: 500, before })}`);
    n += r.items.length;
    if (!r.next) return fmtNum(n);
    before = r.next;
  }
  return `${fmtNum(n)}+`;
}

// ---- #/ledgers ----

async function renderKinds(root, ctx) {
  mount(root, pageHeader(t('ledgers_title')), loading());
  const kinds = await ledgerKinds();
  const cards = kinds.map((k) => {
    const count = h('span.value', { dataset: { count: k.code } }, '…');
    entryCount(k)
      .then((n) => (count.textContent = n))
      .catch(() => (count.textContent = '—'));
    return h(
      'a.kpi.ledger-kind',
      { href: `#/ledgers/${encodeURIComponent(k.code)}`, dataset: { kind: k.code }, style: 'text-decoration:none;color:inherit;display:block' },
      h('h2', { style: 'margin:0 0 4px;font-size:16px' }, kindName(k)),
      h('div', count, ' ', h('span.label', t('ledger_entries'))),
    );
  });
  mount(root, pageHeader(t('ledgers_title')), h('p.hint', t('ledgers_hint')), h('div.cards', { style: 'grid-template-columns:repeat(auto-fill,minmax(150px,1fr))' }, cards));
}

// ---- #/ledgers/<kind> ----

// Which fields get a column: short ones, not free text.
function listFields(kind) {
  return (kind.fields || []).filter((f) => !(f.type === 'text' && (f.max || 0) > 200)).slice(0, 5);
}

function entryQuery(params) {
  const q = params.query;
  return { status: q.get('status') || '', grid: q.get('grid') || '', q: q.get('q') || '', overdue: q.get('overdue') === 'true' ? 'true' : '' };
}

function setQuery(kind, query) {
  const s = qs(query);
  history.replaceState(null, '', `#/ledgers/${encodeURIComponent(kind)}${s}`);
}

async function renderKind(root, params, ctx) {
  mount(root, pageHeader(t('ledgers_title')), loading());
  const [kind, grids] = await Promise.all([ledgerKind(params.kind), gridIndex()]);
  const code = kind.code;
  const base = `/api/ledgers/${encodeURIComponent(code)}`;
  const filter = entryQuery(params);

  // tools: new entry, export
  const formBox = h('div', { hidden: true });
  const newBtn = ctx.can('ledgers.write')
    ? h('button.primary', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'new-entry', onclick: () => toggleForm() }, t('new_entry'))
    : null;
  const exportBtn = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        exportBtn.disabled = true;
        try {
          await download(`${base}/export`, `${code}.xlsx`);
        } catch (e) {
          showError(e);
        } finally {
          exportBtn.disabled = false;
        }
      },
    },
    t('export_xlsx'),
  );

  // KPIs of the kind over a year (or all time)
  const kpiBox = h('div.cards', { dataset: { kpis: code }, style: 'grid-template-columns:repeat(auto-fill,minmax(150px,1fr))' });
  const yearSel = h('select', { name: 'kpi_year' });
  const kpiSection = h(
    'section.card',
    { 'aria-labelledby': 'kpi-h' },
    h('div.page-head', h('h2#kpi-h', { style: 'margin:0' }, t('ledger_kpis')), h('div.inline-form', field(t('kpi_year'), yearSel))),
    kpiBox,
  );
  async function loadKpis() {
    const y = yearSel.value;
    const range = y === 'all' ? { from: '1900-01-01', to: '9999-01-01' } : { from: `${y}-01-01`, to: `${Number(y) + 1}-01-01` };
    mount(kpiBox, loading());
    try {
      const r = await get(`${base}/kpis${qs(range)}`);
      mount(
        kpiBox,
        Object.entries(r.kpis).map(([name, k]) =>
          h('div.kpi', { dataset: { kpi: name } }, h('div.label', k.label), h('div.value', kpiText(k)),
            k.numerator !== undefined ? h('div.hint', `${fmtNum(k.numerator)} / ${fmtNum(k.denominator)}`) : null),
        ),
      );
    } catch (e) {
      mount(kpiBox, h('p.alert', { role: 'alert' }, e.message));
    }
  }
  yearSel.addEventListener('change', loadKpis);

  // filters
  const stateSel = select('status', [['', t('all')], ...(kind.states || [])], filter.status);
  const gridF = gridInput(grids, 'grid', filter.grid, ctx.scope);
  const overdueBox = h('input', { type: 'checkbox', name: 'overdue', checked: filter.overdue === 'true' });
  const text = h('input', { type: 'search', name: 'q', value: filter.q, maxLength: 200 });
  const filterForm = h(
    'form.inline-form.card',
    {
      role: 'search',
      'aria-label': t('filter'),
      onsubmit: (e) => {
        e.preventDefault();
        filter.status = stateSel.value;
        filter.grid = gridF.input.value.trim();
        filter.overdue = overdueBox.checked ? 'true' : '';
        filter.q = text.value.trim();
        setQuery(code, filter);
        loadEntries();
      },
    },
    field(t('state'), stateSel),
    field(t('grid'), gridF.input, t('grid_hint')),
    gridF.list,
    field(t('search'), text),
    h('div.field', h('label', { style: 'font-weight:600;display:flex;gap:6px;align-items:center;min-height:38px' }, overdueBox, t('overdue_only'))),
    h('div.field', h('button', { type: 'submit' }, t('filter'))),
  );

  // the table with keyset pages
  const cols = [
    { label: t('col_id'), cell: (r) => h('a', { href: `#/ledgers/${encodeURIComponent(code)}/${r.id}`, tabIndex: -1 }, `#${r.id}`) },
    ...listFields(kind).map((f, i) => ({ label: f.label, cls: i >= 2 ? 'wide' : undefined, cell: (r) => fieldText(f, r.fields[f.name]) })),
    { label: t('state'), cell: (r) => stateBadge(kind, r.status, r.status_label) },
    { label: t('grid'), cls: 'wide', cell: (r) => gridName(grids, r.grid) },
    {
      label: t('deadline'),
      cls: 'wide',
      cell: (r) => [r.due_at ? fmtTime(r.due_at) : '', r.overdue ? [' ', h('span.badge.overdue', t('overdue'))] : null],
    },
  ];
  const tableWrap = h('div.table-wrap');
  const moreBtn = h('button', { type: 'button', hidden: true, onclick: () => loadEntries(true) }, t('more'));
  const countNote = h('p.hint', { role: 'status' });
  let rows = [];
  let next = null;
  async function loadEntries(more = false) {
    if (!more) {
      rows = [];
      next = null;
      mount(tableWrap, loading());
    }
    moreBtn.disabled = true;
    try {
      const r = await get(`${base}/records${qs({ ...filter, before: more ? next : undefined, limit: 50 })}`);
      rows = rows.concat(r.items);
      next = r.next;
      mount(
        tableWrap,
        table(cols, rows, {
          caption: `${kindName(kind)} · ${t('ledger_entries_list')}`,
          onRow: (row) => ctx.go(`ledgers/${encodeURIComponent(code)}/${row.id}`),
        }),
      );
      moreBtn.hidden = !next;
      countNote.textContent = `${t('shown')} ${rows.length} ${t('ledger_entries')}${next ? ' +' : ''}`;
      return r;
    } catch (e) {
      mount(tableWrap, h('p.alert', { role: 'alert' }, e.message));
      return null;
    } finally {
      moreBtn.disabled = false;
    }
  }

  function toggleForm(open = formBox.hidden) {
    formBox.hidden = !open;
    if (newBtn) newBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      mount(
        formBox,
        entryForm(kind, grids, ctx, async (entry) => {
          toggleForm(false);
          toast(`${t('created')} #${entry.id}`);
          await loadEntries();
          loadKpis();
          const link = tableWrap.querySelector(`a[href$="/${entry.id}"]`);
          const tr = link && link.closest('tr');
          if (tr) {
            tr.classList.add('fresh');
            tr.style.background = '#dafbe1';
            tr.focus();
          }
        }, () => toggleForm(false)),
      );
      formBox.querySelector('input, select, textarea')?.focus();
    } else {
      mount(formBox);
      newBtn?.focus();
    }
  }
  formBox.id = 'new-entry';

  mount(
    root,
    h('p', h('a', { href: '#/ledgers' }, `← ${t('ledgers_title')}`)),
    pageHeader(kindName(kind), newBtn, exportBtn),
    kind.note && getLang() === 'en' ? h('p.hint', kind.note) : null,
    formBox,
    kpiSection,
    h('h2', t('ledger_entries_list')),
    filterForm,
    countNote,
    tableWrap,
    h('p', moreBtn),
  );

  const first = await loadEntries();
  // KPI years: this year back to the newest entry's year (at least five), and all time.
  const now = new Date().getFullYear();
  const newest = first && first.items.length ? Number(first.items[0].created_at.slice(0, 4)) : now;
  const oldest = Math.min(now - 4, newest);
  const years = [];
  for (let y = now; y >= oldest; y--) years.push([String(y), String(y)]);
  mount(yearSel, [...years, ['all', t('all_time')]].map(([v, l]) => h('option', { value: v, selected: v === String(newest) }, l)));
  loadKpis();
  if (params.query.get('new') === '1' && newBtn) toggleForm(true);
}

// ---- the new-entry form, from the declaration ----

// A control for one declared field; .read() gives the JSON value or undefined.
export function control(f, grids, ctx) {
  let el;
  let read;
  const attrs = { name: f.name, 'aria-required': f.required ? 'true' : undefined };
  switch (f.type) {
    case 'enum':
      el = select(f.name, [['', f.required ? t('choose') : '—'], ...(f.values || [])], '');
      if (f.required) el.setAttribute('aria-required', 'true');
      read = () => el.value || undefined;
      break;
    case 'bool':
      el = select(f.name, [['', '—'], ['true', t('yes')], ['false', t('no')]], '');
      read = () => (el.value === '' ? undefined : el.value === 'true');
      break;
    case 'date':
      el = h('input', { ...attrs, type: 'date' });
      read = () => el.value || undefined;
      break;
    case 'number':
    case 'money':
    case 'area':
      el = h('input', { ...attrs, type: 'number', step: 'any', inputMode: 'decimal', min: f.min, max: f.max });
      // A value the browser cannot read as a number goes to the server as text, which says why.
      read = () => {
        if (el.value !== '') return Number(el.value);
        return el.validity && el.validity.badInput ? 'NaN' : undefined;
      };
      break;
    case 'person':
      el = h('input', { ...attrs, autocomplete: 'off' });
      read = () => {
        const people = el.value
          .split(/[；;]/)
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => {
            const m = /^(.*\S)\s+(\+?[\d-]{5,})$/.exec(s);
            return m ? { name: m[1], phone: m[2] } : { name: s };
          });
        if (!people.length) return undefined;
        return f.multiple ? people : people.length === 1 ? people[0] : people;
      };
      break;
    case 'grid': {
      const g = gridInput(grids, f.name, '', ctx.scope);
      el = g.input;
      if (f.required) el.setAttribute('aria-required', 'true');
      read = () => el.value.trim() || undefined;
      return { el, read, extra: g.list };
    }
    default: // text, org, place
      el = (f.max || 0) > 200
        ? h('textarea', { ...attrs, maxLength: f.max, rows: 3 })
        : h('input', { ...attrs, maxLength: f.max || undefined, autocomplete: 'off' });
      read = () => el.value.trim() || undefined;
  }
  return { el, read };
}

export function hintOf(f) {
  switch (f.type) {
    case 'person':
      return f.multiple ? t('hint_people') : t('hint_person');
    case 'money':
      return t('hint_money');
    case 'area':
      return t('hint_area');
    case 'number':
      return f.min !== undefined || f.max !== undefined ? `${f.min ?? ''} – ${f.max ?? ''}` : null;
    default:
      return null;
  }
}

function labelText(text, required) {
  return required ? [text, h('span', { 'aria-hidden': 'true', style: 'color:var(--bad)' }, ' *')] : text;
}

// A labelled field with a slot for the server's error about it.
export function errField(label, control, hint, required) {
  const f = field('', control, hint);
  mount(f.querySelector('label'), labelText(label, required));
  const err = h('small.field-error', { id: `${control.id}-err`, hidden: true, style: 'color:var(--bad);font-weight:600' });
  f.append(err);
  f.setError = (msg) => {
    err.textContent = msg;
    err.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    const d = control.getAttribute('aria-describedby');
    if (!d || !d.includes(err.id)) control.setAttribute('aria-describedby', `${d ? `${d} ` : ''}${err.id}`);
  };
  f.clearError = () => {
    err.textContent = '';
    err.hidden = true;
    control.removeAttribute('aria-invalid');
  };
  return f;
}

export function entryForm(kind, grids, ctx, onCreated, onCancel) {
  const alert = alertBox();
  alert.tabIndex = -1;
  const fields = new Map(); // name -> {read, box, el}
  const scopeGrids = gridsInScope(grids, ctx.scope).sort((a, b) => a.code.length - b.code.length);
  const gridDefault = scopeGrids.length ? scopeGrids[0].code : '';
  const g = gridInput(grids, 'grid', gridDefault, ctx.scope);
  const common = [
    ['grid', g.input, t('grid_hint'), true],
    ['owner_unit', h('input', { name: 'owner_unit', autocomplete: 'organization', maxLength: 128 }), null, false],
    ['owner_person', h('input', { name: 'owner_person', autocomplete: 'off', maxLength: 64 }), null, false],
  ];
  const commonBoxes = common.map(([name, el, hint, req]) => {
    const box = errField(t(name), el, hint, req);
    fields.set(name, { read: () => el.value.trim() || undefined, box, el, common: true });
    return box;
  });
  const declared = (kind.fields || []).map((f) => {
    const c = control(f, grids, ctx);
    const box = errField(f.label, c.el, hintOf(f), f.required);
    if (c.extra) box.append(c.extra);
    fields.set(f.name, { read: c.read, box, el: c.el });
    return box;
  });
  const submit = h('button.primary', { type: 'submit' }, t('save'));
  const form = h(
    'form.card.entry-form',
    {
      noValidate: true,
      'aria-labelledby': 'new-entry-h',
      onsubmit: async (e) => {
        e.preventDefault();
        alert.clear();
        for (const x of fields.values()) x.box.clearError();
        const body = { fields: {} };
        for (const [name, x] of fields) {
          const v = x.read();
          if (v === undefined) continue;
          if (x.common) body[name] = v;
          else body.fields[name] = v;
        }
        submit.disabled = true;
        try {
          const entry = await post(`/api/ledgers/${encodeURIComponent(kind.code)}/records`, body);
          onCreated(entry);
        } catch (err) {
          const x = err instanceof ApiError && err.field ? fields.get(err.field) : null;
          alert.show(err);
          if (x) {
            x.box.setError(err.message);
            x.el.focus();
          } else {
            alert.focus?.();
          }
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2#new-entry-h', { style: 'margin-top:0' }, `${t('new_entry')} · ${kindName(kind)}`),
    h('p.hint', t('required_note')),
    alert,
    h('div', { style: 'display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:0 16px' }, commonBoxes, g.list, declared),
    h('div.row', submit, h('button', { type: 'button', onclick: () => onCancel() }, t('cancel'))),
  );
  return form;
}

export async function render(root, params, ctx) {
  if (params.kind) return renderKind(root, params, ctx);
  return renderKinds(root, ctx);
}
