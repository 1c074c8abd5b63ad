//! The in-memory adapter: the local server's embedded default and the fast test store.
//! One lock makes every call atomic, which is what DynamoDB's transactions give the other
//! adapter; orderings and cursors follow the same sort keys.

use groups_domain::group::kind_mismatch;
use groups_domain::ports::{
    Change, GroupQuery, UserGuard, UserQuery, group_matches, is_active_owner, sort_keys,
    user_matches,
};
use groups_domain::{
    AccountId, CustomRole, Department, DepartmentPath, DepartmentTree, DirectoryStore, Error,
    Group, GroupId, GroupKind, GroupStore, Membership, Page, PageRequest, Result, RoleId, Scope,
    SortOrder, User, UserId,
};
use groups_domain::{Evaluation, RuleVersion};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::mpsc;

#[derive(Default)]
struct Account {
    departments: BTreeMap<String, Department>,
    roles: BTreeMap<String, CustomRole>,
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

impl DirectoryStore for MemoryStore {
    async fn put_department(&self, account: &AccountId, department: &Department) -> Result<()> {
        self.with(account, |a| {
            a.departments
                .insert(department.id.to_string(), department.clone());
        });
        Ok(())
    }

    async fn departments(&self, account: &AccountId) -> Result<DepartmentTree> {
        Ok(self.with(account, |a| {
            DepartmentTree::new(a.departments.values().cloned().collect())
        }))
    }

    async fn put_role(&self, account: &AccountId, role: &CustomRole) -> Result<()> {
        self.with(account, |a| {
            a.roles.insert(role.id.to_string(), role.clone());
        });
        Ok(())
    }

    async fn get_role(&self, account: &AccountId, id: &RoleId) -> Result<Option<CustomRole>> {
        Ok(self.with(account, |a| a.roles.get(id.as_str()).cloned()))
    }

    async fn write_user(&self, account: &AccountId, user: &User, guard: &UserGuard) -> Result<()> {
        self.with(account, |a| {
            check_guard(a, &user.id, guard)?;
            a.users.insert(user.id.to_string(), user.clone());
            Ok::<_, Error>(())
        })?;
        self.emit(Change::User {
            account: account.clone(),
            user: user.id.clone(),
        });
        Ok(())
    }

    async fn remove_user(&self, account: &AccountId, id: &UserId, guard: &UserGuard) -> Result<()> {
        let existed = self.with(account, |a| {
            check_guard(a, id, guard)?;
            Ok::<_, Error>(a.users.remove(id.as_str()).is_some())
        })?;
        if existed {
            self.emit(Change::User {
                account: account.clone(),
                user: id.clone(),
            });
        }
        Ok(())
    }

    async fn get_user(&self, account: &AccountId, id: &UserId) -> Result<Option<User>> {
        Ok(self.with(account, |a| a.users.get(id.as_str()).cloned()))
    }

    async fn list_users(
        &self,
        account: &AccountId,
        scope: &Scope,
        query: &UserQuery,
    ) -> Result<Page<User>> {
        let prefix = query
            .department
            .as_ref()
            .map(|(path, nested)| department_prefix(path, *nested));
        if let Some(prefix) = &prefix {
            check_cursor_prefix(&query.page, prefix)?;
        }
        let keep = |u: &User| user_matches(u, scope, query);
        Ok(self.with(account, |a| match &prefix {
            None => finish(page_after(&a.users, &query.page, keep), query.page.limit),
            Some(prefix) => {
                // The same sort key the DynamoDB index uses: path, then user id.
                let by_key: BTreeMap<String, User> = a
                    .users
                    .values()
                    .filter_map(|u| {
                        let key = sort_keys::user_by_department(u.department.as_ref()?, &u.id);
                        key.starts_with(prefix.as_str()).then(|| (key, u.clone()))
                    })
                    .collect();
                finish(page_after(&by_key, &query.page, keep), query.page.limit)
            }
        }))
    }

