// mapkit.js - Leaflet set up the way every page wants it: the grids are
// the map (no base tiles unless the server is configured with a tile
// URL), one layer per grid level, styled and labelled by level.

import { get } from '../api.js';

export const LEVELS = ['l1', 'l2', 'l3', 'micro', 'dedicated'];

const STYLE = {
  l1: { color: '#b71c1c', weight: 3, fillColor: '#fff', fillOpacity: 0.6 },
  l2: { color: '#0550ae', weight: 2, fillOpacity: 0 },
  l3: { color: '#57606a', weight: 1, fillOpacity: 0 },
  micro: { color: '#8c959f', weight: 0.6, dashArray: '2 3', fillOpacity: 0 },
  dedicated: { color: '#8250df', weight: 2, fillColor: '#8250df', fillOpacity: 0.15 },
};

let tiles = null; // set by setTiles() from /api/me's console settings

export function setTiles(url) {
  tiles = url || null;
}

// A Leaflet map in el (opts: Leaflet's, plus hide: [levels not shown at
// first], keepView: do not fit to the loaded grids); null when Leaflet did
// not load. Returns
// {map, layers: {level: L.GeoJSON}, loadGrids(code, depth), features}.
export function gridMap(el, opts = {}) {
  const L = window.L;
  if (!L) return null;
  const map = L.map(el, { zoomSnap: 0.25, attributionControl: !!tiles, ...opts });
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  el.wgMap = map; // for tests that click a given place
  const zoomClass = () => el.classList.toggle('zoomed-in', map.getZoom() >= 16);
  map.on('zoomend', zoomClass);
  map.whenReady(zoomClass);
  const layers = {};
  for (const lv of LEVELS) {
    layers[lv] = L.geoJSON(null, {
      interactive: false,
      style: () => STYLE[lv],
      onEachFeature: (f, layer) => {
        // names: second-level always, third-level when zoomed in (CSS), dedicated on hover
        if (lv === 'l2' || lv === 'l3' || lv === 'dedicated') {
          // a text node: Leaflet would take a string as HTML
          layer.bindTooltip(document.createTextNode(f.properties.name), { permanent: lv !== 'dedicated', direction: 'center', className: `grid-label label-${lv}` });
        }
      },
    });
  }
  for (const lv of LEVELS) if (!(opts.hide || []).includes(lv)) layers[lv].addTo(map);
  const kit = {
    map,
    layers,
    features: [],
    // Load `code` and `depth` levels below it; fit the map to the grids
    // whose code starts with `focus` (default: code itself).
    async loadGrids(code, depth, focus = code) {
      const fc = await get(`/api/grids/${encodeURIComponent(code)}/geojson?depth=${depth}`);
      kit.features = fc.features;
      for (const f of fc.features) {
        const lv = f.properties.level;
        if (layers[lv]) layers[lv].addData(f);
      }
      const mine = fc.features.filter((f) => f.properties.code.startsWith(focus));
      const own = L.geoJSON({ type: 'FeatureCollection', features: mine.filter((f) => f.properties.code === focus) },
        { interactive: false, style: { stroke: false, fillColor: '#ffd33d', fillOpacity: 0.3 } });
      if (focus !== code) own.addTo(map).bringToBack();
      const bounds = mine.length ? L.geoJSON({ type: 'FeatureCollection', features: mine }).getBounds() : null;
      // a small scope (a micro-grid) is shown with its neighbours around it
      if (bounds && bounds.isValid() && !opts.keepView) {
        map.fitBounds(focus.length >= 16 ? bounds.pad(1) : bounds, { padding: [10, 10] });
      }
      return fc;
    },
    // The grids of a role's scope: a grid code, or a code prefix (a
    // community's division code) that several grids share; null = all.
    async loadScope(scope) {
      const l1 = scope ? scope.slice(0, 9) : (await get('/api/grids?level=l1')).items[0]?.code;
      if (!l1) return null;
      // one level below the scope's own (l1 9 digits, l2 14, l3 16, micro 18)
      const own = { 9: 0, 14: 1, 16: 2, 18: 3 }[scope ? scope.length : 9] ?? 1;
      const depth = Math.min(3, own + 1);
      return kit.loadGrids(l1, depth, scope || l1);
    },
    show(level, on) {
      if (on) layers[level].addTo(map);
      else layers[level].remove();
    },
  };
  return kit;
}
