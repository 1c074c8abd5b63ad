// The Departments page: the department tree (GET /departments?shape=tree, every page), the counts
// of the department selected, and, with departments:manage, creating a sub-department, renaming,
// moving (the move runs in the background: polled until done) and deleting (a refusal says what
// the department still holds). Read only for callers with just users:view or groups:view.

import { fill, focusHeading, h, icon, render, setTitle, toast } from './dom.js';
import { fmtDate, plural } from './format.js';
import { alive, poll, S, stopPolling } from './state.js';
import { can, roleName } from './permissions.js';
import { api, ApiError } from './api.js';
import { clearError, friendlyTitle, showError } from './problems.js';
import { pageAll } from './directory.js';
import { confirmDialog, openDialog, setFieldError } from './dialogs.js';

/** Whether the Departments page is offered: to manage them, or to read the tree. */
export function mayViewDepartments() {
  return can('departments:manage') || can('users:view') || can('groups:view');
}

const enc = encodeURIComponent;
const INDENT = '\u00a0\u00a0\u00a0';

// The department selected last, kept across visits of the page (and Retry).
let remembered = null;

/** "3 users, 1 sub-department and 2 groups" (the non-zero parts; the first three when all are zero). */
export function holdingsText(counts) {
  const parts = [
    [counts.users, 'user'], [counts.subDepartments, 'sub-department'], [counts.groups, 'group'],
    [counts.rules, 'smart group rule naming it', 'smart group rules naming it'],
  ].filter(([n]) => typeof n === 'number');
  const some = parts.filter(([n]) => n > 0);
  const words = (some.length ? some : parts.slice(0, 3)).map(([n, one, many]) => plural(n, one, many));
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

export async function departmentsPage({ seq, rerender }) {
  setTitle('Departments');
  const manage = can('departments:manage');

  let items = []; // the tree, depth-first
  let byId = new Map();
  let kids = new Map(); // parent id ('' for the top) -> [department]
  let level = new Map(); // id -> indentation level in what the caller sees
  let selected = null;
  let detailSeq = 0;
  let watching = null; // the id of the department whose move is being polled

  const tree = h('div', { class: 'dept-tree', id: 'dept-tree', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading the departments…'));
  const details = h('section', { class: 'card dept-details', id: 'dept-details', 'aria-labelledby': 'dept-name' },
    h('div', { class: 'card-body' }, h('h2', { id: 'dept-name' }, 'Department'), h('p', { class: 'muted' }, 'Select a department to see what it holds.')));
  const moveBox = h('div', { id: 'move-status', class: 'move-status', role: 'status', 'aria-live': 'polite' });

  render(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' },
        h('h1', null, 'Departments'),
        h('p', { class: 'lead' }, 'The departments of the account and what each holds. A department’s users, sub-departments and groups go with it when it moves.'))),
    !manage ? h('p', { class: 'muted small', id: 'departments-read-only' }, `Your role (${roleName()}) can view departments but not change them.`) : null,
    moveBox,
    h('div', { class: 'dept-layout' },
      h('section', { class: 'card', 'aria-labelledby': 'dept-tree-title' },
        h('div', { class: 'card-head' }, h('h2', { id: 'dept-tree-title' }, 'Department tree')),
        h('div', { class: 'card-body' }, tree)),
      details));

  // Arrow keys move between the departments of the tree (Tab reaches each of them as well).
  tree.addEventListener('keydown', (e) => {
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
    const nodes = Array.from(tree.querySelectorAll('button.dept-node'));
    const at = nodes.indexOf(document.activeElement);
    if (at < 0 || !nodes.length) return;
    e.preventDefault();
    const to = e.key === 'Home' ? 0 : e.key === 'End' ? nodes.length - 1
      : Math.max(0, Math.min(nodes.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)));
    nodes[to].focus();
  });

  const nameOf = (id) => (byId.get(id) ? byId.get(id).name : id);
  const pathOf = (d) => (Array.isArray(d.path) && d.path.length ? d.path : [d.id]);
  /** Whether department d lies in the subtree of root (root included). */
  function inSubtree(d, root) {
    if (Array.isArray(d.path) && d.path.length) return d.path.includes(root);
    for (let x = d, n = 0; x && n < 1000; x = byId.get(x.parentId), n++) if (x.id === root) return true;
    return false;
  }
  const nodeButton = (id) => Array.from(tree.querySelectorAll('button.dept-node')).find((b) => b.dataset.id === id) || null;

  function index(list) {
    items = list;
    byId = new Map(list.map((d) => [d.id, d]));
    kids = new Map();
    level = new Map();
    for (const d of list) {
      const parent = d.parentId && byId.has(d.parentId) ? d.parentId : '';
      if (!kids.has(parent)) kids.set(parent, []);
      kids.get(parent).push(d);
    }
    const walk = (parent, depth) => {
      for (const d of kids.get(parent) || []) { level.set(d.id, depth); walk(d.id, depth + 1); }
    };
    walk('', 0);
  }

  function drawTree() {
    const list = (parent) => {
      const children = kids.get(parent) || [];
      if (!children.length) return null;
      return h('ul', parent ? { class: 'dept-list' } : { class: 'dept-list dept-top', 'aria-label': 'Departments' },
        children.map((d) => h('li', { 'data-id': d.id, 'data-depth': d.depth },
          h('button', {
            type: 'button', class: 'dept-node', 'data-id': d.id, 'aria-current': d.id === selected ? 'true' : null,
            onclick: () => select(d.id),
          }, h('span', { class: 'dept-node-name' }, d.name)),
          list(d.id))));
    };
    fill(tree, items.length ? list('') : h('p', { class: 'muted' }, 'No departments.'));
  }

  async function loadTree() {
    tree.setAttribute('aria-busy', 'true');
    try {
      const list = await pageAll('/departments?shape=tree', 200, 1000);
      if (!alive(seq)) return false;
      index(list);
      if (!selected || !byId.has(selected)) selected = remembered && byId.has(remembered) ? remembered : (items[0] ? items[0].id : null);
      drawTree();
      tree.setAttribute('aria-busy', 'false');
      return true;
    } catch (err) {
      if (!alive(seq)) return false;
      fill(tree, h('p', { class: 'muted' }, err.status === 403
        ? `Your role (${roleName()}) can't view departments.` : 'The departments could not be loaded.'));
      tree.setAttribute('aria-busy', 'false');
      showError(err, { retry: err.status === 403 ? undefined : () => rerender() });
      return false;
    }
  }

  function select(id) {
    if (id !== selected) clearError();
    selected = id;
    remembered = id;
    for (const b of tree.querySelectorAll('button.dept-node')) {
      if (b.dataset.id === id) b.setAttribute('aria-current', 'true'); else b.removeAttribute('aria-current');
    }
    return loadDetails(id);
  }

  async function loadDetails(id) {
    const my = ++detailSeq;
    if (!id) {
      fill(details, h('div', { class: 'card-body' }, h('h2', { id: 'dept-name' }, 'No department'), h('p', { class: 'muted' }, 'There is no department to show.')));
      return;
    }
    details.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('GET', `/departments/${enc(id)}`);
      if (my !== detailSeq || !alive(seq)) return;
      details.setAttribute('aria-busy', 'false');
      drawDetails(data);
      if (data.move && data.move.status === 'running' && watching !== id) watchMove(id, data);
    } catch (err) {
      if (err.name === 'AbortError' || my !== detailSeq || !alive(seq)) return;
      details.setAttribute('aria-busy', 'false');
      keepFocus(() => fill(details, h('div', { class: 'card-body' },
        h('h2', { id: 'dept-name', tabindex: '-1' }, nameOf(id)),
        h('p', { class: 'muted' }, err.status === 404 ? 'This department no longer exists.' : 'What this department holds could not be loaded.'))));
      showError(err, { retry: err.status === 403 || err.status === 404 ? undefined : () => loadDetails(id) });
    }
  }

  /** Redraws part of the page, keeping the focus on the control with the same id (or the heading). */
  function keepFocus(draw) {
    const active = document.activeElement;
    const inside = active && details.contains(active);
    const id = inside ? active.id : '';
    draw();
    if (!inside) return;
    const again = (id && details.querySelector(`#${CSS.escape(id)}`)) || details.querySelector('#dept-name');
    if (again) {
      if (again.tagName === 'H2') again.setAttribute('tabindex', '-1');
      again.focus();
    }
  }

  function drawDetails(d) {
    const c = d.counts || {};
    const stat = (key, label) => h('div', { class: 'stat', 'data-count': key },
      h('div', { class: 'stat-value' }, String(c[key] ?? 0)), h('div', { class: 'stat-label' }, label));
    const root = !d.parentId;
    const actions = manage ? h('div', { class: 'actions dept-actions' },
      h('button', { type: 'button', class: 'btn btn-sm', id: 'dept-new-child', onclick: () => createDialog(d) }, icon('plus'), 'New sub-department'),
      h('button', { type: 'button', class: 'btn btn-sm', id: 'dept-rename', onclick: () => renameDialog(d) }, 'Rename'),
      root ? null : h('button', { type: 'button', class: 'btn btn-sm', id: 'dept-move', disabled: watching === d.id, onclick: () => moveDialog(d) }, 'Move'),
      h('button', { type: 'button', class: 'btn btn-sm btn-danger-outline', id: 'dept-delete', onclick: () => deleteDepartment(d) }, icon('trash'), 'Delete')) : null;
    const path = pathOf(d);
    keepFocus(() => fill(details,
      h('div', { class: 'card-head' }, h('h2', { id: 'dept-name' }, d.name)),
      h('div', { class: 'card-body dept-body' },
        h('p', { class: 'muted small', id: 'dept-path' },
          path.length > 1 ? `In ${path.slice(0, -1).map(nameOf).join(' › ')}` : 'The top of the account'),
        h('div', { class: 'stats', id: 'dept-counts', role: 'group', 'aria-label': `What ${d.name} holds` },
          stat('users', 'users directly in it'),
          stat('nestedUsers', 'users, sub-departments included'),
          stat('subDepartments', 'sub-departments'),
          stat('groups', 'groups it owns'),
          typeof c.rules === 'number' ? stat('rules', 'smart group rules naming it') : null),
        d.move && d.move.status === 'done' ? h('p', { class: 'muted small', id: 'dept-last-move' },
          `Last moved ${d.move.finishedAt ? fmtDate(d.move.finishedAt) : ''}: ${plural(d.move.usersMoved || 0, 'user')} and ${plural(d.move.groupsMoved || 0, 'group')} moved with it.`) : null,
        actions)));
  }

  // ------------------------------------------------------------------ move, polled until done

  const parentIn = (path, id) => {
    if (!Array.isArray(path) || !path.length) return '';
    return path[path.length - 1] === id ? (path[path.length - 2] || '') : path[path.length - 1];
  };

  function showMove(d, total) {
    const m = d.move;
    if (!m) { fill(moveBox); delete moveBox.dataset.state; return; }
    moveBox.dataset.state = m.status;
    const to = nameOf(parentIn(m.toPath, d.id) || d.parentId || '');
    const from = nameOf(parentIn(m.fromPath, d.id));
    const moved = m.usersMoved || 0;
    if (m.status === 'running') {
      const all = total ?? (d.counts && d.counts.nestedUsers);
      const bar = typeof all === 'number' && all > 0
        ? h('progress', { id: 'move-progress', max: all, value: Math.min(moved, all), 'aria-label': 'Move progress' })
        : h('progress', { id: 'move-progress', 'aria-label': 'Move progress' });
      fill(moveBox, h('div', { class: 'notice info' }, icon('info'), h('div', { class: 'move-text' },
        h('strong', null, `Moving “${d.name}” under “${to}”… `),
        h('span', { id: 'move-count' }, typeof all === 'number' && all > 0 ? `${moved} of ${plural(all, 'user')} moved so far.` : `${plural(moved, 'user')} moved so far.`),
        bar)));
    } else {
      const reeval = m.groupsReevaluated ? `, ${plural(m.groupsReevaluated, 'smart group')} re-evaluated` : '';
      fill(moveBox, h('div', { class: 'notice ok' }, icon('check'), h('div', { class: 'move-text' },
        h('strong', null, `Moved “${d.name}”${from ? ` from “${from}”` : ''} to “${to}”. `),
        h('span', { id: 'move-count' }, `${plural(moved, 'user')} and ${plural(m.groupsMoved || 0, 'group')} moved with it${reeval}.`))));
    }
  }

  function watchMove(id, first, total) {
    stopPolling();
    watching = id;
    if (first) showMove(first, total);
    const moveBtn = details.querySelector('#dept-move');
    if (moveBtn && selected === id) moveBtn.disabled = true;
    const tick = async () => {
      if (!alive(seq) || watching !== id) return;
      try {
        const { data } = await api('GET', `/departments/${enc(id)}`);
        if (!alive(seq) || watching !== id) return;
        showMove(data, total);
        if (data.move && data.move.status === 'running') { poll.timer = setTimeout(tick, 500); return; }
        poll.timer = null;
        watching = null;
        S.departments = null; // the pickers' cache: paths changed
        toast(`“${data.name}” moved: ${plural((data.move && data.move.usersMoved) || 0, 'user')} moved with it.`);
        if (await loadTree()) await loadDetails(selected);
      } catch (err) {
        if (err.name === 'AbortError' || !alive(seq)) return;
        poll.timer = null;
        watching = null;
        showError(err, { retry: () => watchMove(id, null, total) });
      }
    };
    poll.timer = setTimeout(tick, 500);
  }

  async function moveDialog(d) {
    const options = items.filter((x) => !inSubtree(x, d.id));
    const sel = h('select', { id: 'move-parent', name: 'parentId', required: true, 'aria-describedby': 'move-parent-hint' },
      h('option', { value: '' }, 'Choose a department'),
      options.map((x) => h('option', { value: x.id, disabled: x.id === d.parentId },
        `${INDENT.repeat(level.get(x.id) || 0)}${x.name}${x.id === d.parentId ? ' (its parent now)' : ''}`)));
    const go = h('button', { type: 'submit', class: 'btn btn-primary', form: 'move-dept-form' }, 'Move');
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const form = h('form', { id: 'move-dept-form', novalidate: true },
      h('div', { class: 'field' },
        h('label', { for: 'move-parent' }, 'New parent department'),
        sel,
        h('span', { class: 'hint', id: 'move-parent-hint' }, `“${d.name}” and the departments inside it are not offered: a department can't move under itself.`)));
    const dlg = openDialog({ title: `Move “${d.name}”`, content: form, actions: [cancel, go] });
    cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearError(dlg.alert);
      setFieldError(sel, '');
      const parentId = sel.value;
      if (!parentId) { setFieldError(sel, 'Choose the department to move it under.'); sel.focus(); return; }
      go.disabled = true;
      let fresh = d;
      try {
        fresh = (await api('GET', `/departments/${enc(d.id)}`)).data;
      } catch (err) {
        go.disabled = false;
        showError(err, { region: dlg.alert });
        return;
      }
      const c = fresh.counts || {};
      const users = c.nestedUsers ?? c.users ?? 0;
      const ok = await confirmDialog({
        title: `Move “${d.name}” under “${nameOf(parentId)}”?`,
        message: `${plural(users, 'user')} and ${plural(c.groups || 0, 'group')} move with it.`,
        details: h('p', { class: 'muted' },
          c.subDepartments ? `${plural(c.subDepartments, 'sub-department')} inside it ${c.subDepartments === 1 ? 'moves' : 'move'} too. ` : '',
          'Smart groups that look at departments are re-evaluated. The move runs in the background; you can follow it here.'),
        confirmLabel: 'Move',
      });
      if (!ok || !alive(seq)) { go.disabled = false; return; }
      try {
        const { data, status } = await api('PATCH', `/departments/${enc(d.id)}`, { body: { parentId } });
        dlg.close();
        S.departments = null;
        if (status === 202 || (data && data.move && data.move.status === 'running')) {
          toast(`Moving “${d.name}”…`);
          watchMove(d.id, data, users);
        } else {
          toast(`“${d.name}” moved.`);
          if (await loadTree()) await loadDetails(selected);
        }
      } catch (err) {
        go.disabled = false;
        showError(err, { region: dlg.alert });
        if (err.problem && err.problem.field === 'parentId') setFieldError(sel, err.problem.detail || friendlyTitle(err));
      }
    });
  }

  // ------------------------------------------------------------------ create, rename, delete

  /** A dialog with one Name field; `send(name)` makes the call and resolves the department. */
  function nameDialog({ title, id, value = '', label, submitLabel, hint, send, done }) {
    const input = h('input', { type: 'text', id, name: 'name', required: true, maxlength: 200, autocomplete: 'off', value,
      'aria-describedby': hint ? `${id}-hint` : null });
    const go = h('button', { type: 'submit', class: 'btn btn-primary', form: `${id}-form` }, submitLabel);
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const form = h('form', { id: `${id}-form`, novalidate: true },
      h('div', { class: 'field' }, h('label', { for: id }, label), input,
        hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null));
    const dlg = openDialog({ title, content: form, actions: [cancel, go] });
    if (value) input.select();
    cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearError(dlg.alert);
      setFieldError(input, '');
      const name = input.value.trim();
      if (!name) { setFieldError(input, 'Enter a name.'); input.focus(); return; }
      if (name === value) { dlg.close(); return; }
      go.disabled = true;
      try {
        const data = await send(name);
        // Once the dialog has handed the focus back, the page moves it where the result is.
        const closed = new Promise((resolve) => dlg.dialog.addEventListener('close', resolve, { once: true }));
        dlg.close();
        await closed;
        S.departments = null;
        await done(data);
      } catch (err) {
        go.disabled = false;
        showError(err, { region: dlg.alert });
        const field = err.problem && err.problem.field;
        if (err.status === 409 || field === 'name') {
          setFieldError(input, err.problem.detail || (err.status === 409 ? 'A department beside it already has this name.' : friendlyTitle(err)));
          input.focus();
        }
      }
    });
  }

  async function reloadAndFocus(id) {
    selected = id;
    remembered = id;
    if (!(await loadTree())) return;
    const btn = nodeButton(id);
    if (btn) btn.focus();
    await loadDetails(id);
  }

  function createDialog(parent) {
    nameDialog({
      title: `New sub-department of “${parent.name}”`,
      id: 'new-dept-name',
      label: 'Name',
      hint: 'Sibling departments need different names.',
      submitLabel: 'Create department',
      send: async (name) => (await api('POST', '/departments', { body: { name, parentId: parent.id } })).data,
      done: async (data) => { toast(`Department “${data.name}” created.`); await reloadAndFocus(data.id); },
    });
  }

  function renameDialog(d) {
    nameDialog({
      title: `Rename “${d.name}”`,
      id: 'rename-dept-name',
      value: d.name,
      label: 'Name',
      submitLabel: 'Rename',
      send: async (name) => (await api('PATCH', `/departments/${enc(d.id)}`, { body: { name } })).data,
      done: async (data) => { toast(`Renamed to “${data.name}”.`); await reloadAndFocus(d.id); },
    });
  }

  async function deleteDepartment(d) {
    const ok = await confirmDialog({
      title: `Delete “${d.name}”?`,
      message: 'The department is deleted. This cannot be undone.',
      confirmLabel: 'Delete department',
      danger: true,
    });
    if (!ok || !alive(seq)) return;
    try {
      await api('DELETE', `/departments/${enc(d.id)}`);
      S.departments = null;
      clearError();
      toast(`Department “${d.name}” deleted.`);
      const parent = d.parentId && byId.has(d.parentId) ? d.parentId : null;
      selected = parent;
      remembered = parent;
      if (!(await loadTree())) return;
      const btn = selected && nodeButton(selected);
      if (btn) btn.focus(); else focusHeading();
      await loadDetails(selected);
    } catch (err) {
      if (err.status === 409) {
        const counts = err.problem.counts;
        const detail = counts && typeof counts === 'object'
          ? `It still has ${holdingsText(counts)}. Move or delete them first, then delete the department.`
          : (err.problem.detail || 'It is not empty.');
        showError(new ApiError(409, { ...err.problem, title: `“${d.name}” can't be deleted`, detail }));
        loadDetails(d.id);
        return;
      }
      showError(err);
    }
  }

  // ------------------------------------------------------------------ first load

  if (!(await loadTree())) { if (alive(seq)) focusHeading(); return; }
  focusHeading();
  if (selected) await loadDetails(selected);
  else fill(details, h('div', { class: 'card-body' }, h('h2', { id: 'dept-name' }, 'No department'), h('p', { class: 'muted' }, 'There is no department to show.')));
}
