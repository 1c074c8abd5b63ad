// Smart-group controls (DESIGN §11): pausing a smart group, letting its rule only add, and
// testing an unsaved rule on chosen people.
import assert from 'node:assert/strict';
import {
  api, BASE_URL, browserSuite, createGroup, eventually, fullName, groupsReady, row, screenshot,
  searchGroups, seedUsers, signIn, unique,
} from './harness.mjs';

const it = browserSuite();

async function putUser(id, jobTitle) {
  const res = await api('owner', 'PUT', `/users/${id}`, {
    email: `${id}@acme.example`, firstName: 'Moe', lastName: 'Mode', departmentId: 'hr', jobTitle,
  });
  assert.ok(res.status === 200 || res.status === 201, `PUT /users/${id}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Sets the rule builder's first condition to "Job title is `value`"; answers the condition. */
async function firstConditionIs(page, value) {
  const c = page.getByRole('group', { name: 'Condition 1', exact: true });
  await c.getByLabel('Attribute').selectOption('jobTitle');
  await c.getByLabel('Operator').selectOption('eq');
  await c.getByLabel('Value').fill(value);
  return c;
}

async function memberIds(groupId) {
  const res = await api('owner', 'GET', `/groups/${groupId}/members?limit=200`);
  assert.equal(res.status, 200);
  return res.body.items.map((m) => m.userId).sort();
}

it('pauses a smart group, lets its rule only add, and resumes it', async (page) => {
  const jobTitle = unique('Moderator');
  const rule = { attr: 'jobTitle', op: 'eq', value: jobTitle };
  const group = await createGroup({ title: unique('Controlled'), kind: 'smart', rule });
  // A twin that stays active: once it has seen a change, the controlled group has seen it too.
  const twin = await createGroup({ title: unique('Twin'), kind: 'smart', rule });
  const stamp = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const [first, second] = [`mode-a-${stamp}`, `mode-b-${stamp}`];
  try {
    await putUser(first, jobTitle);
    await eventually(async () => assert.deepEqual(await memberIds(group.id), [first]));

    await signIn(page, 'owner');
    await page.goto(`${BASE_URL}/#/groups/${group.id}`);
    const mode = page.getByLabel('Processing');
    assert.equal(await mode.inputValue(), 'active');
    await mode.selectOption('paused');
    await page.locator('#group-mode-badge [data-mode="paused"]').waitFor();
    assert.equal((await api('owner', 'GET', `/groups/${group.id}`)).body.mode, 'paused');
    assert.equal(await page.getByRole('button', { name: 'Re-evaluate now' }).isDisabled(), true);
    await screenshot(page, 'smart-group-paused');

    // Paused: a matching user joins the twin but not the paused group.
    await putUser(second, jobTitle);
    await eventually(async () => assert.deepEqual(await memberIds(twin.id), [first, second].sort()));
    assert.deepEqual(await memberIds(group.id), [first]);
    assert.equal((await api('owner', 'POST', `/groups/${group.id}/evaluate`, {})).status, 409, 'no evaluation while paused');

    // The Groups page shows the pause.
    await page.getByRole('link', { name: 'Groups', exact: true }).first().click();
    await groupsReady(page);
    await searchGroups(page, group.title, [group.title]);
    await row(page, group.title).locator('[data-mode="paused"]').waitFor();

    // Add only: leaving the pause evaluates, so the waiting user joins; a user who no longer
    // matches stays.
    await page.goto(`${BASE_URL}/#/groups/${group.id}`);
    await page.getByLabel('Processing').selectOption('addOnly');
    await page.locator('#group-mode-badge [data-mode="addOnly"]').waitFor();
    await eventually(async () => assert.deepEqual(await memberIds(group.id), [first, second].sort()));
    await putUser(first, 'Someone else');
    await eventually(async () => assert.deepEqual(await memberIds(twin.id), [second]));
    assert.deepEqual(await memberIds(group.id), [first, second].sort());

    // Active again: evaluated at once (under the guard), and the user who no longer matches leaves.
    await page.getByLabel('Processing').selectOption('active');
    await eventually(async () => assert.equal(await page.locator('#group-mode-badge .mode-badge').count(), 0));
    await eventually(async () => assert.deepEqual(await memberIds(group.id), [second]));
    await eventually(async () => assert.equal(await page.locator('#member-count').textContent(), '1'));
    assert.equal((await api('owner', 'GET', `/groups/${group.id}`)).body.mode, 'active');
  } finally {
    for (const u of [first, second]) await api('owner', 'DELETE', `/users/${u}`);
    for (const g of [group, twin]) await api('owner', 'DELETE', `/groups/${g.id}`);
  }
});

