// A group's page: its header (details, count, edit, delete) and tabs (members, membership
// history, and a smart group's rule and rule history).

import { fill, focusHeading, h, icon, render, setTitle, toast } from './dom.js';
import { modeBadge, provisionedBadge } from './groups-page.js';
import { fmtDate, plural } from './format.js';
import { alive, S } from './state.js';
import { can } from './permissions.js';
import { api } from './api.js';
import { clearError, showError } from './problems.js';
import { deptName, ensureDepartments, rememberGroup } from './directory.js';
import { confirmDialog, openDialog, setFieldError } from './dialogs.js';
import { renderEvaluation } from './evaluation.js';
import { membersSection } from './members.js';
import { historySection, ruleSection } from './rule-tabs.js';
import { membershipHistorySection } from './membership-history.js';

export async function groupPage({ seq, rerender }, id, tab) {
  setTitle('Group');
  render(h('p', { class: 'loading-line' }, 'Loading the group…'));
  let group;
  let etag;
  try {
    const [res] = await Promise.all([
      api('GET', `/groups/${encodeURIComponent(id)}`),
      ensureDepartments().catch((e) => { if (e.status !== 403) throw e; }),
    ]);
    group = res.data;
    etag = res.etag || `"${group.version}"`;
  } catch (err) {
    if (!alive(seq)) return;
    render(h('div', { class: 'card card-body' },
      h('h1', null, err.status === 404 ? 'Group not found' : 'The group could not be loaded'),
      h('p', { class: 'muted' }, err.status === 404
        ? 'It may have been deleted, or it belongs to a department outside your scope. '
        : '', h('a', { href: '#/groups' }, 'Back to Groups'))));
    showError(err, { retry: err.status === 404 || err.status === 403 ? undefined : () => rerender() });
    return;
  }
  if (!alive(seq)) return;
  rememberGroup(group);
  setTitle(group.title);
  const smart = group.kind === 'smart';
  if (!smart && tab !== 'members' && tab !== 'activity') { location.replace(`#/groups/${encodeURIComponent(id)}`); return; }

  const countEl = h('span', { class: 'stat-value', id: 'member-count' }, String(group.memberCount));
  const titleEl = h('h1', { id: 'group-title' }, group.title);
  const descEl = h('p', { class: 'lead', id: 'group-description' }, group.description || '');
  const versionEl = h('dd', null, String(group.version));
  const modeSlot = h('span', { id: 'group-mode-badge' }, modeBadge(group));
  const ctx = {
    seq, id, group, etag, rerender,
    setGroup(g, tag) {
      ctx.group = g;
      if (tag) ctx.etag = tag;
      else if (g.version) ctx.etag = `"${g.version}"`;
      rememberGroup(g);
      countEl.textContent = String(g.memberCount);
      titleEl.textContent = g.title;
      descEl.textContent = g.description || '';
      descEl.hidden = !g.description;
      versionEl.textContent = String(g.version);
      fill(modeSlot, modeBadge(g));
      setTitle(g.title);
    },
    async reload() {
      const { data, etag: tag } = await api('GET', `/groups/${encodeURIComponent(id)}`);
      if (alive(seq)) ctx.setGroup(data, tag);
      return data;
    },
  };
  descEl.hidden = !group.description;

  // A provisioned group is the identity provider's: shown, never changed here.
  const provisioned = !!group.provisioned;
  const actions = h('div', { class: 'actions' },
    can('groups:edit') && !provisioned ? h('button', { type: 'button', class: 'btn', onclick: () => editDetailsDialog(ctx) }, 'Edit details') : null,
    can('groups:delete') && !provisioned ? h('button', { type: 'button', class: 'btn', onclick: () => deleteGroup(ctx) }, icon('trash'), 'Delete group') : null);

  const sections = smart
    ? [['members', 'Members', ''], ['activity', 'History', '/activity'], ['rule', 'Rule', '/rule'], ['history', 'Rule history', '/history']]
    : [['members', 'Members', ''], ['activity', 'History', '/activity']];
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Group sections' },
    sections.map(([key, label, suffix]) =>
      h('a', { href: `#/groups/${encodeURIComponent(id)}${suffix}`, 'aria-current': key === tab ? 'page' : null }, label)));

  const evalBox = smart ? h('section', { class: 'card card-body evaluation', id: 'evaluation', 'aria-label': 'Evaluation' }) : null;
  const content = h('div', { class: 'view', id: 'group-content' });

  render(
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('ol', null,
      h('li', null, h('a', { href: '#/groups' }, 'Groups')),
      h('li', null, h('span', { 'aria-current': 'page' }, group.title)))),
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' },
        h('div', { class: 'title-line' }, titleEl,
          smart ? h('span', { class: 'badge badge-smart' }, icon('smart'), 'Smart group') : h('span', { class: 'badge' }, 'Static group'),
          modeSlot, provisionedBadge(group)),
        descEl,
        h('dl', { class: 'meta' },
          h('div', null, h('dt', null, 'Department: '), h('dd', null, group.ownerDepartmentId ? deptName(group.ownerDepartmentId) : 'Whole account')),
          h('div', null, h('dt', null, 'Created: '), h('dd', null, `${fmtDate(group.createdAt, false)} by ${group.createdBy}`)),
          h('div', null, h('dt', null, 'Version: '), versionEl))),
      h('div', { class: 'stat', 'aria-label': 'Member count' },
        h('div', null, countEl), h('div', { class: 'stat-label' }, 'members')),
      actions),
    evalBox,
    tabs,
    content);

  if (smart) renderEvaluation(ctx, evalBox);
  if (tab === 'members') await membersSection(ctx, content);
  else if (tab === 'activity') await membershipHistorySection(ctx, content);
  else if (tab === 'rule') await ruleSection(ctx, content);
  else await historySection(ctx, content);
  if (alive(seq) && !document.activeElement.closest('#group-content')) focusHeading();
}

