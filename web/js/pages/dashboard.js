// dashboard.js - 统计分析 (#/dashboard): the case KPIs of a period by group
// (cards, a bar chart, a table), the monthly trend of the last twelve
// months, the dispute success rate and the indicators against their
// targets as of a month, the overdue cases, the whistles per department,
// and the work report to download. Every figure comes from the API; each
// part shows only when the actor's permissions allow it.
//
// The hash query keeps the choices: #/dashboard?group=grid&from=&to=&month=
// (from/to inclusive days; empty: the API's default, the last 365 days).

import { download, get, qs } from '../api.js';
import { pick, t } from '../i18n.js';
import { field, fmtDate, fmtNum, fmtPct, fmtTime, h, loading, mount, pageHeader, select, showError, statusBadge, table } from '../ui.js';
import { departmentNames, gridIndex, gridName } from '../names.js';

const OPEN = 'reported,filed,dispatched,acknowledged,handling,fed_back,verified';
const GROUPS = ['all', 'grid', 'grid_l3', 'micro', 'department', 'category', 'member'];
const RED = '#b71c1c';
const BLUE = '#0550ae';
const GREEN = '#1a7f37';
const AMBER = '#9a6700';

// The KPI cards: [key, word, value of a stats row].
const KPIS = [
  ['reported', 'kpi_reported', (r) => fmtNum(r.counts.reported)],
  ['closed', 'kpi_closed', (r) => fmtNum(r.counts.closed)],
  ['closure_rate', 'kpi_closure_rate', (r) => fmtPct(r.rates.closure_rate)],
  ['on_time_rate', 'kpi_on_time_rate', (r) => fmtPct(r.rates.on_time_rate)],
  ['rework_rate', 'kpi_rework_rate', (r) => fmtPct(r.rates.rework_rate)],
  ['response_rate', 'kpi_response_rate', (r) => fmtPct(r.rates.response_rate)],
  ['resolution_rate', 'kpi_resolution_rate', (r) => fmtPct(r.rates.resolution_rate)],
  ['satisfaction_rate', 'kpi_satisfaction_rate', (r) => fmtPct(r.rates.satisfaction_rate)],
  ['hours_to_acknowledge', 'kpi_hours_ack', (r) => fmtNum(r.means.hours_to_acknowledge, 1)],
  ['hours_to_close', 'kpi_hours_close', (r) => fmtNum(r.means.hours_to_close, 1)],
];

const addDays = (s, n) => {
  const [y, m, d] = s.split('-').map(Number);
  return fmtDate(new Date(y, m - 1, d + n));
};
const monthOf = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
// "2023-04" -> first day of the next month, last day of the month.
const nextMonthStart = (ym) => {
  const [y, m] = ym.split('-').map(Number);
  return fmtDate(new Date(y, m, 1));
};
const monthEnd = (ym) => {
  const [y, m] = ym.split('-').map(Number);
  return fmtDate(new Date(y, m, 0));
};

function section(id, title, ...body) {
  return h('section.card.dash-part', { 'aria-labelledby': `${id}-h`, dataset: { part: id }, style: 'margin-top:16px' },
    h(`h2#${id}-h`, { style: 'margin-top:0' }, title), ...body);
}

function kpiCard(key, label, value, sub) {
  return h('div.kpi', { dataset: { kpi: key } }, h('div.label', label), h('div.value', value), sub ? h('div.hint', sub) : null);
}

