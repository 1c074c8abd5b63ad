// The rule language in words: labels of attributes and operators (which ones exist comes from the
// catalog, rule-catalog.js; an operator or attribute without a label here shows its wire name),
// rules, explanations and API errors on a condition.

import { h } from './dom.js';
import { fmtDate } from './format.js';
import { S } from './state.js';
import { ApiError } from './api.js';
import { friendlyTitle } from './problems.js';
import { deptName } from './directory.js';
import { attrType, valueShape } from './rule-catalog.js';

const ATTR_LABEL = {
  department: 'Department', group: 'Group membership', role: 'Role', status: 'Status', email: 'Email',
  emailDomain: 'Email domain', jobTitle: 'Job title', createdAt: 'Created',
};
/** Attributes that take a field (`profile.country`): the picker's group, and the field's suffix. */
const FIELD_ATTR_LABEL = {
  profile: { group: 'Profile fields', noun: 'profile', other: 'Other profile field…' },
};
const OP_LABEL = {
  eq: 'is', ne: 'is not', in: 'is any of', notIn: 'is none of', startsWith: 'starts with', endsWith: 'ends with',
  contains: 'contains', matches: 'matches the pattern', exists: 'is set', isEmpty: 'is empty',
  gt: 'is greater than', gte: 'is at least', lt: 'is less than', lte: 'is at most',
  before: 'is before', after: 'is after', withinLastDays: 'is within the last', moreThanDaysAgo: 'is more than',
  memberOf: 'is a member of', notMemberOf: 'is not a member of', inSubtree: 'is in (or under)',
};
/** The order operators are offered in; the type's usual ones first. Unlisted ones come last. */
const OP_ORDER = ['inSubtree', 'memberOf', 'notMemberOf', 'eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'before', 'after',
  'withinLastDays', 'moreThanDaysAgo', 'in', 'notIn', 'startsWith', 'endsWith', 'contains', 'matches', 'exists', 'isEmpty'];
const OP_FIRST = { date: ['before', 'after', 'withinLastDays', 'moreThanDaysAgo'], list: ['contains'] };
/** What follows a number of days. */
const DAYS_SUFFIX = { withinLastDays: 'days', moreThanDaysAgo: 'days ago' };
export const MODE_LABEL = { all: 'all', any: 'any', none: 'none', notAll: 'not all' };

export function humanize(name) {
  const s = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}
/** A plain attribute's label (the wire name if it has none). */
export function attrNameLabel(name) { return ATTR_LABEL[name] || name; }
/** For an attribute that takes a field: {group, noun, other} labels. */
export function fieldAttrLabels(name) {
  return FIELD_ATTR_LABEL[name] || { group: `${humanize(name)} fields`, noun: name, other: `Other ${name} field…` };
}
/** A condition's attribute in words: "Job title", "Skills (profile)". */
export function attrLabel(attr) {
  const a = String(attr || '');
  if (ATTR_LABEL[a]) return ATTR_LABEL[a];
  const dot = a.indexOf('.');
  if (dot > 0) return `${humanize(a.slice(dot + 1))} (${fieldAttrLabels(a.slice(0, dot)).noun})`;
  return a;
}
export function opLabel(op, type) {
  if (type === 'department' && op === 'eq') return 'is exactly';
  if (type === 'department' && op === 'inSubtree') return 'is in (or under)';
  if (type === 'list' && op === 'contains') return 'includes';
  if (type === 'list' && op === 'eq') return 'has an item equal to';
  if (type === 'list' && op === 'ne') return 'has no item equal to';
  return OP_LABEL[op] || op;
}
/** Operator names in the order they are offered for an attribute of `type`. */
export function sortOperators(names, type) {
  const first = OP_FIRST[type] || [];
  const rank = (op, i) => {
    if (first.includes(op)) return first.indexOf(op);
    const known = OP_ORDER.indexOf(op);
    return known >= 0 ? 100 + known : 1000 + i;
  };
  return names.map((op, i) => [op, rank(op, i)]).sort((a, b) => a[1] - b[1]).map(([op]) => op);
}
/** The words after a number of days ("days", "days ago"). */
export function daysSuffix(op) { return DAYS_SUFFIX[op] || 'days'; }