async function editDetailsDialog(ctx) {
  const g = ctx.group;
  const title = h('input', { type: 'text', id: 'edit-title', required: true, maxlength: 200, value: g.title, autocomplete: 'off' });
  const desc = h('textarea', { id: 'edit-desc', maxlength: 2000, rows: 3, value: g.description || '' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', form: 'edit-group-form' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const form = h('form', { id: 'edit-group-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'edit-title' }, 'Title'), title),
    h('div', { class: 'field' }, h('label', { for: 'edit-desc' }, 'Description'), desc));
  const d = openDialog({ title: 'Edit group details', content: form, actions: [cancel, save] });
  cancel.addEventListener('click', () => d.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(d.alert);
    setFieldError(title, '');
    const body = {};
    if (title.value.trim() !== g.title) body.title = title.value.trim();
    if (desc.value !== (g.description || '')) body.description = desc.value;
    if (!title.value.trim()) { setFieldError(title, 'Enter a title.'); title.focus(); return; }
    if (!Object.keys(body).length) { d.close(); return; }
    save.disabled = true;
    try {
      const { data, etag } = await api('PATCH', `/groups/${encodeURIComponent(ctx.id)}`, { body, ifMatch: ctx.etag });
      ctx.setGroup(data, etag);
      d.close();
      toast('Group details saved.');
    } catch (err) {
      save.disabled = false;
      const retry = err.status === 412 ? async () => { await ctx.reload(); d.close(); toast('Reloaded the latest version.'); } : undefined;
      showError(err, { region: d.alert, retry });
      if (err.problem && err.problem.field === 'title') { setFieldError(title, err.problem.detail); title.focus(); }
    }
  });
}

async function deleteGroup(ctx) {
  const ok = await confirmDialog({
    title: `Delete “${ctx.group.title}”?`,
    message: `The group and its ${plural(ctx.group.memberCount, 'membership')} are deleted. The users themselves are kept.`,
    confirmLabel: 'Delete group',
    danger: true,
  });
  if (!ok) return;
  try {
    await api('DELETE', `/groups/${encodeURIComponent(ctx.id)}`);
    S.groups.delete(ctx.id);
    toast(`Group “${ctx.group.title}” deleted.`);
    location.hash = '#/groups';
  } catch (err) { showError(err); }
}
