// home.js - the first screen: big tiles for what this actor does most,
// with live counts. On a phone a grid member reaches "report" and "verify"
// in one tap from here.

import { get, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, mount, pageHeader } from '../ui.js';
import { queues } from './queues.js';

function tile(href, title, sub, opts = {}) {
  const big = h('span.big', opts.count === undefined ? '' : '…');
  const el = h(`a.tile${opts.primary ? '.primary' : ''}`, { href, dataset: { tile: opts.id || '' } },
    opts.count === undefined ? null : big, h('strong', title), sub ? h('small', sub) : null);
  if (opts.count !== undefined) {
    opts.count.then((n) => (big.textContent = n)).catch(() => (big.textContent = '—'));
  }
  return el;
}

// How many cases a queue holds (up to 500: "500+").
async function count(query) {
  const r = await get(`/api/cases${qs({ ...query, limit: 500 })}`);
  return r.next ? `${r.items.length}+` : String(r.items.length);
}

export async function render(root, params, ctx) {
  const name = ctx.me.user.display_name || ctx.me.user.login;
  const tiles = [];
  if (ctx.can('cases.report')) {
    tiles.push(tile('#/report', t('home_report'), t('home_report_sub'), { primary: true, id: 'report' }));
  }
  for (const q of queues(ctx)) {
    tiles.push(tile(`#/cases?queue=${q.id}`, t(q.label), null, { count: count(q.query), id: q.id }));
  }
  if (ctx.can('grids.read')) tiles.push(tile('#/map', t('home_map'), null, { id: 'map' }));
  if (ctx.can('stats.read')) tiles.push(tile('#/dashboard', t('home_dashboard'), null, { id: 'dashboard' }));
  if (ctx.can('ledgers.read')) tiles.push(tile('#/ledgers', t('home_ledgers'), null, { id: 'ledgers' }));
  mount(root, pageHeader(`${t('home_hello')}${name}`), h('div.tiles', tiles));
}
