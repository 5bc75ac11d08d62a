// names.js - grid and department names by code, fetched once per page
// load and shared by every page that shows codes to people. Callers ask
// only when the actor may read them (grids.read, departments.read): a
// refusal would show in the browser console.

import { get } from './api.js';

let gridsP = null;
// Map grid code -> {code, name, level, parent}; empty when not allowed.
export function gridIndex() {
  if (!gridsP) {
    gridsP = get('/api/grids')
      .then((r) => new Map(r.items.map((g) => [g.code, { code: g.code, name: g.name, level: g.level, parent: g.parent }])))
      .catch(() => {
        gridsP = null;
        return new Map();
      });
  }
  return gridsP;
}

let deptsP = null;
export function departmentNames() {
  if (!deptsP) {
    deptsP = get('/api/departments')
      .then((r) => new Map(r.items.map((d) => [d.code, d.name])))
      .catch(() => {
        deptsP = null;
        return new Map();
      });
  }
  return deptsP;
}

export function gridName(grids, code) {
  const g = grids.get(code);
  return g ? g.name : code || '';
}

