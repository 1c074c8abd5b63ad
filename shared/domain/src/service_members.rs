//! Use cases of static groups' members: adding and removing by hand, and listing members with
//! what each caller may see of them.

use crate::caller::{Caller, Scope};
use crate::error::{Error, Result};
use crate::group::{Group, GroupKind, Membership, MembershipSource};
use crate::history::Cause;
use crate::ids::{GroupId, UserId};
use crate::page::{Page, PageRequest};
use crate::ports::Store;
use crate::role::Permission;
use crate::service::{get_group, writable};
use crate::text::check_list_len;
use crate::user::User;
use serde::Serialize;
use std::collections::HashSet;
use time::OffsetDateTime;

/// Most user ids one add or remove call takes.
pub const MAX_MEMBER_IDS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddMembersOutcome {
    pub added: Vec<UserId>,
    pub already_members: Vec<UserId>,
    /// Unknown ids, and users outside the caller's scope (never told apart).
    pub not_found: Vec<UserId>,
    /// Kept for clients that read it; always empty since out-of-scope users read as unknown.
    pub out_of_scope: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveMembersOutcome {
    pub removed: Vec<UserId>,
    pub not_members: Vec<UserId>,
    pub out_of_scope: Vec<UserId>,
}

/// Drops repeated ids, keeping the first of each, after checking the list's size.
fn distinct_ids(ids: &[UserId]) -> Result<Vec<UserId>> {
    check_list_len("userIds", ids, 1, MAX_MEMBER_IDS)?;
    let mut seen = HashSet::with_capacity(ids.len());
    Ok(ids.iter().filter(|id| seen.insert(*id)).cloned().collect())
}

/// Loads the group for a membership edit, with `users` when the caller's scope needs them:
/// visible, writable, and static (smart groups follow their rule).
async fn load_static_group<S: Store>(
    store: &S,
    caller: &Caller,
    id: &GroupId,
    users: &[UserId],
) -> Result<(Group, Vec<User>)> {
    let (group, found) = if users.is_empty() {
        (store.get_group(&caller.account_id, id).await?, Vec::new())
    } else {
        store
            .get_group_and_users(&caller.account_id, id, users)
            .await?
    };
    let group = writable(caller, group, id)?;
    if group.kind == GroupKind::Smart {
        return Err(Error::SmartGroupMembership {
            group_id: id.to_string(),
        });
    }
    Ok((group, found))
}

pub async fn add_members<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    user_ids: &[UserId],
    now: OffsetDateTime,
) -> Result<AddMembersOutcome> {
    caller.require(Permission::GroupsMembers)?;
    let ids = distinct_ids(user_ids)?;
    let (group, found) = load_static_group(store, caller, group_id, &ids).await?;
    insert_found(store, caller, &group, ids, &found, now).await
}

/// [`add_members`] of users this request has just read (SCIM checks every id of a PATCH
/// before writing): reads only the group, not the users again.
pub async fn add_read_members<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    users: &[User],
    now: OffsetDateTime,
) -> Result<AddMembersOutcome> {
    caller.require(Permission::GroupsMembers)?;
    let listed: Vec<UserId> = users.iter().map(|u| u.id.clone()).collect();
    let ids = distinct_ids(&listed)?;
    let (group, _) = load_static_group(store, caller, group_id, &[]).await?;
    insert_found(store, caller, &group, ids, users, now).await
}