    async fn get_users(&self, account: &AccountId, ids: &[UserId]) -> Result<Vec<User>> {
        Ok(self.with(account, |a| {
            ids.iter()
                .filter_map(|id| a.users.get(id.as_str()).cloned())
                .collect()
        }))
    }
}

/// The sort-key prefix of a department's users: `/a/b/!` for only, `/a/b/` for nested.
pub(crate) fn department_prefix(department: &DepartmentPath, nested: bool) -> String {
    let mut prefix = department.key();
    if !nested {
        prefix.push(sort_keys::USER_SEPARATOR);
    }
    prefix
}

/// A cursor from another listing cannot resume this one.
pub(crate) fn check_cursor_prefix(page: &PageRequest, prefix: &str) -> Result<()> {
    match &page.cursor {
        Some(c) if !c.starts_with(prefix) => Err(Error::validation(
            "cursor",
            "is not a cursor of this listing",
        )),
        _ => Ok(()),
    }
}

impl GroupStore for MemoryStore {
    async fn create_group(&self, account: &AccountId, group: &Group) -> Result<()> {
        self.with(account, |a| {
            if a.groups.contains_key(group.id.as_str()) {
                return Err(Error::AlreadyExists {
                    resource: "group",
                    id: group.id.to_string(),
                });
            }
            let key = group.title_claim_key();
            if a.titles.contains_key(&key) {
                return Err(Error::TitleTaken {
                    title: group.title.clone(),
                });
            }
            a.titles.insert(key, group.id.clone());
            a.groups.insert(group.id.to_string(), group.clone());
            if let Some(rule) = &group.rule {
                a.rule_versions
                    .entry(group.id.to_string())
                    .or_default()
                    .push(RuleVersion {
                        version: group.version,
                        rule: rule.clone(),
                        saved_by: group.updated_by.clone(),
                        saved_at: group.updated_at,
                    });
            }
            Ok(())
        })?;
        self.emit_queued(account, None, group);
        Ok(())
    }

    async fn get_group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>> {
        Ok(self.with(account, |a| a.groups.get(id.as_str()).cloned()))
    }

    async fn update_group(&self, account: &AccountId, current: &Group, next: &Group) -> Result<()> {
        let before = self.with(account, |a| {
            let stored = a
                .groups
                .get(current.id.as_str())
                .ok_or_else(|| Error::not_found("group", current.id.as_str()))?;
            if stored.version != current.version {
                return Err(Error::VersionMismatch {
                    expected: current.version,
                    actual: stored.version,
                });
            }
            let (old_key, new_key) = (stored.title_claim_key(), next.title_claim_key());
            if old_key != new_key {
                if a.titles.contains_key(&new_key) {
                    return Err(Error::TitleTaken {
                        title: next.title.clone(),
                    });
                }
                a.titles.remove(&old_key);
                a.titles.insert(new_key, current.id.clone());
            }
            let member_count = stored.member_count;
            let before = stored.evaluation.clone();
            let rule_changed = next.rule.is_some() && next.rule != stored.rule;
            let updated = Group {
                member_count,
                ..next.clone()
            };
            a.groups.insert(current.id.to_string(), updated);
            if let (true, Some(rule)) = (rule_changed, &next.rule) {
                a.rule_versions
                    .entry(current.id.to_string())
                    .or_default()
                    .push(RuleVersion {
                        version: next.version,
                        rule: rule.clone(),
                        saved_by: next.updated_by.clone(),
                        saved_at: next.updated_at,
                    });
            }
            Ok(before)
        })?;
        self.emit_queued(account, before.as_ref(), next);
        Ok(())
    }

