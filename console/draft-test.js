// Draft testing beside the rule builder: pick up to 100 people, see how the unsaved rule
// treats each of them, condition by condition (POST /smart-groups/test).

import { debounce, fill, h, icon } from './dom.js';
import { plural } from './format.js';
import { api, qs } from './api.js';
import { problemBox } from './problems.js';
import { remember, userName } from './directory.js';
import { explainNode } from './rule-language.js';

const MAX_PEOPLE = 100;

export function DraftTestPanel({ groupId, builder }) {
  const chosen = new Map(); // id -> name
  const search = h('input', { type: 'search', id: 'draft-test-search', placeholder: 'Name or email', autocomplete: 'off', maxlength: 200 });
  const found = h('ul', { class: 'draft-found', id: 'draft-test-found', 'aria-label': 'People found' });
  const picked = h('ul', { class: 'draft-picked', id: 'draft-test-picked', 'aria-label': 'People to test' });
  const runBtn = h('button', { type: 'button', class: 'btn', id: 'draft-test-run', disabled: true }, 'Test the rule');
  const results = h('div', { id: 'draft-test-results', 'aria-live': 'polite' });
  const el = h('section', { class: 'card card-body draft-test', 'aria-labelledby': 'draft-test-h', id: 'draft-test' },
    h('h2', { id: 'draft-test-h' }, 'Test on people'),
    h('p', { class: 'muted small' }, `Pick up to ${MAX_PEOPLE} people and see how the rule as it stands (saved or not) treats each of them.`),
    h('div', { class: 'field' }, h('label', { for: 'draft-test-search' }, 'Find people'), search),
    found, picked, h('div', { class: 'eval-line' }, runBtn), results);

  function renderPicked() {
    fill(picked, [...chosen].map(([id, name]) => {
      const remove = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Remove ${name}` }, '×');
      remove.addEventListener('click', () => { chosen.delete(id); renderPicked(); });
      return h('li', { 'data-user': id }, name, ' ', remove);
    }));
    runBtn.disabled = chosen.size === 0;
    runBtn.textContent = chosen.size ? `Test the rule on ${plural(chosen.size, 'person', 'people')}` : 'Test the rule';
  }

  const lookUp = debounce(async () => {
    const q = search.value.trim();
    if (!q) { fill(found); return; }
    try {
      const { data } = await api('GET', `/users${qs({ q, limit: 10 })}`);
      fill(found, data.items.map((u) => {
        remember(u);
        const name = `${u.firstName} ${u.lastName}`.trim();
        const add = h('button', { type: 'button', class: 'btn btn-small', disabled: chosen.has(u.id) || chosen.size >= MAX_PEOPLE, 'aria-label': `Add ${name}` }, 'Add');
        add.addEventListener('click', () => { chosen.set(u.id, name); add.disabled = true; renderPicked(); });
        return h('li', { 'data-user': u.id }, name, h('span', { class: 'muted small' }, ` ${u.email}`), ' ', add);
      }));
      if (!data.items.length) fill(found, h('li', { class: 'muted' }, `No one matches “${q}”.`));
    } catch (err) {
      fill(found, h('li', null, problemBox(err)));
    }
  }, 300);
  search.addEventListener('input', lookUp);

  runBtn.addEventListener('click', async () => {
    const { rule, problems } = builder.result();
    if (problems.length) {
      fill(results, h('p', { class: 'notice warn' }, icon('warn'), h('span', null, `Complete the rule first: ${problems[0].message}`)));
      return;
    }
    runBtn.disabled = true;
    results.setAttribute('aria-busy', 'true');
    try {
      const body = { rule, userIds: [...chosen.keys()] };
      if (groupId) body.groupId = groupId;
      const { data } = await api('POST', '/smart-groups/test', { body });
      fill(results,
        h('ul', { class: 'draft-results', id: 'draft-test-list' }, data.items.map((r) => {
          const name = chosen.get(r.userId) || userName(r.userId);
          const verdict = !r.inGroupScope ? 'outside the group’s department'
            : r.matches ? 'matches' : 'does not match';
          const member = r.member === undefined ? '' : r.member ? ' (a member now)' : ' (not a member now)';
          return h('li', { 'data-user': r.userId, 'data-matches': String(r.matches) },
            h('details', null,
              h('summary', null, icon(r.matches ? 'check' : 'warn'), ` ${name} ${verdict}${member}`),
              h('ul', { class: 'rule-tree', 'aria-label': `Rule evaluation for ${name}` }, explainNode(r.rule))));
        })),
        data.notFound.length ? h('p', { class: 'muted', id: 'draft-test-missing' }, `Not found (deleted, or outside your scope): ${data.notFound.join(', ')}`) : null);
    } catch (err) {
      fill(results, problemBox(err));
      builder.showProblem(err);
    } finally {
      runBtn.disabled = chosen.size === 0;
      results.removeAttribute('aria-busy');
    }
  });
  return { el };
}
