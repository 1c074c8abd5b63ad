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
use crate::service::{visible, writable};
use crate::service_members::{MemberView, add_members, member_views};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// Most rows one import takes (one add-members call's worth).
pub const MAX_IMPORT_ROWS: usize = 1000;
/// Most members one export response carries (about 6 MB of CSV, the most a Lambda response
/// carries); a larger group's export continues at the response's `Link: rel="next"`.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowResult {
    pub line: usize,
    pub value: String,
    pub outcome: RowOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
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
    check_rows(&rows, MAX_IMPORT_ROWS, "split the file")?;
    let resolved = prepare_import(store, caller, group_id, rows).await?;
    let mut outcome = ImportOutcome::default();
    for result in apply_rows(store, caller, group_id, resolved, now).await? {
        outcome.count(&result);
        outcome.rows.push(result);
    }
    Ok(outcome)
}

/// Refuses an empty file, or one over `max` rows.
pub(crate) fn check_rows(rows: &[ImportRow], max: usize, advice: &str) -> Result<()> {
    if rows.is_empty() {
        return Err(Error::validation(
            "body",
            "the file has no rows below its header",
        ));
    }
    if rows.len() > max {
        return Err(Error::validation(
            "body",
            format!("at most {max} rows per import; {advice}"),
        ));
    }
    Ok(())
}

/// A row with its user found (or its outcome already known), before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedRow {
    pub line: usize,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Known without writing: invalid, not found, or a repeat of an earlier row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early: Option<RowOutcome>,
}

/// Checks that the caller may add members to this static group, and finds each row's user
/// (emails among the users the caller may see, read once); repeats of a user are marked.
pub(crate) async fn prepare_import<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    rows: Vec<ImportRow>,
) -> Result<Vec<ResolvedRow>> {
    caller.require(Permission::GroupsMembers)?;
    // The group first: an unknown, out-of-scope or smart group reads no directory.
    let group = writable(
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
    let mut resolved = Vec::with_capacity(rows.len());
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
        resolved.push(ResolvedRow {
            line: row.line,
            value,
            user_id: found,
            early,
        });
    }
    Ok(resolved)
}

/// Adds the users of resolved rows (the caller's scope judged again as they are written) and
/// answers each row's outcome.
pub(crate) async fn apply_rows<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    rows: Vec<ResolvedRow>,
    now: OffsetDateTime,
) -> Result<Vec<RowResult>> {
    let ids: Vec<UserId> = rows
        .iter()
        .filter(|r| r.early.is_none())
        .filter_map(|r| r.user_id.clone())
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
    Ok(rows
        .into_iter()
        .map(|row| {
            let result = row.early.unwrap_or(match &row.user_id {
                Some(id) if joined.contains(id) => RowOutcome::Added,
                Some(id) if already.contains(id) => RowOutcome::AlreadyMember,
                _ => RowOutcome::NotFound,
            });
            RowResult {
                line: row.line,
                value: row.value,
                // An id is echoed only once it proved to name a user the caller may see.
                user_id: row.user_id.filter(|_| {
                    matches!(
                        result,
                        RowOutcome::Added | RowOutcome::AlreadyMember | RowOutcome::Duplicate
                    )
                }),
                outcome: result,
            }
        })
        .collect())
}

impl ImportOutcome {
    pub(crate) fn count(&mut self, row: &RowResult) {
        match row.outcome {
            RowOutcome::Added => self.added += 1,
            RowOutcome::AlreadyMember => self.already_members += 1,
            RowOutcome::NotFound => self.not_found += 1,
            RowOutcome::Invalid => self.invalid += 1,
            RowOutcome::Duplicate => self.duplicates += 1,
        }
    }
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

/// A group's members as the caller may see them, in user-id order, from `cursor`: up to
/// [`MAX_EXPORT_MEMBERS`] (one response's worth), with the cursor of the rest.
pub async fn export_members<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    cursor: Option<String>,
) -> Result<(Vec<MemberView>, Option<String>)> {
    caller.require(Permission::GroupsView)?;
    let group = visible(
        caller,
        store.get_group(&caller.account_id, group_id).await?,
        group_id,
    )?;
    let mut out = Vec::with_capacity((group.member_count as usize).min(MAX_EXPORT_MEMBERS));
    let mut cursor = cursor;
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
            next => return Ok((out, next)),
        }
    }
}