    async fn delete_group(&self, account: &AccountId, group: &Group) -> Result<()> {
        let removed = self.with(account, |a| {
            let stored = a
                .groups
                .get(group.id.as_str())
                .ok_or_else(|| Error::not_found("group", group.id.as_str()))?;
            if stored.version != group.version {
                return Err(Error::VersionMismatch {
                    expected: group.version,
                    actual: stored.version,
                });
            }
            a.titles.remove(&stored.title_claim_key());
            a.groups.remove(group.id.as_str());
            a.rule_versions.remove(group.id.as_str());
            let members = a.members.remove(group.id.as_str()).unwrap_or_default();
            for user in members.keys() {
                if let Some(groups) = a.user_groups.get_mut(user) {
                    groups.remove(group.id.as_str());
                }
            }
            Ok::<_, Error>(members.into_values().map(|m| m.user_id).collect::<Vec<_>>())
        })?;
        // Each membership deleted is a change, as each deleted item is on DynamoDB's stream.
        self.emit_memberships(account, &group.id, &removed);
        Ok(())
    }

    async fn list_groups(
        &self,
        account: &AccountId,
        scope: &Scope,
        query: &GroupQuery,
    ) -> Result<Page<Group>> {
        Ok(self.with(account, |a| {
            let mut rows: Vec<(String, &Group)> = a
                .groups
                .values()
                .map(|g| (sort_keys::group_by_title(&g.title_key(), &g.id), g))
                .collect();
            rows.sort_by(|x, y| x.0.cmp(&y.0));
            if query.order == SortOrder::Descending {
                rows.reverse();
            }
            let after_cursor = |key: &String| match (&query.page.cursor, query.order) {
                (None, _) => true,
                (Some(c), SortOrder::Ascending) => key > c,
                (Some(c), SortOrder::Descending) => key < c,
            };
            let kept = rows
                .into_iter()
                .filter(|(k, g)| after_cursor(k) && group_matches(g, scope, query))
                .take(query.page.limit as usize + 1)
                .map(|(k, g)| (k, g.clone()))
                .collect();
            finish(kept, query.page.limit)
        }))
    }

    async fn get_groups(&self, account: &AccountId, ids: &[GroupId]) -> Result<Vec<Group>> {
        Ok(self.with(account, |a| {
            ids.iter()
                .filter_map(|id| a.groups.get(id.as_str()).cloned())
                .collect()
        }))
    }

    async fn get_group_and_users(
        &self,
        account: &AccountId,
        group: &GroupId,
        users: &[UserId],
    ) -> Result<(Option<Group>, Vec<User>)> {
        Ok(self.with(account, |a| {
            let found = users
                .iter()
                .filter_map(|u| a.users.get(u.as_str()).cloned())
                .collect();
            (a.groups.get(group.as_str()).cloned(), found)
        }))
    }

    async fn insert_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        members: &[Membership],
    ) -> Result<Vec<UserId>> {
        self.with(account, |a| {
            check_group(a, group, kind)?;
            let mut inserted = Vec::new();
            let list = a.members.entry(group.to_string()).or_default();
            for m in members {
                if !list.contains_key(m.user_id.as_str()) {
                    list.insert(m.user_id.to_string(), m.clone());
                    a.user_groups
                        .entry(m.user_id.to_string())
                        .or_default()
                        .insert(group.to_string(), m.clone());
                    inserted.push(m.user_id.clone());
                }
            }
            if let Some(g) = a.groups.get_mut(group.as_str()) {
                g.member_count += inserted.len() as u64;
            }
            Ok(inserted)
        })
        .inspect(|changed| self.emit_memberships(account, group, changed))
    }

