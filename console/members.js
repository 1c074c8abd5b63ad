// A group's members: the table, paging, removal, and why a smart group's member matches.

import { fill, h, icon, toast } from './dom.js';
import { fmtDate, initials, plural } from './format.js';
import { alive, S } from './state.js';
import { can, roleName } from './permissions.js';
import { api, qs } from './api.js';
import { showError } from './problems.js';
import { deptName, ensureProfileFields, loadGroupIndex, remember, userName } from './directory.js';
import { confirmDialog, openDialog } from './dialogs.js';
import { addUsersDialog } from './add-users-dialog.js';
import { exportMembers, importMembers } from './members-csv.js';
import { ensureRuleLanguage } from './rule-catalog.js';
import { explainNode } from './rule-language.js';
import { effectBadge, overrideDialog, overrideLine, overridesSection } from './overrides.js';

export async function membersSection(ctx, content) {
  const smart = ctx.group.kind === 'smart';
  const provisioned = !!ctx.group.provisioned;
  const canManage = !smart && !provisioned && can('groups:members');
  const limit = 20;
  const state = { cursors: [null], page: 0, selected: new Set(), items: [], asOf: null };
  // "As of": the members at a past instant (read-only), from the membership history.
  const asOfInput = h('input', { type: 'datetime-local', id: 'members-as-of', 'aria-label': 'Members as of', step: 1 });
  const asOfNow = h('button', { type: 'button', class: 'btn btn-sm', id: 'members-now', hidden: true }, 'Now');
  const asOfNote = h('p', { class: 'notice info', id: 'members-as-of-note', hidden: true });
  const addBtn = canManage ? h('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'add-users' }, icon('plus'), 'Add users') : null;
  const removeBtn = canManage ? h('button', { type: 'button', class: 'btn btn-sm', id: 'remove-users', disabled: true }, 'Remove selected') : null;
  const selInfo = h('span', { class: 'selection-info', 'aria-live': 'polite' });
  const exportBtn = h('button', { type: 'button', class: 'btn btn-sm', id: 'export-members' }, 'Export CSV');
  const importBtn = canManage ? h('button', { type: 'button', class: 'btn btn-sm', id: 'import-members' }, 'Import CSV') : null;
  exportBtn.addEventListener('click', () => exportMembers(ctx));
  if (importBtn) importBtn.addEventListener('click', () => importMembers(ctx));
  const selectAll = h('input', { type: 'checkbox', id: 'select-all-members', 'aria-label': 'Select all members on this page' });
  const tbody = h('tbody');
  const table = h('table', { id: 'members-table', 'aria-label': 'Members', 'aria-busy': 'true' },
    h('thead', null, h('tr', null,
      canManage ? h('th', { scope: 'col', class: 'col-check' }, selectAll) : null,
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col', class: 'col-dept' }, 'Department'),
      h('th', { scope: 'col', class: 'col-source' }, 'Source'),
      h('th', { scope: 'col', class: 'col-added' }, 'Added'),
      smart ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Explanation')) : null)),
    tbody);
  const prev = h('button', { type: 'button', class: 'btn btn-sm', id: 'members-prev' }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'btn btn-sm', id: 'members-next' }, 'Next ›');
  const pageLabel = h('span', { class: 'page-label' });
  const cols = 4 + (canManage ? 1 : 0) + (smart ? 1 : 0);
  const overridesSlot = smart ? h('div', { id: 'overrides' }) : null;

  fill(content, 
    smart ? h('div', { class: 'notice info' }, icon('info'), h('span', null,
      'Members of a smart group follow its rule: they can’t be added or removed by hand. ',
      h('a', { href: `#/groups/${encodeURIComponent(ctx.id)}/rule` }, 'Edit the rule'), ' to change who is in it, add an exception below to keep one person in or out, or use “Why?” to see why someone is a member.')) : null,
    provisioned ? h('div', { class: 'notice info', id: 'provisioned-note' }, icon('info'), h('span', null,
      'Your identity provider manages this group through SCIM: its title and members change there, and the next sync brings the change here.',
      ctx.group.provisioned.externalId ? ` Its id there: ${ctx.group.provisioned.externalId}.` : '')) : null,
    !smart && !provisioned && !can('groups:members') ? h('p', { class: 'muted small' }, `Your role (${roleName()}) can view members but not change them.`) : null,
    h('section', { class: 'card', 'aria-labelledby': 'members-h' },
      h('div', { class: 'card-head' }, h('h2', { id: 'members-h' }, 'Members'), h('span', { class: 'spacer' }), selInfo,
        h('label', { class: 'as-of', for: 'members-as-of' }, 'As of ', asOfInput), asOfNow, exportBtn, importBtn, removeBtn, addBtn),
      asOfNote,
      h('div', { class: 'table-wrap' }, table),
      h('div', { class: 'pager' }, pageLabel, prev, next)),
    overridesSlot);

  function updateSelection() {
    const n = state.selected.size;
    if (removeBtn) removeBtn.disabled = n === 0;
    selInfo.textContent = n ? `${plural(n, 'member')} selected` : '';
    const onPage = state.items.filter((m) => state.selected.has(m.userId)).length;
    selectAll.checked = state.items.length > 0 && onPage === state.items.length;
    selectAll.indeterminate = onPage > 0 && onPage < state.items.length;
    selectAll.disabled = state.items.length === 0;
  }
  function rowFor(m) {
    const u = m.user || S.users.get(m.userId);
    const name = u ? `${u.firstName} ${u.lastName}`.trim() : m.userId;
    const box = h('input', { type: 'checkbox', 'aria-label': `Select ${name}`, checked: state.selected.has(m.userId), disabled: Boolean(state.asOf) });
    box.addEventListener('change', () => {
      if (box.checked) state.selected.add(m.userId); else state.selected.delete(m.userId);
      updateSelection();
    });
    const why = smart ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Why is ${name} a member?` }, 'Why?') : null;
    if (why) why.addEventListener('click', () => explainDialog(ctx, m.userId, name));
    // What a manual removal would be on a static group: an exception that keeps them out.
    const keepOut = smart && can('groups:members')
      ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Keep ${name} out` }, 'Keep out') : null;
    if (keepOut) keepOut.addEventListener('click', () => overrideDialog(ctx, { userId: m.userId, effect: 'exclude' }));
    return h('tr', { 'data-user': m.userId },
      canManage ? h('td', { class: 'col-check' }, box) : null,
      h('th', { scope: 'row' }, h('div', { class: 'person' },
        h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
        h('div', null, h('div', { class: 'person-name' }, name),
          u ? h('div', { class: 'person-mail' }, u.email)
            : m.outOfScope ? h('div', { class: 'person-mail' }, 'Outside your departments') : null))),
      h('td', { class: 'col-dept' }, u && u.departmentId ? deptName(u.departmentId) : '—'),
      h('td', { class: 'col-source' }, !m.source ? h('span', { class: 'badge' }, 'Left since')
        : m.source === 'rule' ? h('span', { class: 'badge badge-smart' }, 'Rule')
        : m.source === 'override' ? h('span', { class: 'badge badge-ok' }, 'Exception') : h('span', { class: 'badge' }, 'Manual')),
      h('td', { class: 'col-added' }, m.addedAt ? fmtDate(m.addedAt, false) : '—'),
      smart ? h('td', { class: 'col-actions' }, state.asOf ? null : why, keepOut && !state.asOf ? ' ' : null, state.asOf ? null : keepOut) : null);
  }
  async function load() {
    table.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('GET', `/groups/${encodeURIComponent(ctx.id)}/members${qs({ limit, cursor: state.cursors[state.page], asOf: state.asOf })}`);
      if (!alive(ctx.seq)) return;
      state.items = data.items;
      data.items.forEach((m) => remember(m.user));
      state.next = data.nextCursor;
      fill(tbody, ...(data.items.length ? data.items.map(rowFor)
        : [h('tr', { class: 'empty-row' }, h('td', { colspan: cols }, smart ? 'No one matches the rule yet.' : canManage ? 'No members yet. Use “Add users” to add some.' : 'No members yet.'))]));
      prev.disabled = state.page === 0;
      next.disabled = !state.next;
      pageLabel.textContent = `Page ${state.page + 1}`;
      updateSelection();
    } catch (err) {
      if (!alive(ctx.seq)) return;
      fill(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: cols }, 'The members could not be loaded.')));
      showError(err, { retry: load });
    } finally {
      table.setAttribute('aria-busy', 'false');
    }
  }
  ctx.reloadMembers = () => { state.selected.clear(); return load(); };
  function setAsOf(iso) {
    state.asOf = iso;
    state.cursors = [null];
    state.page = 0;
    state.selected.clear();
    asOfNow.hidden = !iso;
    asOfNote.hidden = !iso;
    asOfNote.textContent = iso ? `Members on ${fmtDate(iso)}, from the membership history (read-only). “Left since” marks someone who has left since then.` : '';
    for (const b of [removeBtn, addBtn, importBtn]) if (b) b.hidden = Boolean(iso);
    load();
  }
  asOfInput.addEventListener('change', () => {
    const when = asOfInput.value ? new Date(asOfInput.value) : null;
    setAsOf(when && !Number.isNaN(when.getTime()) ? when.toISOString() : null);
  });
  asOfNow.addEventListener('click', () => { asOfInput.value = ''; setAsOf(null); });
  ctx.onEvaluated = () => { state.cursors = [null]; state.page = 0; load(); };
  prev.addEventListener('click', () => { if (state.page > 0) { state.page--; state.selected.clear(); load(); } });
  next.addEventListener('click', () => {
    if (!state.next) return;
    state.cursors[state.page + 1] = state.next;
    state.cursors.length = state.page + 2;
    state.page++;
    state.selected.clear();
    load();
  });
  selectAll.addEventListener('change', () => {
    for (const m of state.items) { if (selectAll.checked) state.selected.add(m.userId); else state.selected.delete(m.userId); }
    for (const box of tbody.querySelectorAll('input[type=checkbox]')) box.checked = selectAll.checked;
    updateSelection();
  });
  if (addBtn) addBtn.addEventListener('click', () => addUsersDialog(ctx));
  if (removeBtn) {
    removeBtn.addEventListener('click', async () => {
      const ids = Array.from(state.selected);
      const ok = await confirmDialog({
        title: `Remove ${plural(ids.length, 'member')}?`,
        message: `${ids.slice(0, 5).map(userName).join(', ')}${ids.length > 5 ? ` and ${ids.length - 5} more` : ''} will leave “${ctx.group.title}”. They stay in the directory.`,
        confirmLabel: 'Remove',
        danger: true,
      });
      if (!ok) return;
      try {
        const { data } = await api('DELETE', `/groups/${encodeURIComponent(ctx.id)}/members`, { body: { userIds: ids } });
        const extra = [];
        if (data.notMembers.length) extra.push(`${data.notMembers.length} had already left`);
        if (data.outOfScope.length) extra.push(`${data.outOfScope.length} outside your departments were kept`);
        toast(`Removed ${plural(data.removed.length, 'member')}.${extra.length ? ` ${extra.join('; ')}.` : ''}`);
        state.selected.clear();
        await ctx.reload();
        if (state.items.length <= data.removed.length && state.page > 0) state.page--;
        await load();
      } catch (err) { showError(err); }
    });
  }
  await load();
  if (overridesSlot) await overridesSection(ctx, overridesSlot);
}

