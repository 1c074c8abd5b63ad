// The group page of a static group: members with paging, the add-users picker (department filter,
// search), removing members, counts that follow, and editing details with If-Match.
import assert from 'node:assert/strict';
import {
  api, BASE_URL, browserSuite, createGroup, eventually, fullName, groupsReady, inSubtree, row,
  screenshot, searchGroups, seedUsers, signIn, unique,
} from './harness.mjs';

const it = browserSuite();

const users = seedUsers();
const pickerNames = (page) => page.locator('#picker-results .person-name').allTextContents();
const memberNames = (page) => page.locator('#members-table tbody .person-name').allTextContents();

async function openGroup(page, group) {
  await page.goto(`${BASE_URL}/#/groups/${group.id}`);
  await page.getByRole('heading', { name: group.title, level: 1 }).waitFor();
  await page.locator('#members-table[aria-busy="false"]').waitFor();
}

it('adds members with the picker and the count follows on the page and in the list', async (page) => {
  const group = await createGroup({ title: unique('Picked'), ownerDepartmentId: 'sales' });
  await signIn(page, 'owner');
  await openGroup(page, group);
  assert.equal(await page.locator('#member-count').textContent(), '0');
  await page.getByText('No members yet.').waitFor();

  await page.getByRole('button', { name: 'Add users' }).click();
  const picker = page.getByRole('dialog', { name: /Add users to/ });
  await picker.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'picker-search', 'the picker focuses its search');

  // Department filter, this and nested.
  await picker.getByLabel('Department', { exact: true }).selectOption('sales');
  const salesTree = users.filter((u) => inSubtree(u.department, 'sales'));
  await eventually(async () => assert.deepEqual(new Set(await pickerNames(page)), new Set(salesTree.map(fullName))));
  // Only this department.
  await picker.getByLabel('Include sub-departments').uncheck();
  const salesOnly = users.filter((u) => u.department === 'sales');
  await eventually(async () => assert.deepEqual(new Set(await pickerNames(page)), new Set(salesOnly.map(fullName))));
  await picker.getByLabel('Include sub-departments').check();

  // Search within the department; the selection is kept across searches.
  await picker.getByLabel('Search users').fill('berg');
  const bergs = salesTree.filter((u) => u.lastName === 'Berg');
  assert.ok(bergs.length >= 2);
  await eventually(async () => assert.deepEqual(new Set(await pickerNames(page)), new Set(bergs.map(fullName))));
  for (const u of bergs) await picker.getByRole('checkbox', { name: new RegExp(fullName(u)) }).check();
  await picker.getByLabel('Search users').fill('costa');
  const costas = salesTree.filter((u) => u.lastName === 'Costa');
  await eventually(async () => assert.deepEqual(new Set(await pickerNames(page)), new Set(costas.map(fullName))));
  await picker.getByRole('checkbox', { name: new RegExp(fullName(costas[0])) }).check();
  const chosen = [...bergs, costas[0]];
  await screenshot(page, 'add-users-picker');
  await picker.getByRole('button', { name: `Add ${chosen.length} users` }).click();
  await picker.waitFor({ state: 'detached' });

  await eventually(async () => assert.equal(await page.locator('#member-count').textContent(), String(chosen.length)));
  await eventually(async () => assert.deepEqual(new Set(await memberNames(page)), new Set(chosen.map(fullName))));
  assert.match(await page.locator('#toast').textContent(), new RegExp(`Added ${chosen.length} users`));
  await screenshot(page, 'group-page');

  // Members already in the group are marked in the picker.
  await page.getByRole('button', { name: 'Add users' }).click();
  await picker.getByLabel('Search users').fill('berg');
  const already = picker.getByRole('checkbox', { name: new RegExp(fullName(bergs[0])) });
  await eventually(async () => assert.equal(await already.isDisabled(), true));
  await page.keyboard.press('Escape');
  await picker.waitFor({ state: 'detached' });

  // Remove one.
  const gone = bergs[0];
  await page.getByRole('checkbox', { name: `Select ${fullName(gone)}` }).check();
  await page.getByRole('button', { name: 'Remove selected' }).click();
  await page.getByRole('dialog', { name: 'Remove 1 member?' }).getByRole('button', { name: 'Remove' }).click();
  await eventually(async () => assert.equal(await page.locator('#member-count').textContent(), String(chosen.length - 1)));
  await eventually(async () => assert.ok(!(await memberNames(page)).includes(fullName(gone))));

  // The list's Users column, and the API, agree.
  await page.getByRole('link', { name: 'Groups', exact: true }).first().click();
  await groupsReady(page);
  await searchGroups(page, group.title, [group.title]);
  assert.equal(await row(page, group.title).locator('td[data-col="users"]').textContent(), String(chosen.length - 1));
  assert.equal((await api('owner', 'GET', `/groups/${group.id}`)).body.memberCount, chosen.length - 1);
});

