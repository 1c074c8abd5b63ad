// The Roles page (roles:manage): the account's custom roles (GET /roles, every page) with where
// they apply, their permissions and how many users hold them; creating and editing one (only the
// permissions the caller holds can be given; owner:manage never), and deleting one (a refusal says
// how many users still hold it). The built-in roles are fixed and not listed.

import { fill, focusHeading, h, icon, render, setTitle, toast } from './dom.js';
import { plural } from './format.js';
import { alive, S } from './state.js';
import { PERM_TEXT, roleName } from './permissions.js';
import { api, ApiError } from './api.js';
import { clearError, friendlyTitle, showError } from './problems.js';
import { pageAll } from './directory.js';
import { confirmDialog, openDialog, setFieldError } from './dialogs.js';

/** The permissions a custom role may be given, in the order they are offered. */
const GRANTABLE = ['groups:view', 'groups:create', 'groups:edit', 'groups:delete', 'groups:members',
  'users:view', 'users:manage', 'roles:manage', 'departments:manage'];
const NEVER = 'owner:manage';
const SCOPES = [
  ['account', 'The whole account', 'Its permissions apply everywhere in the account.'],
  ['managedDepartments', 'The departments the user manages', 'Its permissions apply only in the departments its holders manage, nested ones included.'],
];
const SCOPE_TEXT = { account: 'Whole account', managedDepartments: 'Managed departments' };

const enc = encodeURIComponent;
const permWords = (p) => PERM_TEXT[p] || p;
const capital = (s) => (s ? `${s[0].toUpperCase()}${s.slice(1)}` : s);

/** Every permission to show: the grantable ones, then any other the caller or the role holds. */
function offeredPermissions(role) {
  const all = [...GRANTABLE];
  for (const p of [...((S.me && S.me.permissions) || []), ...((role && role.permissions) || [])]) {
    if (p !== NEVER && !all.includes(p)) all.push(p);
  }
  return all;
}

