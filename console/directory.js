// Caches of the directory (users, departments, groups, profile fields), the calls that fill
// them, and the department choices built from them.

import { h } from './dom.js';
import { S } from './state.js';
import { can, scopedDepartments } from './permissions.js';
import { api, qs } from './api.js';

export function remember(user) { if (user && user.id) S.users.set(user.id, user); }
export function rememberGroup(g) { if (g && g.id) S.groups.set(g.id, { title: g.title, kind: g.kind }); }

/** POST /groups from the new-group forms' fields (empty description and department left out). */
export async function createGroup({ kind, title, description, ownerDepartmentId, rule }) {
  const body = { title: title.trim(), kind };
  if (rule) body.rule = rule;
  if (description.trim()) body.description = description.trim();
  if (ownerDepartmentId) body.ownerDepartmentId = ownerDepartmentId;
  const { data } = await api('POST', '/groups', { body });
  rememberGroup(data);
  return data;
}
export function userName(id) {
  const u = S.users.get(id);
  if (!u) return id;
  const name = `${u.firstName || ''} ${u.lastName || ''}`.trim();
  return name || u.email || id;
}
export function deptName(id) {
  if (!id) return '';
  const d = S.departments && S.departments.get(id);
  return d ? d.name : id;
}

export async function pageAll(path, limit = 200, maxPages = 10) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const { data } = await api('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...data.items);
    cursor = data.nextCursor;
    if (!cursor) break;
  }
  return items;
}

export async function ensureDepartments() {
  if (S.departments) return;
  if (!can('groups:view') && !can('users:view')) { S.departments = new Map(); S.deptOrder = []; return; }
  const items = await pageAll('/departments');
  S.departments = new Map(items.map((d) => [d.id, d]));
  const children = new Map();
  for (const d of items) {
    const parent = d.parentId && S.departments.has(d.parentId) ? d.parentId : '';
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(d);
  }
  for (const list of children.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  const order = [];
  const walk = (parent, depth) => {
    for (const d of children.get(parent) || []) {
      order.push({ id: d.id, name: d.name, depth });
      walk(d.id, depth + 1);
    }
  };
  walk('', 0);
  S.deptOrder = order;
}
export function deptOptions(selected, { includeNone, noneLabel } = {}) {
  const opts = [];
  if (includeNone) opts.push(h('option', { value: '', selected: !selected }, noneLabel || '—'));
  for (const d of S.deptOrder) {
    const pad = '\u00a0\u00a0\u00a0'.repeat(d.depth);
    const sel = Array.isArray(selected) ? selected.includes(d.id) : selected === d.id;
    opts.push(h('option', { value: d.id, selected: sel }, `${pad}${d.name}`));
  }
  const wanted = Array.isArray(selected) ? selected : (selected ? [selected] : []);
  for (const id of wanted) {
    if (!S.departments || !S.departments.has(id)) opts.push(h('option', { value: id, selected: true }, `${id} (not visible to you)`));
  }
  return opts;
}

/** Profile fields and their types, from a sample of the directory (for the rule builder). */
export async function ensureProfileFields() {
  if (S.profileFields) return;
  S.profileFields = new Map();
  if (!can('users:view')) return;
  try {
    const { data } = await api('GET', '/users?limit=200');
    for (const u of data.items) {
      remember(u);
      for (const [k, v] of Object.entries(u.profile || {})) {
        if (S.profileFields.has(k)) continue;
        let type = 'text';
        if (typeof v === 'number') type = 'number';
        else if (Array.isArray(v)) type = 'list';
        else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T|$)/.test(v)) type = 'date';
        S.profileFields.set(k, type);
      }
    }
  } catch (e) {
    if (e.status !== 403) throw e;
  }
}

export async function loadGroupIndex() {
  const items = await pageAll('/groups?sort=title', 200, 5);
  items.forEach(rememberGroup);
  return items;
}

/**
 * Names for user ids (preview samples): each id not known yet is looked up with the directory
 * search (which matches ids), a few at a time and at most 60 per call. Ids the search does not
 * find (deleted, or outside the caller's departments) are remembered and show as ids.
 */
export async function resolveUsers(ids) {
  if (!can('users:view')) return;
  const queue = Array.from(new Set(ids)).filter((id) => id && !S.users.has(id) && !S.unknownUsers.has(id)).slice(0, 60);
  const worker = async () => {
    while (queue.length) {
      const id = queue.shift();
      const { data } = await api('GET', `/users${qs({ q: id, limit: 20 })}`);
      data.items.forEach(remember);
      if (!S.users.has(id)) S.unknownUsers.add(id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
}

/** The Department field of a new group: a department administrator picks one of theirs. Returns {sel, el}. */
export function ownerDepartmentField(id) {
  const scoped = scopedDepartments();
  const options = scoped.length
    ? S.deptOrder.filter((d) => S.departments.has(d.id)).map((d) => h('option', { value: d.id, selected: d.id === scoped[0] }, `${'\u00a0\u00a0\u00a0'.repeat(d.depth)}${d.name}`))
    : deptOptions('', { includeNone: true, noneLabel: 'None: an account-wide group' });
  const sel = h('select', { id, name: 'ownerDepartmentId', 'aria-describedby': `${id}-hint` }, options);
  return {
    sel,
    el: h('div', { class: 'field' },
      h('label', { for: id }, 'Department'),
      sel,
      h('span', { class: 'hint', id: `${id}-hint` }, scoped.length
        ? 'The department that owns the group; you manage groups of your departments.'
        : 'Department administrators of this department (and above) can manage the group.')),
  };
}
