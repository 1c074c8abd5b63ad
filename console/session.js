// The session: the bearer token kept in sessionStorage, GET /me (who is signed in, their role,
// what it may do and where), signing out, and the header that shows who is signed in.

import { $, fill, h } from './dom.js';
import { initials } from './format.js';
import { newListState, S, stopPolling } from './state.js';
import { api, ApiError } from './api.js';
import { deptName, ensureDepartments, remember } from './directory.js';
import { route } from './router.js';

const STORE_KEY = 'groups-console.session';
/** Names and descriptions of the built-in roles (what they may do comes from GET /me). */
export const ROLE_INFO = {
  owner: { label: 'Account Owner', desc: 'Everything, on the whole account' },
  admin: { label: 'Administrator', desc: 'Everything except managing the owner' },
  departmentAdmin: { label: 'Department Administrator', desc: 'Groups and members of the departments they manage, nested included' },
  learner: { label: 'Learner', desc: 'No access to group management' },
};
export const PERM_TEXT = {
  'groups:view': 'view groups', 'groups:create': 'create groups', 'groups:edit': 'edit groups',
  'groups:delete': 'delete groups', 'groups:members': 'manage group members', 'users:view': 'view users',
  'users:manage': 'manage users', 'roles:manage': 'manage roles', 'owner:manage': 'manage the account owner',
};

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
function roleKey() { return (S.me && S.me.role) || (S.session && S.session.roleKey) || ''; }
export function roleLabel(key = roleKey()) {
  if (ROLE_INFO[key]) return ROLE_INFO[key].label;
  if (!key) return 'Signed in';
  return `${key[0].toUpperCase()}${key.slice(1)} (custom role)`;
}
/** The role's name for sentences ("Your role (Trainer) can't …"). */
export function roleName(key = roleKey()) {
  if (ROLE_INFO[key]) return ROLE_INFO[key].label;
  return key ? `${key[0].toUpperCase()}${key.slice(1)}` : 'unknown';
}
/** Whether the signed-in caller may do something, as GET /me says (built-in and custom roles alike). */
export function can(perm) {
  return Boolean(S.session && S.me && Array.isArray(S.me.permissions) && S.me.permissions.includes(perm));
}
/** The departments (with their subtrees) the caller's permissions are limited to; [] for the whole account. */
export function scopedDepartments() {
  return (S.me && Array.isArray(S.me.departmentIds)) ? S.me.departmentIds : [];
}
/** The signed-in user's name (from /me's directory record), or their id. */
export function myName() {
  const u = S.me && S.me.user;
  const name = u ? `${u.firstName || ''} ${u.lastName || ''}`.trim() : '';
  return name || (S.me && S.me.userId) || (S.session && S.session.sub) || '';
}
/** "view groups, manage group members and view users" (for the header and the sign-in page). */
export function permSentence(perms) {
  const words = perms.map((p) => PERM_TEXT[p] || p);
  if (!words.length) return 'nothing in the console';
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
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
  S.users.clear();
  S.unknownUsers.clear();
  S.groups.clear();
  S.list = newListState();
  saveSession();
  refreshChrome();
  stopPolling();
  S.signinMessage = message || '';
  if (location.hash === '#/signin') route(); else location.hash = '#/signin';
}

export async function startSession(roleKey, token) {
  const claims = decodeJwt(token);
  if (!claims || !claims.sub) throw new Error('That is not a bearer token (a JWT).');
  S.session = { roleKey, token, sub: claims.sub, acc: claims.acc, exp: claims.exp };
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
