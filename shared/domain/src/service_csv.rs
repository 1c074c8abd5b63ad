//! A group's members in and out of a spreadsheet (DESIGN §11): import a static group's members
//! by id or email with an outcome per row, and export every member. The file format (CSV) is
//! the HTTP layer's; here a file is its rows.

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::group::GroupKind;
use crate::ids::{GroupId, UserId};
use crate::page::PageRequest;
use crate::ports::{Store, UserQuery};
use crate::role::Permission;
use crate::service::visible;
use crate::service_members::{MemberView, add_members, member_views};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// Most rows one import takes (one add-members call's worth).
pub const MAX_IMPORT_ROWS: usize = 1000;
/// Most members one export answers: about 6 MB of CSV, the most a Lambda response carries.
pub const MAX_EXPORT_MEMBERS: usize = 40_000;

/// How a row names its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKey {
    Id(String),
    Email(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The row's line in the file (the header is line 1).
    pub line: usize,
    pub key: RowKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RowOutcome {
    Added,
    AlreadyMember,
    /// No user the caller may see has this id or email (out of scope reads as unknown).
    NotFound,
    /// Not an id or an email at all.
    Invalid,
    /// The same user as an earlier row.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowResult {
    pub line: usize,
    pub value: String,
    pub outcome: RowOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcome {
    pub added: usize,
    pub already_members: usize,
    pub not_found: usize,
    pub invalid: usize,
    pub duplicates: usize,
    pub rows: Vec<RowResult>,
}

/// Adds the users the rows name to a static group, answering each row's outcome.
pub async fn import_members<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    rows: Vec<ImportRow>,
    now: OffsetDateTime,
) -> Result<ImportOutcome> {
    caller.require(Permission::GroupsMembers)?;
    if rows.is_empty() {
        return Err(Error::validation(
            "body",
            "the file has no rows below its header",
        ));
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(Error::validation(
            "body",
            format!("at most {MAX_IMPORT_ROWS} rows per import; split the file"),
        ));
    }
    // The group first: an unknown, out-of-scope or smart group reads no directory.
    let group = visible(
        caller,
        store.get_group(&caller.account_id, group_id).await?,
        group_id,
    )?;
    if group.kind == GroupKind::Smart {
        return Err(Error::SmartGroupMembership {
            group_id: group_id.to_string(),
        });
    }
    let by_email = if rows.iter().any(|r| matches!(r.key, RowKey::Email(_))) {
        emails_in_scope(store, caller).await?
    } else {
        HashMap::new()
    };
    let mut seen = HashSet::new();
    let mut resolved: Vec<(ImportRow, String, Option<UserId>, Option<RowOutcome>)> = Vec::new();
    for row in rows {
        let (value, found, early) = match &row.key {
            RowKey::Id(raw) => match UserId::parse("userId", raw.trim()) {
                Ok(id) => (raw.trim().to_owned(), Some(id), None),
                Err(_) => (raw.clone(), None, Some(RowOutcome::Invalid)),
            },
            RowKey::Email(raw) => {
                let email = raw.trim().to_lowercase();
                if !email.contains('@') {
                    (raw.clone(), None, Some(RowOutcome::Invalid))
                } else {
                    match by_email.get(&email) {
                        Some(id) => (raw.trim().to_owned(), Some(id.clone()), None),
                        None => (raw.trim().to_owned(), None, Some(RowOutcome::NotFound)),
                    }
                }
            }
        };
        let early = match (&found, early) {
            (Some(id), None) if !seen.insert(id.clone()) => Some(RowOutcome::Duplicate),
            (_, early) => early,
        };
        resolved.push((row, value, found, early));
    }
    let ids: Vec<UserId> = resolved
        .iter()
        .filter(|(.., early)| early.is_none())
        .filter_map(|(_, _, id, _)| id.clone())
        .collect();
    let added = if ids.is_empty() {
        Default::default()
    } else {
        add_members(store, caller, group_id, &ids, now).await?
    };
    let (joined, already): (HashSet<&UserId>, HashSet<&UserId>) = (
        added.added.iter().collect(),
        added.already_members.iter().collect(),
    );
    let mut outcome = ImportOutcome::default();
    for (row, value, id, early) in resolved {
        let result = early.unwrap_or(match &id {
            Some(id) if joined.contains(id) => RowOutcome::Added,
            Some(id) if already.contains(id) => RowOutcome::AlreadyMember,
            _ => RowOutcome::NotFound,
        });
        match result {
            RowOutcome::Added => outcome.added += 1,
            RowOutcome::AlreadyMember => outcome.already_members += 1,
            RowOutcome::NotFound => outcome.not_found += 1,
            RowOutcome::Invalid => outcome.invalid += 1,
            RowOutcome::Duplicate => outcome.duplicates += 1,
        }
        outcome.rows.push(RowResult {
            line: row.line,
            value,
            // An id is echoed only once it proved to name a user the caller may see.
            user_id: id.filter(|_| {
                matches!(
                    result,
                    RowOutcome::Added | RowOutcome::AlreadyMember | RowOutcome::Duplicate
                )
            }),
            outcome: result,
        });
    }
    Ok(outcome)
}

/// Lower-cased email → user, over the users the caller may see (one paged pass).
async fn emails_in_scope<S: Store>(store: &S, caller: &Caller) -> Result<HashMap<String, UserId>> {
    let mut map = HashMap::new();
    let mut cursor = None;
    loop {
        let query = UserQuery {
            page: PageRequest { limit: 200, cursor },
            ..UserQuery::default()
        };
        let page = store
            .list_users(&caller.account_id, &caller.scope, &query)
            .await?;
        for user in page.items {
            map.insert(user.email.to_lowercase(), user.id);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(map),
        }
    }
}

/// Every member of a group as the caller may see them, in user-id order.
pub async fn export_members<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
) -> Result<Vec<MemberView>> {
    caller.require(Permission::GroupsView)?;
    let group = visible(
        caller,
        store.get_group(&caller.account_id, group_id).await?,
        group_id,
    )?;
    if group.member_count as usize > MAX_EXPORT_MEMBERS {
        return Err(Error::validation(
            "Accept",
            format!(
                "a CSV export holds at most {MAX_EXPORT_MEMBERS} members; page the JSON listing instead"
            ),
        ));
    }
    let mut out = Vec::with_capacity(group.member_count as usize);
    let mut cursor = None;
    loop {
        let page = store
            .list_members(
                &caller.account_id,
                group_id,
                &PageRequest { limit: 200, cursor },
            )
            .await?;
        let next = page.next_cursor.clone();
        out.extend(member_views(store, caller, page).await?.items);
        match next {
            Some(c) if out.len() < MAX_EXPORT_MEMBERS => cursor = Some(c),
            _ => return Ok(out),
        }
    }
}
