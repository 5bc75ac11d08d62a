// map.js - the grid map: the actor's grids by level (toggles), dedicated
// grids, cases as markers or as heat on the third-level grids; a click
// locates the point (GET /api/locate) and opens the profile of the
// deepest grid shown there: staff, 1+3+N parties, counts, open and
// overdue cases.

import { get, qs } from '../api.js';
import { pick, t, t2 } from '../i18n.js';
import { fmtNum, h, mount, pageHeader, select, showError } from '../ui.js';
import { gridMap, LEVELS } from './mapkit.js';

const OPEN = 'reported,filed,dispatched,acknowledged,handling,fed_back,verified';
const STATUS_COLOUR = {
  reported: '#0969da', filed: '#0969da', dispatched: '#bf8700', acknowledged: '#bf8700', handling: '#bc4c00',
  fed_back: '#1a7f37', verified: '#1a7f37', closed: '#6e7781', deferred: '#8250df', not_filed: '#8250df', merged: '#8250df',
};
const FORCES = {
  police: '公安', urban_management: '城管', health_service: '卫生', caring_merchant: '爱心商户',
  social_organisation: '社会组织', volunteers: '志愿者',
};

function profile(side, g, open, overdue, ctx) {
  const p = g.parties || {};
  const duty = (k) => (p[k]?.name ? h('li', `${t(k)}：${p[k].name}${p[k].contact ? ` ${p[k].contact}` : ''}`) : null);
  mount(side,
    h('span.badge', t2('level_', g.level)),
    h('h2', g.name),
    h('dl.kv',
      h('dt', t('grid_code')), h('dd', g.code),
      h('dt', t('grid_level')), h('dd', t2('level_', g.level)),
      h('dt', t('households')), h('dd', fmtNum(g.households)),
      h('dt', t('area')), h('dd', `${fmtNum(g.area_m2 / 1e6, 3)} km²`),
      g.counts ? [h('dt', t('children')), h('dd', Object.entries(g.counts).map(([k, v]) => `${t2('level_', k)} ${v}`).join('，'))] : null,
      h('dt', t('open_cases')), h('dd', h('a', { href: `#/cases?queue=all&grid=${g.code}` }, open)),
      h('dt', t('overdue_cases')), h('dd', overdue)),
    h('h3', t('staff')),
    g.staff?.length ? h('ul', g.staff.map((s) => h('li', `${t2('role_', s.role)} ${s.name}${s.phone ? ` ${s.phone}` : ''}`))) : h('p.hint', t('none')),
    h('h3', t('parties')),
    h('ul', duty('lead_party_org'), duty('grid_duty'), duty('community_duty'), duty('property_duty'),
      (p.forces || []).map((f) => h('li', `${FORCES[f.type] || f.type}：${f.name}`))),
    ctx.can('cases.report') ? h('p', h('a.button.primary', { href: '#/report' }, t('nav_report'))) : null);
}

export async function render(root, params, ctx) {
  const side = h('aside.card.map-side', { 'aria-live': 'polite' }, h('p.hint', t('grid_profile')));
  const mapEl = h('div.map#grid-map', { role: 'application', 'aria-label': t('nav_map') });
  const shown = { l1: true, l2: true, l3: true, micro: false, dedicated: false };
  const toggles = LEVELS.map((lv) =>
    h('label', h('input', { type: 'checkbox', checked: shown[lv], dataset: { level: lv }, onchange: (e) => {
      shown[lv] = e.target.checked;
      kit.show(lv, shown[lv]);
    } }), ` ${t2('level_', lv)}`));
  const mode = select('cases', [['open', t('map_cases_open')], ['all', t('map_cases_all')], ['heat', t('map_cases_heat')], ['off', t('map_cases_off')]], 'open');
  mode.id = 'map-cases';
  mount(root,
    pageHeader(t('nav_map')),
    h('div.map-controls', h('span', `${t('map_levels')}：`), toggles,
      h('label', { for: 'map-cases' }, `${t('map_cases')}：`), mode),
    h('div.map-layout', mapEl, side));

  const kit = gridMap(mapEl, { hide: LEVELS.filter((lv) => !shown[lv]) });
  if (!kit) return undefined;
  const L = window.L;
  await kit.loadScope(ctx.scope).catch(showError);

  // cases: markers, or heat on the l3 grids
  const caseLayer = L.layerGroup().addTo(kit.map);
  const heat = L.geoJSON(null, { interactive: false });
  let cases = [];
  async function loadCases() {
    caseLayer.clearLayers();
    heat.clearLayers();
    heat.remove();
    if (mode.value === 'off') return;
    const r = await get(`/api/cases${qs({ status: mode.value === 'all' ? undefined : OPEN, limit: 500 })}`);
    cases = r.items;
    if (mode.value === 'heat') {
      const per = {};
      for (const c of cases) per[c.grid.l3] = (per[c.grid.l3] || 0) + 1;
      const max = Math.max(1, ...Object.values(per));
      for (const f of kit.features.filter((x) => x.properties.level === 'l3')) {
        const n = per[f.properties.code] || 0;
        heat.addData({ ...f, properties: { ...f.properties, n } });
      }
      heat.setStyle((f) => ({ color: '#57606a', weight: 1, fillColor: '#b71c1c', fillOpacity: 0.08 + 0.7 * (f.properties.n / max) }));
      heat.eachLayer((l) => l.bindTooltip(document.createTextNode(`${l.feature.properties.name}：${l.feature.properties.n}`)));
      heat.addTo(kit.map);
      return;
    }
    for (const c of cases) {
      if (!c.location) continue;
      L.circleMarker([c.location.lat, c.location.lon], {
        radius: 6, weight: 1, color: '#fff', fillColor: c.overdue ? '#cf222e' : STATUS_COLOUR[c.status] || '#0969da', fillOpacity: 0.9,
      }).bindTooltip(document.createTextNode(`#${c.id} ${pick(c.category, 'name')} · ${t2('st_', c.status)}`))
        .on('click', (e) => { L.DomEvent.stopPropagation(e); ctx.go(`cases/${c.id}`); })
        .addTo(caseLayer);
    }
  }
  mode.addEventListener('change', () => loadCases().catch(showError));
  loadCases().catch(showError);

  // a click: the deepest grid shown at that point
  let pin = null;
  kit.map.on('click', async (e) => {
    try {
      const loc = await get(`/api/locate${qs({ lon: e.latlng.lng.toFixed(7), lat: e.latlng.lat.toFixed(7) })}`);
      const pickFrom = [
        ...(shown.dedicated ? loc.dedicated || [] : []),
        ...loc.chain.filter((g) => shown[g.level]),
      ];
      const g0 = pickFrom[0] || loc.chain.find((g) => g.level === 'l1');
      if (!g0) return;
      if (pin) pin.remove();
      pin = L.circleMarker(e.latlng, { radius: 5, color: '#000' }).addTo(kit.map);
      mount(side, h('p.loading', t('loading')));
      const g = await get(`/api/grids/${g0.code}`);
      const inGrid = (c) => c.grid.code.startsWith(g.code) || (c.grid.dedicated || []).includes(g.code);
      const open = (await get(`/api/cases${qs({ grid: g.level === 'dedicated' ? undefined : g.code, status: OPEN, limit: 500 })}`)).items.filter(inGrid);
      profile(side, g, String(open.length), String(open.filter((c) => c.overdue).length), ctx);
    } catch (err) {
      if (err.status === 404) mount(side, h('p.hint', err.message));
      else showError(err);
    }
  });
  return () => kit.map.remove();
}
