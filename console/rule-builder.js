// The rule builder: nested groups of conditions, edited in place, with the API's errors marked.
// Its attributes, operators, value inputs and limits follow the catalog (rule-catalog.js).

import { $, fill, h, icon } from './dom.js';
import { S } from './state.js';
import { deptOptions, ensureDepartments, ensureProfileFields, loadGroupIndex } from './directory.js';
import {
  attrType, catalogAttributes, combinators, ensureRuleLanguage, enumValues, findAttribute, limits,
} from './rule-catalog.js';
import { defaultValue, newCond, newGroup, offeredOps, rootFromWire, toWire, valueKind } from './rule-model.js';
import {
  attrNameLabel, daysSuffix, fieldAttrLabels, humanize, MODE_LABEL, opLabel, ruleProblemText,
} from './rule-language.js';

/** The match modes the language's combinators allow (and the current one). */
function modeChoices(current) {
  const comb = combinators();
  const not = comb.includes('not');
  const ok = { all: comb.includes('all'), any: comb.includes('any'), none: not && comb.includes('any'), notAll: not && comb.includes('all') };
  return Object.keys(MODE_LABEL).filter((m) => ok[m] || m === current);
}
/** The fields of an attribute that takes one, as seen in the directory (profile fields). */
function knownFields(name) {
  return name === 'profile' ? Array.from((S.profileFields || new Map()).keys()).sort() : [];
}

/**
 * The rule builder: nested groups (all / any / none / not all) of conditions (attribute, operator,
 * value). Calls onChange after every edit. Returns {el, result(), showProblem(err), setDisabled()}.
 */