it('refuses a mode on a static group, and shows the mode without a control to a role that may not edit', async (page) => {
  const group = await createGroup({ title: unique('Static mode') });
  const fresh = await api('owner', 'GET', `/groups/${group.id}`);
  const res = await api('owner', 'PATCH', `/groups/${group.id}`, { mode: 'paused' }, { 'If-Match': fresh.etag });
  assert.equal(res.status, 400);
  assert.equal(res.body.field, 'mode');
  // The trainer sees Marketing's groups and may not edit them.
  const smart = await createGroup({
    title: unique('Viewed mode'), kind: 'smart', ownerDepartmentId: 'marketing', rule: { attr: 'jobTitle', op: 'eq', value: 'Nobody' },
  });
  const current = await api('owner', 'GET', `/groups/${smart.id}`);
  assert.equal((await api('owner', 'PATCH', `/groups/${smart.id}`, { mode: 'paused' }, { 'If-Match': current.etag })).status, 200);
  await signIn(page, 'trainer');
  await page.goto(`${BASE_URL}/#/groups/${smart.id}`);
  await eventually(async () => assert.equal(await page.locator('#group-mode-text').textContent(), 'Paused'));
  assert.equal(await page.locator('#group-mode').count(), 0, 'no control without groups:edit');
  await api('owner', 'DELETE', `/groups/${group.id}`);
  await api('owner', 'DELETE', `/groups/${smart.id}`);
});

it('tests an unsaved rule on chosen people, condition by condition', async (page) => {
  const users = seedUsers();
  const intern = users.find((u) => u.jobTitle === 'Intern');
  const other = users.find((u) => u.jobTitle !== 'Intern');
  await signIn(page, 'owner');
  await page.goto(`${BASE_URL}/#/groups/new-smart`);
  await page.locator('#preview[data-state="ready"]').waitFor();
  await firstConditionIs(page, 'Intern');
  const panel = page.locator('#draft-test');
  for (const u of [intern, other]) {
    await panel.getByLabel('Find people').fill(u.email);
    await panel.getByRole('button', { name: `Add ${fullName(u)}` }).click();
  }
  await panel.getByRole('button', { name: 'Test the rule on 2 people' }).click();
  const results = panel.locator('#draft-test-list > li');
  await eventually(async () => assert.equal(await results.count(), 2));
  assert.equal(await panel.locator(`#draft-test-list > li[data-user="${intern.id}"]`).getAttribute('data-matches'), 'true');
  assert.equal(await panel.locator(`#draft-test-list > li[data-user="${other.id}"]`).getAttribute('data-matches'), 'false');
  assert.match(await results.nth(0).locator('summary').textContent(), new RegExp(`${fullName(intern)} matches`));
  await results.nth(1).locator('summary').click();
  assert.match(await results.nth(1).getByRole('list', { name: `Rule evaluation for ${fullName(other)}` }).textContent(),
    new RegExp(`Job title is “Intern” — their value: ${other.jobTitle}`));
  await screenshot(page, 'draft-testing');
  // Nothing was saved.
  assert.equal(page.url().endsWith('#/groups/new-smart'), true);
});

it('shows rule health beside the builder: counts, near duplicates and rewrites', async (page) => {
  const stamp = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const [a, b] = [`health-a-${stamp}`, `health-b-${stamp}`];
  await putUser(a, `Health-${stamp}`);
  await putUser(b, `health ${stamp}`);
  try {
    await signIn(page, 'owner');
    await page.goto(`${BASE_URL}/#/groups/new-smart`);
    await page.locator('#preview[data-state="ready"]').waitFor();
    const c = await firstConditionIs(page, `Health-${stamp}`);
    const duplicates = page.locator('#rule-health-duplicates li[data-attr="jobTitle"]');
    await eventually(async () => assert.match(await duplicates.textContent(), new RegExp(`“Health-${stamp}” \\(1\\), “health ${stamp}” \\(1\\)`)));
    assert.match(await page.locator('#rule-health-conditions li').first().textContent(), /Condition 1 \(Job title\): 1 user matches/);
    await screenshot(page, 'rule-health');
    // A value no one has is pointed out.
    await c.getByLabel('Value').fill(`Nobody ${stamp}`);
    await page.locator('#rule-health-suggestions li[data-kind="neverMatches"]').waitFor();
  } finally {
    for (const u of [a, b]) await api('owner', 'DELETE', `/users/${u}`);
  }
});

