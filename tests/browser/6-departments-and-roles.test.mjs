// The Departments and Roles pages: offered as GET /me allows (departments:manage, or read only
// with users:view or groups:view; roles:manage); the department tree with every page of it and a
// department's counts; creating, renaming, moving (followed until the background move is done)
// and deleting departments, and the refusal to delete one that still holds something; creating,
// editing and deleting custom roles, and the refusal to delete a role someone holds.
// Each test makes its own departments, users and roles (under Acme Corp) and removes them after.
import assert from 'node:assert/strict';
import { api, BASE_URL, browserSuite, createGroup, eventually, screenshot, signIn, unique } from './harness.mjs';

const it = browserSuite();

const nav = (page) => page.getByRole('navigation', { name: 'Main' });
const node = (page, name) => page.locator('#dept-tree').getByRole('button', { name, exact: true });
const deptDialog = (page, name) => page.getByRole('dialog', { name });

/** Every department a role sees, in tree order, by paging the API. */
async function treeOf(role) {
  const items = [];
  let cursor = null;
  do {
    const res = await api(role, 'GET', `/departments?shape=tree&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200, `GET /departments?shape=tree: ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

async function makeDept(name, parentId = 'acme') {
  const res = await api('owner', 'POST', '/departments', { name, parentId });
  assert.equal(res.status, 201, `POST /departments ${name}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function makeUser(departmentId, role = 'learner') {
  const id = `dr-${process.pid.toString(36)}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const res = await api('owner', 'PUT', `/users/${id}`, {
    email: `${id}@acme.example`, firstName: 'Dee', lastName: 'Partment', departmentId, role,
  });
  assert.ok(res.status === 200 || res.status === 201, `PUT /users/${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Removes what a test made (users, groups, then departments deepest first), ignoring what is gone. */
async function cleanUp({ users = [], groups = [], departments = [], roles = [] }) {
  for (const u of users) await api('owner', 'DELETE', `/users/${encodeURIComponent(u)}`);
  for (const g of groups) await api('owner', 'DELETE', `/groups/${encodeURIComponent(g)}`);
  for (const d of departments) await api('owner', 'DELETE', `/departments/${encodeURIComponent(d)}`);
  for (const r of roles) await api('owner', 'DELETE', `/roles/${encodeURIComponent(r)}`);
}

/** Every visible control of the page (dialogs included) that has no accessible name. */
function unlabelled(page) {
  return page.evaluate(() => {
    const named = (el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
      if (el.tagName === 'BUTTON' || el.tagName === 'A') return el.textContent.trim() !== '';
      return el.labels && el.labels.length > 0;
    };
    return Array.from(document.querySelectorAll('#view button, #view a, #view input, #view select, #view textarea, dialog button, dialog input, dialog select, dialog textarea'))
      .filter((el) => el.getClientRects().length && !named(el))
      .map((el) => el.outerHTML.slice(0, 120));
  });
}

async function openDepartments(page, role = 'owner') {
  await signIn(page, role);
  await nav(page).getByRole('link', { name: 'Departments' }).click();
  await page.getByRole('heading', { name: 'Departments', level: 1 }).waitFor();
  await page.locator('#dept-tree[aria-busy="false"]').waitFor();
}

async function selectDept(page, name) {
  await node(page, name).click();
  await eventually(async () => {
    assert.equal(await page.locator('#dept-name').textContent(), name);
    assert.equal(await page.locator('#dept-counts').count(), 1);
  });
}

const count = async (page, key) => (await page.locator(`#dept-counts [data-count="${key}"] .stat-value`).textContent()).trim();

/** The name of the department whose list holds the node named `name`, from the page's tree. */
const treeParent = (page, name) => node(page, name).evaluate((b) => {
  const li = b.closest('li').parentElement.closest('li');
  return li ? li.querySelector(':scope > button').textContent.trim() : null;
});

async function openRoles(page, role = 'owner') {
  await signIn(page, role);
  await nav(page).getByRole('link', { name: 'Roles' }).click();
  await page.getByRole('heading', { name: 'Roles', level: 1 }).waitFor();
  await page.locator('#roles-table[aria-busy="false"]').waitFor();
}
const roleRow = (page, name) => page.locator('#roles-table tbody tr', { has: page.getByRole('rowheader').getByText(name, { exact: true }) });

// ------------------------------------------------------------------ what is offered to whom

it('offers Departments and Roles to the Owner and the Administrator, not to a Learner; a Department Administrator reads their tree only', async (page) => {
  for (const role of ['owner', 'admin']) {
    const me = (await api(role, 'GET', '/me')).body;
    assert.ok(me.permissions.includes('departments:manage') && me.permissions.includes('roles:manage'), `${role}: ${me.permissions}`);
    await signIn(page, role);
    await nav(page).getByRole('link', { name: 'Departments' }).waitFor();
    await nav(page).getByRole('link', { name: 'Roles' }).waitFor();
    assert.equal(await nav(page).getByRole('link', { name: 'Groups' }).getAttribute('aria-current'), 'page');
  }

  // A Learner: neither tab, and the addresses say no without calling the API.
  const calls = [];
  page.on('request', (r) => { const p = new URL(r.url()).pathname; if (p.startsWith('/departments') || p.startsWith('/roles')) calls.push(p); });
  await signIn(page, 'learner');
  await page.locator('#not-allowed').waitFor();
  assert.equal(await nav(page).getByRole('link', { name: 'Departments' }).count(), 0);
  assert.equal(await nav(page).getByRole('link', { name: 'Roles' }).count(), 0);
  await page.goto(`${BASE_URL}/#/departments`);
  await eventually(async () => assert.match(await page.locator('#not-allowed').textContent(), /Your role \(Learner\) can't view departments/));
  await page.goto(`${BASE_URL}/#/roles`);
  await eventually(async () => assert.match(await page.locator('#not-allowed').textContent(), /Your role \(Learner\) can't manage roles/));
  assert.deepEqual(calls, [], 'no department or role call for a Learner');

  // A Department Administrator: no Roles tab, no departments:manage, so a read-only tree of Sales.
  const me = (await api('departmentAdmin', 'GET', '/me')).body;
  assert.ok(!me.permissions.includes('departments:manage') && !me.permissions.includes('roles:manage'), `departmentAdmin: ${me.permissions}`);
  await signIn(page, 'departmentAdmin');
  assert.equal(await nav(page).getByRole('link', { name: 'Roles' }).count(), 0);
  await nav(page).getByRole('link', { name: 'Departments' }).click();
  await page.locator('#dept-tree[aria-busy="false"]').waitFor();
  assert.equal(await nav(page).getByRole('link', { name: 'Departments' }).getAttribute('aria-current'), 'page');
  const names = (await treeOf('departmentAdmin')).map((d) => d.name);
  assert.ok(names.includes('Sales') && !names.includes('Marketing'), `the Department Administrator's tree: ${names}`);
  assert.deepEqual(await page.locator('#dept-tree button.dept-node').allTextContents(), names);
  await selectDept(page, 'Sales');
  await page.getByText('Your role (Department Administrator) can view departments but not change them.').waitFor();
  for (const name of ['New sub-department', 'Rename', 'Move', 'Delete']) {
    assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `${name} is not offered`);
  }
  await page.goto(`${BASE_URL}/#/roles`);
  await eventually(async () => assert.match(await page.locator('#not-allowed').textContent(), /can't manage roles/));
});

// ------------------------------------------------------------------ departments

it('shows the whole tree (every page of it), indented by depth, and the counts of the department selected', async (page) => {
  // Ask for pages of 3 so that the tree needs several; the console must follow every cursor.
  let pages = 0;
  await page.route((url) => url.pathname === '/departments' && url.searchParams.get('shape') === 'tree', async (route) => {
    pages += 1;
    const url = new URL(route.request().url());
    url.searchParams.set('limit', '3');
    await route.continue({ url: url.toString() });
  });
  await openDepartments(page);
  const tree = await treeOf('owner');
  assert.ok(pages > 1, `the tree came in ${pages} pages`);
  assert.deepEqual(await page.locator('#dept-tree button.dept-node').allTextContents(), tree.map((d) => d.name), 'the API tree, in order');
  // Nested: Sales EMEA sits in Sales' list, which sits in Acme Corp's; deeper means further right.
  assert.equal(await treeParent(page, 'Sales EMEA'), 'Sales');
  assert.equal(await treeParent(page, 'Interns'), 'People');
  assert.equal(await treeParent(page, 'Acme Corp'), null);
  const x = async (name) => (await node(page, name).boundingBox()).x;
  assert.ok(await x('Acme Corp') < await x('Sales') && await x('Sales') < await x('Sales EMEA'), 'indented by depth');

  await selectDept(page, 'Sales');
  const sales = (await api('owner', 'GET', '/departments/sales')).body;
  for (const key of ['users', 'nestedUsers', 'subDepartments', 'groups']) {
    assert.equal(await count(page, key), String(sales.counts[key]), `Sales ${key}`);
  }
  assert.equal(await node(page, 'Sales').getAttribute('aria-current'), 'true');
  assert.match(await page.locator('#dept-path').textContent(), /Acme Corp/);
  assert.deepEqual(await unlabelled(page), [], 'every control is labelled');
  await screenshot(page, 'departments');

  // From the keyboard: arrows move between departments, Enter selects.
  await node(page, 'Sales').focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), tree[tree.findIndex((d) => d.id === 'sales') + 1].name);
  await page.keyboard.press('Enter');
  await eventually(async () => assert.equal(await page.locator('#dept-name').textContent(), tree[tree.findIndex((d) => d.id === 'sales') + 1].name));
});

it('creates a sub-department, refuses a duplicate name, renames it and deletes it once empty', async (page) => {
  const parent = await makeDept(unique('Dept parent'));
  const made = [];
  try {
    const name = unique('Child');
    await openDepartments(page);
    await selectDept(page, parent.name);
    assert.equal(await count(page, 'subDepartments'), '0');

    // Create, from the keyboard: the dialog focuses its field.
    await page.getByRole('button', { name: 'New sub-department' }).focus();
    await page.keyboard.press('Enter');
    let dialog = deptDialog(page, `New sub-department of “${parent.name}”`);
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'new-dept-name');
    assert.deepEqual(await unlabelled(page), []);
    await page.keyboard.type(name);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await node(page, name).waitFor();
    assert.equal(await treeParent(page, name), parent.name);
    await eventually(async () => assert.equal(await page.locator('#dept-name').textContent(), name));
    const child = (await treeOf('owner')).find((d) => d.name === name);
    assert.ok(child, 'the API lists the new department');
    made.push(child.id);
    assert.equal(child.parentId, parent.id);

    // The same name again beside it (in other letters' case) is refused.
    await selectDept(page, parent.name);
    assert.equal(await count(page, 'subDepartments'), '1');
    await page.getByRole('button', { name: 'New sub-department' }).click();
    dialog = deptDialog(page, `New sub-department of “${parent.name}”`);
    await dialog.getByLabel('Name').fill(name.toUpperCase());
    await dialog.getByRole('button', { name: 'Create department' }).click();
    await eventually(async () => assert.notEqual((await dialog.getByRole('alert').textContent()).trim(), ''));
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await treeOf('owner')).filter((d) => d.parentId === parent.id).length, 1);

    // Rename.
    const renamed = `${name} renamed`;
    await selectDept(page, name);
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    dialog = deptDialog(page, `Rename “${name}”`);
    await dialog.getByLabel('Name').fill(renamed);
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await node(page, renamed).waitFor();
    await eventually(async () => assert.equal(await page.locator('#dept-name').textContent(), renamed));
    assert.equal(await node(page, name).count(), 0);
    assert.equal((await api('owner', 'GET', `/departments/${child.id}`)).body.name, renamed);

    // Delete it: it is empty.
    assert.equal(await count(page, 'nestedUsers'), '0');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    dialog = deptDialog(page, `Delete “${renamed}”?`);
    await dialog.getByRole('button', { name: 'Delete department' }).click();
    await eventually(async () => assert.equal(await node(page, renamed).count(), 0));
    await eventually(async () => assert.equal(await page.locator('#dept-name').textContent(), parent.name), { timeout: 5000 });
    assert.equal((await api('owner', 'GET', `/departments/${child.id}`)).status, 404);
    assert.equal((await page.locator('#alert').textContent()).trim(), '', 'no error');
  } finally {
    await cleanUp({ departments: [...made, parent.id] });
  }
});

it('moves a department with its users and groups, after saying what moves, and follows the move until it is done', async (page) => {
  const from = await makeDept(unique('Move from'));
  const to = await makeDept(unique('Move to'));
  const mover = await makeDept(unique('Mover'), from.id);
  const inner = await makeDept(unique('Mover inner'), mover.id);
  const user = await makeUser(inner.id);
  const group = await createGroup({ title: unique('Mover group'), ownerDepartmentId: mover.id });
  try {
    const counts = (await api('owner', 'GET', `/departments/${mover.id}`)).body.counts;
    assert.deepEqual([counts.nestedUsers, counts.groups, counts.subDepartments], [1, 1, 1], JSON.stringify(counts));
    await openDepartments(page);
    await selectDept(page, mover.name);
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    const dialog = deptDialog(page, `Move “${mover.name}”`);
    const parentSel = dialog.getByLabel('New parent department');
    // Not under itself nor anything inside it; its parent now is not a choice either.
    const offered = await parentSel.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, disabled: o.disabled })));
    const values = offered.map((o) => o.value);
    assert.ok(values.includes(to.id) && values.includes('acme'));
    assert.ok(!values.includes(mover.id) && !values.includes(inner.id), 'its own subtree is not offered');
    assert.ok(offered.find((o) => o.value === from.id).disabled, 'its parent now is not a choice');
    await parentSel.selectOption(to.id);

    // Watch the move's status region from here on.
    await page.evaluate(() => {
      window.moveStates = [];
      const box = document.getElementById('move-status');
      new MutationObserver(() => { if (box.dataset.state) window.moveStates.push(box.dataset.state); })
        .observe(box, { attributes: true, attributeFilter: ['data-state'], childList: true, subtree: true });
    });
    await dialog.getByRole('button', { name: 'Move' }).click();
    const confirm = deptDialog(page, `Move “${mover.name}” under “${to.name}”?`);
    await confirm.waitFor();
    assert.match(await confirm.textContent(), /1 user and 1 group move with it/);
    assert.match(await confirm.textContent(), /1 sub-department inside it moves too/);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel', 'the question starts on Cancel');
    await confirm.getByRole('button', { name: 'Move' }).click();

    await eventually(async () => assert.equal(await page.locator('#move-status').getAttribute('data-state'), 'done'), { timeout: 30_000 });
    const states = await page.evaluate(() => window.moveStates);
    assert.equal(states[0], 'running', `the progress was shown first: ${states}`);
    assert.match(await page.locator('#move-status').textContent(), /1 user and 1 group moved with it/);
    // The tree is reloaded: the department and what is inside it now sit under the new parent.
    await eventually(async () => assert.equal(await treeParent(page, mover.name), to.name));
    assert.equal(await treeParent(page, inner.name), mover.name);
    const after = (await api('owner', 'GET', `/departments/${mover.id}`)).body;
    assert.equal(after.parentId, to.id);
    assert.deepEqual(after.path, ['acme', to.id, mover.id]);
    assert.equal(after.move.status, 'done');
    assert.deepEqual((await api('owner', 'GET', `/departments/${inner.id}`)).body.path, ['acme', to.id, mover.id, inner.id]);
    assert.equal((await api('owner', 'GET', `/departments/${to.id}`)).body.counts.nestedUsers, 1);
    assert.equal((await api('owner', 'GET', `/departments/${from.id}`)).body.counts.nestedUsers, 0);
    await eventually(async () => assert.equal(await page.getByRole('button', { name: 'Move', exact: true }).isDisabled(), false));
    await screenshot(page, 'department-moved');
  } finally {
    await cleanUp({ users: [user.id], groups: [group.id], departments: [inner.id, mover.id, from.id, to.id] });
  }
});

it('refuses to delete a department that still has users, sub-departments and groups, and says what it holds', async (page) => {
  const full = await makeDept(unique('Full dept'));
  const sub = await makeDept(unique('Full sub'), full.id);
  const user = await makeUser(full.id);
  const group = await createGroup({ title: unique('Full group'), ownerDepartmentId: full.id });
  try {
    await openDepartments(page);
    await selectDept(page, full.name);
    assert.equal(await count(page, 'users'), '1');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await deptDialog(page, `Delete “${full.name}”?`).getByRole('button', { name: 'Delete department' }).click();
    await eventually(async () => {
      const text = await page.locator('#alert').textContent();
      assert.match(text, new RegExp(`“${full.name}” can't be deleted`));
      assert.match(text, /It still has 1 user, 1 sub-department and 1 group\./);
    });
    assert.equal(await page.locator('#alert').getAttribute('role'), 'alert');
    await node(page, full.name).waitFor();
    assert.equal((await api('owner', 'GET', `/departments/${full.id}`)).status, 200);
    // The focus stays on the page's controls (the Delete button).
    assert.equal(await page.evaluate(() => document.activeElement.id), 'dept-delete');
    await screenshot(page, 'department-delete-refused');
  } finally {
    await cleanUp({ users: [user.id], groups: [group.id], departments: [sub.id, full.id] });
  }
});

// ------------------------------------------------------------------ roles

it('creates a custom role with two permissions (holders 0), edits it and deletes it', async (page) => {
  // As if the caller lacked users:manage: that permission can't be given.
  await page.route((url) => url.pathname === '/me', async (route) => {
    const res = await route.fetch();
    const me = await res.json();
    await route.fulfill({ response: res, json: { ...me, permissions: me.permissions.filter((p) => p !== 'users:manage') } });
  });
  const name = unique('Role');
  let id;
  try {
    await openRoles(page);
    await page.getByRole('button', { name: 'New role' }).click();
    let dialog = page.getByRole('dialog', { name: 'New role' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'role-name');
    assert.equal(await dialog.getByRole('checkbox', { name: 'Manage the account owner' }).count(), 0, 'owner:manage is never offered');
    assert.ok(await dialog.getByRole('checkbox', { name: 'Manage users' }).isDisabled(), 'a permission the caller lacks is disabled');
    assert.ok(await dialog.getByRole('checkbox', { name: 'Manage departments' }).isEnabled());
    assert.ok(await dialog.getByRole('radio', { name: 'The whole account' }).isChecked());
    assert.deepEqual(await unlabelled(page), []);
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByRole('checkbox', { name: 'View groups' }).check();
    await dialog.getByRole('checkbox', { name: 'View users' }).check();
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.waitFor({ state: 'detached' });
    let row = roleRow(page, name);
    await row.waitFor();
    assert.equal(await row.locator('[data-col="holders"]').textContent(), '0');
    assert.equal(await row.locator('[data-col="scope"]').textContent(), 'Whole account');
    assert.deepEqual(await row.locator('[data-col="permissions"] li').allTextContents(), ['view groups', 'view users']);
    const created = (await api('owner', 'GET', '/roles?limit=200')).body.items.find((r) => r.name === name);
    assert.ok(created, 'GET /roles lists it');
    id = created.id;
    assert.deepEqual([...created.permissions].sort(), ['groups:view', 'users:view']);
    assert.equal(created.scope, 'account');
    assert.equal(created.holders, 0);
    await screenshot(page, 'roles');

    // Edit: another name, one permission swapped, the managed departments only.
    const renamed = `${name} edited`;
    await row.getByRole('button', { name: `Edit ${name}` }).click();
    dialog = page.getByRole('dialog', { name: `Edit role “${name}”` });
    assert.ok(await dialog.getByRole('checkbox', { name: 'View groups' }).isChecked());
    await dialog.getByLabel('Name').fill(renamed);
    await dialog.getByRole('checkbox', { name: 'View users' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'Manage group members' }).check();
    await dialog.getByRole('radio', { name: 'The departments the user manages' }).check();
    await dialog.getByRole('button', { name: 'Save role' }).click();
    await dialog.waitFor({ state: 'detached' });
    row = roleRow(page, renamed);
    await row.waitFor();
    assert.equal(await row.locator('[data-col="scope"]').textContent(), 'Managed departments');
    assert.deepEqual(new Set(await row.locator('[data-col="permissions"] li').allTextContents()), new Set(['view groups', 'manage group members']));
    const edited = (await api('owner', 'GET', `/roles/${id}`)).body;
    assert.equal(edited.name, renamed);
    assert.deepEqual([...edited.permissions].sort(), ['groups:members', 'groups:view']);
    assert.equal(edited.scope, 'managedDepartments');

    // Delete.
    await row.getByRole('button', { name: `Delete ${renamed}` }).click();
    await page.getByRole('dialog', { name: `Delete the role “${renamed}”?` }).getByRole('button', { name: 'Delete role' }).click();
    await eventually(async () => assert.equal(await roleRow(page, renamed).count(), 0));
    assert.equal((await api('owner', 'GET', `/roles/${id}`)).status, 404);
    assert.equal((await page.locator('#alert').textContent()).trim(), '', 'no error');
    id = null;
  } finally {
    if (id) await cleanUp({ roles: [id] });
  }
});

it('refuses to delete a role that users hold, and says how many', async (page) => {
  const res = await api('owner', 'POST', '/roles', { name: unique('Held role'), permissions: ['groups:view'], scope: 'account' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const role = res.body;
  const user = await makeUser('engineering', role.id);
  try {
    await openRoles(page);
    const row = roleRow(page, role.name);
    await row.waitFor();
    assert.equal(await row.locator('[data-col="holders"]').textContent(), '1');
    await row.getByRole('button', { name: `Delete ${role.name}` }).click();
    const confirm = page.getByRole('dialog', { name: `Delete the role “${role.name}”?` });
    assert.match(await confirm.textContent(), /1 user holds it/);
    await confirm.getByRole('button', { name: 'Delete role' }).click();
    await eventually(async () => {
      const text = await page.locator('#alert').textContent();
      assert.match(text, new RegExp(`“${role.name}” can't be deleted`));
      assert.match(text, /It is held by 1 user\./);
    });
    await row.waitFor();
    assert.equal((await api('owner', 'GET', `/roles/${role.id}`)).status, 200);
    await screenshot(page, 'role-delete-refused');
  } finally {
    await cleanUp({ users: [user.id], roles: [role.id] });
  }
});
