// Rule health under the preview: per condition, how many users it matches and how many have
// no value; near-duplicate directory values; rewrites worth making (POST /smart-groups/health).

import { h, icon } from './dom.js';
import { plural } from './format.js';
import { api } from './api.js';
import { attrLabel } from './rule-language.js';

/** The health section for a complete rule; null when the API refuses it (the preview shows why). */
export async function healthSection(rule, groupId, signal) {
  const req = { rule };
  if (groupId) req.groupId = groupId;
  let data;
  try {
    ({ data } = await api('POST', '/smart-groups/health', { body: req, signal }));
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return null;
  }
  const flagged = new Set(data.suggestions.map((s) => s.path));
  return h('section', { id: 'rule-health', 'aria-labelledby': 'rule-health-h' },
    h('h3', { id: 'rule-health-h' }, 'Rule health'),
    data.suggestions.length || data.nearDuplicates.length ? null
      : h('p', { class: 'muted', id: 'rule-health-ok' }, icon('check'), ' No problems found.'),
    data.suggestions.length ? h('ul', { class: 'health-list', id: 'rule-health-suggestions' },
      data.suggestions.map((s) => h('li', { 'data-kind': s.kind, 'data-path': s.path }, icon('warn'), ` ${suggestionText(s)}`))) : null,
    data.nearDuplicates.length ? h('div', { id: 'rule-health-duplicates' },
      h('p', { class: 'small' }, 'Values that differ only in case, spacing or punctuation:'),
      h('ul', { class: 'health-list' }, data.nearDuplicates.map((d) => h('li', { 'data-attr': d.attr },
        `${attrLabel(d.attr)}: `, d.values.map((v) => `“${v.value}” (${v.users})`).join(', '))))) : null,
    h('ul', { class: 'health-conditions small muted', id: 'rule-health-conditions', 'aria-label': 'Conditions' },
      data.conditions.map((c, i) => h('li', { 'data-path': c.path, class: flagged.has(c.path) ? 'flagged' : null },
        `Condition ${i + 1} (${attrLabel(c.attr)}): ${plural(c.matching, 'user')} ${c.matching === 1 ? 'matches' : 'match'}`,
        c.missing ? `, ${c.missing} without a value` : ''))));
}

function suggestionText(s) {
  switch (s.kind) {
    case 'neverMatches': return 'A condition matches no one: check its value.';
    case 'mostlyMissing': return `Most users have no value for a condition's attribute (${s.message}).`;
    case 'anyOfEqIsIn': return `Several “is” conditions on ${attrLabel(s.replacement && s.replacement.attr)} in one “any” group could be one “is one of”.`;
    default: return s.message;
  }
}
