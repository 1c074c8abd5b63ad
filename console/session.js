// The session: the bearer token kept in sessionStorage, GET /me (who is signed in, their role,
// what it may do and where), signing out, and the header that shows who is signed in. It plugs
// itself into the transport: the token to send, and signing out on an unauthorized answer.

import { $, fill, h } from './dom.js';
import { initials } from './format.js';
import { newListState, S, stopPolling } from './state.js';
import { api, ApiError, configureTransport } from './api.js';
import { deptName, ensureDepartments, remember } from './directory.js';
import { myName, permSentence, roleLabel, scopedDepartments } from './permissions.js';

const STORE_KEY = 'groups-console.session';

configureTransport({
  token: () => (S.session ? S.session.token : null),
  unauthorized: (problem) => {
    const message = problem.detail || 'Your session has expired.';
    signOut(`You were signed out: ${message} Pick a role to sign in again.`);
  },
});

// Shows the current address again (the router's route(), set by main.js): signing out on the
// sign-in page itself re-renders it.
let rerender = () => {};
export function setRerender(fn) { rerender = fn; }

function decodeJwt(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(atob(part).split('').map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''));
    return JSON.parse(json);
  } catch {
    return null;
  }
}
export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null');
    if (s && s.token && (!s.exp || s.exp * 1000 > Date.now())) return s;
  } catch { /* ignore a corrupt entry */ }
  sessionStorage.removeItem(STORE_KEY);
  return null;
}
function saveSession() {
  if (S.session) sessionStorage.setItem(STORE_KEY, JSON.stringify(S.session));
  else sessionStorage.removeItem(STORE_KEY);
}

export function refreshChrome() {
  const who = $('#whoami');
  if (!who) return;
  if (!S.session) { fill(who); return; }
  const name = myName();
  const scope = scopedDepartments();
  const where = scope.length ? scope.map(deptName).join(', ') : '';
  const access = S.me
    ? `${roleLabel()}: may ${permSentence(S.me.permissions)}${where ? ` in ${where} and the departments under it` : ''}.`
    : roleLabel();
  fill(who,
    h('div', { class: 'who', title: access },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
      h('span', { class: 'who-text' },
        h('span', { class: 'who-name', id: 'who-name' }, name),
        h('span', { class: 'who-role-line' },
          h('span', { class: 'who-role', id: 'who-role' }, roleLabel()),
          where ? h('span', { class: 'who-scope', id: 'who-scope' }, ` · ${where}`) : null))),
    h('button', { type: 'button', class: 'btn btn-sm', onclick: () => signOut() }, 'Sign out'));
}

export function signOut(message) {
  S.session = null;
  S.me = null;
  S.departments = null;
  S.profileFields = null;
  S.ruleLanguage = null;
  S.users.clear();
  S.unknownUsers.clear();
  S.groups.clear();
  S.list = newListState();
  saveSession();
  refreshChrome();
  stopPolling();
  S.signinMessage = message || '';
  if (location.hash === '#/signin') rerender(); else location.hash = '#/signin';
}

export async function startSession(roleKey, token) {
  const claims = decodeJwt(token);
  if (!claims || !claims.sub) throw new Error('That is not a bearer token (a JWT).');
  S.session = { roleKey, token, sub: claims.sub, acc: claims.acc, exp: claims.exp };
  S.ruleLanguage = null;
  try {
    await loadMe({ keepSession: true });
  } catch (err) {
    S.session = null;
    S.me = null;
    refreshChrome();
    throw err;
  }
  saveSession();
}

/** GET /me: who is signed in, their role, what it may do and where. Drives every action offered. */
export async function loadMe({ keepSession = false } = {}) {
  S.me = null;
  S.departments = null;
  const { data } = await api('GET', '/me', { keepSession });
  S.me = data && typeof data === 'object' ? data : null;
  if (!S.me || !Array.isArray(S.me.permissions)) throw new ApiError(0, { title: 'Unexpected answer', detail: 'GET /me did not say what this role may do.' });
  if (S.me.user) remember(S.me.user);
  S.session.roleKey = S.me.role;
  await ensureDepartments().catch(() => { S.departments = null; });
  refreshChrome();
}
