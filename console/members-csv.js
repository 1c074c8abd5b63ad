// A group's members as a spreadsheet: export every member, and import a static group's
// members from a CSV file naming them by userId or email, with an outcome per row.

import { fill, h, toast } from './dom.js';
import { plural } from './format.js';
import { api } from './api.js';
import { showError } from './problems.js';
import { openDialog } from './dialogs.js';

const OUTCOME = {
  added: 'Added', alreadyMember: 'Already a member', notFound: 'Not found', invalid: 'Not an id or email', duplicate: 'Repeated',
};

/** Downloads every member of the group as a CSV file. */
export async function exportMembers(ctx) {
  try {
    const { data } = await api('GET', `/groups/${encodeURIComponent(ctx.id)}/members`, { accept: 'text/csv' });
    const url = URL.createObjectURL(new Blob([data || ''], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `${ctx.group.title} members.csv`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    toast(`Exported ${plural(ctx.group.memberCount, 'member')}.`);
  } catch (err) { showError(err); }
}

/** Picks a CSV file, imports it, and shows what happened to each row. */
export function importMembers(ctx) {
  const file = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv' });
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const go = h('button', { type: 'button', class: 'btn btn-primary', id: 'import-go', disabled: true }, 'Import');
  const close = h('button', { type: 'button', class: 'btn' }, 'Close');
  const d = openDialog({
    title: `Import members into “${ctx.group.title}”`,
    wide: true,
    content: [
      h('p', { class: 'muted' }, 'A CSV file whose first row names the columns, one of them userId or email (up to 1,000 rows). Rows naming people outside your departments read as not found.'),
      h('div', { class: 'field' }, h('label', { for: 'import-file' }, 'CSV file'), file),
      result],
    actions: [close, go],
  });
  close.addEventListener('click', () => d.close());
  file.addEventListener('change', () => { go.disabled = !file.files.length; });
  go.addEventListener('click', async () => {
    go.disabled = true;
    try {
      const text = await file.files[0].text();
      const { data } = await api('POST', `/groups/${encodeURIComponent(ctx.id)}/members`, { csv: text });
      const summary = [
        `${plural(data.added, 'member')} added`,
        data.alreadyMembers ? `${data.alreadyMembers} already members` : null,
        data.notFound ? `${data.notFound} not found` : null,
        data.invalid ? `${data.invalid} not an id or email` : null,
        data.duplicates ? `${data.duplicates} repeated` : null,
      ].filter(Boolean).join(', ');
      fill(result,
        h('p', { id: 'import-summary' }, `${summary}.`),
        h('table', { id: 'import-rows', 'aria-label': 'Rows' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Line'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Outcome'))),
          h('tbody', null, data.rows.map((r) => h('tr', { 'data-outcome': r.outcome },
            h('td', null, String(r.line)), h('td', null, r.value), h('td', null, OUTCOME[r.outcome] || r.outcome))))));
      await ctx.reload();
      if (ctx.reloadMembers) await ctx.reloadMembers();
    } catch (err) {
      showError(err, { region: d.alert });
    } finally {
      go.disabled = !file.files.length;
    }
  });
}
