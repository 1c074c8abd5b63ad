// The console's shared mutable state: what is loaded, which view is showing, the pending poll.

/** Everything the console knows across views; reset on sign-out. */
export const S = {
  session: null, // {roleKey, token, sub, acc, exp}
  me: null, // GET /me: {accountId, userId, role, permissions, departmentIds?, user}
  meError: null, // why GET /me failed at start-up (shown with a Retry)
  departments: null, // Map id -> {id, name, parentId}
  deptOrder: [], // [{id, name, depth}] in tree order
  users: new Map(), // id -> user, filled from every listing
  unknownUsers: new Set(), // ids a directory search did not find (deleted, or outside the caller's scope)
  groups: new Map(), // id -> {title, kind}, filled from every listing
  profileFields: null, // Map name -> 'text'|'number'|'date'|'list'
  ruleLanguage: null, // GET /smart-groups/rule-language: {attributes, combinators, limits}, once per session
  list: newListState(),
  ruleDraft: null, // {groupId, rule, note}
  signinMessage: '', // said on the sign-in page (why the user was signed out)
  afterSignin: null, // the hash to return to after signing in
};

/** The Groups page's search, filters, paging and selection, as after signing in. */
export function newListState() {
  return { q: '', sort: 'title', kind: '', limit: 25, cursors: [null], page: 0, selected: new Map() };
}

// Every route() starts a new view; async work started for an older view drops its result.
let viewSeq = 0;
export const nextView = () => ++viewSeq;
export const alive = (seq) => seq === viewSeq;

/** The pending poll of a smart group's evaluation; a new view (or signing out) stops it. */
export const poll = { timer: null };
export function stopPolling() { clearTimeout(poll.timer); poll.timer = null; }
