// The Groups page (search, filter, sort, paging, selection, bulk delete) and its New group dialog.

import { debounce, fill, focusHeading, h, icon, render, setTitle, smartIcon, toast } from './dom.js';
import { plural } from './format.js';
import { alive, S } from './state.js';
import { can, roleName } from './permissions.js';
import { api, qs } from './api.js';
import { clearError, friendlyTitle, showError } from './problems.js';
import { createGroup, deptName, ensureDepartments, ownerDepartmentField, rememberGroup } from './directory.js';
import { confirmDialog, openDialog, setFieldError } from './dialogs.js';

export async function groupsPage({ seq }) {
  setTitle('Groups');
  const L = S.list;
  L.cursors = [null];
  L.page = 0;
  L.selected = new Map();
  try { await ensureDepartments(); } catch (e) { if (e.status !== 403) showError(e); }
  if (!alive(seq)) return;

  const canCreate = can('groups:create');
  const canDelete = can('groups:delete');
  const actions = h('div', { class: 'actions' },
    canCreate ? h('a', { class: 'btn', href: '#/groups/new-smart' }, smartIconPlain(), 'New Smart Group') : null,
    canCreate ? h('button', { type: 'button', class: 'btn btn-primary', onclick: () => newGroupDialog() }, icon('plus'), 'New Group') : null);

  const search = h('input', { type: 'search', id: 'group-search', placeholder: 'Search groups', 'aria-label': 'Search groups', value: L.q, autocomplete: 'off', maxlength: 200 });
  const kindSel = h('select', { id: 'kind-filter', 'aria-label': 'Kind of group' },
    h('option', { value: '', selected: L.kind === '' }, 'All groups'),
    h('option', { value: 'static', selected: L.kind === 'static' }, 'Static groups'),
    h('option', { value: 'smart', selected: L.kind === 'smart' }, 'Smart groups'));
  const selInfo = h('span', { class: 'selection-info', id: 'selection-info', 'aria-live': 'polite' });
  const delBtn = canDelete ? h('button', { type: 'button', class: 'btn btn-danger-outline btn-sm', id: 'bulk-delete', disabled: true }, icon('trash'), 'Delete selected') : null;

  const selectAll = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all groups on this page' });
  const sortBtn = h('button', { type: 'button', class: 'sort-btn', id: 'sort-title' });
  const sortTh = h('th', { scope: 'col' }, sortBtn);
  const tbody = h('tbody');
  const table = h('table', { id: 'groups-table', 'aria-describedby': 'groups-caption', 'aria-busy': 'true' },
    h('caption', { class: 'sr-only', id: 'groups-caption' }, 'Groups'),
    h('thead', null, h('tr', null,
      canDelete ? h('th', { scope: 'col', class: 'col-check' }, selectAll) : null,
      sortTh,
      h('th', { scope: 'col', class: 'col-dept' }, 'Department'),
      h('th', { scope: 'col', class: 'col-num' }, 'Users'))),
    tbody);
  const prev = h('button', { type: 'button', class: 'btn btn-sm', id: 'page-prev' }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'btn btn-sm', id: 'page-next' }, 'Next ›');
  const pageLabel = h('span', { class: 'page-label', id: 'page-label' });
  const sizeSel = h('select', { id: 'page-size', 'aria-label': 'Groups per page' },
    [10, 25, 50, 100].map((n) => h('option', { value: n, selected: L.limit === n }, `${n} per page`)));

  render(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' },
        h('h1', null, 'Groups'),
        h('p', { class: 'lead' }, 'Collect your learners together to quickly manage the entire group instead of each individual user.')),
      actions),
    h('section', { class: 'card', 'aria-label': 'Group list' },
      h('div', { class: 'toolbar' },
        h('div', { class: 'search' }, icon('search'), search),
        kindSel,
        h('span', { class: 'spacer' }),
        canDelete ? selInfo : null,
        delBtn),
      h('div', { class: 'table-wrap' }, table),
      h('div', { class: 'pager' }, pageLabel, sizeSel, prev, next)),
    !canCreate && can('groups:view') ? h('p', { class: 'muted small' }, `Your role (${roleName()}) can view groups but not create them.`) : null);

  let items = [];
  let loadSeq = 0;
  let controller = null;

  function updateSortHeader() {
    const asc = L.sort === 'title';
    sortBtn.textContent = asc ? 'Title ↑' : 'Title ↓';
    sortBtn.title = `Sorted ${asc ? 'A to Z' : 'Z to A'}: select to sort ${asc ? 'Z to A' : 'A to Z'}`;
    sortTh.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
  }
  function updateSelection() {
    const n = L.selected.size;
    if (delBtn) delBtn.disabled = n === 0;
    selInfo.textContent = n ? `${plural(n, 'group')} selected` : '';
    const selectable = items.filter((g) => !g.provisioned);
    const onPage = selectable.filter((g) => L.selected.has(g.id)).length;
    selectAll.checked = selectable.length > 0 && onPage === selectable.length;
    selectAll.indeterminate = onPage > 0 && onPage < selectable.length;
    selectAll.disabled = selectable.length === 0;
    for (const tr of tbody.querySelectorAll('tr[data-id]')) tr.classList.toggle('selected', L.selected.has(tr.dataset.id));
  }
  function rowFor(g) {
    // A provisioned group is the identity provider's to delete: it cannot be selected here.
    const box = h('input', { type: 'checkbox', 'aria-label': `Select ${g.title}`, checked: L.selected.has(g.id), disabled: !!g.provisioned });
    box.addEventListener('change', () => {
      if (box.checked) L.selected.set(g.id, g.title); else L.selected.delete(g.id);
      updateSelection();
    });
    return h('tr', { 'data-id': g.id, 'data-kind': g.kind },
      canDelete ? h('td', { class: 'col-check' }, box) : null,
      h('th', { scope: 'row' },
        h('div', { class: 'group-title' },
          h('a', { href: `#/groups/${encodeURIComponent(g.id)}`, class: 'group-link' }, g.title),
          g.kind === 'smart' ? smartIcon() : null,
          modeBadge(g),
          provisionedBadge(g)),
        g.description ? h('div', { class: 'row-sub' }, g.description) : null),
      h('td', { class: 'col-dept' }, g.ownerDepartmentId ? deptName(g.ownerDepartmentId) : h('span', { class: 'muted' }, 'Whole account')),
      h('td', { class: 'col-num', 'data-col': 'users' }, String(g.memberCount)));
  }

  async function load({ focusFirst = false } = {}) {
    const my = ++loadSeq;
    if (controller) controller.abort();
    controller = new AbortController();
    table.setAttribute('aria-busy', 'true');
    updateSortHeader();
    try {
      const { data } = await api('GET', `/groups${qs({ sort: L.sort, q: L.q.trim(), kind: L.kind, limit: L.limit, cursor: L.cursors[L.page] })}`,
        { signal: controller.signal });
      if (my !== loadSeq || !alive(seq)) return;
      clearError();
      items = data.items;
      items.forEach(rememberGroup);
      L.nextCursor = data.nextCursor;
      if (items.length) {
        fill(tbody, ...items.map(rowFor));
      } else {
        const what = L.q.trim() ? `No groups match “${L.q.trim()}”.` : (L.kind ? `No ${L.kind} groups.` : 'No groups yet.');
        fill(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: canDelete ? 4 : 3 }, what)));
      }
      prev.disabled = L.page === 0;
      next.disabled = !L.nextCursor;
      pageLabel.textContent = `Page ${L.page + 1} · ${plural(items.length, 'group')} shown`;
      updateSelection();
      table.setAttribute('aria-busy', 'false');
      if (focusFirst) { const a = tbody.querySelector('a'); if (a) a.focus(); }
    } catch (err) {
      if (err.name === 'AbortError' || my !== loadSeq || !alive(seq)) return;
      table.setAttribute('aria-busy', 'false');
      items = [];
      fill(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: canDelete ? 4 : 3 },
        err.status === 403 ? `Your role (${roleName()}) can't view groups. Sign out and pick another role.` : 'The groups could not be loaded.')));
      prev.disabled = true;
      next.disabled = true;
      pageLabel.textContent = '';
      updateSelection();
      showError(err, { retry: err.status === 403 ? undefined : () => load() });
    }
  }
  const restart = () => { L.cursors = [null]; L.page = 0; L.selected.clear(); load(); };
  const searchLater = debounce(() => { if (L.q !== search.value) { L.q = search.value; restart(); } }, 300);
  search.addEventListener('input', searchLater);
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); searchLater.now(); } });
  kindSel.addEventListener('change', () => { L.kind = kindSel.value; restart(); });
  sizeSel.addEventListener('change', () => { L.limit = Number(sizeSel.value); restart(); });
  sortBtn.addEventListener('click', () => { L.sort = L.sort === 'title' ? '-title' : 'title'; restart(); });
  prev.addEventListener('click', () => { if (L.page > 0) { L.page--; L.selected.clear(); load(); } });
  next.addEventListener('click', () => {
    if (!L.nextCursor) return;
    L.cursors[L.page + 1] = L.nextCursor;
    L.cursors.length = L.page + 2;
    L.page++;
    L.selected.clear();
    load();
  });
  selectAll.addEventListener('change', () => {
    for (const g of items.filter((x) => !x.provisioned)) { if (selectAll.checked) L.selected.set(g.id, g.title); else L.selected.delete(g.id); }
    for (const box of tbody.querySelectorAll('input[type=checkbox]:not(:disabled)')) box.checked = selectAll.checked;
    updateSelection();
  });
  if (delBtn) {
    delBtn.addEventListener('click', async () => {
      const ids = Array.from(L.selected.keys());
      if (!ids.length) return;
      const titles = Array.from(L.selected.values());
      const ok = await confirmDialog({
        title: `Delete ${plural(ids.length, 'group')}?`,
        message: 'The groups and their memberships are deleted. The users themselves are kept. This cannot be undone.',
        details: h('ul', { class: 'plain' }, titles.slice(0, 10).map((t) => h('li', null, t)),
          titles.length > 10 ? h('li', null, `and ${titles.length - 10} more`) : null),
        confirmLabel: 'Delete',
        danger: true,
      });
      if (!ok || !alive(seq)) return;
      try {
        const { data } = await api('DELETE', '/groups', { body: { groupIds: ids } });
        data.deleted.forEach((id) => S.groups.delete(id));
        const gone = data.notFound.length ? ` ${plural(data.notFound.length, 'group was', 'groups were')} already gone.` : '';
        toast(`Deleted ${plural(data.deleted.length, 'group')}.${gone}`);
        L.selected.clear();
        if (items.length <= data.deleted.length && L.page > 0) L.page--;
        load();
      } catch (err) {
        showError(err);
      }
    });
  }
  updateSortHeader();
  await load();
  if (alive(seq)) focusHeading();
}

