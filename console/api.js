// The Groups API on the same origin: bearer-authenticated JSON calls, and its problem+json
// errors as the user sees them (title, detail, field, Retry).

import { alertEl, fill, h, icon } from './dom.js';
import { S } from './state.js';
import { PERM_TEXT, roleName, signOut } from './session.js';

export class ApiError extends Error {
  constructor(status, problem, network = false) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.network = network;
  }
}

/** Calls the API; resolves {data, etag}; rejects with ApiError (problem+json, or a network failure). */
export async function api(method, path, { body, ifMatch, signal, keepSession = false } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (S.session) headers.Authorization = `Bearer ${S.session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch) headers['If-Match'] = ifMatch;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store' });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, {
      title: 'Network error',
      detail: "The server could not be reached. Check your connection (or that the API is running) and try again.",
    }, true);
  }
  const text = await res.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  if (!res.ok) {
    const problem = data && typeof data === 'object' && !Array.isArray(data)
      ? data : { title: `${res.status} ${res.statusText || 'Error'}`, detail: text.slice(0, 300) || 'The server answered with an error.' };
    if (res.status === 401 && S.session && !keepSession) {
      const message = problem.detail || 'Your session has expired.';
      setTimeout(() => signOut(`You were signed out: ${message} Pick a role to sign in again.`), 0);
    }
    throw new ApiError(res.status, problem);
  }
  return { data, etag: res.headers.get('ETag'), status: res.status };
}
export const qs = (params) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
};

export function friendlyTitle(err) {
  const p = err.problem || {};
  const type = String(p.type || '');
  if (err.network) return 'Network error';
  if (err.status === 403) return 'Not allowed';
  if (type.endsWith(':title-taken')) return 'That title is already used';
  if (type.endsWith(':version-mismatch')) return 'This group was changed by someone else';
  if (type.endsWith(':smart-group-membership')) return 'Smart group members follow the rule';
  return p.title || (err.status ? `Error ${err.status}` : 'Something went wrong');
}
function problemDetail(err) {
  const p = err.problem || {};
  let detail = p.detail || err.message || '';
  if (err.status === 403) {
    const m = /missing permission ([a-z:]+)/.exec(detail);
    const what = m && PERM_TEXT[m[1]];
    detail = what ? `Your role (${roleName()}) can't ${what}. (${detail})` : `Your role (${roleName()}) can't do this. ${detail}`;
  }
  if (String(p.type || '').endsWith(':version-mismatch')) detail = `${detail}. Reload to see the latest version, then apply your change again.`;
  return detail;
}
/** A visible message for an API error: title, detail, and the offending field. */
export function problemBox(err, { retry } = {}) {
  const p = (err && err.problem) || {};
  const box = h('div', { class: 'problem', 'data-problem-type': p.type || (err.network ? 'network' : '') },
    icon('error'),
    h('div', { class: 'problem-text' },
      h('strong', null, friendlyTitle(err)),
      h('span', { class: 'problem-detail' }, problemDetail(err)),
      p.field ? h('div', { class: 'problem-field' }, `Field: ${p.field}`) : null),
    retry ? h('button', { type: 'button', class: 'btn btn-sm', onclick: retry }, 'Retry') : null);
  return box;
}
export function showError(err, { region = alertEl(), retry } = {}) {
  if (err && err.name === 'AbortError') return;
  if (!(err instanceof ApiError)) {
    console.error(err);
    err = new ApiError(0, { title: 'Something went wrong', detail: String((err && err.message) || err) });
  }
  fill(region, problemBox(err, { retry }));
}
export function clearError(region = alertEl()) { fill(region); }
