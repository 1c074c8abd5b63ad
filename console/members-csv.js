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

/** The next page's path of a `Link: <…>; rel="next"` header, if any. */
function nextLink(link) {
  const m = link && /<([^>]+)>;\s*rel="next"/.exec(link);
  return m ? m[1] : null;
}

/** Downloads every member of the group as a CSV file, a response (up to 40,000 members) at a time. */
export async function exportMembers(ctx) {
  try {
    const parts = [];
    let path = `/groups/${encodeURIComponent(ctx.id)}/members`;
    while (path) {
      const { data, link } = await api('GET', path, { accept: 'text/csv' });
      const text = data || '';
      // Each response repeats the header row; the file keeps the first.
      parts.push(parts.length ? text.slice(text.indexOf('\n') + 1) : text);
      path = nextLink(link);
    }
    const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv' }));
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
      h('p', { class: 'muted' }, 'A CSV file whose first row names the columns, one of them userId or email. Up to 1,000 rows are imported at once; larger files (up to 50,000 rows) run in the background with progress shown here. Rows naming people outside your departments read as not found.'),
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
      let { data, status } = await api('POST', `/groups/${encodeURIComponent(ctx.id)}/members`, { csv: text });
      if (status === 202) data = await followJob(ctx, data, result);
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
          h('tbody', null, (data.rows || data.items).map((r) => h('tr', { 'data-outcome': r.outcome },
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

/** Follows an import job until it ends, showing its progress; answers it with its first rows. */
async function followJob(ctx, job, region) {
  const bar = h('progress', { id: 'import-progress', max: job.total, value: 0 });
  const line = h('p', { id: 'import-progress-text', 'aria-live': 'polite' });
  fill(region, h('div', { class: 'field' }, h('label', { for: 'import-progress' }, 'Importing in the background'), bar), line);
  let current = job;
  for (;;) {
    bar.value = current.processed;
    line.textContent = `${current.processed} of ${current.total} rows`;
    if (current.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 1000));
    ({ data: current } = await api('GET', `/groups/${encodeURIComponent(ctx.id)}/imports/${encodeURIComponent(job.id)}`));
  }
  if (current.status === 'failed') throw new Error(`The import stopped: ${current.error}`);
  return current;
}
