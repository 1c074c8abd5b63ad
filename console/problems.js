// The API's errors (problem+json, network failures) as the user sees them: a title, the detail
// in words (a refusal names the role and what it can't do), the offending field, and Retry.

import { alertEl, fill, h, icon } from './dom.js';
import { ApiError } from './api.js';
import { PERM_TEXT, roleName } from './permissions.js';

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
