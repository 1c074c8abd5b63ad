// Groups an identity provider provisions through SCIM (DESIGN §10): the console marks them with
// a badge and shows them read-only, as the admin API treats them.
import assert from 'node:assert/strict';
import {
  api, BASE_URL, browserSuite, createGroup, groupsReady, row, screenshot, searchGroups, seedUsers,
  signIn, unique,
} from './harness.mjs';

const it = browserSuite();

async function provision(title, memberIds) {
  const res = await api('scim', 'POST', '/scim/v2/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: title,
    externalId: `okta-${title.replace(/\W+/g, '-')}`,
    members: memberIds.map((value) => ({ value })),
  }, { 'Content-Type': 'application/scim+json' });
  assert.equal(res.status, 201, `SCIM create ${title}: ${JSON.stringify(res.body)}`);
  return res.body;
}

it('marks a provisioned group with a badge and shows it read-only, in the list and on its page', async (page) => {
  const [first, second] = seedUsers().slice(0, 2);
  const title = unique('Provisioned');
  const scim = await provision(title, [first.id, second.id]);
  const mine = await createGroup({ title: unique('Console-made'), kind: 'static' });
  try {
    const read = await api('owner', 'GET', `/groups/${scim.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.provisioned.tokenId, 'scim-demo', 'the API says which SCIM connection owns it');
    assert.equal(read.body.memberCount, 2);
    assert.equal(mine.provisioned, undefined, 'a group made here is not provisioned');

    await signIn(page, 'owner');
    await groupsReady(page);
    await searchGroups(page, title, [title]);
    const line = row(page, title);
    assert.equal(await line.locator('.provisioned-badge').textContent(), 'Provisioned');
    assert.ok(await line.locator('input[type=checkbox]').isDisabled(), 'it cannot be picked for deletion');
    await screenshot(page, 'provisioned-group-list');

    await page.getByRole('link', { name: title, exact: true }).click();
    await page.locator('#group-title').waitFor();
    assert.equal(await page.locator('.page-head .provisioned-badge').textContent(), 'Provisioned');
    await page.locator('#provisioned-note').waitFor();
    assert.match(await page.locator('#provisioned-note').textContent(), /identity provider/);
    for (const name of ['Edit details', 'Delete group', 'Add users', 'Import CSV', 'Remove selected']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no "${name}" on a provisioned group`);
    }
    await page.locator('#members-table[aria-busy="false"]').waitFor();
    assert.deepEqual(new Set(await page.locator('#members-table tbody tr[data-user]').evaluateAll((rs) => rs.map((r) => r.dataset.user))),
      new Set([first.id, second.id]), 'its members are listed');
    assert.equal(await page.locator('#members-table input[type=checkbox]').count(), 0, 'no member can be picked for removal');
    assert.ok(await page.getByRole('button', { name: 'Export CSV' }).isVisible(), 'its members can still be exported');
    await screenshot(page, 'provisioned-group-page');

    // The same group made in the console keeps its controls.
    await page.goto(`${BASE_URL}/#/groups/${mine.id}`);
    await page.getByRole('button', { name: 'Add users' }).waitFor();
    assert.equal(await page.locator('.provisioned-badge').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Edit details' }).count(), 1);

    // The API refuses a change the console does not offer.
    const rename = await api('owner', 'PATCH', `/groups/${scim.id}`, { title: 'Renamed' }, { 'If-Match': `"${read.body.version}"` });
    assert.equal(rename.status, 409, JSON.stringify(rename.body));
  } finally {
    await api('scim', 'DELETE', `/scim/v2/Groups/${scim.id}`);
    await api('owner', 'DELETE', `/groups/${mine.id}`);
  }
});

it('the select-all box of the Groups page skips provisioned groups', async (page) => {
  const stem = unique('Mixed');
  const scim = await provision(`${stem} idp`, []);
  const mine = await createGroup({ title: `${stem} local`, kind: 'static' });
  try {
    await signIn(page, 'owner');
    await groupsReady(page);
    await searchGroups(page, stem, [`${stem} idp`, `${stem} local`]);
    await page.locator('#select-all').check();
    await page.getByText('1 group selected').waitFor();
    assert.ok(!(await row(page, `${stem} idp`).locator('input[type=checkbox]').isChecked()));
    assert.ok(await row(page, `${stem} local`).locator('input[type=checkbox]').isChecked());
  } finally {
    await api('scim', 'DELETE', `/scim/v2/Groups/${scim.id}`);
    await api('owner', 'DELETE', `/groups/${mine.id}`);
  }
});
