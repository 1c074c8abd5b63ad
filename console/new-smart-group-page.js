// The New smart group page: details, the rule builder and its preview.

import { debounce, focusHeading, h, render, setTitle, toast } from './dom.js';
import { alive, S } from './state.js';
import { scopedDepartments } from './permissions.js';
import { clearError, showError } from './problems.js';
import { createGroup, ownerDepartmentField } from './directory.js';
import { setFieldError } from './dialogs.js';
import { builderDeps, RuleBuilder } from './rule-builder.js';
import { PreviewPanel } from './preview.js';
import { DraftTestPanel } from './draft-test.js';

export async function smartCreatePage({ seq, rerender }) {
  setTitle('New smart group');
  render(h('p', { class: 'loading-line' }, 'Loading…'));
  let groups;
  try { groups = await builderDeps(); } catch (err) {
    if (!alive(seq)) return;
    render(h('div', { class: 'card card-body' }, h('h1', null, 'New smart group'), h('p', null, h('a', { href: '#/groups' }, 'Back to Groups'))));
    showError(err, { retry: () => rerender() });
    return;
  }
  if (!alive(seq)) return;
  const title = h('input', { type: 'text', id: 'smart-title', required: true, maxlength: 200, autocomplete: 'off' });
  const desc = h('textarea', { id: 'smart-desc', maxlength: 2000, rows: 2 });
  const dept = ownerDepartmentField('smart-dept');
  const preview = PreviewPanel({});
  const previewLater = debounce(() => preview.run(builder), 400);
  const initial = scopedDepartments()[0] || (S.deptOrder[0] && S.deptOrder[0].id);
  const builder = RuleBuilder({
    rule: initial ? { all: [{ attr: 'department', op: 'inSubtree', value: initial }] } : null,
    groups,
    onChange: previewLater,
  });
  const create = h('button', { type: 'submit', class: 'btn btn-primary', form: 'smart-form' }, 'Create smart group');
  const formAlert = h('div', { class: 'alert-region', role: 'alert' });
  const form = h('form', { id: 'smart-form', novalidate: true, class: 'view' },
    h('section', { class: 'card', 'aria-labelledby': 'details-h' },
      h('div', { class: 'card-head' }, h('h2', { id: 'details-h' }, 'Details')),
      h('div', { class: 'card-body' },
        h('div', { class: 'field' }, h('label', { for: 'smart-title' }, 'Title'), title),
        h('div', { class: 'field' }, h('label', { for: 'smart-desc' }, 'Description ', h('span', { class: 'hint' }, '(optional)')), desc),
        dept.el)),
    h('div', { class: 'rule-layout' },
      h('section', { class: 'card', 'aria-labelledby': 'rule-h' },
        h('div', { class: 'card-head' }, h('h2', { id: 'rule-h' }, 'Membership rule'),
          h('span', { class: 'muted small' }, 'Users who match are members; the group follows the directory as it changes.')),
        h('div', { class: 'card-body' }, builder.el)),
      preview.el),
    formAlert,
    h('div', { class: 'actions', style: 'display:flex;gap:8px;flex-wrap:wrap' }, create, h('a', { class: 'btn', href: '#/groups' }, 'Cancel')));
  render(
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('ol', null,
      h('li', null, h('a', { href: '#/groups' }, 'Groups')),
      h('li', null, h('span', { 'aria-current': 'page' }, 'New smart group')))),
    h('div', { class: 'page-head' }, h('div', { class: 'titles' },
      h('h1', null, 'New smart group'),
      h('p', { class: 'lead' }, 'Members are computed from a rule over user attributes. Preview who matches before you save.'))),
    form,
    // Outside the form: Enter in its search must not create the group.
    DraftTestPanel({ builder }).el);
  dept.sel.addEventListener('change', () => previewLater());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(formAlert);
    setFieldError(title, '');
    if (!title.value.trim()) { setFieldError(title, 'Enter a title.'); title.focus(); return; }
    const { rule, problems } = builder.result();
    if (problems.length) { builder.showIncomplete(problems); return; }
    create.disabled = true;
    try {
      const data = await createGroup({
        kind: 'smart', title: title.value, description: desc.value, ownerDepartmentId: dept.sel.value, rule,
      });
      toast(`Smart group “${data.title}” created. Evaluating its members…`);
      location.hash = `#/groups/${encodeURIComponent(data.id)}`;
    } catch (err) {
      create.disabled = false;
      showError(err, { region: formAlert });
      const field = err.problem && err.problem.field;
      if (field === 'title') { setFieldError(title, err.problem.detail); title.focus(); } else if (field === 'ownerDepartmentId') { setFieldError(dept.sel, err.problem.detail); dept.sel.focus(); } else builder.showProblem(err);
    }
  });
  focusHeading();
  preview.run(builder);
}
