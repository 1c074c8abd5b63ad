// Learning Admin: the Groups console. Plain ES2020, no framework, no build step.
// Talks to the Groups API on the same origin with a bearer token kept in sessionStorage.
// Routes (hash): #/signin, #/groups, #/groups/new-smart, #/groups/<id>[/rule|/history].
'use strict';

(() => {
  // ---------------------------------------------------------------- DOM helpers

  const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'indeterminate',
    'multiple', 'required', 'readOnly', 'open', 'textContent', 'htmlFor', 'type', 'min', 'max', 'step']);

  /** h('tag', {attr: value, onclick: fn}, ...children): builds an element; text is never parsed as HTML. */
  function h(tag, props, ...kids) {
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
  function fill(el, ...kids) {
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
  function icon(name, label) {
    const span = h('span', label ? { class: `icon icon-${name}`, role: 'img', 'aria-label': label, title: label }
      : { class: `icon icon-${name}`, 'aria-hidden': 'true' });
    span.innerHTML = ICONS[name];
    const svg = span.firstElementChild;
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('aria-hidden', 'true');
    return span;
  }
  function smartIcon() {
    const el = icon('smart', 'Smart group');
    el.classList.add('smart-icon');
    return el;
  }

  let uid = 0;
  const nextId = (prefix) => `${prefix}-${++uid}`;

  const $ = (sel, root = document) => root.querySelector(sel);
  const viewEl = () => $('#view');
  const alertEl = () => $('#alert');

  function debounce(fn, ms) {
    let t;
    const d = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
    d.cancel = () => clearTimeout(t);
    d.now = (...args) => { clearTimeout(t); fn(...args); };
    return d;
  }

  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const dayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  function fmtDate(iso, withTime = true) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return withTime ? dateFmt.format(d) : dayFmt.format(d);
  }
  function fmtAgo(iso) {
    const d = new Date(iso);
    if (!iso || Number.isNaN(d.getTime())) return '';
    const s = Math.round((d.getTime() - Date.now()) / 1000);
    const abs = Math.abs(s);
    if (abs < 45) return 'just now';
    if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
    if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
    return rtf.format(Math.round(s / 86400), 'day');
  }
  function initials(name) {
    return String(name || '?').split(/\s+/).filter((p) => /^\p{L}/u.test(p)).slice(0, 2).map((p) => p[0].toUpperCase()).join('') || '?';
  }

  // ---------------------------------------------------------------- session and permissions

  const STORE_KEY = 'groups-console.session';
  /** Names and descriptions of the built-in roles (what they may do comes from GET /me). */
  const ROLE_INFO = {
    owner: { label: 'Account Owner', desc: 'Everything, on the whole account' },
    admin: { label: 'Administrator', desc: 'Everything except managing the owner' },
    departmentAdmin: { label: 'Department Administrator', desc: 'Groups and members of the departments they manage, nested included' },
    learner: { label: 'Learner', desc: 'No access to group management' },
  };
  const PERM_TEXT = {
    'groups:view': 'view groups', 'groups:create': 'create groups', 'groups:edit': 'edit groups',
    'groups:delete': 'delete groups', 'groups:members': 'manage group members', 'users:view': 'view users',
    'users:manage': 'manage users', 'roles:manage': 'manage roles', 'owner:manage': 'manage the account owner',
  };

  const S = {
    session: null, // {roleKey, token, sub, acc, exp}
    me: null, // GET /me: {accountId, userId, role, permissions, departmentIds?, user}
    departments: null, // Map id -> {id, name, parentId}
    deptOrder: [], // [{id, name, depth}] in tree order
    users: new Map(), // id -> user, filled from every listing
    unknownUsers: new Set(), // ids a directory search did not find (deleted, or outside the caller's scope)
    groups: new Map(), // id -> {title, kind}, filled from every listing
    profileFields: null, // Map name -> 'text'|'number'|'date'|'list'
    list: { q: '', sort: 'title', kind: '', limit: 25, cursors: [null], page: 0, selected: new Map() },
    ruleDraft: null, // {groupId, rule, note}
  };

  function decodeJwt(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const json = decodeURIComponent(atob(part).split('').map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''));
      return JSON.parse(json);
    } catch {
      return null;
    }
  }
  function loadSession() {
    try {
      const s = JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null');
      if (s && s.token && (!s.exp || s.exp * 1000 > Date.now())) return s;
    } catch { /* ignore a corrupt entry */ }
    sessionStorage.removeItem(STORE_KEY);
    return null;
  }
  function saveSession() {
    if (S.session) sessionStorage.setItem(STORE_KEY, JSON.stringify(S.session));
    else sessionStorage.removeItem(STORE_KEY);
  }
  function roleKey() { return (S.me && S.me.role) || (S.session && S.session.roleKey) || ''; }
  function roleLabel(key = roleKey()) {
    if (ROLE_INFO[key]) return ROLE_INFO[key].label;
    if (!key) return 'Signed in';
    return `${key[0].toUpperCase()}${key.slice(1)} (custom role)`;
  }
  /** The role's name for sentences ("Your role (Trainer) can't …"). */
  function roleName(key = roleKey()) {
    if (ROLE_INFO[key]) return ROLE_INFO[key].label;
    return key ? `${key[0].toUpperCase()}${key.slice(1)}` : 'unknown';
  }
  /** Whether the signed-in caller may do something, as GET /me says (built-in and custom roles alike). */
  function can(perm) {
    return Boolean(S.session && S.me && Array.isArray(S.me.permissions) && S.me.permissions.includes(perm));
  }
  /** The departments (with their subtrees) the caller's permissions are limited to; [] for the whole account. */
  function scopedDepartments() {
    return (S.me && Array.isArray(S.me.departmentIds)) ? S.me.departmentIds : [];
  }
  /** The signed-in user's name (from /me's directory record), or their id. */
  function myName() {
    const u = S.me && S.me.user;
    const name = u ? `${u.firstName || ''} ${u.lastName || ''}`.trim() : '';
    return name || (S.me && S.me.userId) || (S.session && S.session.sub) || '';
  }
  /** "view groups, manage group members and view users" (for the header and the sign-in page). */
  function permSentence(perms) {
    const words = perms.map((p) => PERM_TEXT[p] || p);
    if (!words.length) return 'nothing in the console';
    return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, problem, network = false) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
      this.network = network;
    }
  }

  /** Calls the API; resolves {data, etag}; rejects with ApiError (problem+json, or a network failure). */
  async function api(method, path, { body, ifMatch, signal, keepSession = false } = {}) {
    const headers = { Accept: 'application/json, application/problem+json' };
    if (S.session) headers.Authorization = `Bearer ${S.session.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (ifMatch) headers['If-Match'] = ifMatch;
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store' });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, {
        title: 'Network error',
        detail: "The server could not be reached. Check your connection (or that the API is running) and try again.",
      }, true);
    }
    const text = await res.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
    if (!res.ok) {
      const problem = data && typeof data === 'object' && !Array.isArray(data)
        ? data : { title: `${res.status} ${res.statusText || 'Error'}`, detail: text.slice(0, 300) || 'The server answered with an error.' };
      if (res.status === 401 && S.session && !keepSession) {
        const message = problem.detail || 'Your session has expired.';
        setTimeout(() => signOut(`You were signed out: ${message} Pick a role to sign in again.`), 0);
      }
      throw new ApiError(res.status, problem);
    }
    return { data, etag: res.headers.get('ETag'), status: res.status };
  }
  const qs = (params) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
    const s = u.toString();
    return s ? `?${s}` : '';
  };

  function friendlyTitle(err) {
    const p = err.problem || {};
    const type = String(p.type || '');
    if (err.network) return 'Network error';
    if (err.status === 403) return 'Not allowed';
    if (type.endsWith(':title-taken')) return 'That title is already used';
    if (type.endsWith(':version-mismatch')) return 'This group was changed by someone else';
    if (type.endsWith(':smart-group-membership')) return 'Smart group members follow the rule';
    return p.title || (err.status ? `Error ${err.status}` : 'Something went wrong');
  }
  function problemDetail(err) {
    const p = err.problem || {};
    let detail = p.detail || err.message || '';
    if (err.status === 403) {
      const m = /missing permission ([a-z:]+)/.exec(detail);
      const what = m && PERM_TEXT[m[1]];
      detail = what ? `Your role (${roleName()}) can't ${what}. (${detail})` : `Your role (${roleName()}) can't do this. ${detail}`;
    }
    if (String(p.type || '').endsWith(':version-mismatch')) detail = `${detail}. Reload to see the latest version, then apply your change again.`;
    return detail;
  }
  /** A visible message for an API error: title, detail, and the offending field. */
  function problemBox(err, { retry } = {}) {
    const p = (err && err.problem) || {};
    const box = h('div', { class: 'problem', 'data-problem-type': p.type || (err.network ? 'network' : '') },
      icon('error'),
      h('div', { class: 'problem-text' },
        h('strong', null, friendlyTitle(err)),
        h('span', { class: 'problem-detail' }, problemDetail(err)),
        p.field ? h('div', { class: 'problem-field' }, `Field: ${p.field}`) : null),
      retry ? h('button', { type: 'button', class: 'btn btn-sm', onclick: retry }, 'Retry') : null);
    return box;
  }
  function showError(err, { region = alertEl(), retry } = {}) {
    if (err && err.name === 'AbortError') return;
    if (!(err instanceof ApiError)) {
      console.error(err);
      err = new ApiError(0, { title: 'Something went wrong', detail: String((err && err.message) || err) });
    }
    fill(region, problemBox(err, { retry }));
  }
  function clearError(region = alertEl()) { fill(region); }

  let toastTimer;
  function toast(message) {
    const el = $('#toast');
    el.textContent = message;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.textContent = ''; }, 6000);
  }

  // ---------------------------------------------------------------- directory caches

  function remember(user) { if (user && user.id) S.users.set(user.id, user); }
  function rememberGroup(g) { if (g && g.id) S.groups.set(g.id, { title: g.title, kind: g.kind }); }
  function userName(id) {
    const u = S.users.get(id);
    if (!u) return id;
    const name = `${u.firstName || ''} ${u.lastName || ''}`.trim();
    return name || u.email || id;
  }
  function deptName(id) {
    if (!id) return '';
    const d = S.departments && S.departments.get(id);
    return d ? d.name : id;
  }

  async function pageAll(path, limit = 200, maxPages = 10) {
    const items = [];
    let cursor = null;
    for (let i = 0; i < maxPages; i++) {
      const sep = path.includes('?') ? '&' : '?';
      const { data } = await api('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...data.items);
      cursor = data.nextCursor;
      if (!cursor) break;
    }
    return items;
  }

  async function ensureDepartments() {
    if (S.departments) return;
    if (!can('groups:view') && !can('users:view')) { S.departments = new Map(); S.deptOrder = []; return; }
    const items = await pageAll('/departments');
    S.departments = new Map(items.map((d) => [d.id, d]));
    const children = new Map();
    for (const d of items) {
      const parent = d.parentId && S.departments.has(d.parentId) ? d.parentId : '';
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(d);
    }
    for (const list of children.values()) list.sort((a, b) => a.name.localeCompare(b.name));
    const order = [];
    const walk = (parent, depth) => {
      for (const d of children.get(parent) || []) {
        order.push({ id: d.id, name: d.name, depth });
        walk(d.id, depth + 1);
      }
    };
    walk('', 0);
    S.deptOrder = order;
  }
  function deptOptions(selected, { includeNone, noneLabel } = {}) {
    const opts = [];
    if (includeNone) opts.push(h('option', { value: '', selected: !selected }, noneLabel || '—'));
    for (const d of S.deptOrder) {
      const pad = '\u00a0\u00a0\u00a0'.repeat(d.depth);
      const sel = Array.isArray(selected) ? selected.includes(d.id) : selected === d.id;
      opts.push(h('option', { value: d.id, selected: sel }, `${pad}${d.name}`));
    }
    const wanted = Array.isArray(selected) ? selected : (selected ? [selected] : []);
    for (const id of wanted) {
      if (!S.departments || !S.departments.has(id)) opts.push(h('option', { value: id, selected: true }, `${id} (not visible to you)`));
    }
    return opts;
  }

  /** Profile fields and their types, from a sample of the directory (for the rule builder). */
  async function ensureProfileFields() {
    if (S.profileFields) return;
    S.profileFields = new Map();
    if (!can('users:view')) return;
    try {
      const { data } = await api('GET', '/users?limit=200');
      for (const u of data.items) {
        remember(u);
        for (const [k, v] of Object.entries(u.profile || {})) {
          if (S.profileFields.has(k)) continue;
          let type = 'text';
          if (typeof v === 'number') type = 'number';
          else if (Array.isArray(v)) type = 'list';
          else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T|$)/.test(v)) type = 'date';
          S.profileFields.set(k, type);
        }
      }
    } catch (e) {
      if (e.status !== 403) throw e;
    }
  }

  async function loadGroupIndex() {
    const items = await pageAll('/groups?sort=title', 200, 5);
    items.forEach(rememberGroup);
    return items;
  }

  /**
   * Names for user ids (preview samples): each id not known yet is looked up with the directory
   * search (which matches ids), a few at a time and at most 60 per call. Ids the search does not
   * find (deleted, or outside the caller's departments) are remembered and show as ids.
   */
  async function resolveUsers(ids) {
    if (!can('users:view')) return;
    const queue = Array.from(new Set(ids)).filter((id) => id && !S.users.has(id) && !S.unknownUsers.has(id)).slice(0, 60);
    const worker = async () => {
      while (queue.length) {
        const id = queue.shift();
        const { data } = await api('GET', `/users${qs({ q: id, limit: 20 })}`);
        data.items.forEach(remember);
        if (!S.users.has(id)) S.unknownUsers.add(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
  }

  // ---------------------------------------------------------------- dialogs

  /**
   * A modal <dialog>: Escape and the close button dismiss it, focus starts on its first field and
   * returns to the opener. Returns {dialog, body, alert, foot, close}.
   */
  function openDialog({ title, wide = false, content = [], actions = [], onClose, initialFocus, describedBy }) {
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
  function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false, details }) {
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

  function setFieldError(input, message) {
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

  // ---------------------------------------------------------------- chrome (header)

  function refreshChrome() {
    const who = $('#whoami');
    if (!who) return;
    if (!S.session) { fill(who); return; }
    const name = myName();
    const scope = scopedDepartments();
    const where = scope.length ? scope.map(deptName).join(', ') : '';
    const access = S.me
      ? `${roleLabel()}: may ${permSentence(S.me.permissions)}${where ? ` in ${where} and the departments under it` : ''}.`
      : roleLabel();
    fill(who,
      h('div', { class: 'who', title: access },
        h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
        h('span', { class: 'who-text' },
          h('span', { class: 'who-name', id: 'who-name' }, name),
          h('span', { class: 'who-role-line' },
            h('span', { class: 'who-role', id: 'who-role' }, roleLabel()),
            where ? h('span', { class: 'who-scope', id: 'who-scope' }, ` · ${where}`) : null))),
      h('button', { type: 'button', class: 'btn btn-sm', onclick: () => signOut() }, 'Sign out'));
  }

  function signOut(message) {
    S.session = null;
    S.me = null;
    S.departments = null;
    S.profileFields = null;
    S.users.clear();
    S.unknownUsers.clear();
    S.groups.clear();
    S.list = { q: '', sort: 'title', kind: '', limit: 25, cursors: [null], page: 0, selected: new Map() };
    saveSession();
    refreshChrome();
    stopPolling();
    S.signinMessage = message || '';
    if (location.hash === '#/signin') route(); else location.hash = '#/signin';
  }

  async function startSession(roleKey, token) {
    const claims = decodeJwt(token);
    if (!claims || !claims.sub) throw new Error('That is not a bearer token (a JWT).');
    S.session = { roleKey, token, sub: claims.sub, acc: claims.acc, exp: claims.exp };
    try {
      await loadMe({ keepSession: true });
    } catch (err) {
      S.session = null;
      S.me = null;
      refreshChrome();
      throw err;
    }
    saveSession();
  }

  /** GET /me: who is signed in, their role, what it may do and where. Drives every action offered. */
  async function loadMe({ keepSession = false } = {}) {
    S.me = null;
    S.departments = null;
    const { data } = await api('GET', '/me', { keepSession });
    S.me = data && typeof data === 'object' ? data : null;
    if (!S.me || !Array.isArray(S.me.permissions)) throw new ApiError(0, { title: 'Unexpected answer', detail: 'GET /me did not say what this role may do.' });
    if (S.me.user) remember(S.me.user);
    S.session.roleKey = S.me.role;
    await ensureDepartments().catch(() => { S.departments = null; });
    refreshChrome();
  }

  // ---------------------------------------------------------------- routing

  let viewSeq = 0;
  let pollTimer = null;
  function stopPolling() { clearTimeout(pollTimer); pollTimer = null; }

  function parseRoute() {
    const raw = (location.hash || '').replace(/^#\/?/, '');
    const [path] = raw.split('?');
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  }

  async function route() {
    const seq = ++viewSeq;
    stopPolling();
    clearError();
    document.querySelectorAll('dialog[open]').forEach((d) => d.close());
    const parts = parseRoute();
    if (!S.session) {
      if (parts[0] !== 'signin') S.afterSignin = location.hash || '#/groups';
      return signinPage(seq);
    }
    if (parts[0] === 'signin') return signinPage(seq);
    if (!S.me) return whoAmIFailedPage(seq);
    if (!parts.length) { location.replace('#/groups'); return undefined; }
    if (parts[0] === 'groups') {
      if (!can('groups:view')) return notAllowedPage('Groups', 'view groups');
      if (parts.length === 1) return groupsPage(seq);
      if (parts[1] === 'new-smart' && parts.length === 2) {
        return can('groups:create') ? smartCreatePage(seq) : notAllowedPage('New smart group', 'create groups');
      }
      const tab = parts[2] || 'members';
      if (['members', 'rule', 'history'].includes(tab) && parts.length <= 3) return groupPage(seq, parts[1], tab);
    }
    return notFoundPage();
  }
  const alive = (seq) => seq === viewSeq;

  function setTitle(t) { document.title = `${t} · Learning Admin`; }
  function render(...nodes) { fill(viewEl(), ...nodes.flat()); }
  function focusHeading() {
    const h1 = $('#view h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
  }

  /** What a role may not do, said before any call is refused (GET /me lists the permissions). */
  function notAllowedPage(title, what) {
    setTitle(title);
    const others = S.me.permissions.filter((p) => PERM_TEXT[p]);
    render(h('div', { class: 'page-head' }, h('div', { class: 'titles' }, h('h1', null, title))),
      h('div', { class: 'card card-body', id: 'not-allowed' },
        h('div', { class: 'notice warn' }, icon('warn'), h('span', null,
          h('strong', null, `Your role (${roleName()}) can't ${what}. `),
          others.length ? `It may ${permSentence(others)}.` : 'It has no access to group management.')),
        h('p', { class: 'muted' }, can('groups:view') && title !== 'Groups'
          ? h('a', { href: '#/groups' }, 'Back to Groups')
          : 'Ask an administrator for access, or sign out and pick another role.')));
    focusHeading();
  }

  /** GET /me failed (network, server): nothing can be offered until it answers. */
  function whoAmIFailedPage(seq) {
    setTitle('Signed in');
    render(h('div', { class: 'card card-body' },
      h('h1', null, 'Your permissions could not be loaded'),
      h('p', { class: 'muted' }, 'The console offers only what your role may do, and could not find out what that is. Retry, or sign out.')));
    showError(S.meError || new ApiError(0, { title: 'Something went wrong', detail: 'GET /me did not answer.' }), {
      retry: async () => {
        try { S.meError = null; await loadMe(); } catch (err) { S.meError = err; }
        if (alive(seq)) route();
      },
    });
  }

  function notFoundPage() {
    setTitle('Not found');
    render(h('div', { class: 'card card-body' },
      h('h1', null, 'Page not found'),
      h('p', { class: 'muted' }, 'There is nothing at this address. ', h('a', { href: '#/groups' }, 'Go to Groups'))));
  }

  // ---------------------------------------------------------------- sign-in

  async function signinPage(seq) {
    setTitle('Sign in');
    const list = h('ul', { class: 'roles', 'aria-label': 'Demo roles' }, h('li', { class: 'muted' }, 'Loading demo roles…'));
    const region = h('div', { class: 'alert-region', role: 'alert' });
    const tokenArea = h('textarea', { id: 'token-input', rows: 4, spellcheck: 'false', autocomplete: 'off' });
    const tokenForm = h('form', { class: 'field' },
      h('label', { for: 'token-input' }, 'Bearer token'),
      tokenArea,
      h('div', null, h('button', { type: 'submit', class: 'btn' }, 'Sign in with token')));
    tokenForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await startSession('', tokenArea.value.trim());
        finishSignin();
      } catch (err) { showError(err, { region }); }
    });
    const message = S.signinMessage;
    S.signinMessage = '';
    render(h('section', { class: 'signin card' },
      h('div', { class: 'card-head' }, h('div', null,
        h('h1', null, 'Sign in'),
        h('p', { class: 'muted' }, 'Pick a demo role of the account “acme” to see the console as that user.'))),
      h('div', { class: 'card-body' },
        message ? h('div', { class: 'notice warn' }, icon('warn'), h('span', null, message)) : null,
        region,
        list,
        h('details', { class: 'token-entry' }, h('summary', null, 'Use a bearer token instead'), tokenForm))));
    if (S.session) {
      list.before(h('p', { class: 'notice info' }, icon('info'),
        h('span', null, `You are signed in as ${roleLabel()}. Pick another role to switch.`)));
    }
    let tokens;
    try {
      const res = await fetch('/dev/tokens', { cache: 'no-store' });
      if (!res.ok) throw new ApiError(res.status, { title: 'No demo roles here', detail: 'This server does not hand out demo tokens (only the local server does). Paste a bearer token below.' });
      tokens = await res.json();
    } catch (err) {
      if (!alive(seq)) return;
      fill(list);
      showError(err instanceof ApiError ? err : new ApiError(0, { title: 'Network error', detail: 'The demo roles could not be loaded: the server could not be reached.' }, true),
        { region, retry: () => route() });
      $('details.token-entry').open = true;
      return;
    }
    if (!alive(seq)) return;
    const order = ['owner', 'admin', 'departmentAdmin', 'trainer', 'learner'];
    const keys = Object.keys(tokens).sort((a, b) => (order.indexOf(a) + 99 * (order.indexOf(a) < 0)) - (order.indexOf(b) + 99 * (order.indexOf(b) < 0)));
    fill(list, ...keys.map((key) => {
      const info = ROLE_INFO[key];
      const label = info ? info.label : roleLabel(key);
      const descEl = h('span', { class: 'role-desc' }, info ? info.desc : 'A custom role of the account');
      if (!info) describeCustomRole(tokens[key], descEl);
      const btn = h('button', { type: 'button', class: 'role-btn', 'data-role': key },
        h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(label)),
        h('span', null, h('span', { class: 'role-title' }, label), descEl),
        h('span', { class: 'chev', 'aria-hidden': 'true' }, '›'));
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          await startSession(key, tokens[key]);
          finishSignin();
        } catch (err) {
          btn.disabled = false;
          showError(err, { region });
        }
      });
      return h('li', null, btn);
    }));
    focusHeading();
  }

  /** A custom role's line on the sign-in page, from GET /me with its demo token. */
  async function describeCustomRole(token, el) {
    try {
      const res = await fetch('/me', { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok) return;
      const me = await res.json();
      const perms = (me.permissions || []).filter((p) => PERM_TEXT[p]);
      const scope = Array.isArray(me.departmentIds) ? ', in their departments' : '';
      el.textContent = `A custom role: may ${permSentence(perms)}${perms.length ? scope : ''}`;
    } catch { /* keep the generic line */ }
  }

  function finishSignin() {
    S.list = { q: '', sort: 'title', kind: '', limit: 25, cursors: [null], page: 0, selected: new Map() };
    const target = S.afterSignin && !S.afterSignin.startsWith('#/signin') ? S.afterSignin : '#/groups';
    S.afterSignin = null;
    toast(`Signed in as ${myName()} (${roleLabel()}).`);
    if (location.hash === target) route(); else location.hash = target;
  }

  // ---------------------------------------------------------------- groups list

  async function groupsPage(seq) {
    setTitle('Groups');
    const L = S.list;
    L.cursors = [null];
    L.page = 0;
    L.selected = new Map();
    try { await ensureDepartments(); } catch (e) { if (e.status !== 403) showError(e); }
    if (!alive(seq)) return;

    const canCreate = can('groups:create');
    const canDelete = can('groups:delete');
    const actions = h('div', { class: 'actions' },
      canCreate ? h('a', { class: 'btn', href: '#/groups/new-smart' }, smartIconPlain(), 'New Smart Group') : null,
      canCreate ? h('button', { type: 'button', class: 'btn btn-primary', onclick: () => newGroupDialog() }, icon('plus'), 'New Group') : null);

    const search = h('input', { type: 'search', id: 'group-search', placeholder: 'Search groups', 'aria-label': 'Search groups', value: L.q, autocomplete: 'off', maxlength: 200 });
    const kindSel = h('select', { id: 'kind-filter', 'aria-label': 'Kind of group' },
      h('option', { value: '', selected: L.kind === '' }, 'All groups'),
      h('option', { value: 'static', selected: L.kind === 'static' }, 'Static groups'),
      h('option', { value: 'smart', selected: L.kind === 'smart' }, 'Smart groups'));
    const selInfo = h('span', { class: 'selection-info', id: 'selection-info', 'aria-live': 'polite' });
    const delBtn = canDelete ? h('button', { type: 'button', class: 'btn btn-danger-outline btn-sm', id: 'bulk-delete', disabled: true }, icon('trash'), 'Delete selected') : null;

    const selectAll = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all groups on this page' });
    const sortBtn = h('button', { type: 'button', class: 'sort-btn', id: 'sort-title' });
    const sortTh = h('th', { scope: 'col' }, sortBtn);
    const tbody = h('tbody');
    const table = h('table', { id: 'groups-table', 'aria-describedby': 'groups-caption', 'aria-busy': 'true' },
      h('caption', { class: 'sr-only', id: 'groups-caption' }, 'Groups'),
      h('thead', null, h('tr', null,
        canDelete ? h('th', { scope: 'col', class: 'col-check' }, selectAll) : null,
        sortTh,
        h('th', { scope: 'col', class: 'col-dept' }, 'Department'),
        h('th', { scope: 'col', class: 'col-num' }, 'Users'))),
      tbody);
    const prev = h('button', { type: 'button', class: 'btn btn-sm', id: 'page-prev' }, '‹ Previous');
    const next = h('button', { type: 'button', class: 'btn btn-sm', id: 'page-next' }, 'Next ›');
    const pageLabel = h('span', { class: 'page-label', id: 'page-label' });
    const sizeSel = h('select', { id: 'page-size', 'aria-label': 'Groups per page' },
      [10, 25, 50, 100].map((n) => h('option', { value: n, selected: L.limit === n }, `${n} per page`)));

    render(
      h('div', { class: 'page-head' },
        h('div', { class: 'titles' },
          h('h1', null, 'Groups'),
          h('p', { class: 'lead' }, 'Collect your learners together to quickly manage the entire group instead of each individual user.')),
        actions),
      h('section', { class: 'card', 'aria-label': 'Group list' },
        h('div', { class: 'toolbar' },
          h('div', { class: 'search' }, icon('search'), search),
          kindSel,
          h('span', { class: 'spacer' }),
          canDelete ? selInfo : null,
          delBtn),
        h('div', { class: 'table-wrap' }, table),
        h('div', { class: 'pager' }, pageLabel, sizeSel, prev, next)),
      !canCreate && can('groups:view') ? h('p', { class: 'muted small' }, `Your role (${roleName()}) can view groups but not create them.`) : null);

    let items = [];
    let loadSeq = 0;
    let controller = null;

    function updateSortHeader() {
      const asc = L.sort === 'title';
      sortBtn.textContent = asc ? 'Title ↑' : 'Title ↓';
      sortBtn.title = `Sorted ${asc ? 'A to Z' : 'Z to A'}: select to sort ${asc ? 'Z to A' : 'A to Z'}`;
      sortTh.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    }
    function updateSelection() {
      const n = L.selected.size;
      if (delBtn) delBtn.disabled = n === 0;
      selInfo.textContent = n ? `${plural(n, 'group')} selected` : '';
      const onPage = items.filter((g) => L.selected.has(g.id)).length;
      selectAll.checked = items.length > 0 && onPage === items.length;
      selectAll.indeterminate = onPage > 0 && onPage < items.length;
      selectAll.disabled = items.length === 0;
      for (const tr of tbody.querySelectorAll('tr[data-id]')) tr.classList.toggle('selected', L.selected.has(tr.dataset.id));
    }
    function rowFor(g) {
      const box = h('input', { type: 'checkbox', 'aria-label': `Select ${g.title}`, checked: L.selected.has(g.id) });
      box.addEventListener('change', () => {
        if (box.checked) L.selected.set(g.id, g.title); else L.selected.delete(g.id);
        updateSelection();
      });
      return h('tr', { 'data-id': g.id, 'data-kind': g.kind },
        canDelete ? h('td', { class: 'col-check' }, box) : null,
        h('th', { scope: 'row' },
          h('div', { class: 'group-title' },
            h('a', { href: `#/groups/${encodeURIComponent(g.id)}`, class: 'group-link' }, g.title),
            g.kind === 'smart' ? smartIcon() : null),
          g.description ? h('div', { class: 'row-sub' }, g.description) : null),
        h('td', { class: 'col-dept' }, g.ownerDepartmentId ? deptName(g.ownerDepartmentId) : h('span', { class: 'muted' }, 'Whole account')),
        h('td', { class: 'col-num', 'data-col': 'users' }, String(g.memberCount)));
    }

    async function load({ focusFirst = false } = {}) {
      const my = ++loadSeq;
      if (controller) controller.abort();
      controller = new AbortController();
      table.setAttribute('aria-busy', 'true');
      updateSortHeader();
      try {
        const { data } = await api('GET', `/groups${qs({ sort: L.sort, q: L.q.trim(), kind: L.kind, limit: L.limit, cursor: L.cursors[L.page] })}`,
          { signal: controller.signal });
        if (my !== loadSeq || !alive(seq)) return;
        clearError();
        items = data.items;
        items.forEach(rememberGroup);
        L.nextCursor = data.nextCursor;
        if (items.length) {
          fill(tbody, ...items.map(rowFor));
        } else {
          const what = L.q.trim() ? `No groups match “${L.q.trim()}”.` : (L.kind ? `No ${L.kind} groups.` : 'No groups yet.');
          fill(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: canDelete ? 4 : 3 }, what)));
        }
        prev.disabled = L.page === 0;
        next.disabled = !L.nextCursor;
        pageLabel.textContent = `Page ${L.page + 1} · ${plural(items.length, 'group')} shown`;
        updateSelection();
        table.setAttribute('aria-busy', 'false');
        if (focusFirst) { const a = tbody.querySelector('a'); if (a) a.focus(); }
      } catch (err) {
        if (err.name === 'AbortError' || my !== loadSeq || !alive(seq)) return;
        table.setAttribute('aria-busy', 'false');
        items = [];
        fill(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: canDelete ? 4 : 3 },
          err.status === 403 ? `Your role (${roleName()}) can't view groups. Sign out and pick another role.` : 'The groups could not be loaded.')));
        prev.disabled = true;
        next.disabled = true;
        pageLabel.textContent = '';
        updateSelection();
        showError(err, { retry: err.status === 403 ? undefined : () => load() });
      }
    }
    const restart = () => { L.cursors = [null]; L.page = 0; L.selected.clear(); load(); };
    const searchLater = debounce(() => { if (L.q !== search.value) { L.q = search.value; restart(); } }, 300);
    search.addEventListener('input', searchLater);
    search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); searchLater.now(); } });
    kindSel.addEventListener('change', () => { L.kind = kindSel.value; restart(); });
    sizeSel.addEventListener('change', () => { L.limit = Number(sizeSel.value); restart(); });
    sortBtn.addEventListener('click', () => { L.sort = L.sort === 'title' ? '-title' : 'title'; restart(); });
    prev.addEventListener('click', () => { if (L.page > 0) { L.page--; L.selected.clear(); load(); } });
    next.addEventListener('click', () => {
      if (!L.nextCursor) return;
      L.cursors[L.page + 1] = L.nextCursor;
      L.cursors.length = L.page + 2;
      L.page++;
      L.selected.clear();
      load();
    });
    selectAll.addEventListener('change', () => {
      for (const g of items) { if (selectAll.checked) L.selected.set(g.id, g.title); else L.selected.delete(g.id); }
      for (const box of tbody.querySelectorAll('input[type=checkbox]')) box.checked = selectAll.checked;
      updateSelection();
    });
    if (delBtn) {
      delBtn.addEventListener('click', async () => {
        const ids = Array.from(L.selected.keys());
        if (!ids.length) return;
        const titles = Array.from(L.selected.values());
        const ok = await confirmDialog({
          title: `Delete ${plural(ids.length, 'group')}?`,
          message: 'The groups and their memberships are deleted. The users themselves are kept. This cannot be undone.',
          details: h('ul', { class: 'plain' }, titles.slice(0, 10).map((t) => h('li', null, t)),
            titles.length > 10 ? h('li', null, `and ${titles.length - 10} more`) : null),
          confirmLabel: 'Delete',
          danger: true,
        });
        if (!ok || !alive(seq)) return;
        try {
          const { data } = await api('DELETE', '/groups', { body: { groupIds: ids } });
          data.deleted.forEach((id) => S.groups.delete(id));
          const gone = data.notFound.length ? ` ${plural(data.notFound.length, 'group was', 'groups were')} already gone.` : '';
          toast(`Deleted ${plural(data.deleted.length, 'group')}.${gone}`);
          L.selected.clear();
          if (items.length <= data.deleted.length && L.page > 0) L.page--;
          load();
        } catch (err) {
          showError(err);
        }
      });
    }
    updateSortHeader();
    await load();
    if (alive(seq)) focusHeading();
  }

  function smartIconPlain() { return icon('smart'); }

  // ---------------------------------------------------------------- new static group

  function ownerDepartmentField(id) {
    const scoped = scopedDepartments();
    const options = scoped.length
      ? S.deptOrder.filter((d) => S.departments.has(d.id)).map((d) => h('option', { value: d.id, selected: d.id === scoped[0] }, `${'\u00a0\u00a0\u00a0'.repeat(d.depth)}${d.name}`))
      : deptOptions('', { includeNone: true, noneLabel: 'None: an account-wide group' });
    const sel = h('select', { id, name: 'ownerDepartmentId', 'aria-describedby': `${id}-hint` }, options);
    return {
      sel,
      el: h('div', { class: 'field' },
        h('label', { for: id }, 'Department'),
        sel,
        h('span', { class: 'hint', id: `${id}-hint` }, scoped.length
          ? 'The department that owns the group; you manage groups of your departments.'
          : 'Department administrators of this department (and above) can manage the group.')),
    };
  }

  async function newGroupDialog() {
    try { await ensureDepartments(); } catch (e) { showError(e); return; }
    const title = h('input', { type: 'text', id: 'new-title', name: 'title', required: true, maxlength: 200, autocomplete: 'off' });
    const desc = h('textarea', { id: 'new-desc', name: 'description', maxlength: 2000, rows: 3 });
    const dept = ownerDepartmentField('new-dept');
    const create = h('button', { type: 'submit', class: 'btn btn-primary', form: 'new-group-form' }, 'Create group');
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const form = h('form', { id: 'new-group-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'new-title' }, 'Title'), title),
      h('div', { class: 'field' }, h('label', { for: 'new-desc' }, 'Description ', h('span', { class: 'hint' }, '(optional)')), desc),
      dept.el);
    const d = openDialog({ title: 'New group', content: form, actions: [cancel, create] });
    cancel.addEventListener('click', () => d.close());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearError(d.alert);
      setFieldError(title, '');
      if (!title.value.trim()) { setFieldError(title, 'Enter a title.'); title.focus(); return; }
      const body = { title: title.value.trim(), kind: 'static' };
      if (desc.value.trim()) body.description = desc.value.trim();
      if (dept.sel.value) body.ownerDepartmentId = dept.sel.value;
      create.disabled = true;
      try {
        const { data } = await api('POST', '/groups', { body });
        rememberGroup(data);
        d.close();
        toast(`Group “${data.title}” created.`);
        location.hash = `#/groups/${encodeURIComponent(data.id)}`;
      } catch (err) {
        create.disabled = false;
        showError(err, { region: d.alert });
        const field = err.problem && err.problem.field;
        const target = field === 'title' ? title : field === 'description' ? desc : field === 'ownerDepartmentId' ? dept.sel : null;
        if (target) { setFieldError(target, err.problem.detail || friendlyTitle(err)); target.focus(); }
      }
    });
  }

  // ---------------------------------------------------------------- group page

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

  async function groupPage(seq, id, tab) {
    setTitle('Group');
    render(h('p', { class: 'loading-line' }, 'Loading the group…'));
    let group;
    let etag;
    try {
      const [res] = await Promise.all([
        api('GET', `/groups/${encodeURIComponent(id)}`),
        ensureDepartments().catch((e) => { if (e.status !== 403) throw e; }),
      ]);
      group = res.data;
      etag = res.etag || `"${group.version}"`;
    } catch (err) {
      if (!alive(seq)) return;
      render(h('div', { class: 'card card-body' },
        h('h1', null, err.status === 404 ? 'Group not found' : 'The group could not be loaded'),
        h('p', { class: 'muted' }, err.status === 404
          ? 'It may have been deleted, or it belongs to a department outside your scope. '
          : '', h('a', { href: '#/groups' }, 'Back to Groups'))));
      showError(err, { retry: err.status === 404 || err.status === 403 ? undefined : () => route() });
      return;
    }
    if (!alive(seq)) return;
    rememberGroup(group);
    setTitle(group.title);
    const smart = group.kind === 'smart';
    if (!smart && tab !== 'members') { location.replace(`#/groups/${encodeURIComponent(id)}`); return; }

    const countEl = h('span', { class: 'stat-value', id: 'member-count' }, String(group.memberCount));
    const titleEl = h('h1', { id: 'group-title' }, group.title);
    const descEl = h('p', { class: 'lead', id: 'group-description' }, group.description || '');
    const versionEl = h('dd', null, String(group.version));
    const ctx = {
      seq, id, group, etag,
      setGroup(g, tag) {
        ctx.group = g;
        if (tag) ctx.etag = tag;
        else if (g.version) ctx.etag = `"${g.version}"`;
        rememberGroup(g);
        countEl.textContent = String(g.memberCount);
        titleEl.textContent = g.title;
        descEl.textContent = g.description || '';
        descEl.hidden = !g.description;
        versionEl.textContent = String(g.version);
        setTitle(g.title);
      },
      async reload() {
        const { data, etag: tag } = await api('GET', `/groups/${encodeURIComponent(id)}`);
        if (alive(seq)) ctx.setGroup(data, tag);
        return data;
      },
    };
    descEl.hidden = !group.description;

    const actions = h('div', { class: 'actions' },
      can('groups:edit') ? h('button', { type: 'button', class: 'btn', onclick: () => editDetailsDialog(ctx) }, 'Edit details') : null,
      can('groups:delete') ? h('button', { type: 'button', class: 'btn', onclick: () => deleteGroup(ctx) }, icon('trash'), 'Delete group') : null);

    const tabs = smart ? h('nav', { class: 'tabs', 'aria-label': 'Group sections' },
      [['members', 'Members', ''], ['rule', 'Rule', '/rule'], ['history', 'Rule history', '/history']].map(([key, label, suffix]) =>
        h('a', { href: `#/groups/${encodeURIComponent(id)}${suffix}`, 'aria-current': key === tab ? 'page' : null }, label))) : null;

    const evalBox = smart ? h('section', { class: 'card card-body evaluation', id: 'evaluation', 'aria-label': 'Evaluation' }) : null;
    const content = h('div', { class: 'view', id: 'group-content' });

    render(
      h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('ol', null,
        h('li', null, h('a', { href: '#/groups' }, 'Groups')),
        h('li', null, h('span', { 'aria-current': 'page' }, group.title)))),
      h('div', { class: 'page-head' },
        h('div', { class: 'titles' },
          h('div', { class: 'title-line' }, titleEl,
            smart ? h('span', { class: 'badge badge-smart' }, icon('smart'), 'Smart group') : h('span', { class: 'badge' }, 'Static group')),
          descEl,
          h('dl', { class: 'meta' },
            h('div', null, h('dt', null, 'Department: '), h('dd', null, group.ownerDepartmentId ? deptName(group.ownerDepartmentId) : 'Whole account')),
            h('div', null, h('dt', null, 'Created: '), h('dd', null, `${fmtDate(group.createdAt, false)} by ${group.createdBy}`)),
            h('div', null, h('dt', null, 'Version: '), versionEl))),
        h('div', { class: 'stat', 'aria-label': 'Member count' },
          h('div', null, countEl), h('div', { class: 'stat-label' }, 'members')),
        actions),
      evalBox,
      tabs,
      content);

    if (smart) renderEvaluation(ctx, evalBox);
    if (tab === 'members') await membersSection(ctx, content);
    else if (tab === 'rule') await ruleSection(ctx, content);
    else await historySection(ctx, content);
    if (alive(seq) && !document.activeElement.closest('#group-content')) focusHeading();
  }

  async function editDetailsDialog(ctx) {
    const g = ctx.group;
    const title = h('input', { type: 'text', id: 'edit-title', required: true, maxlength: 200, value: g.title, autocomplete: 'off' });
    const desc = h('textarea', { id: 'edit-desc', maxlength: 2000, rows: 3, value: g.description || '' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', form: 'edit-group-form' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const form = h('form', { id: 'edit-group-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'edit-title' }, 'Title'), title),
      h('div', { class: 'field' }, h('label', { for: 'edit-desc' }, 'Description'), desc));
    const d = openDialog({ title: 'Edit group details', content: form, actions: [cancel, save] });
    cancel.addEventListener('click', () => d.close());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearError(d.alert);
      setFieldError(title, '');
      const body = {};
      if (title.value.trim() !== g.title) body.title = title.value.trim();
      if (desc.value !== (g.description || '')) body.description = desc.value;
      if (!title.value.trim()) { setFieldError(title, 'Enter a title.'); title.focus(); return; }
      if (!Object.keys(body).length) { d.close(); return; }
      save.disabled = true;
      try {
        const { data, etag } = await api('PATCH', `/groups/${encodeURIComponent(ctx.id)}`, { body, ifMatch: ctx.etag });
        ctx.setGroup(data, etag);
        d.close();
        toast('Group details saved.');
      } catch (err) {
        save.disabled = false;
        const retry = err.status === 412 ? async () => { await ctx.reload(); d.close(); toast('Reloaded the latest version.'); } : undefined;
        showError(err, { region: d.alert, retry });
        if (err.problem && err.problem.field === 'title') { setFieldError(title, err.problem.detail); title.focus(); }
      }
    });
  }

  async function deleteGroup(ctx) {
    const ok = await confirmDialog({
      title: `Delete “${ctx.group.title}”?`,
      message: `The group and its ${plural(ctx.group.memberCount, 'membership')} are deleted. The users themselves are kept.`,
      confirmLabel: 'Delete group',
      danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', `/groups/${encodeURIComponent(ctx.id)}`);
      S.groups.delete(ctx.id);
      toast(`Group “${ctx.group.title}” deleted.`);
      location.hash = '#/groups';
    } catch (err) { showError(err); }
  }

  // ---------------------------------------------------------------- evaluation (smart groups)

  function renderEvaluation(ctx, box, { polling = false } = {}) {
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
          pollTimer = setTimeout(tick, delay);
        } else {
          pollTimer = null;
          if (ctx.onEvaluated) ctx.onEvaluated(g);
        }
      } catch (err) {
        showError(err, { retry: () => pollEvaluation(ctx, box) });
      }
    };
    pollTimer = setTimeout(tick, delay);
  }

  // ---------------------------------------------------------------- members

  async function membersSection(ctx, content) {
    const smart = ctx.group.kind === 'smart';
    const canManage = !smart && can('groups:members');
    const limit = 20;
    const state = { cursors: [null], page: 0, selected: new Set(), items: [] };
    const addBtn = canManage ? h('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'add-users' }, icon('plus'), 'Add users') : null;
    const removeBtn = canManage ? h('button', { type: 'button', class: 'btn btn-sm', id: 'remove-users', disabled: true }, 'Remove selected') : null;
    const selInfo = h('span', { class: 'selection-info', 'aria-live': 'polite' });
    const selectAll = h('input', { type: 'checkbox', id: 'select-all-members', 'aria-label': 'Select all members on this page' });
    const tbody = h('tbody');
    const table = h('table', { id: 'members-table', 'aria-label': 'Members', 'aria-busy': 'true' },
      h('thead', null, h('tr', null,
        canManage ? h('th', { scope: 'col', class: 'col-check' }, selectAll) : null,
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col', class: 'col-dept' }, 'Department'),
        h('th', { scope: 'col', class: 'col-source' }, 'Source'),
        h('th', { scope: 'col', class: 'col-added' }, 'Added'),
        smart ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Explanation')) : null)),
      tbody);
    const prev = h('button', { type: 'button', class: 'btn btn-sm', id: 'members-prev' }, '‹ Previous');
    const next = h('button', { type: 'button', class: 'btn btn-sm', id: 'members-next' }, 'Next ›');
    const pageLabel = h('span', { class: 'page-label' });
    const cols = 4 + (canManage ? 1 : 0) + (smart ? 1 : 0);

    fill(content, 
      smart ? h('div', { class: 'notice info' }, icon('info'), h('span', null,
        'Members of a smart group follow its rule: they can’t be added or removed by hand. ',
        h('a', { href: `#/groups/${encodeURIComponent(ctx.id)}/rule` }, 'Edit the rule'), ' to change who is in it, or use “Why?” to see why someone is a member.')) : null,
      !smart && !can('groups:members') ? h('p', { class: 'muted small' }, `Your role (${roleName()}) can view members but not change them.`) : null,
      h('section', { class: 'card', 'aria-labelledby': 'members-h' },
        h('div', { class: 'card-head' }, h('h2', { id: 'members-h' }, 'Members'), h('span', { class: 'spacer' }), selInfo, removeBtn, addBtn),
        h('div', { class: 'table-wrap' }, table),
        h('div', { class: 'pager' }, pageLabel, prev, next)));

    function updateSelection() {
      const n = state.selected.size;
      if (removeBtn) removeBtn.disabled = n === 0;
      selInfo.textContent = n ? `${plural(n, 'member')} selected` : '';
      const onPage = state.items.filter((m) => state.selected.has(m.userId)).length;
      selectAll.checked = state.items.length > 0 && onPage === state.items.length;
      selectAll.indeterminate = onPage > 0 && onPage < state.items.length;
      selectAll.disabled = state.items.length === 0;
    }
    function rowFor(m) {
      const u = m.user || S.users.get(m.userId);
      const name = u ? `${u.firstName} ${u.lastName}`.trim() : m.userId;
      const box = h('input', { type: 'checkbox', 'aria-label': `Select ${name}`, checked: state.selected.has(m.userId) });
      box.addEventListener('change', () => {
        if (box.checked) state.selected.add(m.userId); else state.selected.delete(m.userId);
        updateSelection();
      });
      const why = smart ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Why is ${name} a member?` }, 'Why?') : null;
      if (why) why.addEventListener('click', () => explainDialog(ctx, m.userId, name));
      return h('tr', { 'data-user': m.userId },
        canManage ? h('td', { class: 'col-check' }, box) : null,
        h('th', { scope: 'row' }, h('div', { class: 'person' },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
          h('div', null, h('div', { class: 'person-name' }, name), u ? h('div', { class: 'person-mail' }, u.email) : null))),
        h('td', { class: 'col-dept' }, u && u.departmentId ? deptName(u.departmentId) : '—'),
        h('td', { class: 'col-source' }, m.source === 'rule' ? h('span', { class: 'badge badge-smart' }, 'Rule') : h('span', { class: 'badge' }, 'Manual')),
        h('td', { class: 'col-added' }, fmtDate(m.addedAt, false)),
        smart ? h('td', { class: 'col-actions' }, why) : null);
    }
    async function load() {
      table.setAttribute('aria-busy', 'true');
      try {
        const { data } = await api('GET', `/groups/${encodeURIComponent(ctx.id)}/members${qs({ limit, cursor: state.cursors[state.page] })}`);
        if (!alive(ctx.seq)) return;
        state.items = data.items;
        data.items.forEach((m) => remember(m.user));
        state.next = data.nextCursor;
        fill(tbody, ...(data.items.length ? data.items.map(rowFor)
          : [h('tr', { class: 'empty-row' }, h('td', { colspan: cols }, smart ? 'No one matches the rule yet.' : 'No members yet. Use “Add users” to add some.'))]));
        prev.disabled = state.page === 0;
        next.disabled = !state.next;
        pageLabel.textContent = `Page ${state.page + 1}`;
        updateSelection();
      } catch (err) {
        if (!alive(ctx.seq)) return;
        fill(tbody, h('tr', { class: 'empty-row' }, h('td', { colspan: cols }, 'The members could not be loaded.')));
        showError(err, { retry: load });
      } finally {
        table.setAttribute('aria-busy', 'false');
      }
    }
    ctx.reloadMembers = () => { state.selected.clear(); return load(); };
    ctx.onEvaluated = () => { state.cursors = [null]; state.page = 0; load(); };
    prev.addEventListener('click', () => { if (state.page > 0) { state.page--; state.selected.clear(); load(); } });
    next.addEventListener('click', () => {
      if (!state.next) return;
      state.cursors[state.page + 1] = state.next;
      state.cursors.length = state.page + 2;
      state.page++;
      state.selected.clear();
      load();
    });
    selectAll.addEventListener('change', () => {
      for (const m of state.items) { if (selectAll.checked) state.selected.add(m.userId); else state.selected.delete(m.userId); }
      for (const box of tbody.querySelectorAll('input[type=checkbox]')) box.checked = selectAll.checked;
      updateSelection();
    });
    if (addBtn) addBtn.addEventListener('click', () => addUsersDialog(ctx));
    if (removeBtn) {
      removeBtn.addEventListener('click', async () => {
        const ids = Array.from(state.selected);
        const ok = await confirmDialog({
          title: `Remove ${plural(ids.length, 'member')}?`,
          message: `${ids.slice(0, 5).map(userName).join(', ')}${ids.length > 5 ? ` and ${ids.length - 5} more` : ''} will leave “${ctx.group.title}”. They stay in the directory.`,
          confirmLabel: 'Remove',
          danger: true,
        });
        if (!ok) return;
        try {
          const { data } = await api('DELETE', `/groups/${encodeURIComponent(ctx.id)}/members`, { body: { userIds: ids } });
          const extra = [];
          if (data.notMembers.length) extra.push(`${data.notMembers.length} had already left`);
          if (data.outOfScope.length) extra.push(`${data.outOfScope.length} outside your departments were kept`);
          toast(`Removed ${plural(data.removed.length, 'member')}.${extra.length ? ` ${extra.join('; ')}.` : ''}`);
          state.selected.clear();
          await ctx.reload();
          if (state.items.length <= data.removed.length && state.page > 0) state.page--;
          await load();
        } catch (err) { showError(err); }
      });
    }
    await load();
  }

  async function addUsersDialog(ctx) {
    try { await ensureDepartments(); } catch (e) { if (e.status !== 403) { showError(e); return; } }
    const selected = new Map(); // id -> name
    const memberIds = new Set();
    const search = h('input', { type: 'search', id: 'picker-search', placeholder: 'Name or email', autocomplete: 'off', maxlength: 200 });
    const dept = h('select', { id: 'picker-dept' }, deptOptions('', { includeNone: true, noneLabel: 'All departments' }));
    const nested = h('input', { type: 'checkbox', id: 'picker-nested', checked: true });
    const listBox = h('div', { class: 'picker-list', id: 'picker-results', 'aria-label': 'Users', role: 'group' });
    const countInfo = h('span', { class: 'foot-info', 'aria-live': 'polite' }, 'No users selected');
    const addBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'picker-add', disabled: true }, 'Add users');
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const d = openDialog({
      title: `Add users to “${ctx.group.title}”`,
      wide: true,
      content: [
        h('div', { class: 'picker-filters' },
          h('div', { class: 'field' }, h('label', { for: 'picker-search' }, 'Search users'), search),
          h('div', { class: 'field' }, h('label', { for: 'picker-dept' }, 'Department'), dept),
          h('label', { class: 'check', for: 'picker-nested' }, nested, 'Include sub-departments')),
        listBox],
      actions: [countInfo, cancel, addBtn],
      initialFocus: search,
    });
    cancel.addEventListener('click', () => d.close());

    // Current members (up to 1,000) are marked so they can't be picked twice.
    pageAll(`/groups/${encodeURIComponent(ctx.id)}/members`, 200, 5)
      .then((ms) => { ms.forEach((m) => memberIds.add(m.userId)); markMembers(); })
      .catch(() => {});

    function updateCount() {
      const n = selected.size;
      countInfo.textContent = n ? `${plural(n, 'user')} selected` : 'No users selected';
      addBtn.disabled = n === 0;
      addBtn.textContent = n ? `Add ${plural(n, 'user')}` : 'Add users';
    }
    function markMembers() {
      for (const box of listBox.querySelectorAll('input[data-user]')) {
        if (memberIds.has(box.dataset.user)) {
          box.disabled = true;
          box.checked = true;
          const tag = box.parentElement.querySelector('.badge');
          if (!tag) box.parentElement.querySelector('.picker-dept').prepend(h('span', { class: 'badge' }, 'Already a member'), ' ');
        }
      }
    }
    function itemFor(u) {
      remember(u);
      const name = `${u.firstName} ${u.lastName}`.trim();
      const box = h('input', { type: 'checkbox', 'data-user': u.id, checked: selected.has(u.id) });
      box.addEventListener('change', () => {
        if (box.checked) selected.set(u.id, name); else selected.delete(u.id);
        updateCount();
      });
      return h('li', null, h('label', null, box,
        h('span', null, h('span', { class: 'person-name' }, name), h('span', { class: 'person-mail' }, ` ${u.email}`)),
        h('span', { class: 'picker-dept' }, u.departmentId ? deptName(u.departmentId) : '')));
    }
    let seq = 0;
    async function load(cursor) {
      const my = ++seq;
      const ul = cursor ? listBox.querySelector('ul') : h('ul');
      if (!cursor) fill(listBox, h('p', { class: 'picker-empty' }, 'Loading users…'));
      try {
        const { data } = await api('GET', `/users${qs({ q: search.value.trim(), departmentId: dept.value, nested: dept.value ? String(nested.checked) : undefined, limit: 50, cursor })}`);
        if (my !== seq) return;
        clearError(d.alert);
        ul.append(...data.items.map(itemFor));
        const old = listBox.querySelector('.more');
        if (old) old.remove();
        if (!cursor) fill(listBox, data.items.length ? ul : h('p', { class: 'picker-empty' }, 'No users match.'));
        if (data.nextCursor) {
          const more = h('button', { type: 'button', class: 'btn btn-sm' }, 'Load more');
          more.addEventListener('click', () => { more.disabled = true; load(data.nextCursor); });
          listBox.append(h('div', { class: 'more' }, more));
        }
        markMembers();
      } catch (err) {
        if (my !== seq) return;
        if (!cursor) fill(listBox, h('p', { class: 'picker-empty' }, 'The users could not be loaded.'));
        showError(err, { region: d.alert, retry: () => load() });
      }
    }
    const later = debounce(() => load(), 300);
    search.addEventListener('input', later);
    search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); later.now(); } });
    dept.addEventListener('change', () => later.now());
    nested.addEventListener('change', () => later.now());
    addBtn.addEventListener('click', async () => {
      const ids = Array.from(selected.keys());
      addBtn.disabled = true;
      try {
        const { data } = await api('POST', `/groups/${encodeURIComponent(ctx.id)}/members`, { body: { userIds: ids } });
        const extra = [];
        if (data.alreadyMembers.length) extra.push(`${plural(data.alreadyMembers.length, 'was', 'were')} already in the group`);
        if (data.outOfScope.length) extra.push(`${data.outOfScope.length} outside your departments were skipped`);
        if (data.notFound.length) extra.push(`${data.notFound.length} no longer exist`);
        d.close();
        toast(`Added ${plural(data.added.length, 'user')}.${extra.length ? ` ${extra.join('; ')}.` : ''}`);
        await ctx.reload();
        if (ctx.reloadMembers) await ctx.reloadMembers();
      } catch (err) {
        updateCount();
        showError(err, { region: d.alert });
      }
    });
    updateCount();
    load();
  }

  async function explainDialog(ctx, userId, name) {
    const body = h('div', { id: 'explanation' }, h('p', { class: 'muted' }, 'Working it out…'));
    const close = h('button', { type: 'button', class: 'btn' }, 'Close');
    const d = openDialog({ title: `Why is ${name} in “${ctx.group.title}”?`, wide: true, content: body, actions: [close], initialFocus: close });
    close.addEventListener('click', () => d.close());
    try {
      const [{ data }] = await Promise.all([
        api('GET', `/groups/${encodeURIComponent(ctx.id)}/members/${encodeURIComponent(userId)}/explain`),
        S.groups.size > 1 ? null : loadGroupIndex().catch(() => {}),
        ensureProfileFields().catch(() => {}),
      ]);
      const summary = data.matches
        ? (data.member ? `${name} matches the rule and is a member.` : `${name} matches the rule but is not a member yet: the next evaluation adds them.`)
        : (data.member ? `${name} no longer matches the rule: the next evaluation removes them.` : `${name} does not match the rule.`);
      fill(body, 
        h('div', { class: `notice ${data.matches ? 'ok' : 'warn'}` }, icon(data.matches ? 'check' : 'warn'), h('span', { id: 'explain-summary' }, summary)),
        data.inGroupScope === false ? h('p', { class: 'notice warn' }, icon('warn'), h('span', null, `${name} is outside the group's department, so the rule does not apply to them.`)) : null,
        h('h3', null, 'How each condition evaluated'),
        h('ul', { class: 'rule-tree', 'aria-label': 'Rule evaluation' }, explainNode(data.rule)));
    } catch (err) {
      fill(body);
      showError(err, { region: d.alert });
    }
  }

  // ---------------------------------------------------------------- rule language

  const MAX_DEPTH = 8;
  const MAX_CONDITIONS = 100;
  const ATTRS = [
    { id: 'department', label: 'Department', type: 'department' },
    { id: 'group', label: 'Group membership', type: 'group' },
    { id: 'role', label: 'Role', type: 'text' },
    { id: 'status', label: 'Status', type: 'status' },
    { id: 'email', label: 'Email', type: 'text' },
    { id: 'emailDomain', label: 'Email domain', type: 'text' },
    { id: 'jobTitle', label: 'Job title', type: 'text' },
    { id: 'createdAt', label: 'Created', type: 'date' },
  ];
  const OPS = {
    department: ['inSubtree', 'eq', 'ne', 'in', 'notIn', 'exists', 'isEmpty'],
    group: ['memberOf', 'notMemberOf'],
    text: ['eq', 'ne', 'in', 'notIn', 'startsWith', 'endsWith', 'contains', 'matches', 'exists', 'isEmpty'],
    status: ['eq', 'ne', 'in', 'notIn', 'exists', 'isEmpty'],
    date: ['before', 'after', 'withinLastDays', 'moreThanDaysAgo', 'exists', 'isEmpty'],
    number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists', 'isEmpty'],
    list: ['contains', 'eq', 'in', 'notIn', 'startsWith', 'endsWith', 'matches', 'exists', 'isEmpty'],
    any: ['eq', 'ne', 'in', 'notIn', 'startsWith', 'endsWith', 'contains', 'matches', 'gt', 'gte', 'lt', 'lte',
      'before', 'after', 'withinLastDays', 'moreThanDaysAgo', 'exists', 'isEmpty'],
  };
  const OP_LABEL = {
    eq: 'is', ne: 'is not', in: 'is any of', notIn: 'is none of', startsWith: 'starts with', endsWith: 'ends with',
    contains: 'contains', matches: 'matches the pattern', exists: 'is set', isEmpty: 'is empty',
    gt: 'is greater than', gte: 'is at least', lt: 'is less than', lte: 'is at most',
    before: 'is before', after: 'is after', withinLastDays: 'is within the last', moreThanDaysAgo: 'is more than',
    memberOf: 'is a member of', notMemberOf: 'is not a member of', inSubtree: 'is in (or under)',
  };
  const MODE_LABEL = { all: 'all', any: 'any', none: 'none', notAll: 'not all' };

  function humanize(name) {
    const s = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  }
  function attrType(attr) {
    const a = ATTRS.find((x) => x.id === attr);
    if (a) return a.type;
    if (attr && attr.startsWith('profile.')) return (S.profileFields && S.profileFields.get(attr.slice(8))) || 'any';
    return 'any';
  }
  function attrLabel(attr) {
    const a = ATTRS.find((x) => x.id === attr);
    if (a) return a.label;
    if (attr && attr.startsWith('profile.')) return `${humanize(attr.slice(8))} (profile)`;
    return attr;
  }
  function opLabel(op, type) {
    if (type === 'department' && op === 'eq') return 'is exactly';
    if (type === 'department' && op === 'inSubtree') return 'is in (or under)';
    if (type === 'list' && op === 'contains') return 'includes';
    if (type === 'list' && op === 'eq') return 'has an item equal to';
    return OP_LABEL[op] || op;
  }
  function valueKind(type, op) {
    if (op === 'exists' || op === 'isEmpty') return 'none';
    const many = op === 'in' || op === 'notIn';
    if (type === 'department') return many ? 'departments' : 'department';
    if (type === 'group') return 'group';
    if (type === 'status') return many ? 'statuses' : 'status';
    if (op === 'withinLastDays' || op === 'moreThanDaysAgo') return 'days';
    if (op === 'before' || op === 'after') return 'date';
    if (['gt', 'gte', 'lt', 'lte'].includes(op)) return 'number';
    if (type === 'number') return many ? 'numbers' : 'number';
    return many ? 'texts' : 'text';
  }
  function defaultValue(kind) {
    switch (kind) {
      case 'department': return (S.deptOrder[0] && S.deptOrder[0].id) || '';
      case 'departments': case 'statuses': return [];
      case 'status': return 'active';
      case 'days': return '30';
      default: return '';
    }
  }
  /** The UI value of a wire value (lists of text become "a, b"). */
  function uiValue(kind, value) {
    if (value === undefined || value === null) return defaultValue(kind);
    if (kind === 'texts' || kind === 'numbers') return Array.isArray(value) ? value.join(', ') : String(value);
    if (kind === 'departments' || kind === 'statuses') return Array.isArray(value) ? value.map(String) : [String(value)];
    return String(value);
  }
  /** {ok, value, message}: the wire value of a condition, or why it is incomplete. */
  function wireValue(node) {
    const kind = valueKind(attrType(node.attr), node.op);
    const v = node.value;
    switch (kind) {
      case 'none': return { ok: true };
      case 'departments': case 'statuses':
        return v && v.length ? { ok: true, value: v.slice() } : { ok: false, message: 'Pick at least one value.' };
      case 'days': case 'number': {
        const s = String(v ?? '').trim();
        const n = Number(s);
        if (!s || !Number.isFinite(n)) return { ok: false, message: 'Enter a number.' };
        if (kind === 'days' && (n < 0 || !Number.isInteger(n))) return { ok: false, message: 'Enter a whole number of days.' };
        return { ok: true, value: n };
      }
      case 'numbers': {
        const parts = String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
        const nums = parts.map(Number);
        if (!parts.length || nums.some((n) => !Number.isFinite(n))) return { ok: false, message: 'Enter numbers separated by commas.' };
        return { ok: true, value: nums };
      }
      case 'texts': {
        const parts = String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
        return parts.length ? { ok: true, value: parts } : { ok: false, message: 'Enter values separated by commas.' };
      }
      case 'date': {
        const s = String(v ?? '').trim();
        return s ? { ok: true, value: s } : { ok: false, message: 'Pick a date.' };
      }
      default: {
        const s = String(v ?? '');
        if (!s.trim()) return { ok: false, message: kind === 'group' ? 'Pick a group.' : 'Enter a value.' };
        return { ok: true, value: kind === 'text' ? s.trim() : s };
      }
    }
  }

  let nodeSeq = 0;
  const newCond = (attr = 'department', op) => {
    const type = attrType(attr);
    const o = op || OPS[type][0];
    return { id: `n${++nodeSeq}`, type: 'cond', attr, op: o, value: defaultValue(valueKind(type, o)) };
  };
  const newGroup = (mode = 'all', children = [newCond()]) => ({ id: `n${++nodeSeq}`, type: 'group', mode, children });

  /** Wire rule → builder model. A negated condition becomes a "none of" group around it. */
  function fromWire(w) {
    if (!w || typeof w !== 'object') return newCond();
    if (w.not !== undefined) {
      const inner = w.not;
      if (inner && (inner.all || inner.any)) {
        const g = fromWire(inner);
        g.mode = inner.all ? 'notAll' : 'none';
        return g;
      }
      return newGroup('none', [fromWire(inner)]);
    }
    if (Array.isArray(w.all) || Array.isArray(w.any)) {
      const list = w.all || w.any;
      return newGroup(w.all ? 'all' : 'any', list.map(fromWire));
    }
    const type = attrType(w.attr);
    const kind = valueKind(type, w.op);
    return { id: `n${++nodeSeq}`, type: 'cond', attr: String(w.attr || ''), op: String(w.op || ''), value: uiValue(kind, w.value) };
  }
  function rootFromWire(w) {
    const node = fromWire(w);
    return node.type === 'group' ? node : newGroup('all', [node]);
  }
  /** Builder model → wire rule, with JSON pointers (for the API's field errors) and incomplete nodes. */
  function toWire(node, path = 'rule', acc = { pointers: [], problems: [], count: 0 }) {
    acc.pointers.push([path, node]);
    if (node.type === 'group') {
      const key = node.mode === 'all' || node.mode === 'notAll' ? 'all' : 'any';
      const negated = node.mode === 'none' || node.mode === 'notAll';
      const inner = negated ? `${path}/not` : path;
      if (negated) acc.pointers.push([inner, node]);
      const list = node.children.map((c, i) => toWire(c, `${inner}/${key}/${i}`, acc).rule);
      if (!node.children.length) acc.problems.push({ node, message: 'Add at least one condition to this group.' });
      const obj = { [key]: list };
      return { rule: negated ? { not: obj } : obj, ...acc };
    }
    acc.count++;
    const out = { attr: node.attr, op: node.op };
    if (!node.attr || node.attr === 'profile.') acc.problems.push({ node, message: 'Name the profile field.' });
    const v = wireValue(node);
    if (!v.ok) acc.problems.push({ node, message: v.message });
    else if (v.value !== undefined) out.value = v.value;
    return { rule: out, ...acc };
  }

  function describeValue(attr, op, value) {
    if (value === undefined || value === null) return '';
    const type = attrType(attr);
    const one = (v) => {
      if (type === 'department') return deptName(String(v));
      if (type === 'group') return S.groups.has(v) ? `“${S.groups.get(v).title}”` : String(v);
      return typeof v === 'string' ? `“${v}”` : String(v);
    };
    if (op === 'withinLastDays') return `${value} days`;
    if (op === 'moreThanDaysAgo') return `${value} days ago`;
    if (Array.isArray(value)) return value.map(one).join(', ');
    return one(value);
  }
  function describeCond(c) {
    const type = attrType(c.attr);
    return `${attrLabel(c.attr)} ${opLabel(c.op, type)} ${describeValue(c.attr, c.op, c.value)}`.trim();
  }
  function describeActual(attr, actual) {
    if (actual === undefined || actual === null || actual === '') return 'not set';
    const type = attrType(attr);
    const one = (v) => (type === 'department' ? deptName(String(v)) : (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? fmtDate(v, false) : String(v)));
    if (Array.isArray(actual)) return actual.length ? actual.map(one).join(', ') : 'empty';
    if (typeof actual === 'object') return JSON.stringify(actual);
    return one(actual);
  }

  /** A readable rule as a nested list (rule history). */
  function ruleTree(w) {
    const item = (n) => {
      if (n && n.not !== undefined) {
        const inner = n.not;
        if (inner && (inner.all || inner.any)) {
          return h('li', null, h('span', { class: 'comb' }, inner.all ? 'Not all of:' : 'None of:'), h('ul', null, (inner.all || inner.any).map(item)));
        }
        return h('li', null, h('span', { class: 'comb' }, 'Not: '), describeCond(inner || {}));
      }
      if (n && (n.all || n.any)) return h('li', null, h('span', { class: 'comb' }, n.all ? 'All of:' : 'Any of:'), h('ul', null, (n.all || n.any).map(item)));
      return h('li', null, describeCond(n || {}));
    };
    return h('ul', { class: 'rule-tree' }, item(w));
  }
  /** An explanation node: ✓/✗, the condition, and the user's actual value. */
  function explainNode(n) {
    const verdict = (ok) => h('span', { class: `verdict ${ok ? 'yes' : 'no'}`, role: 'img', 'aria-label': ok ? 'true' : 'false' }, ok ? '✓' : '✗');
    if (!n || typeof n !== 'object') return h('li', null, String(n));
    if (n.not !== undefined) {
      return h('li', null, h('div', { class: 'node' }, verdict(n.result), h('span', { class: 'comb' }, 'Not')), h('ul', null, explainNode(n.not)));
    }
    if (n.all || n.any) {
      return h('li', null, h('div', { class: 'node' }, verdict(n.result), h('span', { class: 'comb' }, n.all ? 'All of these' : 'Any of these')),
        h('ul', null, (n.all || n.any).map(explainNode)));
    }
    return h('li', null, h('div', { class: 'node' }, verdict(n.result),
      h('span', null, describeCond(n), h('span', { class: 'actual' }, ` — their value: ${describeActual(n.attr, n.actual)}`))));
  }

  /** The message marked on a condition for an API error; names missing departments and groups. */
  function ruleProblemText(problem) {
    const detail = String(problem.detail || '');
    let m = /^department (\S+) does not exist/.exec(detail);
    if (m) {
      const known = S.departments && S.departments.get(m[1]);
      return `The department ${known ? `“${known.name}”` : m[1]} does not exist (any more). Pick another department.`;
    }
    m = /^group (\S+) does not exist/.exec(detail);
    if (m) {
      const known = S.groups.get(m[1]);
      return `The group ${known ? `“${known.title}”` : m[1]} does not exist (any more): it may have been deleted. Pick another group.`;
    }
    return detail || friendlyTitle(new ApiError(400, problem));
  }

  // ---------------------------------------------------------------- rule builder

  /**
   * The rule builder: nested groups (all / any / none / not all) of conditions (attribute, operator,
   * value). Calls onChange after every edit. Returns {el, result(), showProblem(err), setDisabled()}.
   */
  function RuleBuilder({ rule, groups = [], excludeGroupId, disabled = false, onChange }) {
    let root = rule ? rootFromWire(rule) : newGroup('all', [newCond()]);
    const el = h('div', { class: 'rb', id: 'rule-builder' });
    const groupChoices = groups.filter((g) => g.id !== excludeGroupId);
    let condNo = 0;
    const parents = new Map();

    const changed = () => { if (onChange) onChange(); };
    function countConds(n) { return n.type === 'cond' ? 1 : n.children.reduce((a, c) => a + countConds(c), 0); }

    function rerender(focus) {
      condNo = 0;
      parents.clear();
      fill(el, renderGroup(root, 0, null));
      if (focus) {
        const target = el.querySelector(`[data-node="${focus.node}"][data-part="${focus.part}"]`)
          || el.querySelector(`[data-node="${focus.node}"] select, [data-node="${focus.node}"] input, [data-node="${focus.node}"] button`);
        if (target) target.focus();
      }
    }

    function renderGroup(g, depth, parent) {
      parents.set(g.id, parent);
      const modeId = `${g.id}-mode`;
      const modeSel = h('select', { id: modeId, 'data-node': g.id, 'data-part': 'mode', 'aria-label': depth ? 'Match mode of this group' : 'Match mode' },
        Object.entries(MODE_LABEL).map(([v, label]) => h('option', { value: v, selected: g.mode === v }, label)));
      modeSel.addEventListener('change', () => { g.mode = modeSel.value; rerender({ node: g.id, part: 'mode' }); changed(); });
      const total = countConds(root);
      const addCond = h('button', { type: 'button', class: 'btn btn-sm', 'data-node': g.id, 'data-part': 'add-cond', disabled: total >= MAX_CONDITIONS }, icon('plus'), 'Add condition');
      const addGroup = h('button', { type: 'button', class: 'btn btn-sm', 'data-node': g.id, 'data-part': 'add-group', disabled: depth >= MAX_DEPTH - 2 || total >= MAX_CONDITIONS }, icon('plus'), 'Add group');
      addCond.addEventListener('click', () => {
        const c = newCond();
        g.children.push(c);
        rerender({ node: c.id, part: 'attr' });
        changed();
      });
      addGroup.addEventListener('click', () => {
        const sub = newGroup(g.mode === 'any' ? 'all' : 'any', [newCond()]);
        g.children.push(sub);
        rerender({ node: sub.children[0].id, part: 'attr' });
        changed();
      });
      const removeGroup = parent ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-node': g.id, 'data-part': 'remove', 'aria-label': 'Remove this group' }, icon('trash'), 'Remove group') : null;
      if (removeGroup) {
        removeGroup.addEventListener('click', () => {
          parent.children.splice(parent.children.indexOf(g), 1);
          if (!parent.children.length) parent.children.push(newCond());
          rerender({ node: parent.id, part: 'add-cond' });
          changed();
        });
      }
      const joinWord = g.mode === 'all' || g.mode === 'notAll' ? 'and' : (g.mode === 'any' ? 'or' : 'nor');
      const items = [];
      g.children.forEach((c, i) => {
        if (i > 0) items.push(h('li', { class: 'rb-join', 'aria-hidden': 'true' }, joinWord));
        items.push(h('li', null, c.type === 'group' ? renderGroup(c, depth + 1, g) : renderCond(c, g)));
      });
      return h('div', { class: 'rb-group', role: 'group', 'aria-label': depth ? `Group of conditions, level ${depth + 1}` : 'Rule', 'data-node': g.id, 'data-mode': g.mode },
        h('div', { class: 'rb-head' },
          h('label', { for: modeId }, depth ? 'Match' : 'Members are users who match'),
          modeSel,
          h('span', null, 'of these conditions'),
          h('span', { class: 'spacer' }),
          removeGroup),
        h('ol', { class: 'rb-list' }, items),
        g.error ? h('p', { class: 'error-text' }, g.error) : null,
        h('div', { class: 'rb-foot' }, addCond, addGroup));
    }

    function renderCond(c, parent) {
      parents.set(c.id, parent);
      const n = ++condNo;
      const row = h('div', { class: `rb-cond${c.error ? ' invalid' : ''}`, role: 'group', 'aria-label': `Condition ${n}`, 'data-node': c.id });
      fillCond(row, c, parent);
      return row;
    }

    function fillCond(row, c, parent) {
      const type = attrType(c.attr);
      const isProfile = c.attr.startsWith('profile.');
      const known = isProfile && S.profileFields && S.profileFields.has(c.attr.slice(8));
      const attrValue = isProfile && !known ? 'profile.*' : c.attr;
      const errId = `${c.id}-err`;
      const attrSel = h('select', { class: 'rb-attr', 'aria-label': 'Attribute', 'data-node': c.id, 'data-part': 'attr' },
        ATTRS.map((a) => h('option', { value: a.id, selected: attrValue === a.id }, a.label)),
        h('optgroup', { label: 'Profile fields' },
          Array.from((S.profileFields || new Map()).keys()).sort().map((k) => h('option', { value: `profile.${k}`, selected: attrValue === `profile.${k}` }, humanize(k))),
          h('option', { value: 'profile.*', selected: attrValue === 'profile.*' }, 'Other profile field…')));
      if (!ATTRS.some((a) => a.id === c.attr) && !isProfile) {
        attrSel.append(h('option', { value: c.attr, selected: true }, c.attr));
      }
      attrSel.addEventListener('change', () => {
        c.attr = attrSel.value === 'profile.*' ? 'profile.' : attrSel.value;
        const t = attrType(c.attr);
        if (!OPS[t].includes(c.op)) c.op = OPS[t][0];
        c.value = defaultValue(valueKind(t, c.op));
        c.error = null;
        refill(row, c, parent, attrSel.value === 'profile.*' ? 'field' : 'attr');
        changed();
      });
      const field = isProfile && !known ? h('input', { type: 'text', class: 'rb-field', 'aria-label': 'Profile field name', placeholder: 'field name', value: c.attr.slice(8), 'data-node': c.id, 'data-part': 'field', autocomplete: 'off' }) : null;
      if (field) field.addEventListener('input', () => { c.attr = `profile.${field.value.trim()}`; c.error = null; changed(); });

      const ops = OPS[type].includes(c.op) || !c.op ? OPS[type] : [...OPS[type], c.op];
      const opSel = h('select', { class: 'rb-op', 'aria-label': 'Operator', 'data-node': c.id, 'data-part': 'op' },
        ops.map((o) => h('option', { value: o, selected: c.op === o }, opLabel(o, type))));
      opSel.addEventListener('change', () => {
        const before = valueKind(type, c.op);
        c.op = opSel.value;
        const after = valueKind(type, c.op);
        if (before !== after) c.value = defaultValue(after);
        c.error = null;
        refill(row, c, parent, 'op');
        changed();
      });

      const valueBox = h('div', { class: 'rb-value' }, valueInput(c, type));
      const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-icon rb-remove', 'aria-label': 'Remove condition', title: 'Remove condition', 'data-node': c.id, 'data-part': 'remove' }, icon('trash'));
      remove.addEventListener('click', () => {
        parent.children.splice(parent.children.indexOf(c), 1);
        let focusNode = parent;
        if (!parent.children.length) {
          const grand = parents.get(parent.id);
          if (grand) { grand.children.splice(grand.children.indexOf(parent), 1); focusNode = grand; if (!grand.children.length) grand.children.push(newCond()); }
          else parent.children.push(newCond());
        }
        rerender({ node: focusNode.id, part: 'add-cond' });
        changed();
      });
      fill(row, attrSel, field, opSel, valueBox, remove,
        c.error ? h('p', { class: 'error-text rb-error', id: errId }, c.error) : null);
      row.classList.toggle('invalid', Boolean(c.error));
      if (c.error) {
        const target = row.querySelector('[data-part="value"]') || opSel;
        target.setAttribute('aria-invalid', 'true');
        target.setAttribute('aria-describedby', errId);
      }
    }
    function refill(row, c, parent, part) {
      fillCond(row, c, parent);
      const target = row.querySelector(`[data-part="${part}"]`);
      if (target) target.focus();
    }

    function valueInput(c, type) {
      const kind = valueKind(type, c.op);
      const common = { 'aria-label': 'Value', 'data-node': c.id, 'data-part': 'value' };
      const onInput = (get) => (e) => {
        c.value = get(e.target);
        if (c.error) { c.error = null; const row = e.target.closest('.rb-cond'); row.classList.remove('invalid'); const er = row.querySelector('.rb-error'); if (er) er.remove(); e.target.removeAttribute('aria-invalid'); }
        changed();
      };
      switch (kind) {
        case 'none': return h('span', { class: 'muted small' }, '');
        case 'department': {
          const sel = h('select', common, deptOptions(c.value));
          sel.addEventListener('change', onInput((t) => t.value));
          return sel;
        }
        case 'departments': {
          const sel = h('select', { ...common, multiple: true, size: Math.min(5, Math.max(3, S.deptOrder.length)) }, deptOptions(c.value));
          sel.addEventListener('change', onInput((t) => Array.from(t.selectedOptions).map((o) => o.value)));
          return sel;
        }
        case 'group': {
          const sel = h('select', common,
            h('option', { value: '', selected: !c.value }, 'Choose a group…'),
            groupChoices.map((g) => h('option', { value: g.id, selected: c.value === g.id }, `${g.title}${g.kind === 'smart' ? ' (smart)' : ''}`)),
            c.value && !groupChoices.some((g) => g.id === c.value) ? h('option', { value: c.value, selected: true }, c.value) : null);
          sel.addEventListener('change', onInput((t) => t.value));
          return sel;
        }
        case 'status': {
          const sel = h('select', common, ['active', 'inactive'].map((s) => h('option', { value: s, selected: c.value === s }, s)));
          sel.addEventListener('change', onInput((t) => t.value));
          return sel;
        }
        case 'statuses': {
          const sel = h('select', { ...common, multiple: true, size: 2 }, ['active', 'inactive'].map((s) => h('option', { value: s, selected: c.value.includes(s) }, s)));
          sel.addEventListener('change', onInput((t) => Array.from(t.selectedOptions).map((o) => o.value)));
          return sel;
        }
        case 'days': {
          const input = h('input', { ...common, type: 'number', min: 0, step: 1, value: c.value, inputmode: 'numeric' });
          input.addEventListener('input', onInput((t) => t.value));
          return [input, h('span', { class: 'rb-suffix' }, c.op === 'moreThanDaysAgo' ? 'days ago' : 'days')];
        }
        case 'date': {
          const plain = c.value && !/^\d{4}-\d{2}-\d{2}$/.test(c.value);
          const input = h('input', { ...common, type: plain ? 'text' : 'date', value: c.value, placeholder: 'YYYY-MM-DD' });
          input.addEventListener('input', onInput((t) => t.value));
          input.addEventListener('change', onInput((t) => t.value));
          return input;
        }
        case 'number': {
          const input = h('input', { ...common, type: 'number', step: 'any', value: c.value });
          input.addEventListener('input', onInput((t) => t.value));
          return input;
        }
        case 'numbers': case 'texts': {
          const input = h('input', { ...common, type: 'text', value: c.value, placeholder: 'value, value, …', autocomplete: 'off' });
          input.addEventListener('input', onInput((t) => t.value));
          return input;
        }
        default: {
          const input = h('input', { ...common, type: 'text', value: c.value, placeholder: c.op === 'matches' ? 'regular expression' : '', autocomplete: 'off',
            list: c.attr === 'role' ? 'rb-roles' : null });
          input.addEventListener('input', onInput((t) => t.value));
          return input;
        }
      }
    }

    function clearErrors(n) { n.error = null; if (n.children) n.children.forEach(clearErrors); }

    /** Marks one node as invalid without re-rendering, so whoever is typing keeps their focus. */
    function markInPlace(node, message) {
      clearErrors(root);
      el.querySelectorAll('.rb-error, .rb-group-error').forEach((x) => x.remove());
      el.querySelectorAll('.invalid').forEach((x) => x.classList.remove('invalid'));
      el.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
      node.error = message;
      const nodeEl = el.querySelector(`[data-node="${node.id}"].rb-cond, [data-node="${node.id}"].rb-group`);
      if (!nodeEl) return;
      const errId = `${node.id}-err`;
      if (node.type === 'cond') {
        nodeEl.classList.add('invalid');
        nodeEl.append(h('p', { class: 'error-text rb-error', id: errId }, message));
        const target = nodeEl.querySelector('[data-part="value"]') || nodeEl.querySelector('[data-part="op"]');
        if (target) { target.setAttribute('aria-invalid', 'true'); target.setAttribute('aria-describedby', errId); }
      } else {
        nodeEl.querySelector('.rb-list').after(h('p', { class: 'error-text rb-group-error', id: errId }, message));
      }
    }

    rerender();
    if (!$('#rb-roles')) {
      document.body.append(h('datalist', { id: 'rb-roles' }, ['owner', 'admin', 'departmentAdmin', 'learner'].map((r) => h('option', { value: r }))));
    }
    const api_ = {
      el,
      /** {rule, problems, pointers, count} for the current model. */
      result() { return toWire(root); },
      /** Marks the builder node that the API's field pointer names; returns true if one was found. */
      showProblem(err) {
        const field = err && err.problem && err.problem.field;
        if (!field || !field.startsWith('rule')) return false;
        const { pointers } = toWire(root);
        let best = null;
        for (const [p, node] of pointers) {
          if ((field === p || field.startsWith(`${p}/`)) && (!best || p.length > best[0].length)) best = [p, node];
        }
        if (!best) return false;
        markInPlace(best[1], ruleProblemText(err.problem));
        return true;
      },
      /** Shows the first incomplete condition's message next to it and focuses it. */
      showIncomplete(problems) {
        clearErrors(root);
        for (const p of problems) p.node.error = p.message;
        rerender();
        const first = problems[0] && el.querySelector(`[data-node="${problems[0].node.id}"] [data-part="value"], [data-node="${problems[0].node.id}"] [data-part="field"], [data-node="${problems[0].node.id}"] select`);
        if (first) first.focus();
      },
      load(rule) { root = rootFromWire(rule); rerender(); changed(); },
      setDisabled(d) { el.querySelectorAll('select, input, button').forEach((x) => { x.disabled = d || x.disabled; }); },
    };
    if (disabled) api_.setDisabled(true);
    return api_;
  }

  function sampleList(ids, total) {
    return h('ul', { class: 'sample' }, ids.map((id) => h('li', null, userName(id))),
      total > ids.length ? h('li', null, `and ${total - ids.length} more`) : null);
  }

  /** The live preview next to the builder: matching count, joins and leaves with samples. */
  function PreviewPanel({ groupId }) {
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
          groupId && data.leaveSample.length ? [h('h3', null, 'Would leave'), sampleList(data.leaveSample, data.leaves)] : null);
        status.textContent = `Preview: ${plural(data.matching, 'user')} match${groupId ? `; ${data.joins} would join, ${data.leaves} would leave` : ''}.`;
        el.dataset.state = 'ready';
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

  async function builderDeps() {
    const [, groups] = await Promise.all([
      ensureDepartments().catch((e) => { if (e.status !== 403) throw e; }),
      loadGroupIndex(),
      ensureProfileFields(),
    ]);
    return groups;
  }

  // ---------------------------------------------------------------- new smart group

  async function smartCreatePage(seq) {
    setTitle('New smart group');
    render(h('p', { class: 'loading-line' }, 'Loading…'));
    let groups;
    try { groups = await builderDeps(); } catch (err) {
      if (!alive(seq)) return;
      render(h('div', { class: 'card card-body' }, h('h1', null, 'New smart group'), h('p', null, h('a', { href: '#/groups' }, 'Back to Groups'))));
      showError(err, { retry: () => route() });
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
      form);
    dept.sel.addEventListener('change', () => previewLater());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearError(formAlert);
      setFieldError(title, '');
      if (!title.value.trim()) { setFieldError(title, 'Enter a title.'); title.focus(); return; }
      const { rule, problems } = builder.result();
      if (problems.length) { builder.showIncomplete(problems); return; }
      const body = { title: title.value.trim(), kind: 'smart', rule };
      if (desc.value.trim()) body.description = desc.value.trim();
      if (dept.sel.value) body.ownerDepartmentId = dept.sel.value;
      create.disabled = true;
      try {
        const { data } = await api('POST', '/groups', { body });
        rememberGroup(data);
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

  // ---------------------------------------------------------------- rule tab

  async function ruleSection(ctx, content) {
    fill(content, h('p', { class: 'loading-line' }, 'Loading the rule…'));
    let groups;
    try { groups = await builderDeps(); } catch (err) { showError(err, { retry: () => route() }); return; }
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
      h('div', { class: 'rule-layout' },
        h('section', { class: 'card', 'aria-labelledby': 'rule-h' },
          h('div', { class: 'card-head' }, h('h2', { id: 'rule-h' }, 'Membership rule'),
            canEdit ? null : h('span', { class: 'badge' }, 'Read only')),
          h('div', { class: 'card-body' }, builder.el),
          h('div', { class: 'card-foot' }, save, discard, dirtyNote)),
        preview.el),
      formAlert);
    if (discard) discard.addEventListener('click', () => { builder.load(ctx.group.rule); clearError(formAlert); });
    if (save) {
      save.addEventListener('click', async () => {
        clearError(formAlert);
        const { rule, problems } = builder.result();
        if (problems.length) { builder.showIncomplete(problems); return; }
        save.disabled = true;
        try {
          const { data, etag } = await api('PATCH', `/groups/${encodeURIComponent(ctx.id)}`, { body: { rule }, ifMatch: ctx.etag });
          ctx.setGroup(data, etag);
          toast('Rule saved. Re-evaluating the members…');
          location.hash = `#/groups/${encodeURIComponent(ctx.id)}`;
        } catch (err) {
          save.disabled = false;
          const retry = err.status === 412 ? async () => {
            S.ruleDraft = { groupId: ctx.id, rule, note: 'Your unsaved rule was kept over the latest version: review it and save again.' };
            route();
          } : undefined;
          showError(err, { region: formAlert, retry });
          builder.showProblem(err);
        }
      });
    }
    preview.run(builder);
  }

  // ---------------------------------------------------------------- history tab

  async function historySection(ctx, content) {
    const list = h('ol', { class: 'versions', id: 'rule-versions' });
    const more = h('div', { class: 'pager' });
    fill(content, h('section', { class: 'card', 'aria-labelledby': 'hist-h' },
      h('div', { class: 'card-head' }, h('h2', { id: 'hist-h' }, 'Rule history'), h('span', { class: 'muted small' }, 'Every saved rule, newest first.')),
      list, more));
    try { await loadGroupIndex(); await ensureProfileFields(); } catch { /* names fall back to ids */ }
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

  // ---------------------------------------------------------------- start

  function start() {
    S.session = loadSession();
    const skip = $('#skip-link');
    if (skip) skip.addEventListener('click', (e) => { e.preventDefault(); const m = $('#main'); m.focus(); m.scrollIntoView(); });
    window.addEventListener('hashchange', () => route());
    window.addEventListener('unhandledrejection', (e) => {
      if (e.reason && e.reason.name === 'AbortError') return;
      showError(e.reason);
    });
    refreshChrome();
    const boot = S.session ? loadMe().catch((err) => { S.meError = err; }) : Promise.resolve();
    boot.finally(() => route());
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
