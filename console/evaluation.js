// A smart group's evaluation: status, re-evaluate, confirm a held evaluation, polling.

import { fill, h, icon, toast } from './dom.js';
import { fmtAgo, plural } from './format.js';
import { alive, poll, stopPolling } from './state.js';
import { can } from './permissions.js';
import { api } from './api.js';
import { problemBox, showError } from './problems.js';
import { resolveUsers } from './directory.js';
import { sampleList } from './preview.js';

function evalStatusText(ev) {
  if (!ev) return 'This group has not been evaluated yet.';
  const counts = `${plural(ev.evaluated || 0, 'user')} checked, ${ev.joined || 0} joined, ${ev.left || 0} left`;
  switch (ev.status) {
    case 'queued': return 'Waiting to evaluate…';
    case 'running': return `Evaluating… ${plural(ev.evaluated || 0, 'user')} checked so far.`;
    case 'done': return `Evaluated ${fmtAgo(ev.finishedAt || ev.requestedAt)}: ${counts}.`;
    case 'held': return `Held for confirmation: applying it would remove ${plural(ev.held || 0, 'member')}${ev.joined ? ` and add ${ev.joined}` : ''}.`;
    case 'failed': return 'The last evaluation failed. Try again.';
    default: return `Evaluation: ${ev.status}`;
  }
}

export function renderEvaluation(ctx, box, { polling = false } = {}) {
  const ev = ctx.group.evaluation;
  const status = ev ? ev.status : 'none';
  const busy = status === 'queued' || status === 'running';
  box.dataset.status = status;
  const canEdit = can('groups:edit');
  const paused = ctx.group.mode === 'paused';
  const evalBtn = canEdit ? h('button', { type: 'button', class: 'btn', id: 'evaluate-now', disabled: busy || paused, title: paused ? 'Resume processing to evaluate' : null }, icon('refresh'), 'Re-evaluate now') : null;
  if (evalBtn) evalBtn.addEventListener('click', () => startEvaluation(ctx, box, {}));
  const text = h('p', { class: 'eval-text', id: 'evaluation-status' },
    paused && busy ? 'Paused: the evaluation waits until processing resumes.' : evalStatusText(ev));
  const parts = [];
  if (status === 'held') {
    const confirmBtn = canEdit ? h('button', { type: 'button', class: 'btn btn-danger', id: 'confirm-held' }, 'Confirm and apply') : null;
    const reviewBtn = h('button', { type: 'button', class: 'btn', id: 'review-held' }, 'Review changes');
    const review = h('div', { id: 'held-review' });
    if (confirmBtn) confirmBtn.addEventListener('click', () => startEvaluation(ctx, box, { confirm: true }));
    reviewBtn.addEventListener('click', async () => {
      reviewBtn.disabled = true;
      fill(review, h('p', { class: 'muted' }, 'Computing the pending change…'));
      try {
        const { data } = await api('POST', '/smart-groups/preview', { body: { rule: ctx.group.rule, groupId: ctx.id } });
        await resolveUsers([...data.leaveSample, ...data.joinSample]).catch(() => {});
        fill(review, 
          h('p', null, `${plural(data.leaves, 'member')} would leave and ${plural(data.joins, 'user')} would join.`),
          data.leaveSample.length ? h('div', null, h('h3', null, 'Would leave'), sampleList(data.leaveSample, data.leaves)) : null,
          data.joinSample.length ? h('div', null, h('h3', null, 'Would join'), sampleList(data.joinSample, data.joins)) : null);
      } catch (err) {
        fill(review, problemBox(err));
      } finally { reviewBtn.disabled = false; }
    });
    parts.push(h('div', { class: 'notice warn', id: 'held-notice' }, icon('warn'),
      h('div', { class: 'eval-text' },
        h('strong', null, 'An evaluation is waiting for your confirmation. '),
        h('span', null, `Applying it would remove ${plural(ev.held || 0, 'member')}${ev.joined ? ` and add ${plural(ev.joined, 'user')}` : ''}, more than the safety limit allows without a check.`),
        review),
      h('div', { class: 'eval-line' }, reviewBtn, confirmBtn)));
    parts.push(h('div', { class: 'eval-line' }, h('p', { class: 'eval-text muted', id: 'evaluation-status' }, 'Nothing has been applied yet.'), evalBtn));
  } else {
    parts.push(h('div', { class: 'eval-line' },
      status === 'done' ? h('span', { class: 'badge badge-ok' }, icon('check'), 'Up to date')
        : busy ? h('span', { class: 'badge badge-info' }, 'Evaluating')
          : status === 'failed' ? h('span', { class: 'badge badge-warn' }, 'Failed') : h('span', { class: 'badge' }, 'Not evaluated'),
      text, evalBtn));
    if (busy) {
      parts.push(h('progress', { id: 'evaluation-progress', 'aria-label': 'Evaluation progress', 'aria-describedby': 'evaluation-status' }));
    }
  }
  parts.push(modeLine(ctx, box));
  fill(box, ...parts);
  if (busy && !polling && ctx.group.mode !== 'paused') pollEvaluation(ctx, box);
}

