// report.js - report a problem: the place (a tap on the map, or the
// phone's location), the category (class, then category), a description,
// urgency and photos. The server locates the grid, routes the department
// and computes the deadlines; the answer shows them, with possible
// duplicates nearby.

import { get, post, qs, upload } from '../api.js';
import { pick, t } from '../i18n.js';
import { alertBox, field, fmtTime, h, mount, pageHeader, select, showError } from '../ui.js';
import { departmentNames } from '../names.js';
import { gridMap } from './mapkit.js';

export async function render(root, params, ctx) {
  const [cats, depts] = await Promise.all([
    get('/api/categories').then((r) => r.items),
    ctx.can('departments.read') ? departmentNames().then((m) => [...m].map(([code, name]) => ({ code, name }))) : [],
  ]);
  const majors = [...new Set(cats.map((c) => c.major))];
  const major = select('major', majors.map((m) => [m, m]), '');
  major.prepend(h('option', { value: '', selected: true }, '—'));
  const category = h('select', { name: 'category', required: true });
  function fillMinor() {
    mount(category, h('option', { value: '' }, '—'),
      cats.filter((c) => !major.value || c.major === major.value).map((c) =>
        h('option', { value: c.code }, `${c.minor} · ${pick(c, 'name')}`)));
  }
  major.addEventListener('change', fillMinor);
  fillMinor();
  const description = h('textarea', { name: 'description', required: true, maxLength: 4000 });
  const address = h('input', { name: 'address', maxLength: 255 });
  const urgency = select('urgency', [['normal', t('urgency_normal')], ['urgent', t('urgency_urgent')]], 'normal');
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/*', capture: 'environment', multiple: true });
  const where = h('p#report-where.hint', { 'aria-live': 'polite' }, t('report_no_point'));
  const alert = alertBox();
  const result = h('div');
  const mapEl = h('div.map.report-map', { role: 'application', 'aria-label': t('report_where') });
  let point = null;
  let pin = null;
  // Without a map tap (keyboard, screen reader): pick the grid from a list.
  const gridPick = h('select', { name: 'grid' }, h('option', { value: '' }, '—'));

  const deep = (ctx.scope || '').length >= 16; // a grid member sees micro-grids
  const kit = gridMap(mapEl, { hide: deep ? ['dedicated'] : ['micro', 'dedicated'] });
  gridPick.addEventListener('change', () => {
    if (!gridPick.value) return;
    point = null;
    if (pin) pin.remove();
    where.textContent = `${t('located_in')}：${gridPick.selectedOptions[0].textContent}`;
  });
  async function choose(lat, lon) {
    point = { lat, lon };
    gridPick.value = '';
    if (pin) pin.remove();
    pin = window.L.marker([lat, lon], { title: t('report_point'), keyboard: false }).addTo(kit.map);
    where.textContent = `${t('report_point')}：${lon.toFixed(6)}, ${lat.toFixed(6)}`;
    try {
      const loc = await get(`/api/locate${qs({ lon: lon.toFixed(7), lat: lat.toFixed(7) })}`);
      const names = loc.chain.filter((g) => ['micro', 'l3', 'l2'].includes(g.level)).map((g) => g.name);
      where.textContent = `${t('located_in')}：${names.reverse().join(' › ')}`;
    } catch (e) {
      where.textContent = e.message; // outside every grid: the server says so
    }
  }
  if (kit) kit.map.on('click', (e) => choose(e.latlng.lat, e.latlng.lng));
  const here = h('button', {
    type: 'button',
    onclick: () => {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition(
        (p) => {
          choose(p.coords.latitude, p.coords.longitude);
          kit?.map.setView([p.coords.latitude, p.coords.longitude], 17);
        },
        (err) => alert.show(err.message),
        { enableHighAccuracy: true, timeout: 10000 });
    },
  }, `◎ ${t('report_here')}`);

  const form = h('form.card', {
    'aria-labelledby': 'report-h',
    onsubmit: async (e) => {
      e.preventDefault();
      alert.clear();
      if (!point && !gridPick.value) {
        alert.show(t('report_no_point'));
        return;
      }
      const submit = form.querySelector('button[type=submit]');
      submit.disabled = true;
      try {
        const shas = await upload(photos.files);
        const body = {
          category: category.value, ...(point ? { lon: point.lon, lat: point.lat } : { grid: gridPick.value }),
          description: description.value.trim(),
          address: address.value.trim() || undefined, urgency: urgency.value,
          attachments: shas.length ? shas : undefined,
        };
        const c = await post('/api/cases', body);
        shown(c);
      } catch (err) {
        alert.show(err);
        const bad = err.field && form.querySelector(`[name="${err.field}"]`);
        if (bad) bad.focus();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2#report-h', t('report_title')), alert,
  field(t('category_major'), major), field(t('category_minor'), category),
  field(t('description'), description), field(t('address'), address),
  field(t('urgency'), urgency), field(t('attach_photos'), photos),
  h('button.primary', { type: 'submit' }, t('submit')));

  function shown(c) {
    const dups = c.possible_duplicates || [];
    mount(result, h('div.card', { role: 'status' },
      h('h2', `${t('reported_ok')} #${c.id}`),
      h('dl.kv',
        h('dt', t('col_grid')), h('dd', c.grid.code),
        h('dt', t('col_department')), h('dd', depts.find((d) => d.code === c.department)?.name || c.department || '—'),
        c.due?.at ? [h('dt', t('due_at')), h('dd', fmtTime(c.due.at))] : null),
      dups.length ? [h('h3', t('duplicates')), h('ul', dups.map((d) => h('li', h('a', { href: `#/cases/${d.id}` }, `#${d.id}`), ` ${d.distance_m} m · ${d.description}`)))] : null,
      h('p', h('a.button.primary', { href: `#/cases/${c.id}` }, `${t('case_title')} #${c.id}`))));
    result.scrollIntoView({ block: 'nearest' });
    form.reset();
    fillMinor();
  }

  mount(root, pageHeader(t('report_title')),
    h('div.cols',
      h('div.stack', h('div.row', h('strong', t('report_where')), here), mapEl, where,
        field(t('report_pick_grid'), gridPick)),
      h('div.stack', form, result)));
  if (kit) {
    // the grids (after the map is in the page: Leaflet needs its size)
    const fc = await kit.loadScope(ctx.scope).catch(showError);
    const feats = fc ? fc.features.filter((f) => f.properties.code.startsWith(ctx.scope || '')) : [];
    const deepest = ['micro', 'l3', 'l2', 'l1'].find((lv) => feats.some((f) => f.properties.level === lv));
    for (const f of feats.filter((x) => x.properties.level === deepest)) {
      gridPick.append(h('option', { value: f.properties.code }, f.properties.name));
    }
  }
  if (navigator.permissions) {
    // A phone that already allowed its location: use it without a tap.
    navigator.permissions.query({ name: 'geolocation' }).then((s) => {
      if (s.state === 'granted') here.click();
    }).catch(() => {});
  }
  return () => kit && kit.map.remove();
}
