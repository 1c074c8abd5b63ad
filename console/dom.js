// DOM helpers: elements without HTML parsing, icons, the view and its title, the toast, debounce.

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'indeterminate',
  'multiple', 'required', 'readOnly', 'open', 'textContent', 'htmlFor', 'type', 'min', 'max', 'step']);

/** h('tag', {attr: value, onclick: fn}, ...children): builds an element; text is never parsed as HTML. */
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (PROPS.has(k)) el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, kids);
  return el;
}
function append(el, kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

/** Replaces an element's children (arrays flattened, null/false skipped). */
export function fill(el, ...kids) {
  el.replaceChildren();
  return append(el, kids);
}

const ICONS = {
  smart: '<svg viewBox="0 0 20 20" fill="currentColor"><path d="M11.3 1.6 4 11h5l-1.3 7.4L15.9 8.6h-5.1z"/></svg>',
  search: '<svg viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="2"><circle cx="9" cy="9" r="6"/><path d="m14 14 4 4"/></svg>',
  plus: '<svg viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="2"><path d="M10 4v12M4 10h12"/></svg>',
  trash: '<svg viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="1.8"><path d="M4 6h12M8 6V4h4v2M6 6l1 11h6l1-11"/></svg>',
  close: '<svg viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="2"><path d="m5 5 10 10M15 5 5 15"/></svg>',
  error: '<svg viewBox="0 0 20 20" fill="currentColor"><path d="M10 1.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17zm-.9 4h1.8l-.2 6h-1.4zm.9 9.3a1.1 1.1 0 1 1 0-2.2 1.1 1.1 0 0 1 0 2.2z"/></svg>',
  info: '<svg viewBox="0 0 20 20" fill="currentColor"><path d="M10 1.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17zm.9 13.5H9.1V9h1.8zM10 7.6a1.1 1.1 0 1 1 0-2.2 1.1 1.1 0 0 1 0 2.2z"/></svg>',
  warn: '<svg viewBox="0 0 20 20" fill="currentColor"><path d="M10 1.8 1 17.5h18zm-.9 5.2h1.8l-.2 5.5H9.3zm.9 8.6a1.1 1.1 0 1 1 0-2.2 1.1 1.1 0 0 1 0 2.2z"/></svg>',
  check: '<svg viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="2.2"><path d="m4 10.5 4 4 8-9"/></svg>',
  refresh: '<svg viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="1.8"><path d="M16 10a6 6 0 1 1-1.8-4.3M16 3v4h-4"/></svg>',
  users: '<svg viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="1.7"><circle cx="8" cy="7" r="3"/><path d="M2.5 17c.6-3 2.8-5 5.5-5s4.9 2 5.5 5M13 4.3a3 3 0 0 1 0 5.4M15 12.4c1.4.7 2.3 2.3 2.6 4.6"/></svg>',
};
/** An inline SVG icon; decorative unless a label is given (then role=img with that name). */
export function icon(name, label) {
  const span = h('span', label ? { class: `icon icon-${name}`, role: 'img', 'aria-label': label, title: label }
    : { class: `icon icon-${name}`, 'aria-hidden': 'true' });
  span.innerHTML = ICONS[name];
  const svg = span.firstElementChild;
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('aria-hidden', 'true');
  return span;
}
export function smartIcon() {
  const el = icon('smart', 'Smart group');
  el.classList.add('smart-icon');
  return el;
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

export const $ = (sel, root = document) => root.querySelector(sel);
const viewEl = () => $('#view');
export const alertEl = () => $('#alert');

export function debounce(fn, ms) {
  let t;
  const d = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  d.cancel = () => clearTimeout(t);
  d.now = (...args) => { clearTimeout(t); fn(...args); };
  return d;
}

export function setTitle(t) { document.title = `${t} · Learning Admin`; }
export function render(...nodes) { fill(viewEl(), ...nodes.flat()); }
export function focusHeading() {
  const h1 = $('#view h1');
  if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
}

let toastTimer;
export function toast(message) {
  const el = $('#toast');
  el.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.textContent = ''; }, 6000);
}
