// The rule language: attributes, operators and values; the builder's model <-> the wire rule;
// rules, explanations and API errors on a condition in words.

import { h } from './dom.js';
import { fmtDate } from './format.js';
import { S } from './state.js';
import { ApiError, friendlyTitle } from './api.js';
import { deptName } from './directory.js';

export const MAX_DEPTH = 8;
export const MAX_CONDITIONS = 100;
export const ATTRS = [
  { id: 'department', label: 'Department', type: 'department' },
  { id: 'group', label: 'Group membership', type: 'group' },
  { id: 'role', label: 'Role', type: 'text' },
  { id: 'status', label: 'Status', type: 'status' },
  { id: 'email', label: 'Email', type: 'text' },
  { id: 'emailDomain', label: 'Email domain', type: 'text' },
  { id: 'jobTitle', label: 'Job title', type: 'text' },
  { id: 'createdAt', label: 'Created', type: 'date' },
];
export const OPS = {
  department: ['inSubtree', 'eq', 'ne', 'in', 'notIn', 'exists', 'isEmpty'],
  group: ['memberOf', 'notMemberOf'],
  text: ['eq', 'ne', 'in', 'notIn', 'startsWith', 'endsWith', 'contains', 'matches', 'exists', 'isEmpty'],
  status: ['eq', 'ne', 'in', 'notIn', 'exists', 'isEmpty'],
  date: ['before', 'after', 'withinLastDays', 'moreThanDaysAgo', 'exists', 'isEmpty'],
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists', 'isEmpty'],
  list: ['contains', 'eq', 'in', 'notIn', 'startsWith', 'endsWith', 'matches', 'exists', 'isEmpty'],
  any: ['eq', 'ne', 'in', 'notIn', 'startsWith', 'endsWith', 'contains', 'matches', 'gt', 'gte', 'lt', 'lte',
    'before', 'after', 'withinLastDays', 'moreThanDaysAgo', 'exists', 'isEmpty'],
};
const OP_LABEL = {
  eq: 'is', ne: 'is not', in: 'is any of', notIn: 'is none of', startsWith: 'starts with', endsWith: 'ends with',
  contains: 'contains', matches: 'matches the pattern', exists: 'is set', isEmpty: 'is empty',
  gt: 'is greater than', gte: 'is at least', lt: 'is less than', lte: 'is at most',
  before: 'is before', after: 'is after', withinLastDays: 'is within the last', moreThanDaysAgo: 'is more than',
  memberOf: 'is a member of', notMemberOf: 'is not a member of', inSubtree: 'is in (or under)',
};
export const MODE_LABEL = { all: 'all', any: 'any', none: 'none', notAll: 'not all' };

export function humanize(name) {
  const s = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}
export function attrType(attr) {
  const a = ATTRS.find((x) => x.id === attr);
  if (a) return a.type;
  if (attr && attr.startsWith('profile.')) return (S.profileFields && S.profileFields.get(attr.slice(8))) || 'any';
  return 'any';
}
function attrLabel(attr) {
  const a = ATTRS.find((x) => x.id === attr);
  if (a) return a.label;
  if (attr && attr.startsWith('profile.')) return `${humanize(attr.slice(8))} (profile)`;
  return attr;
}
export function opLabel(op, type) {
  if (type === 'department' && op === 'eq') return 'is exactly';
  if (type === 'department' && op === 'inSubtree') return 'is in (or under)';
  if (type === 'list' && op === 'contains') return 'includes';
  if (type === 'list' && op === 'eq') return 'has an item equal to';
  return OP_LABEL[op] || op;
}
export function valueKind(type, op) {
  if (op === 'exists' || op === 'isEmpty') return 'none';
  const many = op === 'in' || op === 'notIn';
  if (type === 'department') return many ? 'departments' : 'department';
  if (type === 'group') return 'group';
  if (type === 'status') return many ? 'statuses' : 'status';
  if (op === 'withinLastDays' || op === 'moreThanDaysAgo') return 'days';
  if (op === 'before' || op === 'after') return 'date';
  if (['gt', 'gte', 'lt', 'lte'].includes(op)) return 'number';
  if (type === 'number') return many ? 'numbers' : 'number';
  return many ? 'texts' : 'text';
}
export function defaultValue(kind) {
  switch (kind) {
    case 'department': return (S.deptOrder[0] && S.deptOrder[0].id) || '';
    case 'departments': case 'statuses': return [];
    case 'status': return 'active';
    case 'days': return '30';
    default: return '';
  }
}
/** The UI value of a wire value (lists of text become "a, b"). */
function uiValue(kind, value) {
  if (value === undefined || value === null) return defaultValue(kind);
  if (kind === 'texts' || kind === 'numbers') return Array.isArray(value) ? value.join(', ') : String(value);
  if (kind === 'departments' || kind === 'statuses') return Array.isArray(value) ? value.map(String) : [String(value)];
  return String(value);
}
/** {ok, value, message}: the wire value of a condition, or why it is incomplete. */
function wireValue(node) {
  const kind = valueKind(attrType(node.attr), node.op);
  const v = node.value;
  switch (kind) {
    case 'none': return { ok: true };
    case 'departments': case 'statuses':
      return v && v.length ? { ok: true, value: v.slice() } : { ok: false, message: 'Pick at least one value.' };
    case 'days': case 'number': {
      const s = String(v ?? '').trim();
      const n = Number(s);
      if (!s || !Number.isFinite(n)) return { ok: false, message: 'Enter a number.' };
      if (kind === 'days' && (n < 0 || !Number.isInteger(n))) return { ok: false, message: 'Enter a whole number of days.' };
      return { ok: true, value: n };
    }
    case 'numbers': {
      const parts = String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      const nums = parts.map(Number);
      if (!parts.length || nums.some((n) => !Number.isFinite(n))) return { ok: false, message: 'Enter numbers separated by commas.' };
      return { ok: true, value: nums };
    }
    case 'texts': {
      const parts = String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      return parts.length ? { ok: true, value: parts } : { ok: false, message: 'Enter values separated by commas.' };
    }
    case 'date': {
      const s = String(v ?? '').trim();
      return s ? { ok: true, value: s } : { ok: false, message: 'Pick a date.' };
    }
    default: {
      const s = String(v ?? '');
      if (!s.trim()) return { ok: false, message: kind === 'group' ? 'Pick a group.' : 'Enter a value.' };
      return { ok: true, value: kind === 'text' ? s.trim() : s };
    }
  }
}