export async function rolesPage({ seq, rerender }) {
  setTitle('Roles');
  let roles = [];

  const tbody = h('tbody');
  const table = h('table', { id: 'roles-table', 'aria-describedby': 'roles-caption', 'aria-busy': 'true' },
    h('caption', { class: 'sr-only', id: 'roles-caption' }, 'Custom roles'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Role'),
      h('th', { scope: 'col', class: 'col-scope' }, 'Applies to'),
      h('th', { scope: 'col' }, 'Permissions'),
      h('th', { scope: 'col', class: 'col-num' }, 'Holders'),
      h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tbody);
  const summary = h('span', { class: 'page-label', id: 'roles-summary' });

  render(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' },
        h('h1', null, 'Roles'),
        h('p', { class: 'lead' }, 'Custom roles give their holders a chosen set of permissions, on the whole account or on the departments they manage. The built-in roles (Account Owner, Administrator, Department Administrator, Learner) are fixed and not listed.')),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn btn-primary', id: 'new-role', onclick: () => roleDialog(null) }, icon('plus'), 'New role'))),
    h('section', { class: 'card', 'aria-label': 'Custom roles' },
      h('div', { class: 'table-wrap' }, table),
      h('div', { class: 'pager' }, summary)));

  function rowFor(r) {
    const perms = Array.isArray(r.permissions) ? r.permissions : [];
    return h('tr', { 'data-id': r.id },
      h('th', { scope: 'row' },
        h('div', { class: 'role-name' }, r.name),
        h('div', { class: 'row-sub mono' }, r.id)),
      h('td', { class: 'col-scope', 'data-col': 'scope' }, SCOPE_TEXT[r.scope] || r.scope),
      h('td', { 'data-col': 'permissions' }, perms.length
        ? h('ul', { class: 'perm-list' }, perms.map((p) => h('li', { title: p, 'data-perm': p }, permWords(p))))
        : h('span', { class: 'muted' }, 'No permissions')),
      h('td', { class: 'col-num', 'data-col': 'holders' }, String(r.holders ?? 0)),
      h('td', { class: 'col-actions' },
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'edit', 'data-id': r.id, 'aria-label': `Edit ${r.name}`, onclick: () => roleDialog(r) }, 'Edit'),
          h('button', { type: 'button', class: 'btn btn-sm btn-danger-outline', 'data-action': 'delete', 'data-id': r.id, 'aria-label': `Delete ${r.name}`, onclick: () => deleteRole(r) }, icon('trash'), 'Delete'))));
  }

  async function load() {
    table.setAttribute('aria-busy', 'true');
    const active = document.activeElement;
    const wasOn = active && tbody.contains(active) && active.dataset.action ? { action: active.dataset.action, id: active.dataset.id } : null;
    try {
      const items = await pageAll('/roles', 200, 1000);
      if (!alive(seq)) return;
      roles = items;
      fill(tbody, roles.length ? roles.map(rowFor)
        : h('tr', { class: 'empty-row' }, h('td', { colspan: 5 }, 'No custom roles yet.')));
      summary.textContent = plural(roles.length, 'custom role');
      table.setAttribute('aria-busy', 'false');
      if (wasOn) {
        const again = Array.from(tbody.querySelectorAll('button[data-action]'))
          .find((b) => b.dataset.action === wasOn.action && b.dataset.id === wasOn.id);
        if (again) again.focus(); else focusHeading();
      } else if (!document.activeElement || document.activeElement === document.body) {
        focusHeading();
      }
    } catch (err) {
      if (!alive(seq)) return;
      table.setAttribute('aria-busy', 'false');
      fill(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: 5 }, err.status === 403
        ? `Your role (${roleName()}) can't manage roles.` : 'The roles could not be loaded.')));
      summary.textContent = '';
      showError(err, { retry: err.status === 403 ? undefined : () => rerender() });
    }
  }

  function roleDialog(role) {
    const editing = Boolean(role);
    const mine = new Set((S.me && S.me.permissions) || []);
    const has = new Set(editing ? role.permissions || [] : []);
    const name = h('input', { type: 'text', id: 'role-name', name: 'name', required: true, maxlength: 100, autocomplete: 'off', value: editing ? role.name : '' });
    const scope = editing ? role.scope : 'account';
    const scopeBoxes = SCOPES.map(([value, label, hint]) => {
      const id = `role-scope-${value}`;
      return h('div', { class: 'choice' },
        h('input', { type: 'radio', name: 'scope', id, value, checked: value === scope, 'aria-describedby': `${id}-hint` }),
        h('span', null, h('label', { for: id }, label), h('span', { class: 'hint', id: `${id}-hint` }, hint)));
    });
    const permBoxes = offeredPermissions(role).map((p) => {
      const id = `role-perm-${p.replace(/[^a-z0-9]+/gi, '-')}`;
      const held = mine.has(p);
      return h('li', { class: 'choice' },
        h('input', { type: 'checkbox', id, value: p, checked: has.has(p), disabled: !held, 'aria-describedby': held ? null : `${id}-hint` }),
        h('span', null,
          h('label', { for: id }, capital(permWords(p))),
          h('span', { class: 'hint mono' }, ` ${p}`),
          held ? null : h('span', { class: 'hint', id: `${id}-hint` }, ' Your role doesn’t have it, so you can’t give or take it.')));
    });
    const go = h('button', { type: 'submit', class: 'btn btn-primary', form: 'role-form' }, editing ? 'Save role' : 'Create role');
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const permSet = h('fieldset', { class: 'field role-perms', id: 'role-perms', 'aria-describedby': 'role-perms-hint' },
      h('legend', null, 'Permissions'),
      h('span', { class: 'hint', id: 'role-perms-hint' }, 'You can give only the permissions your own role holds.'),
      h('ul', { class: 'choices choices-2' }, permBoxes));
    const form = h('form', { id: 'role-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'role-name' }, 'Name'), name),
      h('fieldset', { class: 'field role-scope', id: 'role-scope' },
        h('legend', null, 'Where it applies'),
        h('div', { class: 'choices' }, scopeBoxes)),
      permSet);
    const dlg = openDialog({ title: editing ? `Edit role “${role.name}”` : 'New role', wide: true, content: form, actions: [cancel, go] });
    cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearError(dlg.alert);
      setFieldError(name, '');
      const nameValue = name.value.trim();
      if (!nameValue) { setFieldError(name, 'Enter a name.'); name.focus(); return; }
      const permissions = Array.from(form.querySelectorAll('input[type=checkbox]:checked')).map((b) => b.value);
      const scopeValue = (form.querySelector('input[name=scope]:checked') || {}).value || 'account';
      let body = { name: nameValue, permissions, scope: scopeValue };
      if (editing) {
        body = {};
        if (nameValue !== role.name) body.name = nameValue;
        const before = [...(role.permissions || [])].sort().join(' ');
        if ([...permissions].sort().join(' ') !== before) body.permissions = permissions;
        if (scopeValue !== role.scope) body.scope = scopeValue;
        if (!Object.keys(body).length) { dlg.close(); return; }
      }
      go.disabled = true;
      try {
        const { data } = editing
          ? await api('PATCH', `/roles/${enc(role.id)}`, { body })
          : await api('POST', '/roles', { body });
        dlg.close();
        clearError();
        toast(editing ? `Role “${data.name}” saved.` : `Role “${data.name}” created.`);
        await load();
      } catch (err) {
        go.disabled = false;
        showError(err, { region: dlg.alert });
        const field = err.problem && err.problem.field;
        if (field === 'name' || (err.status === 409 && !field)) {
          setFieldError(name, err.problem.detail || friendlyTitle(err));
          name.focus();
        }
      }
    });
  }

  async function deleteRole(r) {
    const held = r.holders || 0;
    const ok = await confirmDialog({
      title: `Delete the role “${r.name}”?`,
      message: held
        ? `${plural(held, 'user holds', 'users hold')} it: a role can be deleted only once nobody holds it.`
        : 'Nobody holds it. The role is deleted; this cannot be undone.',
      confirmLabel: 'Delete role',
      danger: true,
    });
    if (!ok || !alive(seq)) return;
    try {
      await api('DELETE', `/roles/${enc(r.id)}`);
      clearError();
      toast(`Role “${r.name}” deleted.`);
      await load();
    } catch (err) {
      if (err.status === 409) {
        const n = typeof err.problem.holders === 'number' ? err.problem.holders : held;
        showError(new ApiError(409, {
          ...err.problem,
          title: `“${r.name}” can't be deleted`,
          detail: `It is held by ${plural(n, 'user')}. Give ${n === 1 ? 'that user' : 'those users'} another role first, then delete it.`,
        }));
        await load();
        return;
      }
      showError(err);
    }
  }

  await load();
  if (alive(seq)) focusHeading();
}
