// Keyboard use and screen sizes: a whole flow without the mouse, visible focus, dialogs that focus
// their first field and close on Escape, and the pages at 1280×800 and on a 390 px wide phone.
import assert from 'node:assert/strict';
import {
  api, BASE_URL, browserSuite, createGroup, eventually, groupsReady, screenshot, signIn, unique,
  visibleTitles,
} from './harness.mjs';

const it = browserSuite();

/** Presses Tab until the focused element matches `predicate` (at most `max` times). */
async function tabTo(page, describe, predicate, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate)) return;
  }
  assert.fail(`Tab never reached ${describe}`);
}
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return { id: el.id, tag: el.tagName, text: el.textContent.trim(), label: el.getAttribute('aria-label') };
});

it('works from the keyboard: sign in, sort, create a group, add a member', async (page) => {
  const title = unique('Keyboard made');
  await page.goto(`${BASE_URL}/#/signin`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await tabTo(page, 'the Account Owner role', () => document.activeElement.dataset.role === 'owner');
  // The focused control shows a visible focus ring.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'visible focus');
  await page.keyboard.press('Enter');
  await groupsReady(page);

  // Sort with the keyboard.
  await tabTo(page, 'the sort button', () => document.activeElement.id === 'sort-title');
  const page1 = async (sort) => (await api('owner', 'GET', `/groups?sort=${sort}&limit=25`)).body.items.map((g) => g.title);
  await page.keyboard.press('Enter');
  await eventually(async () => assert.deepEqual(await visibleTitles(page), await page1('-title')));
  await page.keyboard.press(' ');
  await eventually(async () => assert.deepEqual(await visibleTitles(page), await page1('title')));

  // New Group: the dialog focuses its first field; Escape closes it and focus returns.
  await page.getByRole('button', { name: 'New Group' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'New group' }).waitFor();
  assert.equal((await focused(page)).id, 'new-title');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.equal((await focused(page)).text, 'New Group');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'New group' }).waitFor();
  await page.keyboard.type(title);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();

  // Add a user: Tab to "Add users", search, pick with Space, Tab to the add button.
  await page.locator('#members-table[aria-busy="false"]').waitFor();
  await tabTo(page, 'Add users', () => document.activeElement.id === 'add-users');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: /Add users/ }).waitFor();
  assert.equal((await focused(page)).id, 'picker-search');
  await page.keyboard.type('hugo');
  await page.locator('#picker-results input[type=checkbox]').first().waitFor();
  await eventually(async () => {
    const names = await page.locator('#picker-results .person-name').allTextContents();
    assert.ok(names.length > 0 && names.every((n) => n.startsWith('Hugo')), names.join());
  });
  await tabTo(page, 'the first user', () => document.activeElement.matches('#picker-results input[type=checkbox]'));
  await page.keyboard.press(' ');
  await tabTo(page, 'the add button', () => document.activeElement.id === 'picker-add');
  assert.equal((await focused(page)).text, 'Add 1 user');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await eventually(async () => assert.equal(await page.locator('#member-count').textContent(), '1'));
});

it('builds a rule from the keyboard: Add condition and Add group move the focus to the new row', async (page) => {
  await signIn(page, 'owner');
  await page.goto(`${BASE_URL}/#/groups/new-smart`);
  await page.locator('#preview[data-state="ready"]').waitFor();
  await page.locator('#rule-builder .rb-foot').getByRole('button', { name: 'Add condition' }).focus();
  await page.keyboard.press('Enter');
  let f = await page.evaluate(() => ({ part: document.activeElement.dataset.part, row: document.activeElement.closest('[role=group]').getAttribute('aria-label') }));
  assert.deepEqual(f, { part: 'attr', row: 'Condition 2' });
  // Remove it again with the keyboard: focus lands on "Add condition".
  await tabTo(page, 'Remove condition', () => document.activeElement.getAttribute('aria-label') === 'Remove condition'
    && document.activeElement.closest('[role=group]').getAttribute('aria-label') === 'Condition 2');
  await page.keyboard.press('Enter');
  f = await page.evaluate(() => document.activeElement.dataset.part);
  assert.equal(f, 'add-cond');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter'); // Add group
  f = await page.evaluate(() => document.activeElement.closest('[role=group]').getAttribute('aria-label'));
  assert.equal(f, 'Condition 2');
  assert.equal(await page.getByRole('group', { name: 'Group of conditions, level 2' }).count(), 1);
});

it('fits 1280×800 without horizontal scrolling', async (page) => {
  await signIn(page, 'owner');
  await groupsReady(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page overflows by ${overflow}px`);
  const box = await page.getByRole('button', { name: 'New Group' }).boundingBox();
  assert.ok(box.x + box.width <= 1280 && box.y + box.height <= 800, 'New Group is on screen');
});

it('works on a narrow screen (390 px): nothing cut off', async (page) => {
  const group = await createGroup({ title: unique('Narrow with a rather long title that has to wrap'), userIds: ['u01', 'u02', 'u03'] });
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, 'owner');
  await groupsReady(page);
  const noOverflow = async (what) => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${what} overflows the 390 px screen by ${overflow}px`);
  };
  await noOverflow('the Groups page');
  for (const name of ['New Group', 'Sign out']) {
    const box = await page.getByRole('button', { name }).boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `${name} is within the screen`);
  }
  const users = await page.locator('#groups-table tbody td[data-col="users"]').first().boundingBox();
  assert.ok(users.x + users.width <= 390, 'the Users column is visible');
  await screenshot(page, 'narrow-groups-page', { fullPage: false });

  await page.goto(`${BASE_URL}/#/groups/${group.id}`);
  await page.locator('#members-table[aria-busy="false"]').waitFor();
  await noOverflow('the group page');
  await page.getByRole('button', { name: 'Add users' }).click();
  await page.locator('#picker-results li').first().waitFor();
  const dlg = await page.getByRole('dialog').boundingBox();
  assert.ok(dlg.x >= 0 && dlg.x + dlg.width <= 390, 'the picker fits');
  await screenshot(page, 'narrow-add-users', { fullPage: false });
  await page.keyboard.press('Escape');
  await screenshot(page, 'narrow-group-page');

  await page.goto(`${BASE_URL}/#/groups/new-smart`);
  await page.locator('#preview[data-state="ready"]').waitFor();
  await page.locator('#rule-builder .rb-foot').getByRole('button', { name: 'Add group' }).click();
  await noOverflow('the rule builder');
  for (const sel of await page.locator('#rule-builder select').all()) {
    const b = await sel.boundingBox();
    assert.ok(b.x >= 0 && b.x + b.width <= 390, 'builder controls stay on screen');
  }
  await screenshot(page, 'narrow-rule-builder');
});