function describeValue(attr, op, value) {
  if (value === undefined || value === null) return '';
  const type = attrType(attr);
  const one = (v) => {
    if (type === 'department') return deptName(String(v));
    if (type === 'group') return S.groups.has(v) ? `“${S.groups.get(v).title}”` : String(v);
    return typeof v === 'string' ? `“${v}”` : String(v);
  };
  if (DAYS_SUFFIX[op] || valueShape(attr, op) === 'days') return `${value} ${daysSuffix(op)}`;
  if (Array.isArray(value)) return value.map(one).join(', ');
  return one(value);
}
function describeCond(c) {
  const type = attrType(c.attr);
  return `${attrLabel(c.attr)} ${opLabel(c.op, type)} ${describeValue(c.attr, c.op, c.value)}`.trim();
}
function describeActual(attr, actual) {
  if (actual === undefined || actual === null || actual === '') return 'not set';
  const type = attrType(attr);
  const one = (v) => (type === 'department' ? deptName(String(v)) : (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? fmtDate(v, false) : String(v)));
  if (Array.isArray(actual)) return actual.length ? actual.map(one).join(', ') : 'empty';
  if (typeof actual === 'object') return JSON.stringify(actual);
  return one(actual);
}

/** A readable rule as a nested list (rule history). */
export function ruleTree(w) {
  const item = (n) => {
    if (n && n.not !== undefined) {
      const inner = n.not;
      if (inner && (inner.all || inner.any)) {
        return h('li', null, h('span', { class: 'comb' }, inner.all ? 'Not all of:' : 'None of:'), h('ul', null, (inner.all || inner.any).map(item)));
      }
      return h('li', null, h('span', { class: 'comb' }, 'Not: '), describeCond(inner || {}));
    }
    if (n && (n.all || n.any)) return h('li', null, h('span', { class: 'comb' }, n.all ? 'All of:' : 'Any of:'), h('ul', null, (n.all || n.any).map(item)));
    return h('li', null, describeCond(n || {}));
  };
  return h('ul', { class: 'rule-tree' }, item(w));
}
/** An explanation node: ✓/✗, the condition, and the user's actual value. */
export function explainNode(n) {
  const verdict = (ok) => h('span', { class: `verdict ${ok ? 'yes' : 'no'}`, role: 'img', 'aria-label': ok ? 'true' : 'false' }, ok ? '✓' : '✗');
  if (!n || typeof n !== 'object') return h('li', null, String(n));
  if (n.not !== undefined) {
    return h('li', null, h('div', { class: 'node' }, verdict(n.result), h('span', { class: 'comb' }, 'Not')), h('ul', null, explainNode(n.not)));
  }
  if (n.all || n.any) {
    return h('li', null, h('div', { class: 'node' }, verdict(n.result), h('span', { class: 'comb' }, n.all ? 'All of these' : 'Any of these')),
      h('ul', null, (n.all || n.any).map(explainNode)));
  }
  return h('li', null, h('div', { class: 'node' }, verdict(n.result),
    h('span', null, describeCond(n), h('span', { class: 'actual' }, ` — their value: ${describeActual(n.attr, n.actual)}`))));
}

/** The message marked on a condition for an API error; names missing departments and groups. */
export function ruleProblemText(problem) {
  const detail = String(problem.detail || '');
  let m = /^department (\S+) does not exist/.exec(detail);
  if (m) {
    const known = S.departments && S.departments.get(m[1]);
    return `The department ${known ? `“${known.name}”` : m[1]} does not exist (any more). Pick another department.`;
  }
  m = /^group (\S+) does not exist/.exec(detail);
  if (m) {
    const known = S.groups.get(m[1]);
    return `The group ${known ? `“${known.title}”` : m[1]} does not exist (any more): it may have been deleted. Pick another group.`;
  }
  return detail || friendlyTitle(new ApiError(400, problem));
}
