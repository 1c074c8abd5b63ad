// A smart group's Rule tab (edit and save, with a preview) and Rule history tab.

import { debounce, fill, h, toast } from './dom.js';
import { fmtDate } from './format.js';
import { alive, S } from './state.js';
import { can } from './permissions.js';
import { api, ApiError, qs } from './api.js';
import { clearError, showError } from './problems.js';
import { ensureProfileFields, loadGroupIndex } from './directory.js';
import { ensureRuleLanguage } from './rule-catalog.js';
import { rootFromWire, toWire } from './rule-model.js';
import { ruleTree } from './rule-language.js';
import { builderDeps, RuleBuilder } from './rule-builder.js';
import { PreviewPanel } from './preview.js';
import { DraftTestPanel } from './draft-test.js';

export async function ruleSection(ctx, content) {
  fill(content, h('p', { class: 'loading-line' }, 'Loading the rule…'));
  let groups;
  try { groups = await builderDeps(); } catch (err) { showError(err, { retry: () => ctx.rerender() }); return; }
  if (!alive(ctx.seq)) return;
  const canEdit = can('groups:edit');
  const draft = S.ruleDraft && S.ruleDraft.groupId === ctx.id ? S.ruleDraft : null;
  S.ruleDraft = null;
  // Compared as the builder writes it: a bare condition is saved as "all of" that condition.
  const saved = JSON.stringify(toWire(rootFromWire(ctx.group.rule)).rule);
  const preview = PreviewPanel({ groupId: ctx.id });
  const previewLater = debounce(() => preview.run(builder), 400);
  const save = canEdit ? h('button', { type: 'button', class: 'btn btn-primary', id: 'save-rule', disabled: !draft }, 'Save rule') : null;
  const discard = canEdit ? h('button', { type: 'button', class: 'btn', id: 'discard-rule', disabled: !draft }, 'Discard changes') : null;
  const dirtyNote = h('span', { class: 'muted small', 'aria-live': 'polite' }, draft ? draft.note : '');
  // When the saved rule takes effect: now, or at a chosen instant (the schedule applies it).
  const when = canEdit ? h('select', { id: 'rule-when' }, h('option', { value: 'now' }, 'Now'), h('option', { value: 'later' }, 'Later…')) : null;
  const at = canEdit ? h('input', { type: 'datetime-local', id: 'rule-effective-at', hidden: true }) : null;
  if (when) when.addEventListener('change', () => { at.hidden = when.value !== 'later'; if (!at.hidden) at.focus(); });
  const pending = ctx.group.scheduled ? h('p', { class: 'notice info', id: 'rule-scheduled-note' },
    `A rule change is scheduled for ${fmtDate(ctx.group.scheduled.effectiveAt)} (see Rule history).`) : null;
  const formAlert = h('div', { class: 'alert-region', role: 'alert' });
  const onChange = () => {
    const dirty = JSON.stringify(builder.result().rule) !== saved;
    if (save) save.disabled = !dirty;
    if (discard) discard.disabled = !dirty;
    dirtyNote.textContent = dirty ? 'Unsaved changes: the preview shows what saving would do.' : '';
    previewLater();
  };
  const builder = RuleBuilder({ rule: draft ? draft.rule : ctx.group.rule, groups, excludeGroupId: ctx.id, disabled: !canEdit, onChange });
  fill(content, 
    pending,
    h('div', { class: 'rule-layout' },
      h('section', { class: 'card', 'aria-labelledby': 'rule-h' },
        h('div', { class: 'card-head' }, h('h2', { id: 'rule-h' }, 'Membership rule'),
          canEdit ? null : h('span', { class: 'badge' }, 'Read only')),
        h('div', { class: 'card-body' }, builder.el),
        h('div', { class: 'card-foot' },
          when ? h('label', { class: 'inline-field', for: 'rule-when' }, 'Takes effect', ' ', when) : null, at, save, discard, dirtyNote)),
      preview.el),
    formAlert,
    DraftTestPanel({ groupId: ctx.id, builder }).el);
  if (discard) discard.addEventListener('click', () => { builder.load(ctx.group.rule); clearError(formAlert); });
  if (save) {
    save.addEventListener('click', async () => {
      clearError(formAlert);
      const { rule, problems } = builder.result();
      if (problems.length) { builder.showIncomplete(problems); return; }
      const later = when && when.value === 'later';
      if (later && !at.value) { showError(new ApiError(400, { title: 'Choose when', detail: 'Pick the date and time the rule takes effect.', field: 'effectiveAt' }), { region: formAlert }); at.focus(); return; }
      const body = later ? { rule, effectiveAt: new Date(at.value).toISOString() } : { rule };
      save.disabled = true;
      try {
        const { data, etag } = await api('PATCH', `/groups/${encodeURIComponent(ctx.id)}`, { body, ifMatch: ctx.etag });
        ctx.setGroup(data, etag);
        toast(later ? `Rule scheduled for ${fmtDate(body.effectiveAt)}. The current rule applies until then.` : 'Rule saved. Re-evaluating the members…');
        location.hash = `#/groups/${encodeURIComponent(ctx.id)}`;
      } catch (err) {
        save.disabled = false;
        const retry = err.status === 412 ? async () => {
          S.ruleDraft = { groupId: ctx.id, rule, note: 'Your unsaved rule was kept over the latest version: review it and save again.' };
          ctx.rerender();
        } : undefined;
        showError(err, { region: formAlert, retry });
        builder.showProblem(err);
      }
    });
  }
  preview.run(builder);
}


