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
  const evalBtn = canEdit ? h('button', { type: 'button', class: 'btn', id: 'evaluate-now', disabled: busy }, icon('refresh'), 'Re-evaluate now') : null;
  if (evalBtn) evalBtn.addEventListener('click', () => startEvaluation(ctx, box, {}));
  const text = h('p', { class: 'eval-text', id: 'evaluation-status' }, evalStatusText(ev));
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
  fill(box, ...parts);
  if (busy && !polling) pollEvaluation(ctx, box);
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
