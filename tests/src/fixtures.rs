//! Builders for test data. Every test uses its own account, so tests can share a table.

use groups_domain::service::{self, NewGroup};
use groups_domain::{
    AccountId, BuiltinRole, Caller, Department, DepartmentId, DepartmentPath, Group, GroupKind,
    RoleRef, Store, User, UserId, UserStatus,
};
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub fn account() -> AccountId {
    AccountId::generate()
}

pub fn user_id(n: usize) -> UserId {
    UserId::parse("id", format!("u{n:04}")).expect("valid id")
}

pub fn dep(id: &str) -> DepartmentId {
    DepartmentId::parse("id", id).expect("valid id")
}

pub fn path(ids: &[&str]) -> DepartmentPath {
    DepartmentPath::new(ids.iter().map(|i| dep(i)).collect()).expect("valid path")
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("valid time")
}

pub fn caller(account: &AccountId, role: BuiltinRole, managed: &[&str]) -> Caller {
    Caller::resolve(
        account.clone(),
        UserId::parse("id", "caller").expect("valid id"),
        RoleRef::Builtin(role),
        None,
        managed.iter().map(|d| dep(d)).collect(),
    )
}

pub fn admin(account: &AccountId) -> Caller {
    caller(account, BuiltinRole::Admin, &[])
}

pub fn user(n: usize, department: Option<DepartmentPath>) -> User {
    User {
        id: user_id(n),
        email: format!("user{n}@example.com"),
        first_name: format!("First{n}"),
        last_name: format!("Last{n}"),
        department,
        role: RoleRef::Builtin(BuiltinRole::Learner),
        status: UserStatus::Active,
        job_title: "Engineer".into(),
        created_at: now(),
        profile: BTreeMap::new(),
        managed_department_ids: Vec::new(),
        registered_at: None,
        updated_at: None,
    }
}

/// The tree root → {sales → {emea, apac}, hr}.
pub async fn seed_departments<S: Store>(store: &S, account: &AccountId) {
    for (id, parent) in [
        ("root", None),
        ("sales", Some("root")),
        ("emea", Some("sales")),
        ("apac", Some("sales")),
        ("hr", Some("root")),
    ] {
        let d = Department::new(dep(id), id, parent.map(dep)).expect("valid department");
        store
            .put_department(account, &d)
            .await
            .expect("put department");
    }
}

/// Users `0..n`, all in `department`.
pub async fn seed_users<S: Store>(
    store: &S,
    account: &AccountId,
    n: usize,
    department: Option<DepartmentPath>,
) {
    for i in 0..n {
        store
            .put_user(account, &user(i, department.clone()))
            .await
            .expect("put user");
    }
}

pub fn new_group(title: &str) -> NewGroup {
    NewGroup {
        title: title.into(),
        description: String::new(),
        kind: GroupKind::Static,
        rule: None,
        owner_department_id: None,
    }
}

/// A new account-level smart group with `rule`.
pub fn new_smart_group(title: &str, rule: serde_json::Value) -> NewGroup {
    NewGroup {
        kind: GroupKind::Smart,
        rule: Some(rule),
        ..new_group(title)
    }
}

pub async fn create<S: Store>(store: &S, caller: &Caller, title: &str) -> Group {
    service::create_group(store, caller, new_group(title), now())
        .await
        .expect("create group")
}

/// Every member of a group, following cursors (pages of 7, to exercise them).
pub async fn all_members<S: Store>(
    store: &S,
    account: &AccountId,
    group: &groups_domain::GroupId,
) -> Vec<UserId> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_members(
                account,
                group,
                &groups_domain::PageRequest::new(Some(7), cursor).expect("page"),
            )
            .await
            .expect("members");
        out.extend(page.items.into_iter().map(|m| m.user_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// A cause for writes a test makes straight through the store (a manual change via the API).
pub fn stamp() -> groups_domain::history::Stamp {
    groups_domain::Cause::manual(&user_id(0), groups_domain::Trigger::Api).at(now())
}
