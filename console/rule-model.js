// The rule builder's model (nested groups of conditions) <-> the wire rule: which operators a
// condition offers, the input its value takes (from the catalog's value shapes), its default,
// and the checks made before the API sees it (the catalog's limits).

import { S } from './state.js';
import { attrType, catalogAttributes, enumValues, limits, operatorsFor, valueShape } from './rule-catalog.js';
import { sortOperators } from './rule-language.js';

/** The operator names a condition on `attr` offers, in the order they are shown. */
export function offeredOps(attr) {
  return sortOperators(operatorsFor(attr).map((o) => o.name), attrType(attr));
}

/**
 * The input a condition's value takes: none, text, texts, pattern, number, numbers, date, dates,
 * days, status, statuses, department, departments, group. From the catalog's value shape; a
 * profile field's scalar is a number for a number field, else a text.
 */
export function valueKind(attr, op) {
  const shape = valueShape(attr, op);
  const numeric = attrType(attr) === 'number';
  switch (shape) {
    case 'none': return 'none';
    case 'text': return 'text';
    case 'textList': return 'texts';
    case 'pattern': return 'pattern';
    case 'number': return 'number';
    case 'date': return 'date';
    case 'dateList': return 'dates';
    case 'days': return 'days';
    case 'status': return 'status';
    case 'statusList': return 'statuses';
    case 'departmentId': return 'department';
    case 'departmentIdList': return 'departments';
    case 'groupId': return 'group';
    case 'scalar': return numeric ? 'number' : 'text';
    case 'scalarList': return numeric ? 'numbers' : 'texts';
    default: return shape.endsWith('List') ? 'texts' : 'text';
  }
}
const LIST_KINDS = ['texts', 'numbers', 'dates'];
const MULTI_KINDS = ['departments', 'statuses'];

export function defaultValue(kind, attr) {
  switch (kind) {
    case 'department': return (S.deptOrder[0] && S.deptOrder[0].id) || '';
    case 'departments': case 'statuses': return [];
    case 'status': return enumValues(attr)[0] || '';
    case 'days': return '30';
    default: return '';
  }
}
/** The UI value of a wire value (lists of text become "a, b"). */
function uiValue(kind, value, attr) {
  if (value === undefined || value === null) return defaultValue(kind, attr);
  if (LIST_KINDS.includes(kind)) return Array.isArray(value) ? value.join(', ') : String(value);
  if (MULTI_KINDS.includes(kind)) return Array.isArray(value) ? value.map(String) : [String(value)];
  return String(value);
}
/** {ok, value, message}: the wire value of a condition, or why it is incomplete. */
function wireValue(node) {
  const kind = valueKind(node.attr, node.op);
  const v = node.value;
  const { maxListValues = Infinity, maxDays = Infinity } = limits();
  const split = () => String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const tooMany = (n) => n > maxListValues;
  switch (kind) {
    case 'none': return { ok: true };
    case 'departments': case 'statuses':
      if (!v || !v.length) return { ok: false, message: 'Pick at least one value.' };
      if (tooMany(v.length)) return { ok: false, message: `Pick at most ${maxListValues} values.` };
      return { ok: true, value: v.slice() };
    case 'days': case 'number': {
      const s = String(v ?? '').trim();
      const n = Number(s);
      if (!s || !Number.isFinite(n)) return { ok: false, message: 'Enter a number.' };
      if (kind === 'days' && (n < 0 || !Number.isInteger(n))) return { ok: false, message: 'Enter a whole number of days.' };
      if (kind === 'days' && n > maxDays) return { ok: false, message: `Enter at most ${maxDays} days.` };
      return { ok: true, value: n };
    }
    case 'numbers': {
      const parts = split();
      const nums = parts.map(Number);
      if (!parts.length || nums.some((n) => !Number.isFinite(n))) return { ok: false, message: 'Enter numbers separated by commas.' };
      if (tooMany(parts.length)) return { ok: false, message: `Enter at most ${maxListValues} values.` };
      return { ok: true, value: nums };
    }
    case 'texts': case 'dates': {
      const parts = split();
      if (!parts.length) return { ok: false, message: kind === 'dates' ? 'Enter dates separated by commas.' : 'Enter values separated by commas.' };
      if (tooMany(parts.length)) return { ok: false, message: `Enter at most ${maxListValues} values.` };
      return { ok: true, value: parts };
    }
    case 'date': {
      const s = String(v ?? '').trim();
      return s ? { ok: true, value: s } : { ok: false, message: 'Pick a date.' };
    }
    default: {
      const s = String(v ?? '');
      if (!s.trim()) return { ok: false, message: kind === 'group' ? 'Pick a group.' : 'Enter a value.' };
      return { ok: true, value: kind === 'text' || kind === 'pattern' ? s.trim() : s };
    }
  }
}

/** A new condition's attribute: the catalog's first one without a field (department). */
function defaultAttr() {
  const a = catalogAttributes().find((x) => !x.field);
  return a ? a.name : 'department';
}

let nodeSeq = 0;
export const newCond = (attr = defaultAttr(), op) => {
  const o = op || offeredOps(attr)[0] || '';
  return { id: `n${++nodeSeq}`, type: 'cond', attr, op: o, value: defaultValue(valueKind(attr, o), attr) };
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
  const attr = String(w.attr || '');
  const op = String(w.op || '');
  return { id: `n${++nodeSeq}`, type: 'cond', attr, op, value: uiValue(valueKind(attr, op), w.value, attr) };
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
  if (!node.attr || node.attr.endsWith('.')) acc.problems.push({ node, message: `Name the ${node.attr ? node.attr.slice(0, -1) : 'profile'} field.` });
  const v = wireValue(node);
  if (!v.ok) acc.problems.push({ node, message: v.message });
  else if (v.value !== undefined) out.value = v.value;
  return { rule: out, ...acc };
}
