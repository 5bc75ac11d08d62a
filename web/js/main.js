// main.js - the console's shell: who is logged in, the navigation their
// permissions allow, and the hash router that hands each page its root.
//
// A page is a module exporting render(root, params, ctx) (async allowed)
// and optionally a cleanup function it returns. ctx = {me, can(perm),
// go(hash), role, scope}. Routes are data: the table below.

import { api, get, post, setCsrf } from './api.js';
import { getLang, setLang, t } from './i18n.js';
import { setTiles } from './pages/mapkit.js';
import { alertBox, field, h, mount, showError } from './ui.js';

// hash pattern -> page module, the permission that shows it in the nav.
const routes = [
  { path: 'home', page: './pages/home.js', nav: 'nav_home' },
  { path: 'map', page: './pages/map.js', nav: 'nav_map', perm: 'grids.read' },
  { path: 'cases', page: './pages/cases.js', nav: 'nav_cases', perm: 'cases.read' },
  { path: 'cases/:id', page: './pages/case.js' },
  { path: 'report', page: './pages/report.js', nav: 'nav_report', perm: 'cases.report' },
  { path: 'dashboard', page: './pages/dashboard.js', nav: 'nav_dashboard', perm: 'stats.read' },
  { path: 'ledgers', page: './pages/ledgers.js', nav: 'nav_ledgers', perm: 'ledgers.read' },
  { path: 'ledgers/:kind', page: './pages/ledgers.js' },
  { path: 'ledgers/:kind/:id', page: './pages/ledger_entry.js' },
];

const ctx = {
  me: null,
  perms: new Set(),
  can: (p) => ctx.perms.has(p),
  go: (hash) => {
    if (location.hash === `#/${hash}`) route();
    else location.hash = `#/${hash}`;
  },
  get role() {
    return ctx.me?.user?.roles?.[0]?.role || '';
  },
  // The grid the actor's roles are scoped to (the first), or null for all.
  get scope() {
    const r = ctx.me?.user?.roles?.find((x) => x.scope_kind === 'grid');
    return r ? r.scope : null;
  },
  get department() {
    const r = ctx.me?.user?.roles?.find((x) => x.scope_kind === 'department');
    return r ? r.scope : null;
  },
};

let cleanup = null;
let routing = 0; // the latest route(); an older one that finishes later is dropped

function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a malformed escape: taken as it is
  }
}

function match(hash) {
  const parts = hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean);
  for (const r of routes) {
    const want = r.path.split('/');
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? ((params[w.slice(1)] = decode(parts[i])), true) : w === parts[i]))) {
      const q = hash.split('?')[1];
      params.query = new URLSearchParams(q || '');
      return { r, params };
    }
  }
  return null;
}

async function route() {
  const main = document.getElementById('main');
  if (!ctx.me) return;
  const m = match(location.hash) || match('#/home');
  if (m.r.perm && !ctx.can(m.r.perm)) {
    location.hash = '#/home';
    return;
  }
  const seq = ++routing;
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  markNav(m.r);
  closeMenu();
  try {
    const mod = await import(m.r.page);
    if (seq !== routing) return;
    const root = h('div.page');
    mount(main, root);
    const done = await mod.render(root, m.params, ctx);
    if (seq !== routing) {
      // a newer page took over while this one loaded: drop this one
      if (typeof done === 'function') done();
      return;
    }
    cleanup = done;
  } catch (e) {
    if (seq === routing) showError(e);
  }
  main.focus({ preventScroll: true });
}

function markNav(r) {
  const top = r.path.split('/')[0];
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.path === top) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function closeMenu() {
  document.getElementById('nav').classList.remove('open');
  document.getElementById('menu-toggle').setAttribute('aria-expanded', 'false');
}

function renderChrome() {
  const top = document.getElementById('top');
  top.hidden = !ctx.me;
  document.getElementById('brand-name').textContent = t('app_name');
  document.getElementById('skip-link').textContent = t('skip');
  document.getElementById('lang-toggle').textContent = t('other_lang');
  document.getElementById('logout').textContent = t('logout');
  document.getElementById('menu-toggle').setAttribute('aria-label', t('menu'));
  if (!ctx.me) return;
  const u = ctx.me.user;
  document.getElementById('who-name').textContent = `${u.display_name || u.login} · ${t(`role_${ctx.role}`)}`;
  mount(
    document.getElementById('nav'),
    routes
      .filter((r) => r.nav && (!r.perm || ctx.can(r.perm)))
      .map((r) => h('a', { href: `#/${r.path}`, dataset: { path: r.path } }, t(r.nav))),
  );
}

function renderLogin(msg) {
  const main = document.getElementById('main');
  document.title = `${t('login_title')} · ${t('app_name')}`;
  const login = h('input', { name: 'login', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const alert = alertBox();
  const form = h(
    'form.card.login',
    {
      onsubmit: async (e) => {
        e.preventDefault();
        alert.clear();
        try {
          const r = await post('/api/login', { login: login.value.trim(), password: password.value });
          setCsrf(r.csrf_token);
          localStorage.setItem(SEEN, '1');
          await start();
        } catch (err) {
          alert.show(err.status === 401 ? `${t('login_failed')}: ${err.message}` : err);
        }
      },
    },
    h('h1', t('app_name')),
    h('h2', t('login_title')),
    alert,
    field(t('login_name'), login),
    field(t('password'), password),
    h('button.primary', { type: 'submit' }, t('login_go')),
    h('p.hint', t('login_hint')),
    h('p', h('button.link-btn', { type: 'button', onclick: () => switchLang() }, t('other_lang'))),
  );
  if (msg) alert.show(msg);
  mount(main, form);
  login.focus();
}

function switchLang() {
  setLang(getLang() === 'zh' ? 'en' : 'zh');
  renderChrome();
  if (ctx.me) route();
  else renderLogin();
}

// Whether this browser has logged in (so that a first visit does not ask
// /api/me only to be told 401).
const SEEN = 'wg_session_seen';

async function start() {
  if (!localStorage.getItem(SEEN)) {
    renderChrome();
    renderLogin();
    return;
  }
  try {
    ctx.me = await get('/api/me');
  } catch (e) {
    ctx.me = null;
    if (e.status === 401) localStorage.removeItem(SEEN);
    renderChrome();
    renderLogin(e.status === 401 ? null : e);
    return;
  }
  setCsrf(ctx.me.csrf_token);
  ctx.perms = new Set(ctx.me.permissions || []);
  setTiles(ctx.me.console?.map_tiles);
  renderChrome();
  if (!location.hash || location.hash === '#/' || location.hash === '#/login') location.hash = '#/home';
  else route();
}

function init() {
  setLang(getLang());
  document.getElementById('lang-toggle').addEventListener('click', switchLang);
  document.getElementById('logout').addEventListener('click', async () => {
    try {
      await api('POST', '/api/logout', {});
    } catch (e) {
      /* the session may be gone already */
    }
    // a fresh page: no page, pending route or cached name outlives the session
    localStorage.removeItem(SEEN);
    history.replaceState(null, '', '/');
    location.reload();
  });
  document.getElementById('menu-toggle').addEventListener('click', () => {
    const nav = document.getElementById('nav');
    const open = nav.classList.toggle('open');
    document.getElementById('menu-toggle').setAttribute('aria-expanded', String(open));
  });
  window.addEventListener('hashchange', route);
  // A session that expires while the page is open: back to the login form.
  window.addEventListener('unhandledrejection', (e) => {
    if (e.reason && e.reason.status === 401) {
      ctx.me = null;
      renderChrome();
      renderLogin();
    }
  });
  start();
}

init();