function smartIconPlain() { return icon('smart'); }

/** Marks a group an identity provider owns through SCIM: read-only in the console. */
export function provisionedBadge(g) {
  if (!g.provisioned) return null;
  return h('span', {
    class: 'badge badge-info provisioned-badge',
    title: 'Provisioned by your identity provider (SCIM): change it there',
  }, 'Provisioned');
}

/** A smart group's processing mode, shown when it is not the usual one. */
export function modeBadge(g) {
  if (g.mode === 'paused') return h('span', { class: 'badge badge-warn mode-badge', 'data-mode': 'paused' }, 'Paused');
  if (g.mode === 'addOnly') return h('span', { class: 'badge badge-info mode-badge', 'data-mode': 'addOnly' }, 'Add only');
  return null;
}

async function newGroupDialog() {
  try { await ensureDepartments(); } catch (e) { showError(e); return; }
  const title = h('input', { type: 'text', id: 'new-title', name: 'title', required: true, maxlength: 200, autocomplete: 'off' });
  const desc = h('textarea', { id: 'new-desc', name: 'description', maxlength: 2000, rows: 3 });
  const dept = ownerDepartmentField('new-dept');
  const create = h('button', { type: 'submit', class: 'btn btn-primary', form: 'new-group-form' }, 'Create group');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const form = h('form', { id: 'new-group-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'new-title' }, 'Title'), title),
    h('div', { class: 'field' }, h('label', { for: 'new-desc' }, 'Description ', h('span', { class: 'hint' }, '(optional)')), desc),
    dept.el);
  const d = openDialog({ title: 'New group', content: form, actions: [cancel, create] });
  cancel.addEventListener('click', () => d.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(d.alert);
    setFieldError(title, '');
    if (!title.value.trim()) { setFieldError(title, 'Enter a title.'); title.focus(); return; }
    create.disabled = true;
    try {
      const data = await createGroup({
        kind: 'static', title: title.value, description: desc.value, ownerDepartmentId: dept.sel.value,
      });
      d.close();
      toast(`Group “${data.title}” created.`);
      location.hash = `#/groups/${encodeURIComponent(data.id)}`;
    } catch (err) {
      create.disabled = false;
      showError(err, { region: d.alert });
      const field = err.problem && err.problem.field;
      const target = field === 'title' ? title : field === 'description' ? desc : field === 'ownerDepartmentId' ? dept.sel : null;
      if (target) { setFieldError(target, err.problem.detail || friendlyTitle(err)); target.focus(); }
    }
  });
}
