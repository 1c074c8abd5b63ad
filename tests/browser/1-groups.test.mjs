// The Groups page: sign-in, the table as in the console's screen, sorting, searching, paging,
// creating, the duplicate-title error, bulk delete, roles, and API errors shown as messages.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import {
  allGroups, api, BASE_URL, browserSuite, createGroup, eventually, groupsReady, row, screenshot,
  searchGroups, seedUsers, signIn, unique, visibleTitles,
} from './harness.mjs';

const it = browserSuite();

it('loads every file of the console (its ES modules, the stylesheet) without a failure', async (page) => {
  const problems = [];
  const loaded = new Map(); // file name -> content type
  page.on('response', (res) => {
    const m = /\/console\/([^/?#]+)/.exec(new URL(res.url()).pathname);
    if (!m) return;
    if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`);
    loaded.set(m[1], res.headers()['content-type'] || '');
  });
  page.on('requestfailed', (req) => {
    if (req.url().includes('/console/')) problems.push(`failed ${req.url()}: ${req.failure() && req.failure().errorText}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()} (${msg.location().url || 'no location'})`);
  });
  // A module that throws, or imports a name another does not export, stops the console: said here.
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  try {
    await signIn(page, 'owner');
    await groupsReady(page);
  } finally {
    assert.deepEqual(problems, [], 'nothing failed to load'); // (rather than a timeout, when one did)
  }
  const files = readdirSync(new URL('../../console/', import.meta.url)).filter((f) => f !== 'index.html');
  assert.deepEqual([...loaded.keys()].sort(), files.sort(), 'every console file is loaded, and nothing else under /console/');
  for (const [file, type] of loaded) {
    if (file.endsWith('.js')) assert.match(type, /^text\/javascript/, `${file} is served as JavaScript (a module needs it)`);
  }
});

it('signs in by picking a demo role, shows who you are, and signs out', async (page) => {
  await page.goto(`${BASE_URL}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // The buttons come from /dev/tokens after the heading shows: wait until all are there.
  const all = await (await fetch(`${BASE_URL}/dev/tokens`)).json();
  // Every person's token is offered; the identity provider's SCIM token is not (it is no console role).
  assert.match(all.scim, /^scim\./, 'the demo SCIM token is listed as scim');
  const offered = Object.keys(all).filter((k) => !all[k].startsWith('scim.'));
  await page.waitForFunction((n) => document.querySelectorAll('button[data-role]').length >= n, offered.length);
  const roles = await page.locator('button[data-role]').evaluateAll((bs) => bs.map((b) => b.dataset.role));
  assert.deepEqual(new Set(roles), new Set(offered));
  await screenshot(page, 'sign-in');

  await page.getByRole('button', { name: /Account Owner/ }).click();
  await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
  assert.equal(await page.locator('#who-name').textContent(), 'Olivia Demo');
  assert.equal(await page.locator('#who-role').textContent(), 'Account Owner');
  const stored = await page.evaluate(() => sessionStorage.getItem('groups-console.session'));
  assert.match(stored, /"roleKey":"owner"/, 'the token is kept in sessionStorage');

  // A reload keeps the session.
  await page.reload();
  await page.locator('#who-name').waitFor();
  await groupsReady(page);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('groups-console.session')), null);
  assert.equal(await page.locator('#who-name').count(), 0);

  // Switching role: sign in again as another role; the header names their departments (GET /me).
  await page.getByRole('button', { name: /Department Administrator/ }).click();
  await eventually(async () => assert.equal(await page.locator('#who-role').textContent(), 'Department Administrator'));
  assert.equal(await page.locator('#who-name').textContent(), 'Dana Demo');
  assert.equal(await page.locator('#who-scope').textContent(), ' · Sales');
});

it('lists the groups as in the screen: checkboxes, Title ↑, Users counts, smart icon', async (page) => {
  const smart = await createGroup({ title: unique('Screen smart'), kind: 'smart', rule: { attr: 'department', op: 'eq', value: 'interns' } });
  await signIn(page, 'owner');
  await groupsReady(page);
  const counts = { 'Business Services': '8', 'Direct Sales': '7', Interns: '9', SMM: '8' };
  for (const [title, n] of Object.entries(counts)) {
    assert.equal(await row(page, title).locator('td[data-col="users"]').textContent(), n, `${title} users`);
    assert.equal(await row(page, title).getByRole('checkbox', { name: `Select ${title}` }).count(), 1);
    assert.equal(await row(page, title).getByRole('img', { name: 'Smart group' }).count(), 0, `${title} is static`);
  }
  assert.equal(await page.getByRole('button', { name: /^Title ↑/ }).count(), 1);
  assert.equal(await page.locator('#groups-table thead th[aria-sort="ascending"]').count(), 1);
  await page.getByRole('button', { name: 'New Group' }).waitFor();
  await page.getByRole('link', { name: 'New Smart Group' }).waitFor();
  await page.getByRole('checkbox', { name: 'Select all groups on this page' }).waitFor();
  // The API's order is the table's order.
  const api25 = (await api('owner', 'GET', '/groups?sort=title&limit=25')).body.items.map((g) => g.title);
  assert.deepEqual(await visibleTitles(page), api25);
  await screenshot(page, 'groups-page');

  await searchGroups(page, smart.title, [smart.title]);
  await row(page, smart.title).getByRole('img', { name: 'Smart group' }).waitFor();
  assert.equal(await row(page, smart.title).getByRole('img', { name: 'Smart group' }).getAttribute('title'), 'Smart group');
});

it('toggles the sort: Title ↑ then Title ↓ flips the order', async (page) => {
  const tag = unique('Sortable');
  for (const name of ['Alpha', 'Bravo', 'Charlie']) await createGroup({ title: `${tag} ${name}` });
  await signIn(page, 'owner');
  await groupsReady(page);
  const up = [`${tag} Alpha`, `${tag} Bravo`, `${tag} Charlie`];
  await searchGroups(page, tag, up);
  const sort = page.locator('#sort-title');
  assert.equal(await sort.textContent(), 'Title ↑');
  await sort.click();
  await eventually(async () => assert.deepEqual(await visibleTitles(page), [...up].reverse()));
  assert.equal(await sort.textContent(), 'Title ↓');
  assert.equal(await page.locator('#groups-table thead th[aria-sort]').getAttribute('aria-sort'), 'descending');
  await sort.click();
  await eventually(async () => assert.deepEqual(await visibleTitles(page), up));
  assert.equal(await sort.textContent(), 'Title ↑');

  // Unfiltered, the descending table is the API's descending page.
  await searchGroups(page, '');
  await sort.click();
  await eventually(async () => {
    const apiDesc = (await api('owner', 'GET', '/groups?sort=-title&limit=25')).body.items.map((g) => g.title);
    assert.deepEqual(await visibleTitles(page), apiDesc);
  });
});

it('searches: the table shows only matching groups', async (page) => {
  await signIn(page, 'owner');
  await groupsReady(page);
  await searchGroups(page, 'direct SA', ['Direct Sales']);
  assert.equal(await row(page, 'Direct Sales').locator('td[data-col="users"]').textContent(), '7');
  await searchGroups(page, 'zz-no-such-group-zz');
  await page.getByText('No groups match “zz-no-such-group-zz”.').waitFor();
  await searchGroups(page, '');
  await row(page, 'Interns').waitFor();
  await row(page, 'SMM').waitFor();
});

it('pages through the groups with Next and Previous', async (page) => {
  const tag = unique('Paged');
  const titles = [];
  for (let i = 1; i <= 12; i++) {
    const title = `${tag} ${String(i).padStart(2, '0')}`;
    titles.push(title);
    await createGroup({ title });
  }
  await signIn(page, 'owner');
  await groupsReady(page);
  await page.getByLabel('Groups per page').selectOption('10');
  await searchGroups(page, tag, titles.slice(0, 10));
  assert.equal(await page.locator('#page-prev').isDisabled(), true);
  await page.getByRole('button', { name: 'Next ›' }).click();
  await eventually(async () => assert.deepEqual(await visibleTitles(page), titles.slice(10)));
  assert.equal(await page.locator('#page-next').isDisabled(), true);
  await eventually(async () => assert.match(await page.locator('#page-label').textContent(), /Page 2/));
  await page.getByRole('button', { name: '‹ Previous' }).click();
  await eventually(async () => assert.deepEqual(await visibleTitles(page), titles.slice(0, 10)));
});

it('creates a group that then appears in the list', async (page) => {
  const title = unique('Created in the browser');
  await signIn(page, 'owner');
  await groupsReady(page);
  await page.getByRole('button', { name: 'New Group' }).click();
  const dialog = page.getByRole('dialog', { name: 'New group' });
  await dialog.waitFor();
  await dialog.getByLabel('Title').fill(title);
  await dialog.getByLabel(/Description/).fill('Made by the browser test');
  await dialog.getByLabel('Department').selectOption('marketing');
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  assert.equal(await page.locator('#member-count').textContent(), '0');
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Groups' }).click();
  await groupsReady(page);
  await searchGroups(page, title, [title]);
  assert.equal(await row(page, title).locator('td[data-col="users"]').textContent(), '0');
  assert.equal(await row(page, title).locator('td.col-dept').textContent(), 'Marketing');
});

it('shows the duplicate-title error when the same title is created twice', async (page) => {
  const title = unique('Twice');
  await signIn(page, 'owner');
  await groupsReady(page);
  for (const attempt of [1, 2]) {
    await page.getByRole('button', { name: 'New Group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Title').fill(attempt === 1 ? title : title.toUpperCase());
    await dialog.getByRole('button', { name: 'Create group' }).click();
    if (attempt === 1) {
      await page.getByRole('heading', { name: title, level: 1 }).waitFor();
      await page.goto(`${BASE_URL}/#/groups`);
      await groupsReady(page);
    }
  }
  const dialog = page.getByRole('dialog', { name: 'New group' });
  const alert = dialog.getByRole('alert');
  await eventually(async () => assert.match(await alert.textContent(), /already used/));
  assert.match(await alert.textContent(), /already exists/);
  assert.equal(await dialog.getByLabel('Title').getAttribute('aria-invalid'), 'true');
  assert.equal(await dialog.locator('[data-problem-type="urn:groups:problem:title-taken"]').count(), 1);
  await screenshot(page, 'duplicate-title-error');
  // Escape closes the dialog; only one group has the title.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await allGroups('owner', `&q=${encodeURIComponent(title)}`)).length, 1);
});

it('deletes the checked groups after a confirmation', async (page) => {
  const tag = unique('Doomed');
  const keep = await createGroup({ title: `${tag} keep` });
  await createGroup({ title: `${tag} one` });
  await createGroup({ title: `${tag} two` });
  await signIn(page, 'owner');
  await groupsReady(page);
  await searchGroups(page, tag, [`${tag} keep`, `${tag} one`, `${tag} two`]);
  const all = page.getByRole('checkbox', { name: 'Select all groups on this page' });
  await all.check();
  await eventually(async () => assert.equal(await page.locator('#selection-info').textContent(), '3 groups selected'));
  await row(page, `${tag} keep`).getByRole('checkbox').uncheck();
  await eventually(async () => assert.equal(await all.evaluate((b) => b.indeterminate), true));
  await page.getByRole('button', { name: 'Delete selected' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete 2 groups?' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), new RegExp(`${tag} one`));
  // Cancel first: nothing is deleted.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await allGroups('owner', `&q=${encodeURIComponent(tag)}`)).length, 3);
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await page.getByRole('dialog', { name: 'Delete 2 groups?' }).getByRole('button', { name: 'Delete' }).click();
  await eventually(async () => assert.deepEqual(await visibleTitles(page), [`${tag} keep`]));
  await eventually(async () => assert.equal(await page.locator('#toast').textContent(), 'Deleted 2 groups.'));
  assert.deepEqual((await allGroups('owner', `&q=${encodeURIComponent(tag)}`)).map((g) => g.id), [keep.id]);
});

it('shows a Department Administrator only the groups of their own department', async (page) => {
  await createGroup({ title: unique('Outside sales'), ownerDepartmentId: 'marketing' });
  await createGroup({ title: unique('Inside sales'), ownerDepartmentId: 'sales-emea' });
  await signIn(page, 'departmentAdmin');
  await groupsReady(page);
  await page.getByLabel('Groups per page').selectOption('100');
  await groupsReady(page);
  const theirs = await allGroups('departmentAdmin');
  const everyone = await allGroups('owner');
  await eventually(async () => assert.deepEqual(await visibleTitles(page), theirs.map((g) => g.title)));
  const ui = new Set(await visibleTitles(page));
  assert.ok(ui.has('Business Services') && ui.has('Direct Sales'));
  const outside = everyone.filter((g) => !['sales', 'sales-emea', 'sales-apac'].includes(g.ownerDepartmentId));
  assert.ok(outside.some((g) => g.title === 'Interns') && outside.some((g) => g.title === 'SMM'));
  for (const g of outside) assert.ok(!ui.has(g.title), `${g.title} (${g.ownerDepartmentId || 'account-wide'}) is not shown`);
  for (const dep of await page.locator('#groups-table tbody td.col-dept').allTextContents()) {
    assert.ok(['Sales', 'Sales EMEA', 'Sales APAC'].includes(dep), dep);
  }
  await screenshot(page, 'groups-department-admin');
  // A new group can only belong to their departments.
  await page.getByRole('button', { name: 'New Group' }).click();
  const options = await page.getByRole('dialog').getByLabel('Department').locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(new Set(options), new Set(['sales', 'sales-apac', 'sales-emea']));
});

it('shows a network failure as a message with Retry, and recovers', async (page) => {
  await signIn(page, 'owner');
  await groupsReady(page);
  await page.route('**/groups?**', (r) => r.abort('connectionrefused'));
  await page.getByRole('searchbox', { name: 'Search groups' }).fill('Interns');
  const alert = page.locator('#alert');
  await eventually(async () => assert.match(await alert.textContent(), /Network error/));
  assert.match(await alert.textContent(), /could not be reached/);
  await screenshot(page, 'network-error');
  await page.unroute('**/groups?**');
  await alert.getByRole('button', { name: 'Retry' }).click();
  await eventually(async () => assert.deepEqual(await visibleTitles(page), ['Interns']));
  assert.equal((await alert.textContent()).trim(), '');
});

it('shows problem+json details of a server error', async (page) => {
  await signIn(page, 'owner');
  await groupsReady(page);
  await page.route('**/groups?**', (r) => r.fulfill({
    status: 503,
    contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'urn:groups:problem:unavailable', title: 'Service unavailable', status: 503, detail: 'storage is busy, retry' }),
  }));
  await page.getByRole('searchbox', { name: 'Search groups' }).fill('SMM');
  await eventually(async () => assert.match(await page.locator('#alert').textContent(), /Service unavailable.*storage is busy, retry/s));
  assert.ok(await page.getByRole('heading', { name: 'Groups' }).isVisible(), 'the page stays');
});

it('imports members from a CSV file with an outcome per row, and exports them all', async (page) => {
  const users = seedUsers();
  const [a, b] = [users[0], users[1]];
  const group = await createGroup({ title: unique('CSV import') });
  try {
    await signIn(page, 'owner');
    await page.goto(`${BASE_URL}/#/groups/${group.id}`);
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const file = `email,note\n${a.email},one\n${b.email.toUpperCase()},two\nnobody@nowhere.example,three\n${a.email},again\n`;
    await page.locator('#import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await eventually(async () => assert.match(await page.locator('#import-summary').textContent(), /2 members added, 1 not found, 1 repeated/));
    assert.deepEqual(await page.locator('#import-rows tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.outcome)),
      ['added', 'added', 'notFound', 'duplicate']);
    await screenshot(page, 'csv-import');
    await page.getByRole('button', { name: 'Close', exact: true }).first().click();
    await eventually(async () => assert.equal(await page.locator('#member-count').textContent(), '2'));

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(await download.path(), 'utf8');
    const lines = text.trim().split(/\r?\n/);
    assert.equal(lines[0].split(',')[0], 'userId');
    assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]).sort(), [a.id, b.id].sort());
    assert.ok(text.includes(a.email), 'the owner sees emails');
  } finally {
    await api('owner', 'DELETE', `/groups/${group.id}`);
  }
});

it('imports a CSV file of more than 1,000 rows in the background, with progress and each row', async (page) => {
  const users = seedUsers().slice(0, 3);
  const group = await createGroup({ title: unique('CSV job') });
  try {
    await signIn(page, 'owner');
    await page.goto(`${BASE_URL}/#/groups/${group.id}`);
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const ghosts = Array.from({ length: 1200 }, (_, n) => `ghost-${n}`);
    const file = `userId\n${users.map((u) => u.id).join('\n')}\n${ghosts.join('\n')}\n`;
    await page.locator('#import-file').setInputFiles({ name: 'many.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('#import-progress').waitFor({ state: 'attached' });
    await eventually(async () => assert.match(await page.locator('#import-summary').textContent(), /3 members added, 1200 not found/), { timeout: 30_000 });
    // The table shows the first slice of rows, in file order.
    const outcomes = await page.locator('#import-rows tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.outcome));
    assert.equal(outcomes.length, 500);
    assert.deepEqual(outcomes.slice(0, 4), ['added', 'added', 'added', 'notFound']);
    await screenshot(page, 'csv-import-job');
    await page.getByRole('button', { name: 'Close', exact: true }).first().click();
    await eventually(async () => assert.equal(await page.locator('#member-count').textContent(), '3'));
  } finally {
    await api('owner', 'DELETE', `/groups/${group.id}`);
  }
});
