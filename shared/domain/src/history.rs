//! Membership history (DESIGN §11): every join and leave with its cause, per group and per user,
//! newest first, kept for [`RETENTION_DAYS`].
//!
//! A membership write records what it did and why on the count item it updates anyway, in the
//! same write ([`MemberWrite`]). The table's stream reports that record, and the stream consumer
//! turns it into history entries ([`record_history`]), so the history is exact and never lost
//! while a membership write costs no extra item.

use crate::error::Result;
use crate::events::MembershipChange;
use crate::ids::{AccountId, GroupId, UserId};
use crate::page::{Page, PageRequest};
use crate::ports::Change;
use serde::{Deserialize, Serialize};
use std::future::Future;
use time::OffsetDateTime;

/// How long history is kept (and how far back "as of" reaches).
pub const RETENTION_DAYS: i64 = 400;

/// What set the change in motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Trigger {
    /// A request to the admin API: a manual change, an override, a saved rule, a re-evaluation.
    Api,
    /// A user was created, changed or deleted.
    UserChange,
    /// A group that the rule references changed its members.
    ReferencedGroup,
    /// The schedule: the daily refresh, a lapsed override, a scheduled rule version.
    Schedule,
    /// A department moved.
    DepartmentMove,
    /// An identity provider (SCIM) or a directory import.
    Provisioning,
}

/// Why a membership changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CauseKind {
    /// Added or removed by hand (`by` names who).
    Manual,
    /// The smart group's rule (`ruleVersion` names which).
    Rule,
    /// An include or exclude override.
    Override,
    /// The group was deleted.
    GroupDeleted,
    /// The user was deleted.
    UserDeleted,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    pub kind: CauseKind,
    pub trigger: Trigger,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserId>,
    /// The group's version when the rule in force was saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_version: Option<u64>,
}

impl Cause {
    pub fn manual(by: &UserId, trigger: Trigger) -> Self {
        Self {
            kind: CauseKind::Manual,
            trigger,
            by: Some(by.clone()),
            rule_version: None,
        }
    }

    pub fn rule(rule_version: Option<u64>, trigger: Trigger) -> Self {
        Self {
            kind: CauseKind::Rule,
            trigger,
            by: None,
            rule_version,
        }
    }

    pub fn of_override(by: &UserId) -> Self {
        Self {
            kind: CauseKind::Override,
            trigger: Trigger::Api,
            by: Some(by.clone()),
            rule_version: None,
        }
    }

    pub fn group_deleted(by: &UserId) -> Self {
        Self {
            kind: CauseKind::GroupDeleted,
            trigger: Trigger::Api,
            by: Some(by.clone()),
            rule_version: None,
        }
    }

    pub fn user_deleted(trigger: Trigger) -> Self {
        Self {
            kind: CauseKind::UserDeleted,
            trigger,
            by: None,
            rule_version: None,
        }
    }

    /// This cause of a write at `at`.
    pub fn at(&self, at: OffsetDateTime) -> Stamp {
        Stamp {
            cause: self.clone(),
            at,
        }
    }
}

/// Why and when (by the writer's clock) a membership write happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub cause: Cause,
    pub at: OffsetDateTime,
}

/// One membership write of one group, as recorded beside the count it changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberWrite {
    pub change: MembershipChange,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub cause: Cause,
    pub users: Vec<UserId>,
}

/// One join or leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub group_id: GroupId,
    pub user_id: UserId,
    pub change: MembershipChange,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub cause: Cause,
}

impl HistoryEntry {
    /// The entries a write records.
    pub fn of_write(group: &GroupId, write: &MemberWrite) -> Vec<HistoryEntry> {
        write
            .users
            .iter()
            .map(|user| HistoryEntry {
                group_id: group.clone(),
                user_id: user.clone(),
                change: write.change,
                at: write.at,
                cause: write.cause.clone(),
            })
            .collect()
    }

    /// The sort key within the group's history (newest last in key order).
    pub fn group_key(&self) -> String {
        sort_key(self.at, self.user_id.as_str(), self.change)
    }

    /// The sort key within the user's history.
    pub fn user_key(&self) -> String {
        sort_key(self.at, self.group_id.as_str(), self.change)
    }

    /// When the entry leaves the history (seconds since the epoch: DynamoDB's TTL).
    pub fn expires_at(&self) -> i64 {
        (self.at + time::Duration::days(RETENTION_DAYS)).unix_timestamp()
    }
}

/// Orders by instant, then by the other id: the same in every adapter, so cursors agree.
pub fn sort_key(at: OffsetDateTime, id: &str, change: MembershipChange) -> String {
    let nanos = at.unix_timestamp_nanos().max(0);
    let change = match change {
        MembershipChange::Joined => 'j',
        MembershipChange::Left => 'l',
    };
    format!("{nanos:020}#{id}#{change}")
}

/// The lowest sort key still within the retention at `now`.
pub fn retention_floor(now: OffsetDateTime) -> String {
    let floor = (now - time::Duration::days(RETENTION_DAYS))
        .unix_timestamp_nanos()
        .max(0);
    format!("{floor:020}")
}

/// Storage of history entries.
pub trait HistoryStore: Send + Sync {
    /// Writes entries (rewriting one already there: stream records may be delivered twice).
    fn append_history(
        &self,
        account: &AccountId,
        entries: &[HistoryEntry],
    ) -> impl Future<Output = Result<()>> + Send;
    /// A group's entries newest first, none older than the retention at `now` (one Query).
    fn group_history(
        &self,
        account: &AccountId,
        group: &GroupId,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<HistoryEntry>>> + Send;
    /// A user's entries newest first, none older than the retention at `now` (one Query).
    fn user_history(
        &self,
        account: &AccountId,
        user: &UserId,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<HistoryEntry>>> + Send;
}

/// Records the history of the membership writes among `changes`; answers how many entries.
pub async fn record_history<S: HistoryStore>(store: &S, changes: &[Change]) -> Result<usize> {
    let mut recorded = 0;
    for change in changes {
        if let Change::MembersWritten {
            account,
            group,
            write,
        } = change
        {
            let entries = HistoryEntry::of_write(group, write);
            for chunk in entries.chunks(HISTORY_WRITE_CHUNK) {
                store.append_history(account, chunk).await?;
            }
            recorded += entries.len();
        }
    }
    Ok(recorded)
}

/// Entries one [`HistoryStore::append_history`] call is given (DynamoDB writes 25 a call).
pub const HISTORY_WRITE_CHUNK: usize = 25;
