// What GET /me says drives what the console offers: a custom role (Trainer) sees exactly the actions
// its permissions allow, a Learner is told they have no access without a refused call, a refusal
// that still happens shows as a message; and preview samples are named by looking their ids up.
import assert from 'node:assert/strict';
import {
  allGroups, api, BASE_URL, browserSuite, createGroup, eventually, fullName, groupsReady, inSubtree,
  screenshot, seedUsers, signIn, unique, visibleTitles,
} from './harness.mjs';

const it = browserSuite();

const users = seedUsers();
const PERM_WORDS = {
  'groups:view': 'view groups', 'groups:create': 'create groups', 'groups:edit': 'edit groups',
  'groups:delete': 'delete groups', 'groups:members': 'manage group members', 'users:view': 'view users',
};

/** Records every API answer of status 403 the page receives. */
function refusals(page) {
  const seen = [];
  page.on('response', (r) => { if (r.status() === 403) seen.push(`${r.request().method()} ${new URL(r.url()).pathname}`); });
  return seen;
}

/** Asserts that a control is offered exactly when the permission is held. */
async function offered(locator, allowed, what) {
  assert.equal(await locator.count(), allowed ? 1 : 0, `${what} is ${allowed ? '' : 'not '}offered`);
}

it('offers a custom role (Trainer) exactly the actions its permissions allow, as GET /me lists them', async (page) => {
  const me = (await api('trainer', 'GET', '/me')).body;
  const may = (p) => me.permissions.includes(p);
  assert.equal(me.role, 'trainer');
  // The check means something only if the role may do some things and not others.
  assert.ok(may('groups:view') && may('groups:members') && !may('groups:create') && !may('groups:edit') && !may('groups:delete'),
    `the demo Trainer's permissions: ${me.permissions}`);
  assert.deepEqual(me.departmentIds, ['marketing']);
  const dept = me.departmentIds[0];
  const inDept = users.filter((u) => inSubtree(u.department, dept));
  const staticGroup = await createGroup({ title: unique('Trainer static'), ownerDepartmentId: dept, userIds: [inDept[0].id] });
  const smartGroup = await createGroup({ title: unique('Trainer smart'), kind: 'smart', ownerDepartmentId: dept, rule: { attr: 'department', op: 'eq', value: dept } });
  const refused = refusals(page);

  // The sign-in page describes the custom role from its /me.
  await page.goto(`${BASE_URL}/#/signin`);
  const desc = page.locator('button[data-role="trainer"] .role-desc');
  const words = me.permissions.filter((p) => PERM_WORDS[p]).map((p) => PERM_WORDS[p]);
  await eventually(async () => {
    const text = await desc.textContent();
    for (const w of words) assert.ok(text.includes(w), `“${text}” names ${w}`);
  });
  assert.doesNotMatch(await desc.textContent(), /create groups|edit groups|delete groups/);

  await page.locator('button[data-role="trainer"]').click();
  await groupsReady(page);
  assert.equal(await page.locator('#who-name').textContent(), fullName(me.user));
  assert.equal(await page.locator('#who-role').textContent(), 'Trainer (custom role)');
  assert.equal(await page.locator('#who-scope').textContent(), ' · Marketing');

  // The Groups page: their groups; no create or delete controls.
  await page.getByLabel('Groups per page').selectOption('100');
  await eventually(async () => assert.deepEqual(await visibleTitles(page), (await allGroups('trainer')).map((g) => g.title)));
  await offered(page.getByRole('button', { name: 'New Group' }), may('groups:create'), 'New Group');
  await offered(page.getByRole('link', { name: 'New Smart Group' }), may('groups:create'), 'New Smart Group');
  await offered(page.getByRole('checkbox', { name: 'Select all groups on this page' }), may('groups:delete'), 'Select all');
  await offered(page.getByRole('button', { name: 'Delete selected' }), may('groups:delete'), 'Delete selected');
  assert.equal(await page.locator('#groups-table tbody input[type=checkbox]').count(), 0, 'no row checkboxes');
  await page.getByText('Your role (Trainer) can view groups but not create them.').waitFor();
  await screenshot(page, 'groups-trainer');

  // A static group: members can be managed, the group itself not edited or deleted.
  await page.getByRole('link', { name: staticGroup.title }).click();
  await page.getByRole('heading', { name: staticGroup.title, level: 1 }).waitFor();
  await page.locator('#members-table[aria-busy="false"]').waitFor();
  await offered(page.getByRole('button', { name: 'Edit details' }), may('groups:edit'), 'Edit details');
  await offered(page.getByRole('button', { name: 'Delete group' }), may('groups:delete'), 'Delete group');
  await offered(page.getByRole('button', { name: 'Add users' }), may('groups:members'), 'Add users');
  await offered(page.getByRole('button', { name: 'Remove selected' }), may('groups:members'), 'Remove selected');
  await offered(page.getByRole('checkbox', { name: `Select ${fullName(inDept[0])}` }), may('groups:members'), 'a member checkbox');
  // …and adding works: the picker offers only users of their departments.
  await page.getByRole('button', { name: 'Add users' }).click();
  await eventually(async () => assert.deepEqual(
    new Set(await page.locator('#picker-results .person-name').allTextContents()),
    new Set(inDept.map(fullName))));
  await page.locator(`#picker-results input[data-user="${inDept[1].id}"]`).check();
  await page.getByRole('button', { name: 'Add 1 user' }).click();
  await eventually(async () => assert.equal(await page.locator('#member-count').textContent(), '2'));
  await screenshot(page, 'group-page-trainer');

  // A smart group: the rule can be read and previewed, not saved; no re-evaluation.
  await page.goto(`${BASE_URL}/#/groups/${smartGroup.id}`);
  await page.locator('#members-table[aria-busy="false"]').waitFor();
  await offered(page.getByRole('button', { name: 'Re-evaluate now' }), may('groups:edit'), 'Re-evaluate now');
  await eventually(async () => assert.ok(await page.getByRole('button', { name: /^Why is / }).count() > 0, 'Why? (groups:view)'));
  await page.getByRole('link', { name: 'Rule', exact: true }).click();
  await page.locator('#preview[data-state="ready"]').waitFor();
  await offered(page.getByRole('button', { name: 'Save rule' }), may('groups:edit'), 'Save rule');
  await page.getByText('Read only').waitFor();
  assert.ok(await page.locator('#rule-builder select:not(:disabled), #rule-builder button:not(:disabled)').count() === 0, 'the builder is read only');
  await page.getByRole('link', { name: 'Rule history' }).click();
  await page.locator('#rule-versions > li').first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Load into editor' }).count(), 0);

  // The address of a page they may not use says so instead of failing.
  await page.goto(`${BASE_URL}/#/groups/new-smart`);
  await eventually(async () => assert.match(await page.locator('#not-allowed').textContent(), /Your role \(Trainer\) can't create groups/));
  assert.equal(await page.locator('#rule-builder').count(), 0);

  assert.deepEqual(refused, [], 'no call was refused: the console offered only what /me allows');
});

it("tells a Learner their role has no access to groups, without a refused call", async (page) => {
  const me = (await api('learner', 'GET', '/me')).body;
  assert.deepEqual(me.permissions, []);
  const groupCalls = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/groups')) groupCalls.push(r.url()); });
  const refused = refusals(page);
  await page.goto(`${BASE_URL}/#/signin`);
  assert.equal(await page.locator('button[data-role="learner"] .role-desc').textContent(), 'No access to group management');
  await signIn(page, 'learner');
  assert.equal(await page.locator('#who-name').textContent(), fullName(me.user));
  assert.equal(await page.locator('#who-role').textContent(), 'Learner');
  assert.equal(await page.locator('#who-scope').count(), 0);
  const notice = page.locator('#not-allowed');
  await eventually(async () => assert.match(await notice.textContent(), /Your role \(Learner\) can't view groups\. It has no access to group management\./));
  await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'New Group' }).count(), 0);
  assert.equal(await page.locator('#groups-table').count(), 0);
  assert.equal((await page.locator('#alert').textContent()).trim(), '', 'no error: nothing was refused');
  await screenshot(page, 'learner-not-allowed');
  // A group's address says the same.
  const someGroup = (await allGroups('owner'))[0];
  await page.goto(`${BASE_URL}/#/groups/${someGroup.id}`);
  await eventually(async () => assert.match(await notice.textContent(), /can't view groups/));
  assert.deepEqual(groupCalls, [], 'the groups API was not called');
  assert.deepEqual(refused, []);
});

it("still shows the API's 403 as a message when permissions change after sign-in", async (page) => {
  // As if the Trainer role lost groups:create after /me answered: the console offers it, the API refuses.
  await page.route((url) => url.pathname === '/me', async (route) => {
    const res = await route.fetch();
    const me = await res.json();
    await route.fulfill({ response: res, json: { ...me, permissions: [...me.permissions, 'groups:create'] } });
  });
  const title = unique('Trainer try');
  await signIn(page, 'trainer');
  await groupsReady(page);
  await page.getByRole('button', { name: 'New Group' }).click();
  const dialog = page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Title').fill(title);
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await eventually(async () => assert.match(await dialog.getByRole('alert').textContent(), /Not allowed.*Your role \(Trainer\) can't create groups/s));
  assert.equal(await dialog.locator('[data-problem-type="urn:groups:problem:forbidden"]').count(), 1);
  await page.keyboard.press('Escape');
  assert.equal((await allGroups('owner', `&q=${encodeURIComponent(title)}`)).length, 0);
});

it('says so when GET /me fails, offers Retry, and recovers', async (page) => {
  await signIn(page, 'owner');
  await groupsReady(page);
  const isMe = (url) => url.pathname === '/me';
  await page.route(isMe, (r) => r.fulfill({
    status: 503,
    contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'urn:groups:problem:unavailable', title: 'Service unavailable', status: 503, detail: 'storage is busy, retry' }),
  }));
  await page.reload();
  await page.getByRole('heading', { name: 'Your permissions could not be loaded' }).waitFor();
  assert.match(await page.locator('#alert').textContent(), /Service unavailable.*storage is busy/s);
  assert.equal(await page.getByRole('button', { name: 'New Group' }).count(), 0, 'nothing is offered without /me');
  await page.unroute(isMe);
  await page.locator('#alert').getByRole('button', { name: 'Retry' }).click();
  await groupsReady(page);
  await page.getByRole('button', { name: 'New Group' }).waitFor();
  assert.equal(await page.locator('#who-role').textContent(), 'Account Owner');
});

it('names preview samples it has not seen by looking their ids up (GET /users?q=<id>)', async (page) => {
  await signIn(page, 'owner');
  await page.goto(`${BASE_URL}/#/groups/new-smart`);
  await page.locator('#preview[data-state="ready"]').waitFor();
  // A user who joins the directory after the console read it.
  const id = `late-${process.pid.toString(36)}${Date.now().toString(36)}`;
  const jobTitle = unique('Latecomer');
  const put = await api('owner', 'PUT', `/users/${id}`, {
    email: `${id}@acme.example`, firstName: 'Quinn', lastName: 'Latecomer', departmentId: 'hr', jobTitle,
  });
  assert.ok(put.status === 200 || put.status === 201, `PUT /users/${id}: ${put.status} ${JSON.stringify(put.body)}`);
  try {
    const lookups = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/users') lookups.push(u.searchParams.get('q'));
    });
    const c = page.getByRole('group', { name: 'Condition 1', exact: true });
    await c.getByLabel('Attribute').selectOption('jobTitle');
    await c.getByLabel('Operator').selectOption('eq');
    await c.getByLabel('Value').fill(jobTitle);
    await eventually(async () => assert.equal(await page.locator('#preview-matching').textContent(), '1'));
    await eventually(async () => assert.deepEqual(await page.locator('#preview .sample li').allTextContents(), ['Quinn Latecomer']));
    assert.deepEqual(lookups, [id], 'one search by the id, no paging through the directory');
  } finally {
    await api('owner', 'DELETE', `/users/${id}`);
  }
});
