// The sign-in page: the demo roles (GET /dev/tokens) or a pasted bearer token.

import { $, fill, focusHeading, h, icon, render, setTitle, toast } from './dom.js';
import { initials } from './format.js';
import { alive, newListState, S } from './state.js';
import { myName, PERM_TEXT, permSentence, ROLE_INFO, roleLabel } from './permissions.js';
import { startSession } from './session.js';
import { ApiError } from './api.js';
import { showError } from './problems.js';

export async function signinPage({ seq, rerender }) {
  setTitle('Sign in');
  const list = h('ul', { class: 'roles', 'aria-label': 'Demo roles' }, h('li', { class: 'muted' }, 'Loading demo roles…'));
  const region = h('div', { class: 'alert-region', role: 'alert' });
  const tokenArea = h('textarea', { id: 'token-input', rows: 4, spellcheck: 'false', autocomplete: 'off' });
  const tokenForm = h('form', { class: 'field' },
    h('label', { for: 'token-input' }, 'Bearer token'),
    tokenArea,
    h('div', null, h('button', { type: 'submit', class: 'btn' }, 'Sign in with token')));
  tokenForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await startSession('', tokenArea.value.trim());
      finishSignin(rerender);
    } catch (err) { showError(err, { region }); }
  });
  const message = S.signinMessage;
  S.signinMessage = '';
  render(h('section', { class: 'signin card' },
    h('div', { class: 'card-head' }, h('div', null,
      h('h1', null, 'Sign in'),
      h('p', { class: 'muted' }, 'Pick a demo role of the account “acme” to see the console as that user.'))),
    h('div', { class: 'card-body' },
      message ? h('div', { class: 'notice warn' }, icon('warn'), h('span', null, message)) : null,
      region,
      list,
      h('details', { class: 'token-entry' }, h('summary', null, 'Use a bearer token instead'), tokenForm))));
  if (S.session) {
    list.before(h('p', { class: 'notice info' }, icon('info'),
      h('span', null, `You are signed in as ${roleLabel()}. Pick another role to switch.`)));
  }
  let tokens;
  try {
    const res = await fetch('/dev/tokens', { cache: 'no-store' });
    if (!res.ok) throw new ApiError(res.status, { title: 'No demo roles here', detail: 'This server does not hand out demo tokens (only the local server does). Paste a bearer token below.' });
    tokens = await res.json();
  } catch (err) {
    if (!alive(seq)) return;
    fill(list);
    showError(err instanceof ApiError ? err : new ApiError(0, { title: 'Network error', detail: 'The demo roles could not be loaded: the server could not be reached.' }, true),
      { region, retry: () => rerender() });
    $('details.token-entry').open = true;
    return;
  }
  if (!alive(seq)) return;
  const order = ['owner', 'admin', 'departmentAdmin', 'trainer', 'learner'];
  // A SCIM token is an identity provider's, not a person's: the console cannot sign in with it.
  const keys = Object.keys(tokens).filter((k) => !String(tokens[k]).startsWith('scim.')).sort((a, b) => (order.indexOf(a) + 99 * (order.indexOf(a) < 0)) - (order.indexOf(b) + 99 * (order.indexOf(b) < 0)));
  fill(list, ...keys.map((key) => {
    const info = ROLE_INFO[key];
    const label = info ? info.label : roleLabel(key);
    const descEl = h('span', { class: 'role-desc' }, info ? info.desc : 'A custom role of the account');
    if (!info) describeCustomRole(tokens[key], descEl);
    const btn = h('button', { type: 'button', class: 'role-btn', 'data-role': key },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(label)),
      h('span', null, h('span', { class: 'role-title' }, label), descEl),
      h('span', { class: 'chev', 'aria-hidden': 'true' }, '›'));
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await startSession(key, tokens[key]);
        finishSignin(rerender);
      } catch (err) {
        btn.disabled = false;
        showError(err, { region });
      }
    });
    return h('li', null, btn);
  }));
  focusHeading();
}

/** A custom role's line on the sign-in page, from GET /me with its demo token. */
async function describeCustomRole(token, el) {
  try {
    const res = await fetch('/me', { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) return;
    const me = await res.json();
    const perms = (me.permissions || []).filter((p) => PERM_TEXT[p]);
    const scope = Array.isArray(me.departmentIds) ? ', in their departments' : '';
    el.textContent = `A custom role: may ${permSentence(perms)}${perms.length ? scope : ''}`;
  } catch { /* keep the generic line */ }
}

function finishSignin(rerender) {
  S.list = newListState();
  const target = S.afterSignin && !S.afterSignin.startsWith('#/signin') ? S.afterSignin : '#/groups';
  S.afterSignin = null;
  toast(`Signed in as ${myName()} (${roleLabel()}).`);
  if (location.hash === target) rerender(); else location.hash = target;
}