it('previews the ripple of a rule edit into the groups that follow it', async (page) => {
  const club = await createGroup({ title: unique('Ripple club'), userIds: ['u01', 'u02', 'u03', 'u04'] });
  const first = await createGroup({ title: unique('Follows the club'), kind: 'smart', rule: { attr: 'group', op: 'memberOf', value: club.id } });
  const second = await createGroup({ title: unique('Follows the follower'), kind: 'smart', rule: { attr: 'group', op: 'memberOf', value: first.id } });
  try {
    await eventually(async () => assert.deepEqual(await memberIds(second.id), ['u01', 'u02', 'u03', 'u04']));
    await signIn(page, 'owner');
    await page.goto(`${BASE_URL}/#/groups/${first.id}/rule`);
    await page.getByRole('heading', { name: 'Membership rule' }).waitFor();
    await firstConditionIs(page, 'Nobody at all');
    await eventually(async () => assert.equal(await page.locator('#preview-leaves').textContent(), '−4'));
    const ripple = page.locator(`#preview-impact li[data-group="${second.id}"]`);
    await eventually(async () => assert.equal(await ripple.textContent(), `−4 in ${second.title}`));
    await screenshot(page, 'preview-impact');
  } finally {
    for (const g of [second, first, club]) await api('owner', 'DELETE', `/groups/${g.id}`);
  }
});

it('keeps one person out and another in by exceptions, explains them, and hands them back to the rule', async (page) => {
  const jobTitle = unique('Excepted');
  const group = await createGroup({ title: unique('Exceptions'), kind: 'smart', rule: { attr: 'jobTitle', op: 'eq', value: jobTitle } });
  const stamp = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const [fits, guest] = [`exc-a-${stamp}`, `exc-b-${stamp}`];
  try {
    await putUser(fits, jobTitle);
    await putUser(guest, 'Someone else');
    await eventually(async () => assert.deepEqual(await memberIds(group.id), [fits]));
    await signIn(page, 'owner');
    await page.goto(`${BASE_URL}/#/groups/${group.id}`);
    await page.locator('#overrides-table[aria-busy="false"]').waitFor();

    // "Keep out" on a member: an exclusion with a reason; they leave at once.
    await page.locator(`#members-table tr[data-user="${fits}"]`).getByRole('button', { name: 'Keep Moe Mode out' }).click();
    await page.getByLabel('Reason').fill('On sabbatical');
    await page.getByRole('button', { name: 'Save exception' }).click();
    await eventually(async () => assert.deepEqual(await memberIds(group.id), []));
    await page.locator(`#overrides-table tr[data-user="${fits}"] [data-effect="exclude"]`).waitFor();

    // "Add exception": find a person who doesn't match and keep them in.
    await page.getByRole('button', { name: 'Add exception' }).click();
    await page.getByLabel('Find a person').fill(guest);
    await page.locator(`#override-people input[value="${guest}"]`).check();
    await page.getByLabel('Always in').check();
    await page.getByLabel('Reason').fill('Mentors the team');
    await page.getByRole('button', { name: 'Save exception' }).click();
    await eventually(async () => assert.deepEqual(await memberIds(group.id), [guest]));
    await eventually(async () => assert.equal(await page.locator('#member-count').textContent(), '1'));
    const member = page.locator(`#members-table tr[data-user="${guest}"]`);
    assert.equal(await member.locator('.col-source').textContent(), 'Exception');
    await screenshot(page, 'smart-group-exceptions');

    // "Why?" names the exception and its reason.
    await member.getByRole('button', { name: 'Why is Moe Mode a member?' }).click();
    await eventually(async () => assert.match(await page.locator('#explain-override').textContent(), /Always in.*Mentors the team/));
    assert.match(await page.locator('#explain-summary').textContent(), /always in by an exception/);
    await page.getByRole('button', { name: 'Close', exact: true }).first().click();

    // Removing the exclusion hands the first person back to the rule, which keeps them.
    await page.locator(`#overrides-table tr[data-user="${fits}"]`).getByRole('button', { name: /Remove the exception/ }).click();
    await page.getByRole('button', { name: 'Remove exception' }).click();
    await eventually(async () => assert.deepEqual(await memberIds(group.id), [fits, guest].sort()));
    await eventually(async () => assert.equal(await page.locator('#overrides-table tbody tr[data-user]').count(), 1));
  } finally {
    for (const u of [fits, guest]) await api('owner', 'DELETE', `/users/${u}`);
    await api('owner', 'DELETE', `/groups/${group.id}`);
  }
});

