// The Add users dialog: search the directory by name, email and department, pick, add.

import { debounce, fill, h, toast } from './dom.js';
import { plural } from './format.js';
import { api, qs } from './api.js';
import { clearError, showError } from './problems.js';
import { deptName, deptOptions, ensureDepartments, pageAll, remember } from './directory.js';
import { openDialog } from './dialogs.js';

export async function addUsersDialog(ctx) {
  try { await ensureDepartments(); } catch (e) { if (e.status !== 403) { showError(e); return; } }
  const selected = new Map(); // id -> name
  const memberIds = new Set();
  const search = h('input', { type: 'search', id: 'picker-search', placeholder: 'Name or email', autocomplete: 'off', maxlength: 200 });
  const dept = h('select', { id: 'picker-dept' }, deptOptions('', { includeNone: true, noneLabel: 'All departments' }));
  const nested = h('input', { type: 'checkbox', id: 'picker-nested', checked: true });
  const listBox = h('div', { class: 'picker-list', id: 'picker-results', 'aria-label': 'Users', role: 'group' });
  const countInfo = h('span', { class: 'foot-info', 'aria-live': 'polite' }, 'No users selected');
  const addBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'picker-add', disabled: true }, 'Add users');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const d = openDialog({
    title: `Add users to “${ctx.group.title}”`,
    wide: true,
    content: [
      h('div', { class: 'picker-filters' },
        h('div', { class: 'field' }, h('label', { for: 'picker-search' }, 'Search users'), search),
        h('div', { class: 'field' }, h('label', { for: 'picker-dept' }, 'Department'), dept),
        h('label', { class: 'check', for: 'picker-nested' }, nested, 'Include sub-departments')),
      listBox],
    actions: [countInfo, cancel, addBtn],
    initialFocus: search,
  });
  cancel.addEventListener('click', () => d.close());

  // Current members (up to 1,000) are marked so they can't be picked twice.
  pageAll(`/groups/${encodeURIComponent(ctx.id)}/members`, 200, 5)
    .then((ms) => { ms.forEach((m) => memberIds.add(m.userId)); markMembers(); })
    .catch(() => {});

  function updateCount() {
    const n = selected.size;
    countInfo.textContent = n ? `${plural(n, 'user')} selected` : 'No users selected';
    addBtn.disabled = n === 0;
    addBtn.textContent = n ? `Add ${plural(n, 'user')}` : 'Add users';
  }
  function markMembers() {
    for (const box of listBox.querySelectorAll('input[data-user]')) {
      if (memberIds.has(box.dataset.user)) {
        box.disabled = true;
        box.checked = true;
        const tag = box.parentElement.querySelector('.badge');
        if (!tag) box.parentElement.querySelector('.picker-dept').prepend(h('span', { class: 'badge' }, 'Already a member'), ' ');
      }
    }
  }
  function itemFor(u) {
    remember(u);
    const name = `${u.firstName} ${u.lastName}`.trim();
    const box = h('input', { type: 'checkbox', 'data-user': u.id, checked: selected.has(u.id) });
    box.addEventListener('change', () => {
      if (box.checked) selected.set(u.id, name); else selected.delete(u.id);
      updateCount();
    });
    return h('li', null, h('label', null, box,
      h('span', null, h('span', { class: 'person-name' }, name), h('span', { class: 'person-mail' }, ` ${u.email}`)),
      h('span', { class: 'picker-dept' }, u.departmentId ? deptName(u.departmentId) : '')));
  }
  let seq = 0;
  async function load(cursor) {
    const my = ++seq;
    const ul = cursor ? listBox.querySelector('ul') : h('ul');
    if (!cursor) fill(listBox, h('p', { class: 'picker-empty' }, 'Loading users…'));
    try {
      const { data } = await api('GET', `/users${qs({ q: search.value.trim(), departmentId: dept.value, nested: dept.value ? String(nested.checked) : undefined, limit: 50, cursor })}`);
      if (my !== seq) return;
      clearError(d.alert);
      ul.append(...data.items.map(itemFor));
      const old = listBox.querySelector('.more');
      if (old) old.remove();
      if (!cursor) fill(listBox, data.items.length ? ul : h('p', { class: 'picker-empty' }, 'No users match.'));
      if (data.nextCursor) {
        const more = h('button', { type: 'button', class: 'btn btn-sm' }, 'Load more');
        more.addEventListener('click', () => { more.disabled = true; load(data.nextCursor); });
        listBox.append(h('div', { class: 'more' }, more));
      }
      markMembers();
    } catch (err) {
      if (my !== seq) return;
      if (!cursor) fill(listBox, h('p', { class: 'picker-empty' }, 'The users could not be loaded.'));
      showError(err, { region: d.alert, retry: () => load() });
    }
  }
  const later = debounce(() => load(), 300);
  search.addEventListener('input', later);
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); later.now(); } });
  dept.addEventListener('change', () => later.now());
  nested.addEventListener('change', () => later.now());
  addBtn.addEventListener('click', async () => {
    const ids = Array.from(selected.keys());
    addBtn.disabled = true;
    try {
      const { data } = await api('POST', `/groups/${encodeURIComponent(ctx.id)}/members`, { body: { userIds: ids } });
      const extra = [];
      if (data.alreadyMembers.length) extra.push(`${plural(data.alreadyMembers.length, 'was', 'were')} already in the group`);
      if (data.outOfScope.length) extra.push(`${data.outOfScope.length} outside your departments were skipped`);
      if (data.notFound.length) extra.push(`${data.notFound.length} not found or outside your departments`);
      d.close();
      toast(`Added ${plural(data.added.length, 'user')}.${extra.length ? ` ${extra.join('; ')}.` : ''}`);
      await ctx.reload();
      if (ctx.reloadMembers) await ctx.reloadMembers();
    } catch (err) {
      updateCount();
      showError(err, { region: d.alert });
    }
  });
  updateCount();
  load();
}
