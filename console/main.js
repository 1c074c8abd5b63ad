// Learning Admin: the Groups console. Plain ES modules, no framework, no build step.
// Talks to the Groups API on the same origin with a bearer token kept in sessionStorage.
// Routes (hash): #/signin, #/groups, #/groups/new-smart, #/groups/<id>[/rule|/history],
// #/departments, #/roles.

import { $ } from './dom.js';
import { S } from './state.js';
import { loadMe, loadSession, refreshChrome, setRerender } from './session.js';
import { showError } from './problems.js';
import { route } from './router.js';

function start() {
  setRerender(route);
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