/// Inserts the memberships of `ids` that name a user of `found` within the caller's scope.
async fn insert_found<S: Store>(
    store: &S,
    caller: &Caller,
    group: &Group,
    ids: Vec<UserId>,
    found: &[User],
    now: OffsetDateTime,
) -> Result<AddMembersOutcome> {
    let found: std::collections::HashMap<&UserId, &User> =
        found.iter().map(|u| (&u.id, u)).collect();
    let mut outcome = AddMembersOutcome::default();
    let mut candidates = Vec::new();
    for id in ids {
        // A user outside the caller's scope answers exactly as an unknown one.
        match found.get(&id) {
            Some(user) if caller.scope.covers(user.department.as_ref()) => {
                candidates.push(Membership {
                    group_id: group.id.clone(),
                    user_id: id,
                    added_at: now,
                    added_by: Some(caller.user_id.clone()),
                    source: MembershipSource::Manual,
                })
            }
            _ => outcome.not_found.push(id),
        }
    }
    if candidates.is_empty() {
        return Ok(outcome);
    }
    let inserted: HashSet<UserId> = store
        .insert_memberships(
            &caller.account_id,
            &group.id,
            GroupKind::Static,
            &candidates,
            &Cause::manual(&caller.user_id, caller.trigger()).at(now),
        )
        .await?
        .into_iter()
        .collect();
    for m in candidates {
        if inserted.contains(&m.user_id) {
            outcome.added.push(m.user_id);
        } else {
            outcome.already_members.push(m.user_id);
        }
    }
    Ok(outcome)
}

pub async fn remove_members<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    user_ids: &[UserId],
    now: OffsetDateTime,
) -> Result<RemoveMembersOutcome> {
    caller.require(Permission::GroupsMembers)?;
    let ids = distinct_ids(user_ids)?;
    // Only a scoped caller needs the users, to judge each one.
    let needed: &[UserId] = match caller.scope {
        Scope::Account => &[],
        Scope::Departments(_) => &ids,
    };
    let (group, found) = load_static_group(store, caller, group_id, needed).await?;
    let mut outcome = RemoveMembersOutcome::default();
    let mut candidates = Vec::new();
    for id in ids {
        // A deleted user's membership may linger; only a scoped caller needs the user to decide.
        let in_scope = match (&caller.scope, found.iter().find(|u| u.id == id)) {
            (Scope::Account, _) => true,
            (scope, Some(user)) => scope.covers(user.department.as_ref()),
            (_, None) => false,
        };
        if in_scope {
            candidates.push(id);
        } else {
            outcome.out_of_scope.push(id);
        }
    }
    if candidates.is_empty() {
        return Ok(outcome);
    }
    let removed: HashSet<UserId> = store
        .delete_memberships(
            &caller.account_id,
            &group.id,
            GroupKind::Static,
            &candidates,
            &Cause::manual(&caller.user_id, caller.trigger()).at(now),
        )
        .await?
        .into_iter()
        .collect();
    for id in candidates {
        if removed.contains(&id) {
            outcome.removed.push(id);
        } else {
            outcome.not_members.push(id);
        }
    }
    Ok(outcome)
}

/// One member as a caller may see them: the directory entry only for callers with
/// `users:view` whose scope includes the member; others by id, marked when outside the scope.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberView {
    pub membership: Membership,
    pub user: Option<User>,
    /// The member (or a user deleted since) lies outside the caller's scope.
    pub out_of_scope: bool,
}

/// A page of a group's members with the directory entries the caller may see.
pub async fn list_members<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    page: &PageRequest,
) -> Result<Page<MemberView>> {
    caller.require(Permission::GroupsView)?;
    get_group(store, caller, group_id).await?;
    let members = store
        .list_members(&caller.account_id, group_id, page)
        .await?;
    member_views(store, caller, members).await
}

/// Members with the directory entries the caller may see (one read of their users).
pub(crate) async fn member_views<S: Store>(
    store: &S,
    caller: &Caller,
    members: Page<Membership>,
) -> Result<Page<MemberView>> {
    let ids: Vec<UserId> = members.items.iter().map(|m| m.user_id.clone()).collect();
    let seen = crate::service_history::directory_entries(store, caller, ids).await?;
    Ok(members.map(|m| {
        let (user, out_of_scope) = seen(&m.user_id);
        MemberView {
            user,
            out_of_scope,
            membership: m,
        }
    }))
}
