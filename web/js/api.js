// api.js - the one way pages talk to the server.
//
// The session lives in an HttpOnly cookie set by POST /api/login; every
// write carries the session's CSRF token (X-CSRF-Token), which the login
// reply and GET /api/me give. Errors come back as ApiError with the
// server's {code, message, field, details}.

const state = { csrf: null };

export class ApiError extends Error {
  constructor(status, err) {
    super((err && err.message) || `HTTP ${status}`);
    this.status = status;
    this.code = err && err.code;
    this.field = err && err.field;
    this.details = err && err.details;
  }
}

export function setCsrf(token) {
  state.csrf = token || null;
}

// method, path, optional JSON body (or FormData), options {ifMatch, raw}.
// Returns the parsed JSON (or the Response when opts.raw), with .etag set
// from the ETag header when there is one.
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
  const res = await fetch(path, init);
  if (opts.raw && res.ok) return res;
  const type = res.headers.get('Content-Type') || '';
  const json = /[/+]json\b/.test(type) ? await res.json().catch(() => null) : null;
  if (!res.ok) throw new ApiError(res.status, json && json.error);
  if (json && typeof json === 'object') {
    Object.defineProperty(json, 'etag', { value: res.headers.get('ETag'), enumerable: false });
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);

// Build a query string from an object, leaving out empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.set(k, v);
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

// Upload files (a FileList or array) to /api/attachments; returns their sha256s.
export async function upload(files) {
  if (!files || !files.length) return [];
  const fd = new FormData();
  for (const f of files) fd.append('file', f, f.name);
  const r = await api('POST', '/api/attachments', fd);
  return r.items.map((i) => i.sha256);
}

// Fetch a file the API serves (xlsx, markdown...) and hand it to the browser
// as a download named `name`.
export async function download(path, name) {
  const res = await api('GET', path, undefined, { raw: true });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
