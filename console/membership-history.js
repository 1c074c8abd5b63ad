// A group's History tab: every join and leave, newest first, with why it happened (by hand and
// by whom, the rule and its version, an exception, the group or user deleted) and what set it
// in motion (a request, a user change, the schedule, a department move, provisioning).

import { fill, h } from './dom.js';
import { fmtDate, initials } from './format.js';
import { alive, S } from './state.js';
import { api, qs } from './api.js';
import { showError } from './problems.js';
import { remember } from './directory.js';

const TRIGGERS = {
  api: 'through the console or API',
  userChange: 'after a change to the user',
  referencedGroup: 'after a change in a group the rule uses',
  schedule: 'on the schedule',
  departmentMove: 'after a department move',
  provisioning: 'by provisioning',
};

/** Why, in words: "Added by admin", "Rule (version 4), after a change to the user". */
export function causeText(entry) {
  const c = entry.cause || {};
  const joined = entry.change === 'joined';
  const by = c.by ? ` by ${c.by}` : '';
  let what;
  switch (c.kind) {
    case 'manual': what = `${joined ? 'Added' : 'Removed'}${by}`; break;
    case 'rule': what = `Rule${c.ruleVersion != null ? ` (version ${c.ruleVersion})` : ''}`; break;
    case 'override': what = `Exception${by}`; break;
    case 'groupDeleted': what = `Group deleted${by}`; break;
    case 'userDeleted': what = 'User deleted'; break;
    default: what = c.kind || 'Unknown';
  }
  const trigger = c.kind === 'manual' || c.kind === 'override' || c.kind === 'groupDeleted' ? null : TRIGGERS[c.trigger];
  return trigger ? `${what}, ${trigger}` : what;
}

export async function membershipHistorySection(ctx, content) {
  const list = h('ol', { class: 'versions', id: 'membership-history' });
  const more = h('div', { class: 'pager' });
  fill(content, h('section', { class: 'card', 'aria-labelledby': 'mh-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'mh-h' }, 'History'),
      h('span', { class: 'muted small' }, 'Who joined and left, and why; newest first, kept 400 days.')),
    list, more));
  async function load(cursor) {
    try {
      const { data } = await api('GET', `/groups/${encodeURIComponent(ctx.id)}/history${qs({ limit: 25, cursor })}`);
      if (!alive(ctx.seq)) return;
      list.append(...data.items.map((e) => {
        remember(e.user);
        const u = e.user || S.users.get(e.userId);
        const name = u ? `${u.firstName} ${u.lastName}`.trim() : e.userId;
        const joined = e.change === 'joined';
        return h('li', { 'data-user': e.userId, 'data-change': e.change },
          h('div', { class: 'v-main' },
            h('div', { class: 'person' },
              h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
              h('div', null,
                h('strong', { class: 'person-name' }, name), ' ',
                h('span', { class: joined ? 'badge badge-ok' : 'badge' }, joined ? 'Joined' : 'Left'),
                h('div', { class: 'muted small cause' }, causeText(e)))),
            h('span', { class: 'muted small' }, fmtDate(e.at))));
      }));
      if (!list.children.length) list.append(h('li', { class: 'muted' }, 'No one has joined or left yet.'));
      fill(more);
      if (data.nextCursor) {
        const b = h('button', { type: 'button', class: 'btn btn-sm', id: 'history-older' }, 'Older');
        b.addEventListener('click', () => load(data.nextCursor));
        more.append(b);
      }
    } catch (err) { showError(err, { retry: () => load(cursor) }); }
  }
  await load();
}