export async function historySection(ctx, content) {
  const list = h('ol', { class: 'versions', id: 'rule-versions' });
  const more = h('div', { class: 'pager' });
  fill(content, h('section', { class: 'card', 'aria-labelledby': 'hist-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'hist-h' }, 'Rule history'), h('span', { class: 'muted small' }, 'Every saved rule, newest first.')),
    scheduledItem(ctx), list, more));
  // Names fall back to ids, and words to wire names, when these cannot be loaded.
  await Promise.all([
    loadGroupIndex().then(() => ensureProfileFields()).catch(() => {}),
    ensureRuleLanguage().catch(() => {}),
  ]);
  async function load(cursor) {
    try {
      const { data } = await api('GET', `/groups/${encodeURIComponent(ctx.id)}/rule-versions${qs({ limit: 20, cursor })}`);
      if (!alive(ctx.seq)) return;
      const firstPage = !cursor;
      list.append(...data.items.map((v, i) => {
        const current = firstPage && i === 0;
        const restore = can('groups:edit') && !current ? h('button', { type: 'button', class: 'btn btn-sm' }, 'Load into editor') : null;
        if (restore) {
          restore.addEventListener('click', () => {
            S.ruleDraft = { groupId: ctx.id, rule: v.rule, note: `Loaded version ${v.version}: save to restore it.` };
            location.hash = `#/groups/${encodeURIComponent(ctx.id)}/rule`;
          });
        }
        return h('li', null,
          h('div', { class: 'v-main' },
            h('div', null, h('strong', null, `Version ${v.version}`), ' ', current ? h('span', { class: 'badge badge-ok' }, 'Current') : null),
            h('span', { class: 'muted small' }, `Saved ${fmtDate(v.savedAt)} by ${v.savedBy}`),
            ruleTree(v.rule)),
          restore);
      }));
      if (!list.children.length) list.append(h('li', { class: 'muted' }, 'No saved rules.'));
      fill(more);
      if (data.nextCursor) {
        const b = h('button', { type: 'button', class: 'btn btn-sm' }, 'Older versions');
        b.addEventListener('click', () => load(data.nextCursor));
        more.append(b);
      }
    } catch (err) { showError(err, { retry: () => load(cursor) }); }
  }
  await load();
}

/** The rule change waiting for its instant, with a way to cancel it. */
function scheduledItem(ctx) {
  const s = ctx.group.scheduled;
  if (!s) return null;
  const cancel = can('groups:edit') ? h('button', { type: 'button', class: 'btn btn-sm', id: 'cancel-scheduled' }, 'Cancel this change') : null;
  const item = h('div', { class: 'versions scheduled', id: 'rule-scheduled' },
    h('div', { class: 'v-main' },
      h('div', null, h('strong', null, 'Scheduled'), ' ', h('span', { class: 'badge badge-info' }, `Takes effect ${fmtDate(s.effectiveAt)}`)),
      h('span', { class: 'muted small' }, `Saved ${fmtDate(s.savedAt)} by ${s.savedBy}`),
      ruleTree(s.rule)),
    cancel);
  if (cancel) {
    cancel.addEventListener('click', async () => {
      cancel.disabled = true;
      try {
        const { data, etag } = await api('PATCH', `/groups/${encodeURIComponent(ctx.id)}`, { body: { scheduled: null }, ifMatch: ctx.etag });
        ctx.setGroup(data, etag);
        item.remove();
        toast('The scheduled rule change was cancelled.');
      } catch (err) { cancel.disabled = false; showError(err); }
    });
  }
  return item;
}
