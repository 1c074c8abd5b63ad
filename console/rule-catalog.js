// The rule language as the API serves it (GET /smart-groups/rule-language): the attributes, the
// operators valid for each with the shape of their values, the combinators and the limits.
// Fetched once per session; the builder's pickers and inputs follow it, so an operator added to
// the engine is offered without a change here.

import { S } from './state.js';
import { api, ApiError } from './api.js';

let pending = null;

/** Loads the catalog once per session; resolves it. */
export async function ensureRuleLanguage() {
  if (S.ruleLanguage) return S.ruleLanguage;
  const session = S.session;
  if (!pending) {
    pending = api('GET', '/smart-groups/rule-language')
      .then(({ data }) => {
        if (!data || !Array.isArray(data.attributes)) {
          throw new ApiError(0, { title: 'Unexpected answer', detail: 'GET /smart-groups/rule-language did not describe the rule language.' });
        }
        return {
          attributes: data.attributes.filter((a) => a && typeof a.name === 'string')
            .map((a) => ({ ...a, operators: Array.isArray(a.operators) ? a.operators : [] })),
          combinators: Array.isArray(data.combinators) ? data.combinators : ['all', 'any', 'not'],
          limits: data.limits || {},
        };
      })
      .finally(() => { pending = null; });
  }
  const lang = await pending;
  if (S.session === session) S.ruleLanguage = lang;
  return lang;
}

/** The catalog's attributes, in its order ([] before it is loaded). */
export function catalogAttributes() {
  return S.ruleLanguage ? S.ruleLanguage.attributes : [];
}
/** The language's limits: maxDepth, maxConditions, maxListValues, maxTextChars, maxPatternChars, maxDays. */
export function limits() {
  return S.ruleLanguage ? S.ruleLanguage.limits : {};
}
export function combinators() {
  return S.ruleLanguage ? S.ruleLanguage.combinators : ['all', 'any', 'not'];
}

/**
 * The catalog entry a condition's attribute names, and the field for an attribute that takes one
 * (`profile.country` → the `profile` entry and `country`). Null for an attribute it does not list.
 */
export function findAttribute(attr) {
  const name = String(attr || '');
  for (const a of catalogAttributes()) {
    if (a.field ? name.startsWith(`${a.name}.`) : name === a.name) {
      return { entry: a, field: a.field ? name.slice(a.name.length + 1) : null };
    }
  }
  return null;
}

/**
 * The type the console works with: the catalog's kind (`department`, `group`, `text`, `status`,
 * `date`), or for a profile field the type seen in the directory (`text`, `number`, `date`,
 * `list`), `any` when unknown.
 */
export function attrType(attr) {
  const found = findAttribute(attr);
  if (!found) return 'any';
  if (!found.entry.field) return found.entry.kind;
  if (found.entry.name === 'profile') return (S.profileFields && S.profileFields.get(found.field)) || 'any';
  return 'any';
}

// Value shapes that make no sense for a profile field of a known type (an unknown field is
// offered every operator of the catalog; a shape added later is offered everywhere).
const NOT_FOR_FIELD_TYPE = {
  number: ['text', 'textList', 'pattern', 'date', 'dateList', 'days'],
  text: ['number', 'date', 'dateList', 'days'],
  list: ['number', 'date', 'dateList', 'days'],
  date: ['text', 'textList', 'pattern', 'number', 'scalar', 'scalarList'],
};

/** The operators valid for an attribute ({name, value}), in the catalog's order. */
export function operatorsFor(attr) {
  const found = findAttribute(attr);
  if (!found) return [];
  const ops = found.entry.operators;
  if (!found.entry.field) return ops;
  const skip = NOT_FOR_FIELD_TYPE[attrType(attr)];
  return skip ? ops.filter((o) => !skip.includes(o.value)) : ops;
}

/** The shape of an operator's value on an attribute (`none`, `text`, `dateList`, …), or '' if unknown. */
export function valueShape(attr, op) {
  const found = findAttribute(attr);
  const entry = found && found.entry.operators.find((o) => o.name === op);
  return entry ? String(entry.value) : '';
}

/** The values an enumerated attribute takes (status: active, inactive). */
export function enumValues(attr) {
  const found = findAttribute(attr);
  return (found && Array.isArray(found.entry.values)) ? found.entry.values : [];
}
