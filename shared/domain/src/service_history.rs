//! Use cases of membership history (DESIGN §11): a group's and a user's joins and leaves with
//! their causes, newest first, and a group's members as of a past instant.

use crate::caller::{Caller, Scope};
use crate::error::{Error, Result};
use crate::events::MembershipChange;
use crate::group::{Group, Membership};
use crate::history::{HistoryEntry, RETENTION_DAYS};
use crate::ids::{GroupId, UserId};
use crate::page::{Page, PageRequest};
use crate::ports::Store;
use crate::role::Permission;
use crate::service::get_group;
use crate::user::User;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A group's history entry with the member's directory entry, as the member list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupHistoryView {
    pub entry: HistoryEntry,
    pub user: Option<User>,
    pub out_of_scope: bool,
}

/// A user's history entry with the group's title (absent when the group is gone).
#[derive(Debug, Clone, PartialEq)]
pub struct UserHistoryView {
    pub entry: HistoryEntry,
    pub group_title: Option<String>,
}

/// Users' directory entries as the caller may see them: (entry, out of scope).
pub(crate) async fn directory_entries<S: Store>(
    store: &S,
    caller: &Caller,
    mut ids: Vec<UserId>,
) -> Result<impl Fn(&UserId) -> (Option<User>, bool)> {
    // A history page names a user once per change; a batch read takes each key once.
    ids.sort();
    ids.dedup();
    let users = store.get_users(&caller.account_id, &ids).await?;
    let may_view = caller.permissions.contains(Permission::UsersView);
    let scope = caller.scope.clone();
    Ok(move |id: &UserId| {
        let user = users.iter().find(|u| &u.id == id);
        let in_scope = user.is_some_and(|u| scope.covers(u.department.as_ref()));
        (user.filter(|_| in_scope && may_view).cloned(), !in_scope)
    })
}

/// A group's joins and leaves, newest first (one Query a page).
pub async fn group_history<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    page: &PageRequest,
    now: OffsetDateTime,
) -> Result<Page<GroupHistoryView>> {
    get_group(store, caller, group_id).await?;
    let entries = store
        .group_history(&caller.account_id, group_id, now, page)
        .await?;
    let ids = entries.items.iter().map(|e| e.user_id.clone()).collect();
    let seen = directory_entries(store, caller, ids).await?;
    Ok(entries.map(|entry| {
        let (user, out_of_scope) = seen(&entry.user_id);
        GroupHistoryView {
            entry,
            user,
            out_of_scope,
        }
    }))
}

/// A user's joins and leaves, newest first. The user must be one the caller may see; a deleted
/// user's history stays readable to account-wide callers. Entries of groups outside the
/// caller's scope (or deleted, for a scoped caller) are left out of the page.
pub async fn user_history<S: Store>(
    store: &S,
    caller: &Caller,
    user_id: &UserId,
    page: &PageRequest,
    now: OffsetDateTime,
) -> Result<Page<UserHistoryView>> {
    caller.require(Permission::UsersView)?;
    caller.require(Permission::GroupsView)?;
    let user = store.get_user(&caller.account_id, user_id).await?;
    let visible = match (&caller.scope, &user) {
        (Scope::Account, _) => true,
        (scope, Some(u)) => scope.covers(u.department.as_ref()),
        (_, None) => false,
    };
    if !visible {
        return Err(Error::not_found("user", user_id.as_str()));
    }
    let entries = store
        .user_history(&caller.account_id, user_id, now, page)
        .await?;
    let mut ids: Vec<GroupId> = entries.items.iter().map(|e| e.group_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let groups: Vec<Group> = store.get_groups(&caller.account_id, &ids).await?;
    let items = entries
        .items
        .into_iter()
        .filter_map(|entry| {
            let group = groups.iter().find(|g| g.id == entry.group_id);
            match (group, &caller.scope) {
                (Some(g), scope) if scope.covers(g.owner_department.as_ref()) => {
                    Some(UserHistoryView {
                        group_title: Some(g.title.clone()),
                        entry,
                    })
                }
                (None, Scope::Account) => Some(UserHistoryView {
                    entry,
                    group_title: None,
                }),
                _ => None,
            }
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: entries.next_cursor,
    })
}

/// A member as of a past instant: the membership when it is still the one in force now;
/// `None` for someone who has left since (when they joined is before the history read).
#[derive(Debug, Clone, PartialEq)]
pub struct AsOfMember {
    pub user_id: UserId,
    pub membership: Option<Membership>,
    pub user: Option<User>,
    pub out_of_scope: bool,
}

/// Members read a page at a time to rebuild a past membership.
const MEMBER_READ: u32 = 1000;

/// The group's members as of `as_of` (within the retention), by user id: today's members,
/// with every join and leave after `as_of` undone, newest first.
pub async fn members_as_of<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    as_of: OffsetDateTime,
    page: &PageRequest,
    now: OffsetDateTime,
) -> Result<Page<AsOfMember>> {
    get_group(store, caller, group_id).await?;
    if as_of > now {
        return Err(Error::validation("asOf", "must not be in the future"));
    }
    if as_of < now - time::Duration::days(RETENTION_DAYS) {
        return Err(Error::validation(
            "asOf",
            format!("history is kept for {RETENTION_DAYS} days; asOf must be within them"),
        ));
    }
    let account = &caller.account_id;
    let mut members: BTreeMap<UserId, Option<Membership>> = BTreeMap::new();
    let mut request = PageRequest {
        limit: MEMBER_READ,
        cursor: None,
    };
    loop {
        let read = store.list_members(account, group_id, &request).await?;
        members.extend(read.items.into_iter().map(|m| (m.user_id.clone(), Some(m))));
        match read.next_cursor {
            Some(c) => request.cursor = Some(c),
            None => break,
        }
    }
    let mut request = PageRequest {
        limit: MEMBER_READ,
        cursor: None,
    };
    'history: loop {
        let read = store
            .group_history(account, group_id, now, &request)
            .await?;
        for entry in read.items {
            if entry.at <= as_of {
                break 'history;
            }
            match entry.change {
                MembershipChange::Joined => members.remove(&entry.user_id),
                MembershipChange::Left => members.insert(entry.user_id, None),
            };
        }
        match read.next_cursor {
            Some(c) => request.cursor = Some(c),
            None => break,
        }
    }
    let rows: Vec<(UserId, Option<Membership>)> = members
        .into_iter()
        .filter(|(id, _)| page.cursor.as_deref().is_none_or(|c| id.as_str() > c))
        .take(page.limit as usize + 1)
        .collect();
    let chosen = Page::from_overfetch(rows, page.limit, |(id, _)| id.to_string());
    let ids = chosen.items.iter().map(|(id, _)| id.clone()).collect();
    let seen = directory_entries(store, caller, ids).await?;
    Ok(chosen.map(|(user_id, membership)| {
        let (user, out_of_scope) = seen(&user_id);
        AsOfMember {
            user_id,
            membership,
            user,
            out_of_scope,
        }
    }))
}