async function explainDialog(ctx, userId, name) {
  const body = h('div', { id: 'explanation' }, h('p', { class: 'muted' }, 'Working it out…'));
  const close = h('button', { type: 'button', class: 'btn' }, 'Close');
  const d = openDialog({ title: `Why is ${name} in “${ctx.group.title}”?`, wide: true, content: body, actions: [close], initialFocus: close });
  close.addEventListener('click', () => d.close());
  try {
    const [{ data }] = await Promise.all([
      api('GET', `/groups/${encodeURIComponent(ctx.id)}/members/${encodeURIComponent(userId)}/explain`),
      S.groups.size > 1 ? null : loadGroupIndex().catch(() => {}),
      ensureProfileFields().catch(() => {}),
      ensureRuleLanguage().catch(() => {}),
    ]);
    const paused = data.mode === 'paused';
    const o = data.override;
    const summary = o
      ? `${name} is ${o.effect === 'include' ? 'always in' : 'always out'} by an exception, whatever the rule says${data.member === (o.effect === 'include') ? '' : '; the group applies it when it next processes changes'}.`
      : data.matches
      ? (data.member ? `${name} matches the rule and is a member.`
        : paused ? `${name} matches the rule but is not a member: the group is paused, so they join when it resumes.`
          : `${name} matches the rule but is not a member yet: the next evaluation adds them.`)
      : (data.member
        ? (data.mode === 'addOnly' ? `${name} no longer matches the rule, and stays: the group only adds members.`
          : paused ? `${name} no longer matches the rule: the group is paused, so they leave when it resumes.`
            : `${name} no longer matches the rule: the next evaluation removes them.`)
        : `${name} does not match the rule.`);
    fill(body, 
      h('div', { class: `notice ${data.matches ? 'ok' : 'warn'}` }, icon(data.matches ? 'check' : 'warn'), h('span', { id: 'explain-summary' }, summary)),
      o ? h('p', { id: 'explain-override' }, effectBadge(o.effect), ' ', overrideLine(o)) : null,
      data.inGroupScope === false ? h('p', { class: 'notice warn' }, icon('warn'), h('span', null, `${name} is outside the group's department, so the rule does not apply to them.`)) : null,
      h('h3', null, 'How each condition evaluated'),
      h('ul', { class: 'rule-tree', 'aria-label': 'Rule evaluation' }, explainNode(data.rule)));
  } catch (err) {
    fill(body);
    showError(err, { region: d.alert });
  }
}
