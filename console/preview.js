// The live preview next to the rule builder: who matches, who would join and leave.

import { fill, h } from './dom.js';
import { plural } from './format.js';
import { api } from './api.js';
import { problemBox } from './problems.js';
import { resolveUsers, userName } from './directory.js';
import { healthSection } from './rule-health.js';

export function sampleList(ids, total) {
  return h('ul', { class: 'sample' }, ids.map((id) => h('li', null, userName(id))),
    total > ids.length ? h('li', null, `and ${total - ids.length} more`) : null);
}

/** Given a group: the guard's verdict, and how the change ripples into the groups that follow it. */
function impactSection(data) {
  const verdict = (held, frozen) => (frozen ? ' (paused or held: not now)' : held ? ' (held by the guard)' : '');
  return h('div', { id: 'preview-impact' },
    data.held ? h('p', { class: 'notice warn', id: 'preview-held' }, 'Saving this would be held by the guard until someone confirms it.') : null,
    data.impact.length ? [h('h3', null, 'Ripples into'),
      h('ul', { class: 'impact-list' }, data.impact.map((i) => h('li', { 'data-group': i.groupId, 'data-held': String(i.held) },
        `${i.joins ? `+${i.joins} ` : ''}${i.leaves ? `−${i.leaves} ` : ''}in ${i.title}${verdict(i.held, i.frozen)}`)))] : null,
    data.impactComplete ? null : h('p', { class: 'muted small' }, 'Too many changes to follow into other groups.'));
}

/** The live preview next to the builder: matching count, joins and leaves with samples. */
export function PreviewPanel({ groupId }) {
  const status = h('p', { class: 'sr-only', 'aria-live': 'polite', id: 'preview-live' });
  const body = h('div', { id: 'preview-body' }, h('p', { class: 'muted' }, 'Build a rule to see who it matches.'));
  const el = h('aside', { class: 'card card-body preview', 'aria-labelledby': 'preview-h', id: 'preview' },
    h('h2', { id: 'preview-h' }, 'Preview'), status, body);
  let seq = 0;
  let controller = null;
  async function run(builder) {
    const my = ++seq;
    if (controller) controller.abort();
    const { rule, problems } = builder.result();
    el.dataset.state = 'loading';
    if (problems.length) {
      el.dataset.state = 'incomplete';
      fill(body, h('p', { class: 'muted', id: 'preview-incomplete' }, `Complete the rule to see a preview: ${problems[0].message}`));
      return;
    }
    body.setAttribute('aria-busy', 'true');
    controller = new AbortController();
    try {
      const req = { rule };
      if (groupId) req.groupId = groupId;
      const { data } = await api('POST', '/smart-groups/preview', { body: req, signal: controller.signal });
      await resolveUsers([...data.sample, ...data.joinSample, ...data.leaveSample]).catch(() => {});
      if (my !== seq) return;
      fill(body, 
        h('p', null, h('span', { class: 'big', id: 'preview-matching' }, String(data.matching))),
        h('p', { class: 'muted' }, `${data.matching === 1 ? 'user matches' : 'users match'} this rule (of ${plural(data.evaluated, 'user')} checked).`),
        groupId ? h('div', { class: 'preview-changes' },
          h('div', { class: 'chg join' }, h('strong', { id: 'preview-joins' }, `+${data.joins}`), h('span', { class: 'small muted' }, 'would join')),
          h('div', { class: 'chg leave' }, h('strong', { id: 'preview-leaves' }, `−${data.leaves}`), h('span', { class: 'small muted' }, 'would leave'))) : null,
        data.sample.length ? [h('h3', null, 'Matching users'), sampleList(data.sample, data.matching)] : null,
        groupId && data.joinSample.length ? [h('h3', null, 'Would join'), sampleList(data.joinSample, data.joins)] : null,
        groupId && data.leaveSample.length ? [h('h3', null, 'Would leave'), sampleList(data.leaveSample, data.leaves)] : null,
        groupId ? impactSection(data) : null);
      status.textContent = `Preview: ${plural(data.matching, 'user')} match${groupId ? `; ${data.joins} would join, ${data.leaves} would leave` : ''}.`;
      el.dataset.state = 'ready';
      const health = await healthSection(rule, groupId, controller.signal);
      if (my === seq && health) body.append(health);
    } catch (err) {
      if (err.name === 'AbortError' || my !== seq) return;
      el.dataset.state = 'error';
      fill(body, problemBox(err));
      builder.showProblem(err);
    } finally {
      if (my === seq) body.removeAttribute('aria-busy');
    }
  }
  return { el, run };
}