export async function render(root, params, ctx) {
  const charts = [];
  let alive = true;
  const onResize = () => charts.forEach((c) => c.resize());
  const cleanup = () => {
    alive = false;
    window.removeEventListener('resize', onResize);
    charts.forEach((c) => c.dispose());
    charts.length = 0;
  };

  // An ECharts chart in el (already in the document), disposed on leave.
  function chart(el, option) {
    if (!alive || !window.echarts) return null;
    const old = window.echarts.getInstanceByDom(el);
    if (old) {
      old.dispose();
      charts.splice(charts.indexOf(old), 1);
    }
    const c = window.echarts.init(el, null, { renderer: 'canvas' });
    c.setOption({ aria: { enabled: true }, textStyle: { fontFamily: 'inherit' }, animation: false, ...option });
    charts.push(c);
    return c;
  }

  const q = params.query;
  const state = {
    group: GROUPS.includes(q.get('group')) ? q.get('group') : 'all',
    from: /^\d{4}-\d{2}-\d{2}$/.test(q.get('from') || '') ? q.get('from') : '',
    to: /^\d{4}-\d{2}-\d{2}$/.test(q.get('to') || '') ? q.get('to') : '',
    month: /^\d{4}-\d{2}$/.test(q.get('month') || '') ? q.get('month') : '',
  };
  const keepQuery = () => {
    history.replaceState(null, '', `#/dashboard${qs(state)}`);
  };

  const [grids, depts, cats] = await Promise.all([
    ctx.can('grids.read') ? gridIndex() : new Map(),
    ctx.can('departments.read') ? departmentNames() : new Map(),
    get('/api/categories').then((r) => new Map(r.items.map((c) => [c.code, c]))).catch(() => new Map()),
  ]);
  const groupName = (group, key) => {
    if (group === 'all') return t('group_all');
    if (group === 'department') return depts.get(key) || key;
    if (group === 'category') return cats.has(key) ? pick(cats.get(key), 'name') : key;
    if (group === 'member') return key;
    return gridName(grids, key);
  };

  // ---- the controls ----
  const groupSel = select('group', GROUPS.map((g) => [g, t(`group_${g}`)]), state.group);
  const fromIn = h('input', { type: 'date', name: 'from', value: state.from });
  const toIn = h('input', { type: 'date', name: 'to', value: state.to });
  const controls = h(
    'form.inline-form.card',
    {
      'aria-label': t('dash_period'),
      onsubmit: (e) => {
        e.preventDefault();
        state.group = groupSel.value;
        state.from = fromIn.value;
        state.to = toIn.value;
        keepQuery();
        loadCases();
      },
    },
    field(t('dash_group'), groupSel),
    field(t('dash_from'), fromIn),
    field(t('dash_to'), toIn),
    h('div.field', h('button.primary', { type: 'submit' }, t('dash_apply'))),
    h('p.hint', { style: 'flex-basis:100%;margin:0' }, t('dash_period_hint')),
  );
  groupSel.addEventListener('change', () => controls.requestSubmit());

  // ---- case KPIs by group ----
  const kpiBox = h('div.cards', { dataset: { part: 'kpis' }, style: 'grid-template-columns:repeat(auto-fill,minmax(150px,1fr))' });
  const groupChart = h('div.chart', { role: 'img', 'aria-label': t('dash_group_chart') });
  const groupTable = h('div.table-wrap');
  const groupNote = h('p.hint');
  const casesPart = section('cases', t('dash_cases'), kpiBox, groupNote, groupChart, groupTable);

  async function loadCases() {
    mount(kpiBox, loading());
    mount(groupTable);
    const range = { from: state.from, to: state.to ? addDays(state.to, 1) : '' };
    try {
      const [all, grouped] = await Promise.all([
        get(`/api/stats/cases${qs({ group: 'all', ...range })}`),
        state.group === 'all' ? null : get(`/api/stats/cases${qs({ group: state.group, ...range })}`),
      ]);
      if (!alive) return;
      const row = all.rows[0];
      mount(kpiBox, row ? KPIS.map(([k, w, f]) => kpiCard(k, t(w), f(row))) : h('p.hint', t('none')));
      if (!grouped) {
        groupNote.textContent = t('dash_rates_all');
        mount(groupTable);
        chart(groupChart, {
          tooltip: { trigger: 'axis', valueFormatter: (v) => `${v}%` },
          grid: { left: 50, right: 20, top: 30, bottom: 60 },
          xAxis: { type: 'category', data: KPIS.slice(2, 8).map(([, w]) => t(w)), axisLabel: { interval: 0, rotate: 30 } },
          yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
          series: [{
            type: 'bar', name: t('group_all'), itemStyle: { color: RED }, barMaxWidth: 40,
            label: { show: true, position: 'top', formatter: '{c}%' },
            data: row ? KPIS.slice(2, 8).map(([k]) => +(100 * (row.rates[k] ?? 0)).toFixed(1)) : [],
          }],
        });
        return;
      }
      const rows = grouped.rows.slice().sort((a, b) => b.counts.reported - a.counts.reported);
      const top = rows.slice(0, 20);
      groupNote.textContent = rows.length > 20 ? `${t('dash_top20')}（${rows.length}）` : '';
      chart(groupChart, {
        tooltip: { trigger: 'axis', valueFormatter: (v) => `${v}%` },
        legend: { top: 0 },
        grid: { left: 50, right: 20, top: 36, bottom: 90 },
        xAxis: {
          type: 'category',
          data: top.map((r) => groupName(state.group, r.key)),
          axisLabel: { interval: 0, rotate: 40, width: 110, overflow: 'truncate' },
        },
        yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
        series: [
          { type: 'bar', name: t('kpi_closure_rate'), itemStyle: { color: RED }, data: top.map((r) => +(100 * (r.rates.closure_rate ?? 0)).toFixed(1)) },
          { type: 'bar', name: t('kpi_on_time_rate'), itemStyle: { color: BLUE }, data: top.map((r) => +(100 * (r.rates.on_time_rate ?? 0)).toFixed(1)) },
        ],
      });
      const cols = [
        { label: t(`group_${state.group}`), cell: (r) => groupName(state.group, r.key) },
        ...KPIS.map(([k, w, f]) => ({ label: t(w), cls: 'num', cell: (r) => f(r) })),
      ];
      mount(groupTable, table(cols, rows, { caption: `${t('dash_cases')} · ${t(`group_${state.group}`)}` }));
    } catch (e) {
      mount(kpiBox, h('p.alert', { role: 'alert' }, e.message));
    }
  }

  // ---- trend: reported and closed per month, last 12 months ----
  const trendChart = h('div.chart', { role: 'img', 'aria-label': t('dash_trend') });
  const trendPart = section('trend', t('dash_trend'), trendChart);
  async function loadTrend() {
    const now = new Date();
    const months = [];
    for (let i = 11; i >= 0; i--) {
      const start = new Date(now.getFullYear(), now.getMonth() - i, 1);
      const end = new Date(now.getFullYear(), now.getMonth() - i + 1, 1);
      months.push({ label: monthOf(start), from: fmtDate(start), to: fmtDate(end) });
    }
    try {
      const res = await Promise.all(months.map((m) => get(`/api/stats/cases${qs({ group: 'all', from: m.from, to: m.to })}`)));
      if (!alive) return;
      const val = (r, f) => (r.rows[0] ? f(r.rows[0]) : 0);
      chart(trendChart, {
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 50, right: 50, top: 36, bottom: 40 },
        xAxis: { type: 'category', data: months.map((m) => m.label) },
        yAxis: [
          { type: 'value', minInterval: 1 },
          { type: 'value', max: 100, axisLabel: { formatter: '{value}%' }, splitLine: { show: false } },
        ],
        series: [
          { type: 'bar', name: t('kpi_reported'), itemStyle: { color: BLUE }, data: res.map((r) => val(r, (x) => x.counts.reported)) },
          { type: 'bar', name: t('kpi_closed'), itemStyle: { color: GREEN }, data: res.map((r) => val(r, (x) => x.counts.closed)) },
          {
            type: 'line', name: t('kpi_closure_rate'), yAxisIndex: 1, itemStyle: { color: RED },
            tooltip: { valueFormatter: (v) => (v === null ? '—' : `${v}%`) },
            data: res.map((r) => (r.rows[0] && r.rows[0].rates.closure_rate !== null ? +(100 * r.rows[0].rates.closure_rate).toFixed(1) : null)),
          },
        ],
      });
    } catch (e) {
      mount(trendChart, h('p.alert', { role: 'alert' }, e.message));
    }
  }

  // ---- as of a month: dispute rate, indicators, work report ----
  const monthIn = h('input', { type: 'month', name: 'month', value: state.month });
  const monthNote = h('p.hint', { role: 'status' });
  const disputeBox = h('div.cards', { style: 'grid-template-columns:repeat(auto-fill,minmax(150px,1fr))' });
  const indicatorBox = h('div');
  const indicatorChart = h('div.chart', { role: 'img', 'aria-label': t('completion'), style: 'height:280px' });
  const reportGrid = reportGridSelect();
  const reportBtns = ['html', 'md', 'xlsx'].map((fmt) =>
    h('button', { type: 'button', dataset: { report: fmt }, onclick: (e) => getReport(fmt, e.currentTarget) }, `${t('report_summary')}（${t(`fmt_${fmt}`)}）`),
  );
  const monthForm = h(
    'form.inline-form',
    {
      'aria-label': t('dash_month'),
      onsubmit: (e) => {
        e.preventDefault();
        state.month = monthIn.value;
        keepQuery();
        loadMonth();
      },
    },
    field(t('dash_month'), monthIn),
    reportGrid ? field(t('report_grid'), reportGrid) : null,
    h('div.field', h('button', { type: 'submit' }, t('dash_apply'))),
  );
  monthIn.addEventListener('change', () => monthIn.value && monthForm.requestSubmit());
  const monthPart = section('month', t('dash_as_of'), monthForm, monthNote, disputeBox,
    h('h3', { style: 'margin:16px 0 8px' }, t('indicators')), indicatorChart, indicatorBox, h('div.row', { style: 'margin-top:12px' }, reportBtns));

  // The grid the report covers: actors scoped to part of the subdistrict
  // must name a grid of theirs (the server has no default for them).
  function reportGridSelect() {
    if (!ctx.scope) return null;
    const mine = [...grids.values()]
      .filter((g) => g.code.startsWith(ctx.scope) && ['l1', 'l2', 'l3'].includes(g.level))
      .sort((a, b) => a.code.length - b.code.length || a.code.localeCompare(b.code));
    if (!mine.length) return null;
    return select('report_grid', mine.map((g) => [g.code, g.name]), mine[0].code);
  }

  async function getReport(fmt, btn) {
    const month = state.month || monthIn.value || monthOf(new Date());
    const to = monthEnd(month);
    btn.disabled = true;
    try {
      await download(`/api/reports/summary${qs({ format: fmt, to, grid: reportGrid ? reportGrid.value : '' })}`,
        `${t('report_file')}-${to}.${fmt}`);
    } catch (e) {
      showError(e);
    } finally {
      btn.disabled = false;
    }
  }

  // When the month has no indicator data, the latest month of the last
  // five years that has some (the demo's figures are of 2023).
  async function latestMonthWithData() {
    const hasData = (r) => r.items.some((i) => (i.periods || []).length);
    const y = new Date().getFullYear();
    for (let year = y - 1; year >= y - 5; year--) {
      const r = await get(`/api/indicators${qs({ to: `${year}-12` })}`);
      if (hasData(r)) {
        const months = r.items.flatMap((i) => (i.periods || []).map((p) => p.period)).filter((p) => /^\d{4}-\d{2}$/.test(p));
        return { month: months.sort().pop() || `${year}-12`, data: null };
      }
    }
    return null;
  }

  async function loadMonth() {
    mount(disputeBox, loading());
    mount(indicatorBox);
    monthNote.textContent = '';
    try {
      let month = state.month || monthOf(new Date());
      let ind = await get(`/api/indicators${qs({ to: month })}`);
      if (!state.month && !ind.items.some((i) => (i.periods || []).length)) {
        const latest = await latestMonthWithData();
        if (latest) {
          month = latest.month;
          ind = await get(`/api/indicators${qs({ to: month })}`);
          monthNote.textContent = `${t('dash_no_data_now')} ${month}`;
        }
      }
      if (!alive) return;
      monthIn.value = month;
      const from = `${month.slice(0, 4)}-01-01`;
      const to = nextMonthStart(month);

      // dispute success rate (and the other ratios of the dispute ledger)
      if (ctx.can('ledgers.read')) {
        try {
          const d = await get(`/api/ledgers/dispute/kpis${qs({ from, to })}`);
          const k = d.kpis;
          const rate = k.success_rate;
          mount(
            disputeBox,
            kpiCard('dispute_rate', t('dispute_rate'), rate && rate.display ? rate.display : fmtPct(rate && rate.value),
              rate && rate.denominator !== undefined ? `${fmtNum(rate.numerator)} / ${fmtNum(rate.denominator)}（${k.entered ? `${k.entered.label} ${fmtNum(k.entered.value)}` : ''}${k.withdrawn ? `，${k.withdrawn.label} ${fmtNum(k.withdrawn.value)}` : ''}）` : null),
            ...Object.entries(k).filter(([n]) => n !== 'success_rate').slice(0, 4).map(([n, x]) => kpiCard(`dispute_${n}`, x.label, fmtNum(x.value))),
          );
        } catch (e) {
          mount(disputeBox, e.status === 404 ? null : h('p.alert', { role: 'alert' }, e.message));
        }
      } else {
        mount(disputeBox);
      }

      // indicators: year to date against the target, and year on year
      const items = ind.items.slice().sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
      const isRate = (i) => !i.unit;
      const val = (i, v) => (v === null || v === undefined ? '—' : isRate(i) ? fmtPct(v) : `${fmtNum(v, 2)} ${i.unit}`);
      const cols = [
        { label: t('indicator'), cell: (i) => pick(i, 'name') },
        { label: t('ytd'), cls: 'num', cell: (i) => val(i, i.year_to_date) },
        { label: t('target'), cls: 'num', cell: (i) => val(i, i.target) },
        {
          label: t('completion'),
          cell: (i) => {
            if (i.completion === null || i.completion === undefined) return '—';
            const lower = i.direction === 'lower';
            const pct = Math.max(0, Math.min(100, i.completion * 100));
            const ok = lower ? i.target_met : i.completion >= 1;
            return h('div', { style: 'display:flex;gap:8px;align-items:center;min-width:160px' },
              h('div.progress', { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': pct.toFixed(1), 'aria-label': pick(i, 'name'), style: 'flex:1' },
                h('span', { style: `width:${pct}%;background:${ok ? GREEN : RED}` })),
              h('span', { dataset: { completion: i.code } }, lower ? (i.target_met ? t('target_met') : t('target_missed')) : fmtPct(i.completion)));
          },
        },
        {
          label: t('yoy'),
          cls: 'num',
          cell: (i) => {
            const c = i.change_year_on_year;
            if (c === null || c === undefined) return '—';
            return h('span', { style: `color:${c >= 0 ? GREEN : RED}` }, `${c >= 0 ? '+' : ''}${fmtPct(c)}`);
          },
        },
      ];
      mount(indicatorBox, h('div.table-wrap', table(cols, items, { caption: `${t('indicators')} · ${month}` })));
      const withTarget = items.filter((i) => i.completion !== null && i.completion !== undefined);
      indicatorChart.hidden = !withTarget.length;
      if (withTarget.length) {
        chart(indicatorChart, {
          tooltip: { trigger: 'axis', valueFormatter: (v) => `${v}%` },
          grid: { left: 130, right: 40, top: 10, bottom: 30 },
          xAxis: { type: 'value', splitNumber: 4, axisLabel: { formatter: '{value}%', hideOverlap: true } },
          yAxis: { type: 'category', inverse: true, data: withTarget.map((i) => pick(i, 'name')), axisLabel: { width: 120, overflow: 'truncate' } },
          series: [{
            type: 'bar', name: t('completion'), barMaxWidth: 18,
            label: { show: true, position: 'right', formatter: '{c}%' },
            data: withTarget.map((i) => ({
              value: +(100 * i.completion).toFixed(1),
              itemStyle: { color: (i.direction === 'lower' ? i.target_met : i.completion >= 1) ? GREEN : AMBER },
            })),
            markLine: { silent: true, symbol: 'none', label: { show: false }, data: [{ xAxis: 100 }], lineStyle: { color: RED } },
          }],
        });
      }
    } catch (e) {
      mount(disputeBox, h('p.alert', { role: 'alert' }, e.message));
    }
  }

  // ---- overdue cases ----
  const overdueBox = h('div.table-wrap');
  const overdueMore = h('button', { type: 'button', hidden: true }, t('more'));
  const overduePart = section('overdue', t('overdue_list'), overdueBox, h('p', overdueMore));
  let overdueRows = [];
  let overdueNext = null;
  async function loadOverdue(more = false) {
    try {
      const r = await get(`/api/cases${qs({ overdue: 'true', status: OPEN, limit: 20, before: more ? overdueNext : '' })}`);
      if (!alive) return;
      overdueRows = more ? overdueRows.concat(r.items) : r.items;
      overdueNext = r.next;
      overdueMore.hidden = !overdueNext;
      const cols = [
        { label: t('col_id'), cell: (c) => h('a', { href: `#/cases/${c.id}`, tabIndex: -1 }, String(c.id)) },
        { label: t('col_category'), cell: (c) => pick(c.category, 'name') },
        { label: t('col_status'), cell: (c) => statusBadge(c.status) },
        { label: t('col_grid'), cls: 'wide', cell: (c) => gridName(grids, c.grid && (c.grid.l3 || c.grid.code)) },
        { label: t('col_department'), cls: 'wide', cell: (c) => (c.department ? depts.get(c.department) || c.department : '') },
        { label: t('due_step'), cls: 'wide', cell: (c) => (c.due && c.due.step ? t(`step_${c.due.step}`) : '') },
        { label: t('col_due'), cell: (c) => (c.due && c.due.at ? fmtTime(c.due.at) : '') },
      ];
      mount(overdueBox, table(cols, overdueRows, { caption: t('overdue_list'), onRow: (c) => ctx.go(`cases/${c.id}`) }));
    } catch (e) {
      mount(overdueBox, h('p.alert', { role: 'alert' }, e.message));
    }
  }
  overdueMore.addEventListener('click', () => loadOverdue(true));

  // ---- whistles per department ----
  const whistleChart = h('div.chart', { role: 'img', 'aria-label': t('whistle_stats'), style: 'height:280px' });
  const whistleBox = h('div.table-wrap');
  const whistlePart = section('whistles', t('whistle_stats'), whistleChart, whistleBox);
  async function loadWhistles() {
    try {
      const range = { from: state.from, to: state.to ? addDays(state.to, 1) : '' };
      const r = await get(`/api/stats/whistles${qs(range)}`);
      if (!alive) return;
      const rows = r.rows.slice().sort((a, b) => b.whistled - a.whistled);
      const name = (d) => depts.get(d) || d;
      chart(whistleChart, {
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 40, right: 20, top: 36, bottom: 80 },
        xAxis: { type: 'category', data: rows.map((x) => name(x.department)), axisLabel: { interval: 0, rotate: 35, width: 120, overflow: 'truncate' } },
        yAxis: { type: 'value', minInterval: 1 },
        series: [
          { type: 'bar', name: t('wh_whistled'), itemStyle: { color: RED }, data: rows.map((x) => x.whistled) },
          { type: 'bar', name: t('wh_acknowledged'), itemStyle: { color: BLUE }, data: rows.map((x) => x.acknowledged) },
          { type: 'bar', name: t('wh_on_time'), itemStyle: { color: GREEN }, data: rows.map((x) => x.on_time) },
        ],
      });
      const cols = [
        { label: t('col_department'), cell: (x) => name(x.department) },
        { label: t('wh_whistled'), cls: 'num', cell: (x) => fmtNum(x.whistled) },
        { label: t('wh_acknowledged'), cls: 'num', cell: (x) => fmtNum(x.acknowledged) },
        { label: t('wh_on_time'), cls: 'num', cell: (x) => fmtNum(x.on_time) },
        { label: t('wh_on_time_rate'), cls: 'num', cell: (x) => fmtPct(x.on_time_rate) },
        { label: t('wh_hours'), cls: 'num', cell: (x) => fmtNum(x.hours_to_report_for_duty, 1) },
        { label: t('wh_rating'), cls: 'num', cell: (x) => fmtNum(x.rating, 1) },
      ];
      mount(whistleBox, table(cols, rows, { caption: t('whistle_stats') }));
    } catch (e) {
      mount(whistleBox, h('p.alert', { role: 'alert' }, e.message));
    }
  }

  mount(
    root,
    pageHeader(t('dash_title')),
    controls,
    casesPart,
    trendPart,
    monthPart,
    ctx.can('cases.read') ? overduePart : null,
    whistlePart,
  );
  controls.addEventListener('submit', () => loadWhistles());

  // Each part fills in when its answer comes; the page is usable meanwhile.
  for (const p of [loadCases(), loadTrend(), loadMonth(), ctx.can('cases.read') ? loadOverdue() : null, loadWhistles()]) {
    Promise.resolve(p).catch(showError);
  }
  // Only now: a render that failed before here (say, the names could not
  // be read) leaves no listener behind, since no one will call cleanup.
  window.addEventListener('resize', onResize);
  return cleanup;
}