it('pages through the members', async (page) => {
  const ids = users.filter((u) => u.id.startsWith('u')).slice(0, 25).map((u) => u.id);
  const group = await createGroup({ title: unique('Big'), userIds: ids });
  await signIn(page, 'owner');
  await openGroup(page, group);
  assert.equal(await page.locator('#member-count').textContent(), '25');
  const byId = new Map(users.map((u) => [u.id, fullName(u)]));
  const sorted = [...ids].sort();
  await eventually(async () => assert.deepEqual(await memberNames(page), sorted.slice(0, 20).map((id) => byId.get(id))));
  await page.locator('#members-next').click();
  await eventually(async () => assert.deepEqual(await memberNames(page), sorted.slice(20).map((id) => byId.get(id))));
  assert.equal(await page.locator('#members-next').isDisabled(), true);
  await page.locator('#members-prev').click();
  await eventually(async () => assert.equal((await memberNames(page)).length, 20));
});

it('edits the title and description, and reports a concurrent change (If-Match)', async (page) => {
  const group = await createGroup({ title: unique('Editable') });
  await signIn(page, 'owner');
  await openGroup(page, group);
  const renamed = `${group.title} renamed`;
  await page.getByRole('button', { name: 'Edit details' }).click();
  let dialog = page.getByRole('dialog', { name: 'Edit group details' });
  await dialog.getByLabel('Title').fill(renamed);
  await dialog.getByLabel('Description').fill('Now with a description');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: renamed, level: 1 }).waitFor();
  assert.equal(await page.locator('#group-description').textContent(), 'Now with a description');
  assert.equal((await api('owner', 'GET', `/groups/${group.id}`)).body.title, renamed);

  // Someone else edits meanwhile: the next save is refused with a clear message.
  const current = await api('owner', 'GET', `/groups/${group.id}`);
  const other = await api('owner', 'PATCH', `/groups/${group.id}`, { description: 'changed elsewhere' }, { 'If-Match': current.etag });
  assert.equal(other.status, 200);
  await page.getByRole('button', { name: 'Edit details' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit group details' });
  await dialog.getByLabel('Description').fill('my stale edit');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => assert.match(await dialog.getByRole('alert').textContent(), /changed by someone else/));
  await dialog.getByRole('alert').getByRole('button', { name: 'Retry' }).click();
  await dialog.waitFor({ state: 'detached' });
  await eventually(async () => assert.equal(await page.locator('#group-description').textContent(), 'changed elsewhere'));
  assert.equal((await api('owner', 'GET', `/groups/${group.id}`)).body.description, 'changed elsewhere');
});

it('a Department Administrator adds only users of their departments', async (page) => {
  const group = await createGroup({ title: unique('Dept picker'), ownerDepartmentId: 'sales' }, 'departmentAdmin');
  await signIn(page, 'departmentAdmin');
  await openGroup(page, group);
  await page.getByRole('button', { name: 'Add users' }).click();
  const picker = page.getByRole('dialog', { name: /Add users to/ });
  const visible = users.filter((u) => inSubtree(u.department, 'sales'));
  await eventually(async () => assert.deepEqual(new Set(await pickerNames(page)), new Set(visible.map(fullName))));
  const options = await picker.getByLabel('Department', { exact: true }).locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(new Set(options), new Set(['', 'sales', 'sales-apac', 'sales-emea']));
  await page.keyboard.press('Escape');
});

it('deletes a group from its page', async (page) => {
  const group = await createGroup({ title: unique('Delete me') });
  await signIn(page, 'owner');
  await openGroup(page, group);
  await page.getByRole('button', { name: 'Delete group' }).click();
  await page.getByRole('dialog', { name: /Delete “/ }).getByRole('button', { name: 'Delete group' }).click();
  await page.waitForURL(/#\/groups$/);
  await groupsReady(page);
  assert.equal((await api('owner', 'GET', `/groups/${group.id}`)).status, 404);
  // Its old address now says so, instead of a blank page.
  await page.goto(`${BASE_URL}/#/groups/${group.id}`);
  await page.getByRole('heading', { name: 'Group not found' }).waitFor();
  assert.match(await page.locator('#alert').textContent(), /Not found/);
});
