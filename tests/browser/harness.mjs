// Shared pieces of the console's browser tests: Chromium (Debian's, driven by playwright-core),
// the running groups-local (BASE_URL, started by scripts/browser-test), the demo data's model,
// polling assertions and screenshots.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const BASE_URL = process.env.BASE_URL;
if (!BASE_URL) {
  throw new Error('BASE_URL is not set: run the browser tests with scripts/browser-test, which starts groups-local');
}
export const ARTIFACTS = process.env.ARTIFACTS_DIR || resolve(here, '../../test-artifacts/browser');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Without the background-networking flags Chromium waits on the network on an offline machine.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--no-default-browser-check'];

/** One Chromium per test file, with a fresh empty profile. Fails loudly when it cannot start. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`Chromium (${CHROMIUM}) did not start: ${e.message}`);
  }
  for (const p of context.pages()) await p.close();
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A browser test: a fresh tab (so a fresh sessionStorage: signed out), failing on any uncaught page
 * error, with a screenshot of the page when it fails.
 */
/** One browser for a file's tests: `const it = browserSuite();`, then `it(name, fn)`. */
export function browserSuite() {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { if (browser) await browser.close(); });
  return (name, fn) => browserTest(name, fn, () => browser);
}

export function browserTest(name, fn, getBrowser) {
  test(name, async () => {
    const { context } = getBrowser();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.setViewportSize({ width: 1280, height: 800 });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await fn(page);
      assert.deepEqual(errors, [], 'uncaught errors in the page');
    } catch (e) {
      const file = `failed-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
      await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true }).catch(() => {});
      throw e;
    } finally {
      await page.close();
    }
  });
}

/** Retries an assertion until it holds (or the timeout passes): waits on state, not on time. */
export async function eventually(check, { timeout = 15_000, interval = 50 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Saves a screenshot under test-artifacts/browser/ (without the transient toast). */
export async function screenshot(page, name, { fullPage = true } = {}) {
  await page.evaluate(() => { const t = document.getElementById('toast'); if (t) t.textContent = ''; });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

let tokenCache;
export async function tokens() {
  if (!tokenCache) {
    const res = await fetch(`${BASE_URL}/dev/tokens`);
    assert.equal(res.status, 200, 'GET /dev/tokens');
    tokenCache = await res.json();
  }
  return tokenCache;
}

/** Calls the API directly (setup and cross-checks). Returns {status, body, etag}. */
export async function api(role, method, path, body, headers = {}) {
  const token = (await tokens())[role];
  assert.ok(token, `a demo token for ${role}`);
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, etag: res.headers.get('etag') };
}

export async function createGroup(body, role = 'owner') {
  const res = await api(role, 'POST', '/groups', body);
  assert.equal(res.status, 201, `create ${body.title}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Every group a role sees, by paging the API. */
export async function allGroups(role, query = '') {
  const items = [];
  let cursor = null;
  do {
    const res = await api(role, 'GET', `/groups?limit=200${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

let counter = 0;
/** A title no other test uses. */
export function unique(prefix) {
  counter += 1;
  return `${prefix} ${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${counter}`;
}

/** Signs in by picking a demo role on the sign-in page and waits for the Groups page. */
export async function signIn(page, role) {
  await page.goto(`${BASE_URL}/#/signin`);
  await page.locator(`button[data-role="${role}"]`).click();
  await page.locator('#who-name').waitFor();
  await page.waitForURL(/#\/groups$/);
}

/** The Groups table once its data has arrived. */
export async function groupsReady(page) {
  await page.locator('#groups-table[aria-busy="false"]').waitFor();
}

/** The titles in the Groups table, in order. */
export async function visibleTitles(page) {
  return page.locator('#groups-table tbody a.group-link').allTextContents();
}

/** Types into the search box and waits until the table shows exactly the wanted titles. */
export async function searchGroups(page, q, expected) {
  await page.getByRole('searchbox', { name: 'Search groups' }).fill(q);
  if (expected) await eventually(async () => assert.deepEqual(await visibleTitles(page), expected));
}

export function row(page, title) {
  return page.locator('#groups-table tbody tr', { has: page.getByRole('link', { name: title, exact: true }) });
}

// ------------------------------------------------------------ the demo data (local/src/seed.rs)

const PLACEMENTS = ['sales-emea', 'sales-apac', 'sales', 'marketing', 'hr', 'engineering', 'interns'];
const FIRST = ['Ava', 'Ben', 'Chloe', 'Dan', 'Eve', 'Finn', 'Grace', 'Hugo', 'Ivy', 'Jonas'];
const LAST = ['Berg', 'Costa', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Hansen', 'Ito'];
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR'];
export const PARENT = {
  acme: null, sales: 'acme', 'sales-emea': 'sales', 'sales-apac': 'sales', marketing: 'acme', hr: 'acme',
  engineering: 'acme', interns: 'hr',
};
export function inSubtree(dep, root) {
  for (let d = dep; d; d = PARENT[d]) if (d === root) return true;
  return false;
}

/** The seeded users as the seed builds them: 40 learners with profiles, and one user per role. */
export function seedUsers() {
  const users = [];
  for (let n = 1; n <= 40; n++) {
    const department = PLACEMENTS[n % PLACEMENTS.length];
    const firstName = FIRST[n % FIRST.length];
    const lastName = LAST[Math.floor(n / 3) % LAST.length];
    users.push({
      id: `u${String(n).padStart(2, '0')}`,
      firstName, lastName,
      email: `${firstName.toLowerCase()}.${lastName.toLowerCase()}${n}@acme.example`,
      department,
      status: n % 13 === 0 ? 'inactive' : 'active',
      jobTitle: department === 'interns' ? 'Intern' : 'Specialist',
      createdDaysAgo: (n * 9) % 400,
      profile: { country: COUNTRIES[n % COUNTRIES.length], level: (n % 5) + 1, skills: n % 2 === 0 ? ['excel', 'crm'] : ['design'] },
    });
  }
  for (const [id, firstName, department] of [['owner', 'Olivia', 'acme'], ['admin', 'Adam', 'acme'],
    ['dept-admin', 'Dana', 'sales'], ['learner', 'Leo', 'engineering'], ['trainer', 'Tara', 'marketing']]) {
    users.push({ id, firstName, lastName: 'Demo', email: `${id}@acme.example`, department, status: 'active', jobTitle: 'Administrator', createdDaysAgo: 365, profile: {} });
  }
  return users;
}
export const fullName = (u) => `${u.firstName} ${u.lastName}`;
