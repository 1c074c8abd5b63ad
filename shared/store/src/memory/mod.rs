//! The in-memory adapter: the local server's embedded default and the fast test store.
//! One lock makes every call atomic, which is what DynamoDB's transactions give the other
//! adapter; orderings and cursors follow the same sort keys.

use groups_domain::events::MembershipChange;
use groups_domain::group::kind_mismatch;
use groups_domain::history::{HistoryEntry, MemberWrite, Stamp};
use groups_domain::ports::{Change, UserGuard, is_active_owner};
use groups_domain::{
    AccountId, CustomRole, Department, Error, Group, GroupId, GroupKind, Membership, Page,
    PageRequest, Result, User, UserId,
};
use groups_domain::{Evaluation, RuleVersion};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::mpsc;

mod directory;
mod evaluations;
mod groups;
mod history;
mod memberships;
mod overrides;
mod scim_tokens;

#[derive(Default)]
struct Account {
    departments: BTreeMap<String, Department>,
    roles: BTreeMap<String, CustomRole>,
    scim_tokens: BTreeMap<String, groups_domain::scim_token::ScimToken>,
    users: BTreeMap<String, User>,
    groups: HashMap<String, Group>,
    /// title claim key → group id: the uniqueness claim.
    titles: HashMap<String, GroupId>,
    /// group id → user id → membership.
    members: HashMap<String, BTreeMap<String, Membership>>,
    /// user id → group id → membership (the inverted index).
    user_groups: HashMap<String, BTreeMap<String, Membership>>,
    /// group id → saved rules, oldest first.
    rule_versions: HashMap<String, Vec<RuleVersion>>,
    /// group id → history sort key → entry.
    group_history: HashMap<String, BTreeMap<String, HistoryEntry>>,
    /// user id → history sort key → entry.
    user_history: HashMap<String, BTreeMap<String, HistoryEntry>>,
}

pub struct MemoryStore {
    accounts: Mutex<HashMap<AccountId, Account>>,
    checkpoints: Mutex<HashMap<String, serde_json::Value>>,
    /// The change feed: what DynamoDB Streams reports for the table, to every subscriber.
    /// Unbounded: a change is never dropped, however far a subscriber falls behind.
    changes: Mutex<Vec<mpsc::UnboundedSender<Change>>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self {
            accounts: Mutex::default(),
            checkpoints: Mutex::default(),
            changes: Mutex::default(),
        }
    }

    /// Subscribes to the change feed (users, memberships, evaluation requests) from now on.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<Change> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.changes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    fn emit(&self, change: Change) {
        // No subscriber is fine: nobody emulates the stream then. Gone ones are dropped.
        self.changes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|tx| tx.send(change.clone()).is_ok());
    }

    /// Reports an evaluation request when the group's evaluation turned into a new request,
    /// as the DynamoDB stream adapter reads the group's old and new images.
    fn emit_queued(&self, account: &AccountId, before: Option<&Evaluation>, group: &Group) {
        if groups_domain::group::newly_requested(before, group.evaluation.as_ref()) {
            self.emit(Change::EvaluationRequested {
                account: account.clone(),
                group: group.id.clone(),
            });
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<AccountId, Account>> {
        // A panic while holding the lock cannot leave a half-applied change (every change is
        // computed before it is written), so a poisoned lock is still consistent.
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with<T>(&self, account: &AccountId, f: impl FnOnce(&mut Account) -> T) -> T {
        f(self.lock().entry(account.clone()).or_default())
    }
}

/// Items strictly after `cursor` in ascending key order, up to `limit + 1` of them.
fn page_after<'a, T: Clone + 'a>(
    map: &'a BTreeMap<String, T>,
    page: &PageRequest,
    keep: impl Fn(&T) -> bool,
) -> Vec<(String, T)> {
    let start = match &page.cursor {
        Some(c) => Bound::Excluded(c.clone()),
        None => Bound::Unbounded,
    };
    map.range((start, Bound::Unbounded))
        .filter(|(_, v)| keep(v))
        .take(page.limit as usize + 1)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn finish<T>(rows: Vec<(String, T)>, limit: u32) -> Page<T> {
    let page = Page::from_overfetch(rows, limit, |(k, _)| k.clone());
    Page {
        items: page.items.into_iter().map(|(_, v)| v).collect(),
        next_cursor: page.next_cursor,
    }
}

impl MemoryStore {
    /// One change per membership that appeared or disappeared, as DynamoDB's stream reports
    /// each membership item inserted or removed, then the write with its cause (the count
    /// item's record there).
    fn emit_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        changed: &[Membership],
        change: MembershipChange,
        stamp: &Stamp,
    ) {
        let at = time::OffsetDateTime::now_utc();
        if !changed.is_empty() {
            self.emit(Change::MembersWritten {
                account: account.clone(),
                group: group.clone(),
                write: MemberWrite {
                    change,
                    at: stamp.at,
                    cause: stamp.cause.clone(),
                    users: changed.iter().map(|m| m.user_id.clone()).collect(),
                },
            });
        }
        for membership in changed {
            self.emit(Change::Membership {
                account: account.clone(),
                membership: membership.clone(),
                change,
                at,
            });
        }
    }
}

/// A guarded user write's conditions, checked under the store's one lock.
fn check_guard(a: &Account, id: &UserId, guard: &UserGuard) -> Result<()> {
    if let Some(owner) = &guard.active_owner
        && !a.users.get(owner.as_str()).is_some_and(is_active_owner)
    {
        return Err(UserGuard::owner_error());
    }
    if !guard.unchanged(a.users.get(id.as_str())) {
        return Err(UserGuard::changed_error(id));
    }
    Ok(())
}

fn check_group(a: &Account, group: &GroupId, kind: GroupKind) -> Result<()> {
    match a.groups.get(group.as_str()) {
        None => Err(Error::not_found("group", group.as_str())),
        Some(g) if g.kind != kind => Err(kind_mismatch(group, kind)),
        Some(_) => Ok(()),
    }
}