const MODES = [
  ['active', 'Active', 'The rule adds and removes members as users change.'],
  ['paused', 'Paused', 'No one joins or leaves by the rule until you resume; resuming evaluates the group under the safety limit.'],
  ['addOnly', 'Add only', 'The rule adds members but removes no one; returning to active evaluates the group under the safety limit.'],
];

/** The group's processing mode, and (for editors) a control to change it. */
function modeLine(ctx, box) {
  const mode = ctx.group.mode || 'active';
  const [, , help] = MODES.find(([m]) => m === mode) || MODES[0];
  const text = h('p', { class: 'eval-text muted', id: 'mode-help' }, help);
  if (!can('groups:edit')) {
    return h('div', { class: 'eval-line', id: 'group-mode-line' },
      h('span', { class: 'muted' }, 'Processing: '), h('strong', { id: 'group-mode-text' }, MODES.find(([m]) => m === mode)[1]), text);
  }
  const select = h('select', { id: 'group-mode', 'aria-describedby': 'mode-help' },
    MODES.map(([value, label]) => h('option', { value, selected: value === mode }, label)));
  select.addEventListener('change', async () => {
    select.disabled = true;
    try {
      const { data, etag } = await api('PATCH', `/groups/${encodeURIComponent(ctx.id)}`, { body: { mode: select.value }, ifMatch: ctx.etag });
      ctx.setGroup(data, etag);
      renderEvaluation(ctx, box);
      toast(select.value === 'paused' ? 'Processing paused.' : select.value === 'addOnly' ? 'The rule now only adds members.' : 'Processing resumed: the group is being evaluated.');
    } catch (err) {
      select.disabled = false;
      select.value = mode;
      showError(err, { retry: err.status === 412 ? async () => { await ctx.reload(); renderEvaluation(ctx, box); } : undefined });
    }
  });
  return h('div', { class: 'eval-line', id: 'group-mode-line' },
    h('label', { for: 'group-mode' }, 'Processing'), select, text);
}

async function startEvaluation(ctx, box, body) {
  const btn = box.querySelector('#evaluate-now');
  if (btn) btn.disabled = true;
  try {
    const { data } = await api('POST', `/groups/${encodeURIComponent(ctx.id)}/evaluate`, { body });
    ctx.group = { ...ctx.group, evaluation: data };
    renderEvaluation(ctx, box, { polling: true });
    toast(body.confirm ? 'Confirmed: applying the held evaluation.' : 'Re-evaluation started.');
    pollEvaluation(ctx, box);
  } catch (err) {
    if (btn) btn.disabled = false;
    showError(err);
  }
}

/** Polls the group until its evaluation leaves queued/running, then refreshes counts and members. */
function pollEvaluation(ctx, box) {
  stopPolling();
  let delay = 400;
  const tick = async () => {
    if (!alive(ctx.seq)) return;
    try {
      const g = await ctx.reload();
      if (!alive(ctx.seq)) return;
      const st = g.evaluation && g.evaluation.status;
      renderEvaluation(ctx, box, { polling: true });
      if (st === 'queued' || st === 'running') {
        delay = Math.min(delay * 1.5, 3000);
        poll.timer = setTimeout(tick, delay);
      } else {
        poll.timer = null;
        if (ctx.onEvaluated) ctx.onEvaluated(g);
      }
    } catch (err) {
      showError(err, { retry: () => pollEvaluation(ctx, box) });
    }
  };
  poll.timer = setTimeout(tick, delay);
}
