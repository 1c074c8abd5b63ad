// Modal dialogs, confirmations and field errors.

import { $, h, icon, nextId } from './dom.js';

/**
 * A modal <dialog>: Escape and the close button dismiss it, focus starts on its first field and
 * returns to the opener. Returns {dialog, body, alert, foot, close}.
 */
export function openDialog({ title, wide = false, content = [], actions = [], onClose, initialFocus, describedBy }) {
  const opener = document.activeElement;
  const titleId = nextId('dlg-title');
  const alert = h('div', { class: 'alert-region', role: 'alert', 'aria-atomic': 'true' });
  const body = h('div', { class: 'dialog-body' }, alert, content);
  const foot = h('div', { class: 'dialog-foot' }, actions);
  const closeBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': 'Close' }, icon('close'));
  const dialog = h('dialog', { class: `dialog${wide ? ' wide' : ''}`, 'aria-labelledby': titleId, 'aria-describedby': describedBy },
    h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, title), closeBtn), body, foot);
  closeBtn.addEventListener('click', () => dialog.close());
  // Escape always closes (a search field would otherwise swallow the first one to clear itself).
  dialog.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented) { e.preventDefault(); dialog.close(); }
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (onClose) onClose();
    const back = opener && document.contains(opener) && !opener.disabled ? opener : $('h1') || $('#main');
    if (back) { if (back.tabIndex < 0 && !back.hasAttribute('tabindex')) back.setAttribute('tabindex', '-1'); back.focus(); }
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = initialFocus || body.querySelector('input:not([type=hidden]):not(:disabled), select:not(:disabled), textarea:not(:disabled)')
    || foot.querySelector('button:not(:disabled)');
  if (first) first.focus();
  return { dialog, body, alert, foot, close: () => dialog.close() };
}

/** A yes/no question in a dialog; resolves true when confirmed. Focus starts on Cancel. */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false, details }) {
  return new Promise((resolve) => {
    let answer = false;
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const ok = h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}` }, confirmLabel);
    const msgId = nextId('dlg-msg');
    const d = openDialog({
      title,
      describedBy: msgId,
      content: [h('p', { id: msgId }, message), details || null],
      actions: [cancel, ok],
      initialFocus: cancel,
      onClose: () => resolve(answer),
    });
    cancel.addEventListener('click', () => d.close());
    ok.addEventListener('click', () => { answer = true; d.close(); });
  });
}

export function setFieldError(input, message) {
  const field = input.closest('.field') || input.parentElement;
  let err = field.querySelector('.error-text');
  if (!message) {
    input.removeAttribute('aria-invalid');
    if (err) err.remove();
    return;
  }
  if (!err) {
    err = h('p', { class: 'error-text', id: nextId('err') });
    field.append(err);
  }
  err.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  const described = new Set((input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
  described.add(err.id);
  input.setAttribute('aria-describedby', Array.from(described).join(' '));
}
