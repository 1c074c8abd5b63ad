// What the signed-in role is called and what it may do, where: read from GET /me (kept in the
// state). A leaf: it imports only the state.

import { S } from './state.js';

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
  'users:manage': 'manage users', 'roles:manage': 'manage roles', 'departments:manage': 'manage departments',
  'owner:manage': 'manage the account owner',
};

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