    async fn delete_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        users: &[UserId],
    ) -> Result<Vec<UserId>> {
        self.with(account, |a| {
            check_group(a, group, kind)?;
            let mut removed = Vec::new();
            if let Some(list) = a.members.get_mut(group.as_str()) {
                for u in users {
                    if list.remove(u.as_str()).is_some() {
                        if let Some(groups) = a.user_groups.get_mut(u.as_str()) {
                            groups.remove(group.as_str());
                        }
                        removed.push(u.clone());
                    }
                }
            }
            if let Some(g) = a.groups.get_mut(group.as_str()) {
                g.member_count -= removed.len() as u64;
            }
            Ok(removed)
        })
        .inspect(|changed| self.emit_memberships(account, group, changed))
    }

    async fn record_evaluation(
        &self,
        account: &AccountId,
        group: &GroupId,
        evaluation: &Evaluation,
    ) -> Result<()> {
        let (before, updated) = self.with(account, |a| {
            let g = a
                .groups
                .get_mut(group.as_str())
                .ok_or_else(|| Error::not_found("group", group.as_str()))?;
            let before = g.evaluation.replace(evaluation.clone());
            Ok::<_, Error>((before, g.clone()))
        })?;
        self.emit_queued(account, before.as_ref(), &updated);
        Ok(())
    }

    async fn save_checkpoint(&self, name: &str, value: Option<&serde_json::Value>) -> Result<()> {
        let mut checkpoints = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
        match value {
            Some(v) => checkpoints.insert(name.to_owned(), v.clone()),
            None => checkpoints.remove(name),
        };
        Ok(())
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<serde_json::Value>> {
        Ok(self
            .checkpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned())
    }

    async fn account_smart_groups(&self, account: &AccountId) -> Result<Vec<Group>> {
        Ok(self.with(account, |a| {
            let mut smart: Vec<Group> = a
                .groups
                .values()
                .filter(|g| g.kind == GroupKind::Smart)
                .cloned()
                .collect();
            smart.sort_by(|x, y| x.id.cmp(&y.id));
            smart
        }))
    }

    async fn smart_group_accounts(&self, page: &PageRequest) -> Result<Page<AccountId>> {
        let accounts = self.lock();
        let with_smart: BTreeMap<String, AccountId> = accounts
            .iter()
            .filter(|(_, a)| a.groups.values().any(|g| g.kind == GroupKind::Smart))
            .map(|(id, _)| (id.to_string(), id.clone()))
            .collect();
        Ok(finish(page_after(&with_smart, page, |_| true), page.limit))
    }

    async fn memberships_among(
        &self,
        account: &AccountId,
        groups: &[GroupId],
        users: &[UserId],
    ) -> Result<Vec<(GroupId, UserId)>> {
        Ok(self.with(account, |a| {
            let mut found = Vec::new();
            for g in groups {
                if let Some(list) = a.members.get(g.as_str()) {
                    found.extend(
                        users
                            .iter()
                            .filter(|u| list.contains_key(u.as_str()))
                            .map(|u| (g.clone(), u.clone())),
                    );
                }
            }
            found
        }))
    }

    async fn list_rule_versions(
        &self,
        account: &AccountId,
        group: &GroupId,
        page: &PageRequest,
    ) -> Result<Page<RuleVersion>> {
        Ok(self.with(account, |a| {
            // Newest first, keyed like the DynamoDB sort key.
            let versions: BTreeMap<String, RuleVersion> = a
                .rule_versions
                .get(group.as_str())
                .into_iter()
                .flatten()
                .map(|v| (format!("{:020}", u64::MAX - v.version), v.clone()))
                .collect();
            finish(page_after(&versions, page, |_| true), page.limit)
        }))
    }

    async fn list_members(
        &self,
        account: &AccountId,
        group: &GroupId,
        page: &PageRequest,
    ) -> Result<Page<Membership>> {
        Ok(self.with(account, |a| match a.members.get(group.as_str()) {
            Some(list) => finish(page_after(list, page, |_| true), page.limit),
            None => Page {
                items: Vec::new(),
                next_cursor: None,
            },
        }))
    }

    async fn list_user_groups(
        &self,
        account: &AccountId,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Membership>> {
        Ok(
            self.with(account, |a| match a.user_groups.get(user.as_str()) {
                Some(list) => finish(page_after(list, page, |_| true), page.limit),
                None => Page {
                    items: Vec::new(),
                    next_cursor: None,
                },
            }),
        )
    }
}

impl MemoryStore {
    fn emit_memberships(&self, account: &AccountId, group: &GroupId, users: &[UserId]) {
        for user in users {
            self.emit(Change::Membership {
                account: account.clone(),
                group: group.clone(),
                user: user.clone(),
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