it('schedules a rule change for later, shows it in the history, and cancels it', async (page) => {
  const rule = { attr: 'jobTitle', op: 'eq', value: unique('Now') };
  const group = await createGroup({ title: unique('Scheduled'), kind: 'smart', rule });
  try {
    await signIn(page, 'owner');
    await page.goto(`${BASE_URL}/#/groups/${group.id}/rule`);
    await page.getByRole('heading', { name: 'Membership rule' }).waitFor();
    const later = unique('Later');
    await firstConditionIs(page, later);
    await page.getByLabel('Takes effect').selectOption('later');
    const when = new Date(Date.now() + 3 * 86_400_000);
    const local = new Date(when.getTime() - when.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.locator('#rule-effective-at').fill(local);
    await page.getByRole('button', { name: 'Save rule' }).click();
    // The console goes back to the group once saved: wait for it, so it cannot undo the goto below.
    await page.waitForURL((url) => url.hash === `#/groups/${group.id}`);
    await eventually(async () => {
      const g = (await api('owner', 'GET', `/groups/${group.id}`)).body;
      assert.equal(g.scheduled && g.scheduled.rule.all[0].value, later);
      assert.equal(g.rule.value, rule.value, 'the rule in force is unchanged');
    });

    await page.goto(`${BASE_URL}/#/groups/${group.id}/history`);
    const item = page.locator('#rule-scheduled');
    await item.waitFor();
    assert.match(await item.textContent(), /Takes effect/);
    assert.match(await item.textContent(), new RegExp(later));
    await screenshot(page, 'rule-scheduled');
    await page.getByRole('button', { name: 'Cancel this change' }).click();
    await eventually(async () => assert.equal((await api('owner', 'GET', `/groups/${group.id}`)).body.scheduled, undefined));
    await eventually(async () => assert.equal(await page.locator('#rule-scheduled').count(), 0));
  } finally {
    await api('owner', 'DELETE', `/groups/${group.id}`);
  }
});

it('shows who joined and left and why, and the members as of a past moment', async (page) => {
  const group = await createGroup({ title: unique('Audited'), kind: 'static' });
  const [first, second] = seedUsers().slice(0, 2);
  try {
    const add = await api('owner', 'POST', `/groups/${group.id}/members`, { userIds: [first.id, second.id] });
    assert.equal(add.status, 200);
    await new Promise((r) => setTimeout(r, 1100));
    const bothIn = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    const removed = await api('owner', 'DELETE', `/groups/${group.id}/members`, { userIds: [first.id] });
    assert.equal(removed.status, 200);
    await eventually(async () => {
      const res = await api('owner', 'GET', `/groups/${group.id}/history`);
      assert.equal(res.body.items.length, 3);
    });

    await signIn(page, 'owner');
    await page.goto(`${BASE_URL}/#/groups/${group.id}`);
    await page.getByRole('link', { name: 'History', exact: true }).click();
    const list = page.locator('#membership-history');
    await list.locator('li').first().waitFor();
    const newest = list.locator('li').first();
    assert.equal(await newest.getAttribute('data-user'), first.id);
    assert.equal(await newest.getAttribute('data-change'), 'left');
    assert.match(await newest.textContent(), /Left/);
    assert.match(await newest.textContent(), /Removed by owner/);
    assert.equal(await list.locator('li[data-change="joined"]').count(), 2);
    assert.equal(await list.locator(`li[data-user="${second.id}"][data-change="joined"]`).count(), 1);
    await screenshot(page, 'membership-history');

    // Members as of the moment both were in: the one who left since is shown, marked.
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.locator('#members-table tbody tr[data-user]').first().waitFor();
    assert.equal(await page.locator('#members-table tbody tr[data-user]').count(), 1);
    const local = new Date(bothIn.getTime() - bothIn.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.getByLabel('Members as of').fill(local);
    await page.getByLabel('Members as of').dispatchEvent('change');
    await eventually(async () => assert.equal(await page.locator('#members-table tbody tr[data-user]').count(), 2));
    const gone = page.locator(`#members-table tbody tr[data-user="${first.id}"]`);
    assert.match(await gone.textContent(), /Left since/);
    assert.equal(await page.locator('#members-as-of-note').isVisible(), true);
    assert.equal(await page.getByRole('button', { name: 'Add users' }).isVisible(), false, 'read-only in the past');
    await screenshot(page, 'members-as-of');
    await page.getByRole('button', { name: 'Now', exact: true }).click();
    await eventually(async () => assert.equal(await page.locator('#members-table tbody tr[data-user]').count(), 1));
  } finally {
    await api('owner', 'DELETE', `/groups/${group.id}`);
  }
});
