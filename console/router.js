// Hash routing (#/signin, #/groups, #/groups/new-smart, #/groups/<id>[/activity|/rule|/history],
// #/departments, #/roles), the main navigation's tabs (offered as GET /me allows), and the pages
// that say no: not allowed, permissions not loaded, not found. Each page gets its view:
// {seq, rerender}; rerender() shows the current address again (Retry), so no page imports the
// router.

import { $, focusHeading, h, icon, render, setTitle } from './dom.js';
import { alive, nextView, S, stopPolling } from './state.js';
import { can, PERM_TEXT, permSentence, roleName } from './permissions.js';
import { loadMe } from './session.js';
import { ApiError } from './api.js';
import { clearError, showError } from './problems.js';
import { signinPage } from './signin-page.js';
import { groupsPage } from './groups-page.js';
import { groupPage } from './group-page.js';
import { smartCreatePage } from './new-smart-group-page.js';
import { departmentsPage, mayViewDepartments } from './departments-page.js';
import { rolesPage } from './roles-page.js';

function parseRoute() {
  const raw = (location.hash || '').replace(/^#\/?/, '');
  const [path] = raw.split('?');
  return path.split('/').filter(Boolean).map(decodeURIComponent);
}

export async function route() {
  const seq = nextView();
  const view = { seq, rerender: () => route() };
  stopPolling();
  clearError();
  document.querySelectorAll('dialog[open]').forEach((d) => d.close());
  const parts = parseRoute();
  updateNav(parts);
  if (!S.session) {
    if (parts[0] !== 'signin') S.afterSignin = location.hash || '#/groups';
    return signinPage(view);
  }
  if (parts[0] === 'signin') return signinPage(view);
  if (!S.me) return whoAmIFailedPage(seq);
  if (!parts.length) { location.replace('#/groups'); return undefined; }
  if (parts[0] === 'groups') {
    if (!can('groups:view')) return notAllowedPage('Groups', 'view groups');
    if (parts.length === 1) return groupsPage(view);
    if (parts[1] === 'new-smart' && parts.length === 2) {
      return can('groups:create') ? smartCreatePage(view) : notAllowedPage('New smart group', 'create groups');
    }
    const tab = parts[2] || 'members';
    if (['members', 'activity', 'rule', 'history'].includes(tab) && parts.length <= 3) return groupPage(view, parts[1], tab);
  }
  if (parts[0] === 'departments' && parts.length === 1) {
    return mayViewDepartments() ? departmentsPage(view) : notAllowedPage('Departments', 'view departments');
  }
  if (parts[0] === 'roles' && parts.length === 1) {
    return can('roles:manage') ? rolesPage(view) : notAllowedPage('Roles', 'manage roles');
  }
  return notFoundPage();
}

/** The main navigation: Departments and Roles only when GET /me allows them; the current tab marked. */
function updateNav(parts) {
  const signedIn = Boolean(S.session && S.me);
  const tabs = [
    ['#nav-groups', 'groups', true],
    ['#nav-departments', 'departments', signedIn && mayViewDepartments()],
    ['#nav-roles', 'roles', signedIn && can('roles:manage')],
  ];
  for (const [sel, key, offered] of tabs) {
    const link = $(sel);
    if (!link) continue;
    link.hidden = !offered;
    if (signedIn && parts[0] === key) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** What a role may not do, said before any call is refused (GET /me lists the permissions). */
function notAllowedPage(title, what) {
  setTitle(title);
  const others = S.me.permissions.filter((p) => PERM_TEXT[p]);
  render(h('div', { class: 'page-head' }, h('div', { class: 'titles' }, h('h1', null, title))),
    h('div', { class: 'card card-body', id: 'not-allowed' },
      h('div', { class: 'notice warn' }, icon('warn'), h('span', null,
        h('strong', null, `Your role (${roleName()}) can't ${what}. `),
        others.length ? `It may ${permSentence(others)}.` : 'It has no access to group management.')),
      h('p', { class: 'muted' }, can('groups:view') && title !== 'Groups'
        ? h('a', { href: '#/groups' }, 'Back to Groups')
        : 'Ask an administrator for access, or sign out and pick another role.')));
  focusHeading();
}

/** GET /me failed (network, server): nothing can be offered until it answers. */
function whoAmIFailedPage(seq) {
  setTitle('Signed in');
  render(h('div', { class: 'card card-body' },
    h('h1', null, 'Your permissions could not be loaded'),
    h('p', { class: 'muted' }, 'The console offers only what your role may do, and could not find out what that is. Retry, or sign out.')));
  showError(S.meError || new ApiError(0, { title: 'Something went wrong', detail: 'GET /me did not answer.' }), {
    retry: async () => {
      try { S.meError = null; await loadMe(); } catch (err) { S.meError = err; }
      if (alive(seq)) route();
    },
  });
}

function notFoundPage() {
  setTitle('Not found');
  render(h('div', { class: 'card card-body' },
    h('h1', null, 'Page not found'),
    h('p', { class: 'muted' }, 'There is nothing at this address. ', h('a', { href: '#/groups' }, 'Go to Groups'))));
}