let nodeSeq = 0;
export const newCond = (attr = 'department', op) => {
  const type = attrType(attr);
  const o = op || OPS[type][0];
  return { id: `n${++nodeSeq}`, type: 'cond', attr, op: o, value: defaultValue(valueKind(type, o)) };
};
export const newGroup = (mode = 'all', children = [newCond()]) => ({ id: `n${++nodeSeq}`, type: 'group', mode, children });

/** Wire rule → builder model. A negated condition becomes a "none of" group around it. */
function fromWire(w) {
  if (!w || typeof w !== 'object') return newCond();
  if (w.not !== undefined) {
    const inner = w.not;
    if (inner && (inner.all || inner.any)) {
      const g = fromWire(inner);
      g.mode = inner.all ? 'notAll' : 'none';
      return g;
    }
    return newGroup('none', [fromWire(inner)]);
  }
  if (Array.isArray(w.all) || Array.isArray(w.any)) {
    const list = w.all || w.any;
    return newGroup(w.all ? 'all' : 'any', list.map(fromWire));
  }
  const type = attrType(w.attr);
  const kind = valueKind(type, w.op);
  return { id: `n${++nodeSeq}`, type: 'cond', attr: String(w.attr || ''), op: String(w.op || ''), value: uiValue(kind, w.value) };
}
export function rootFromWire(w) {
  const node = fromWire(w);
  return node.type === 'group' ? node : newGroup('all', [node]);
}
/** Builder model → wire rule, with JSON pointers (for the API's field errors) and incomplete nodes. */
export function toWire(node, path = 'rule', acc = { pointers: [], problems: [], count: 0 }) {
  acc.pointers.push([path, node]);
  if (node.type === 'group') {
    const key = node.mode === 'all' || node.mode === 'notAll' ? 'all' : 'any';
    const negated = node.mode === 'none' || node.mode === 'notAll';
    const inner = negated ? `${path}/not` : path;
    if (negated) acc.pointers.push([inner, node]);
    const list = node.children.map((c, i) => toWire(c, `${inner}/${key}/${i}`, acc).rule);
    if (!node.children.length) acc.problems.push({ node, message: 'Add at least one condition to this group.' });
    const obj = { [key]: list };
    return { rule: negated ? { not: obj } : obj, ...acc };
  }
  acc.count++;
  const out = { attr: node.attr, op: node.op };
  if (!node.attr || node.attr === 'profile.') acc.problems.push({ node, message: 'Name the profile field.' });
  const v = wireValue(node);
  if (!v.ok) acc.problems.push({ node, message: v.message });
  else if (v.value !== undefined) out.value = v.value;
  return { rule: out, ...acc };
}

function describeValue(attr, op, value) {
  if (value === undefined || value === null) return '';
  const type = attrType(attr);
  const one = (v) => {
    if (type === 'department') return deptName(String(v));
    if (type === 'group') return S.groups.has(v) ? `“${S.groups.get(v).title}”` : String(v);
    return typeof v === 'string' ? `“${v}”` : String(v);
  };
  if (op === 'withinLastDays') return `${value} days`;
  if (op === 'moreThanDaysAgo') return `${value} days ago`;
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