export function RuleBuilder({ rule, groups = [], excludeGroupId, disabled = false, onChange }) {
  let root = rule ? rootFromWire(rule) : newGroup('all', [newCond()]);
  const el = h('div', { class: 'rb', id: 'rule-builder' });
  const groupChoices = groups.filter((g) => g.id !== excludeGroupId);
  let condNo = 0;
  const parents = new Map();

  const changed = () => { if (onChange) onChange(); };
  function countConds(n) { return n.type === 'cond' ? 1 : n.children.reduce((a, c) => a + countConds(c), 0); }

  function rerender(focus) {
    condNo = 0;
    parents.clear();
    fill(el, renderGroup(root, 0, null));
    if (focus) {
      const target = el.querySelector(`[data-node="${focus.node}"][data-part="${focus.part}"]`)
        || el.querySelector(`[data-node="${focus.node}"] select, [data-node="${focus.node}"] input, [data-node="${focus.node}"] button`);
      if (target) target.focus();
    }
  }

  function renderGroup(g, depth, parent) {
    parents.set(g.id, parent);
    const modeId = `${g.id}-mode`;
    const modeSel = h('select', { id: modeId, 'data-node': g.id, 'data-part': 'mode', 'aria-label': depth ? 'Match mode of this group' : 'Match mode' },
      modeChoices(g.mode).map((v) => h('option', { value: v, selected: g.mode === v }, MODE_LABEL[v])));
    modeSel.addEventListener('change', () => { g.mode = modeSel.value; rerender({ node: g.id, part: 'mode' }); changed(); });
    const total = countConds(root);
    const { maxConditions = Infinity, maxDepth = Infinity } = limits();
    const addCond = h('button', { type: 'button', class: 'btn btn-sm', 'data-node': g.id, 'data-part': 'add-cond', disabled: total >= maxConditions }, icon('plus'), 'Add condition');
    const addGroup = h('button', { type: 'button', class: 'btn btn-sm', 'data-node': g.id, 'data-part': 'add-group', disabled: depth >= maxDepth - 2 || total >= maxConditions }, icon('plus'), 'Add group');
    addCond.addEventListener('click', () => {
      const c = newCond();
      g.children.push(c);
      rerender({ node: c.id, part: 'attr' });
      changed();
    });
    addGroup.addEventListener('click', () => {
      const sub = newGroup(g.mode === 'any' ? 'all' : 'any', [newCond()]);
      g.children.push(sub);
      rerender({ node: sub.children[0].id, part: 'attr' });
      changed();
    });
    const removeGroup = parent ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-node': g.id, 'data-part': 'remove', 'aria-label': 'Remove this group' }, icon('trash'), 'Remove group') : null;
    if (removeGroup) {
      removeGroup.addEventListener('click', () => {
        parent.children.splice(parent.children.indexOf(g), 1);
        if (!parent.children.length) parent.children.push(newCond());
        rerender({ node: parent.id, part: 'add-cond' });
        changed();
      });
    }
    const joinWord = g.mode === 'all' || g.mode === 'notAll' ? 'and' : (g.mode === 'any' ? 'or' : 'nor');
    const items = [];
    g.children.forEach((c, i) => {
      if (i > 0) items.push(h('li', { class: 'rb-join', 'aria-hidden': 'true' }, joinWord));
      items.push(h('li', null, c.type === 'group' ? renderGroup(c, depth + 1, g) : renderCond(c, g)));
    });
    return h('div', { class: 'rb-group', role: 'group', 'aria-label': depth ? `Group of conditions, level ${depth + 1}` : 'Rule', 'data-node': g.id, 'data-mode': g.mode },
      h('div', { class: 'rb-head' },
        h('label', { for: modeId }, depth ? 'Match' : 'Members are users who match'),
        modeSel,
        h('span', null, 'of these conditions'),
        h('span', { class: 'spacer' }),
        removeGroup),
      h('ol', { class: 'rb-list' }, items),
      g.error ? h('p', { class: 'error-text' }, g.error) : null,
      h('div', { class: 'rb-foot' }, addCond, addGroup));
  }

  function renderCond(c, parent) {
    parents.set(c.id, parent);
    const n = ++condNo;
    const row = h('div', { class: `rb-cond${c.error ? ' invalid' : ''}`, role: 'group', 'aria-label': `Condition ${n}`, 'data-node': c.id });
    fillCond(row, c, parent);
    return row;
  }

  function fillCond(row, c, parent) {
    const type = attrType(c.attr);
    const found = findAttribute(c.attr);
    // An attribute that takes a field (profile.country): a field seen in the directory is picked
    // from the list, any other is typed in.
    const fieldAttr = found && found.entry.field ? found.entry.name : null;
    const known = fieldAttr && knownFields(fieldAttr).includes(found.field);
    const attrValue = fieldAttr && !known ? `${fieldAttr}.*` : c.attr;
    const errId = `${c.id}-err`;
    const attrSel = h('select', { class: 'rb-attr', 'aria-label': 'Attribute', 'data-node': c.id, 'data-part': 'attr' },
      catalogAttributes().map((a) => (a.field
        ? h('optgroup', { label: fieldAttrLabels(a.name).group },
          knownFields(a.name).map((k) => h('option', { value: `${a.name}.${k}`, selected: attrValue === `${a.name}.${k}` }, humanize(k))),
          h('option', { value: `${a.name}.*`, selected: attrValue === `${a.name}.*` }, fieldAttrLabels(a.name).other))
        : h('option', { value: a.name, selected: attrValue === a.name }, attrNameLabel(a.name)))));
    if (!found) {
      attrSel.append(h('option', { value: c.attr, selected: true }, c.attr));
    }
    attrSel.addEventListener('change', () => {
      const other = attrSel.value.endsWith('.*');
      c.attr = other ? attrSel.value.slice(0, -1) : attrSel.value;
      const ops = offeredOps(c.attr);
      if (!ops.includes(c.op)) c.op = ops[0] || '';
      c.value = defaultValue(valueKind(c.attr, c.op), c.attr);
      c.error = null;
      refill(row, c, parent, other ? 'field' : 'attr');
      changed();
    });
    const field = fieldAttr && !known ? h('input', { type: 'text', class: 'rb-field', 'aria-label': `${humanize(fieldAttr)} field name`, placeholder: 'field name', value: found.field, 'data-node': c.id, 'data-part': 'field', autocomplete: 'off' }) : null;
    if (field) field.addEventListener('input', () => { c.attr = `${fieldAttr}.${field.value.trim()}`; c.error = null; changed(); });

    const offered = offeredOps(c.attr);
    const ops = offered.includes(c.op) || !c.op ? offered : [...offered, c.op];
    const opSel = h('select', { class: 'rb-op', 'aria-label': 'Operator', 'data-node': c.id, 'data-part': 'op' },
      ops.map((o) => h('option', { value: o, selected: c.op === o }, opLabel(o, type))));
    opSel.addEventListener('change', () => {
      const before = valueKind(c.attr, c.op);
      c.op = opSel.value;
      const after = valueKind(c.attr, c.op);
      if (before !== after) c.value = defaultValue(after, c.attr);
      c.error = null;
      refill(row, c, parent, 'op');
      changed();
    });

    const valueBox = h('div', { class: 'rb-value' }, valueInput(c));
    const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-icon rb-remove', 'aria-label': 'Remove condition', title: 'Remove condition', 'data-node': c.id, 'data-part': 'remove' }, icon('trash'));
    remove.addEventListener('click', () => {
      parent.children.splice(parent.children.indexOf(c), 1);
      let focusNode = parent;
      if (!parent.children.length) {
        const grand = parents.get(parent.id);
        if (grand) { grand.children.splice(grand.children.indexOf(parent), 1); focusNode = grand; if (!grand.children.length) grand.children.push(newCond()); }
        else parent.children.push(newCond());
      }
      rerender({ node: focusNode.id, part: 'add-cond' });
      changed();
    });
    fill(row, attrSel, field, opSel, valueBox, remove,
      c.error ? h('p', { class: 'error-text rb-error', id: errId }, c.error) : null);
    row.classList.toggle('invalid', Boolean(c.error));
    if (c.error) {
      const target = row.querySelector('[data-part="value"]') || opSel;
      target.setAttribute('aria-invalid', 'true');
      target.setAttribute('aria-describedby', errId);
    }
  }
  function refill(row, c, parent, part) {
    fillCond(row, c, parent);
    const target = row.querySelector(`[data-part="${part}"]`);
    if (target) target.focus();
  }

  function valueInput(c) {
    const kind = valueKind(c.attr, c.op);
    const { maxDays, maxTextChars, maxPatternChars } = limits();
    const statuses = enumValues(c.attr);
    const common = { 'aria-label': 'Value', 'data-node': c.id, 'data-part': 'value' };
    const onInput = (get) => (e) => {
      c.value = get(e.target);
      if (c.error) { c.error = null; const row = e.target.closest('.rb-cond'); row.classList.remove('invalid'); const er = row.querySelector('.rb-error'); if (er) er.remove(); e.target.removeAttribute('aria-invalid'); }
      changed();
    };
    switch (kind) {
      case 'none': return h('span', { class: 'muted small' }, '');
      case 'department': {
        const sel = h('select', common, deptOptions(c.value));
        sel.addEventListener('change', onInput((t) => t.value));
        return sel;
      }
      case 'departments': {
        const sel = h('select', { ...common, multiple: true, size: Math.min(5, Math.max(3, S.deptOrder.length)) }, deptOptions(c.value));
        sel.addEventListener('change', onInput((t) => Array.from(t.selectedOptions).map((o) => o.value)));
        return sel;
      }
      case 'group': {
        const sel = h('select', common,
          h('option', { value: '', selected: !c.value }, 'Choose a group…'),
          groupChoices.map((g) => h('option', { value: g.id, selected: c.value === g.id }, `${g.title}${g.kind === 'smart' ? ' (smart)' : ''}`)),
          c.value && !groupChoices.some((g) => g.id === c.value) ? h('option', { value: c.value, selected: true }, c.value) : null);
        sel.addEventListener('change', onInput((t) => t.value));
        return sel;
      }
      case 'status': {
        const sel = h('select', common, statuses.map((s) => h('option', { value: s, selected: c.value === s }, s)),
          c.value && !statuses.includes(c.value) ? h('option', { value: c.value, selected: true }, c.value) : null);
        sel.addEventListener('change', onInput((t) => t.value));
        return sel;
      }
      case 'statuses': {
        const extra = c.value.filter((s) => !statuses.includes(s));
        const sel = h('select', { ...common, multiple: true, size: Math.min(5, Math.max(2, statuses.length + extra.length)) },
          [...statuses, ...extra].map((s) => h('option', { value: s, selected: c.value.includes(s) }, s)));
        sel.addEventListener('change', onInput((t) => Array.from(t.selectedOptions).map((o) => o.value)));
        return sel;
      }
      case 'days': {
        const input = h('input', { ...common, type: 'number', min: 0, max: maxDays, step: 1, value: c.value, inputmode: 'numeric' });
        input.addEventListener('input', onInput((t) => t.value));
        return [input, h('span', { class: 'rb-suffix' }, daysSuffix(c.op))];
      }
      case 'date': {
        const plain = c.value && !/^\d{4}-\d{2}-\d{2}$/.test(c.value);
        const input = h('input', { ...common, type: plain ? 'text' : 'date', value: c.value, placeholder: 'YYYY-MM-DD' });
        input.addEventListener('input', onInput((t) => t.value));
        input.addEventListener('change', onInput((t) => t.value));
        return input;
      }
      case 'number': {
        const input = h('input', { ...common, type: 'number', step: 'any', value: c.value });
        input.addEventListener('input', onInput((t) => t.value));
        return input;
      }
      case 'numbers': case 'texts': case 'dates': {
        const input = h('input', { ...common, type: 'text', value: c.value, placeholder: kind === 'dates' ? 'YYYY-MM-DD, YYYY-MM-DD' : 'value, value, …', autocomplete: 'off' });
        input.addEventListener('input', onInput((t) => t.value));
        return input;
      }
      case 'pattern': {
        const input = h('input', { ...common, type: 'text', value: c.value, placeholder: 'regular expression', autocomplete: 'off', maxlength: maxPatternChars });
        input.addEventListener('input', onInput((t) => t.value));
        return input;
      }
      default: {
        const input = h('input', { ...common, type: 'text', value: c.value, autocomplete: 'off', maxlength: maxTextChars,
          list: c.attr === 'role' ? 'rb-roles' : null });
        input.addEventListener('input', onInput((t) => t.value));
        return input;
      }
    }
  }

  function clearErrors(n) { n.error = null; if (n.children) n.children.forEach(clearErrors); }

  /** Marks one node as invalid without re-rendering, so whoever is typing keeps their focus. */
  function markInPlace(node, message) {
    clearErrors(root);
    el.querySelectorAll('.rb-error, .rb-group-error').forEach((x) => x.remove());
    el.querySelectorAll('.invalid').forEach((x) => x.classList.remove('invalid'));
    el.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
    node.error = message;
    const nodeEl = el.querySelector(`[data-node="${node.id}"].rb-cond, [data-node="${node.id}"].rb-group`);
    if (!nodeEl) return;
    const errId = `${node.id}-err`;
    if (node.type === 'cond') {
      nodeEl.classList.add('invalid');
      nodeEl.append(h('p', { class: 'error-text rb-error', id: errId }, message));
      const target = nodeEl.querySelector('[data-part="value"]') || nodeEl.querySelector('[data-part="op"]');
      if (target) { target.setAttribute('aria-invalid', 'true'); target.setAttribute('aria-describedby', errId); }
    } else {
      nodeEl.querySelector('.rb-list').after(h('p', { class: 'error-text rb-group-error', id: errId }, message));
    }
  }

  rerender();
  if (!$('#rb-roles')) {
    document.body.append(h('datalist', { id: 'rb-roles' }, ['owner', 'admin', 'departmentAdmin', 'learner'].map((r) => h('option', { value: r }))));
  }
  const api_ = {
    el,
    /** {rule, problems, pointers, count} for the current model. */
    result() { return toWire(root); },
    /** Marks the builder node that the API's field pointer names; returns true if one was found. */
    showProblem(err) {
      const field = err && err.problem && err.problem.field;
      if (!field || !field.startsWith('rule')) return false;
      const { pointers } = toWire(root);
      let best = null;
      for (const [p, node] of pointers) {
        if ((field === p || field.startsWith(`${p}/`)) && (!best || p.length > best[0].length)) best = [p, node];
      }
      if (!best) return false;
      markInPlace(best[1], ruleProblemText(err.problem));
      return true;
    },
    /** Shows the first incomplete condition's message next to it and focuses it. */
    showIncomplete(problems) {
      clearErrors(root);
      for (const p of problems) p.node.error = p.message;
      rerender();
      const first = problems[0] && el.querySelector(`[data-node="${problems[0].node.id}"] [data-part="value"], [data-node="${problems[0].node.id}"] [data-part="field"], [data-node="${problems[0].node.id}"] select`);
      if (first) first.focus();
    },
    load(rule) { root = rootFromWire(rule); rerender(); changed(); },
    setDisabled(d) { el.querySelectorAll('select, input, button').forEach((x) => { x.disabled = d || x.disabled; }); },
  };
  if (disabled) api_.setDisabled(true);
  return api_;
}

/** What the builder offers (the rule language, departments, profile fields) loaded; resolves the groups a condition can name. */
export async function builderDeps() {
  const [, groups] = await Promise.all([
    ensureDepartments().catch((e) => { if (e.status !== 403) throw e; }),
    loadGroupIndex(),
    ensureProfileFields(),
    ensureRuleLanguage(),
  ]);
  return groups;
}
