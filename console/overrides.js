// A smart group's exceptions (overrides, DESIGN §11): one person always in or always out
// whatever the rule says, with a reason and an optional end date.

import { debounce, fill, h, icon, toast } from './dom.js';
import { fmtDate } from './format.js';
import { alive } from './state.js';
import { can } from './permissions.js';
import { api, ApiError, qs } from './api.js';
import { clearError, showError } from './problems.js';
import { remember, userName } from './directory.js';
import { confirmDialog, openDialog, setFieldError } from './dialogs.js';

export const EFFECT_LABEL = { include: 'Always in', exclude: 'Always out' };

export function effectBadge(effect) {
  return h('span', { class: `badge ${effect === 'include' ? 'badge-ok' : 'badge-warn'}`, 'data-effect': effect }, EFFECT_LABEL[effect] || effect);
}

/** One line on an override: who set it, why, until when. */
export function overrideLine(o) {
  return `${o.reason} (by ${userName(o.createdBy)}, ${fmtDate(o.createdAt, false)}${o.expiresAt ? `, until ${fmtDate(o.expiresAt, false)}` : ''})`;
}

/** The Exceptions card under a smart group's members. */
export async function overridesSection(ctx, slot) {
  const manage = can('groups:members');
  const limit = 20;
  const state = { cursors: [null], page: 0 };
  const tbody = h('tbody');
  const addBtn = manage ? h('button', { type: 'button', class: 'btn btn-sm', id: 'add-override' }, icon('plus'), 'Add exception') : null;
  const table = h('table', { id: 'overrides-table', 'aria-label': 'Exceptions', 'aria-busy': 'true' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Person'),
      h('th', { scope: 'col' }, 'Exception'),
      h('th', { scope: 'col' }, 'Reason'),
      h('th', { scope: 'col' }, 'Ends'),
      manage ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
    tbody);
  const prev = h('button', { type: 'button', class: 'btn btn-sm', id: 'overrides-prev' }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'btn btn-sm', id: 'overrides-next' }, 'Next ›');
  fill(slot, h('section', { class: 'card', 'aria-labelledby': 'overrides-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'overrides-h' }, 'Exceptions'), h('span', { class: 'spacer' }), addBtn),
    h('p', { class: 'muted small card-body' }, 'People kept in or out whatever the rule says. Members = (rule + always in) − always out.'),
    h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'pager' }, prev, next)));

  function rowFor(o) {
    const name = userName(o.userId);
    const remove = manage ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Remove the exception for ${name}` }, 'Remove') : null;
    if (remove) remove.addEventListener('click', () => removeOverride(ctx, o.userId, name));
    return h('tr', { 'data-user': o.userId },
      h('th', { scope: 'row' }, name),
      h('td', null, effectBadge(o.effect)),
      h('td', null, o.reason, h('div', { class: 'muted small' }, `by ${userName(o.createdBy)}, ${fmtDate(o.createdAt, false)}`)),
      h('td', null, o.expiresAt ? fmtDate(o.expiresAt, false) : 'Never'),
      manage ? h('td', { class: 'col-actions' }, remove) : null);
  }
  async function load() {
    table.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('GET', `/groups/${encodeURIComponent(ctx.id)}/overrides${qs({ limit, cursor: state.cursors[state.page] })}`);
      if (!alive(ctx.seq)) return;
      state.next = data.nextCursor;
      fill(tbody, ...(data.items.length ? data.items.map(rowFor)
        : [h('tr', { class: 'empty-row' }, h('td', { colspan: manage ? 5 : 4 }, 'No exceptions: the rule alone decides.'))]));
      prev.disabled = state.page === 0;
      next.disabled = !state.next;
    } catch (err) {
      if (!alive(ctx.seq)) return;
      fill(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: manage ? 5 : 4 }, 'The exceptions could not be loaded.')));
      showError(err, { retry: load });
    } finally {
      table.setAttribute('aria-busy', 'false');
    }
  }
  ctx.reloadOverrides = () => { state.cursors = [null]; state.page = 0; return load(); };
  prev.addEventListener('click', () => { if (state.page > 0) { state.page--; load(); } });
  next.addEventListener('click', () => {
    if (!state.next) return;
    state.cursors[state.page + 1] = state.next;
    state.page++;
    load();
  });
  if (addBtn) addBtn.addEventListener('click', () => overrideDialog(ctx, {}));
  await load();
}

async function afterChange(ctx, message) {
  toast(message);
  await ctx.reload();
  if (ctx.reloadMembers) await ctx.reloadMembers();
  if (ctx.reloadOverrides) await ctx.reloadOverrides();
}

async function removeOverride(ctx, userId, name) {
  const ok = await confirmDialog({
    title: `Remove the exception for ${name}?`,
    message: `The rule of “${ctx.group.title}” decides for ${name} again.`,
    confirmLabel: 'Remove exception',
  });
  if (!ok) return;
  try {
    const { data } = await api('DELETE', `/groups/${encodeURIComponent(ctx.id)}/overrides/${encodeURIComponent(userId)}`);
    await afterChange(ctx, `${name} follows the rule again: ${data.member ? 'a member' : 'not a member'}${data.applied ? '' : ' once the group processes changes'}.`);
  } catch (err) { showError(err); }
}

/** The dialog that keeps one person in or out; `userId` and `effect` preset it. */
export async function overrideDialog(ctx, { userId, effect = 'include' }) {
  let chosen = userId || null;
  const search = userId ? null : h('input', { type: 'search', id: 'override-search', placeholder: 'Name or email', autocomplete: 'off', maxlength: 200 });
  const results = userId ? null : h('div', { class: 'picker-list', id: 'override-people', role: 'radiogroup', 'aria-label': 'People found' });
  const radio = (value) => h('label', { class: 'check' },
    h('input', { type: 'radio', name: 'override-effect', value, checked: value === effect }), EFFECT_LABEL[value]);
  const reason = h('input', { type: 'text', id: 'override-reason', maxlength: 200, required: true, autocomplete: 'off' });
  const ends = h('input', { type: 'date', id: 'override-ends' });
  const save = h('button', { type: 'button', class: 'btn btn-primary', id: 'override-save' }, 'Save exception');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const d = openDialog({
    title: userId ? `Exception for ${userName(userId)}` : `Add an exception to “${ctx.group.title}”`,
    content: [
      search ? h('div', { class: 'field' }, h('label', { for: 'override-search' }, 'Find a person'), search) : null,
      results,
      h('fieldset', { class: 'field' }, h('legend', null, 'Exception'), radio('include'), radio('exclude')),
      h('div', { class: 'field' }, h('label', { for: 'override-reason' }, 'Reason'), reason),
      h('div', { class: 'field' }, h('label', { for: 'override-ends' }, 'Ends (optional)'), ends),
    ],
    actions: [cancel, save],
    initialFocus: search || reason,
  });
  cancel.addEventListener('click', () => d.close());

  if (search) {
    let seq = 0;
    const find = async () => {
      const my = ++seq;
      try {
        const { data } = await api('GET', `/users${qs({ q: search.value.trim(), limit: 10 })}`);
        if (my !== seq) return;
        clearError(d.alert);
        fill(results, ...(data.items.length ? data.items.map((u) => {
          remember(u);
          const name = `${u.firstName} ${u.lastName}`.trim();
          const pick = h('input', { type: 'radio', name: 'override-person', value: u.id, checked: chosen === u.id });
          pick.addEventListener('change', () => { chosen = u.id; });
          return h('label', { class: 'check' }, pick, name, h('span', { class: 'person-mail' }, ` ${u.email}`));
        }) : [h('p', { class: 'picker-empty' }, 'No users match.')]));
      } catch (err) {
        if (my === seq) showError(err, { region: d.alert });
      }
    };
    const later = debounce(find, 300);
    search.addEventListener('input', later);
    find();
  }

  save.addEventListener('click', async () => {
    setFieldError(reason, reason.value.trim() ? '' : 'Say why this person is an exception.');
    if (!chosen) { showError(new ApiError(400, { title: 'Choose a person', detail: 'Pick the person this exception is for.' }), { region: d.alert }); return; }
    if (!reason.value.trim()) { reason.focus(); return; }
    const body = {
      userId: chosen,
      effect: d.body.querySelector('input[name=override-effect]:checked').value,
      reason: reason.value.trim(),
    };
    // The end date lapses at the end of that day, local time.
    if (ends.value) body.expiresAt = new Date(`${ends.value}T23:59:59`).toISOString();
    save.disabled = true;
    try {
      const { data } = await api('POST', `/groups/${encodeURIComponent(ctx.id)}/overrides`, { body });
      d.close();
      const who = userName(chosen);
      await afterChange(ctx, `${who} is ${body.effect === 'include' ? 'always in' : 'always out'}${data.applied ? '' : ' once the group processes changes'}.`);
    } catch (err) {
      save.disabled = false;
      const field = err.problem && err.problem.field;
      if (field === 'reason') setFieldError(reason, err.problem.detail);
      else if (field === 'expiresAt') setFieldError(ends, err.problem.detail);
      else showError(err, { region: d.alert });
    }
  });
}
