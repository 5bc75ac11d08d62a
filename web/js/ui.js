// ui.js - small DOM helpers every page uses: elements, tables, forms,
// messages, formats. No framework: h() builds elements, text is always set
// as text (never innerHTML), so data from the server cannot inject markup.

import { t, t2 } from './i18n.js';

// h('a.badge#x', {href: '#/cases', onclick: fn}, 'text', child, [children])
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement(m ? m[1] : tag);
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replace the contents of el.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let toastTimer;
export function toast(msg, kind = 'ok') {
  const el = document.getElementById('toast');
  el.textContent = msg;
  el.className = `show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.className = ''), 4000);
}

// An error from the API as a message naming the field at fault.
export function errorText(err) {
  if (!err) return t('error');
  const field = err.field ? ` (${t('field')}: ${err.field})` : '';
  return `${err.message || t('error')}${field}`;
}

export function showError(err) {
  console.warn(err);
  toast(errorText(err), 'bad');
}

// An inline alert box (role=alert) for a form.
export function alertBox() {
  const el = h('div.alert', { role: 'alert', hidden: true });
  el.show = (err) => {
    el.textContent = typeof err === 'string' ? err : errorText(err);
    el.hidden = false;
  };
  el.clear = () => {
    el.textContent = '';
    el.hidden = true;
  };
  return el;
}

const pad = (n) => String(n).padStart(2, '0');

// "2026-11-27T16:32:29+08:00" -> "11-27 16:32" (this year) or
// "2025-11-27 16:32": the platform's local time as the server wrote it,
// whatever the browser's time zone.
export function fmtTime(iso) {
  if (!iso) return '';
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(iso);
  if (!m) return iso;
  const md = `${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
  return Number(m[1]) === new Date().getFullYear() ? md : `${m[1]}-${md}`;
}

export function fmtDate(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function fmtPct(x, digits = 1) {
  return x === null || x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

export function fmtNum(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return Number(x).toLocaleString('zh-CN', { maximumFractionDigits: digits });
}

export function statusBadge(status) {
  return h(`span.badge.st-${status}`, t2('st_', status));
}

// A table from rows: cols = [{label, cell: row => node|text, cls}].
export function table(cols, rows, opts = {}) {
  return h(
    'table.grid-table',
    opts.caption ? h('caption', opts.caption) : null,
    h('thead', h('tr', cols.map((c) => h('th', { scope: 'col', class: c.cls }, c.label)))),
    h(
      'tbody',
      rows.length
        ? rows.map((r) => {
            const tr = h(
              'tr',
              cols.map((c) => h('td', { class: c.cls }, c.cell(r))),
            );
            if (opts.onRow) {
              tr.tabIndex = 0;
              tr.classList.add('clickable');
              tr.addEventListener('click', () => opts.onRow(r));
              tr.addEventListener('keydown', (e) => {
                if (e.key === 'Enter') opts.onRow(r);
              });
            }
            return tr;
          })
        : h('tr', h('td.empty', { colSpan: cols.length }, t('none'))),
    ),
  );
}

let fieldSeq = 0;
// A labelled form control: field(label, control) with the label tied to it.
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++fieldSeq}`;
  return h(
    'div.field',
    h('label', { for: control.id }, label),
    control,
    hint ? h('small.hint', hint) : null,
  );
}

export function select(name, options, value) {
  return h(
    'select',
    { name },
    options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value) }, label)),
  );
}

export function loading() {
  return h('p.loading', { role: 'status' }, t('loading'));
}

// Set the page title (document and <h1>).
export function pageHeader(title, ...extra) {
  document.title = `${title} · ${t('app_name')}`;
  return h('div.page-head', h('h1', title), extra.length ? h('div.page-tools', extra) : null);
}
