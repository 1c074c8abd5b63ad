//! Membership-changed events for downstream consumers (course enrolment). They are derived from
//! the table's own change records (a membership item appearing or disappearing), never from
//! the request that wrote it, so a write whose publication failed or never ran still yields
//! its event. A port: EventBridge in production, a recording sink in memory for the local
//! server and tests.

use crate::error::Result;
use crate::group::{Membership, MembershipSource};
use crate::ids::{AccountId, GroupId, UserId};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MembershipChange {
    Joined,
    Left,
}

impl MembershipChange {
    pub fn name(self) -> &'static str {
        match self {
            MembershipChange::Joined => "joined",
            MembershipChange::Left => "left",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipEvent {
    /// The same for every delivery of one membership change, so consumers de-duplicate on it:
    /// the account, group, user, change and the membership's `addedAt` (a membership that
    /// ends and begins again is a new one).
    pub event_id: String,
    pub account_id: AccountId,
    pub group_id: GroupId,
    pub user_id: UserId,
    pub change: MembershipChange,
    pub source: MembershipSource,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

pub type Publishing<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

pub trait EventSink: Send + Sync {
    fn publish<'a>(&'a self, events: &'a [MembershipEvent]) -> Publishing<'a>;
}

/// Publishes nowhere: for writes that change no membership (creating an empty group).
pub struct NoEvents;

pub static NO_EVENTS: NoEvents = NoEvents;

impl EventSink for NoEvents {
    fn publish<'a>(&'a self, events: &'a [MembershipEvent]) -> Publishing<'a> {
        Box::pin(async move {
            if events.is_empty() {
                Ok(())
            } else {
                Err(crate::Error::Internal(
                    "membership events with nowhere to go: this function has no event bus".into(),
                ))
            }
        })
    }
}

/// Drops what it is given: for seeding demo data and tests that do not look at events.
pub struct Discard;

pub static DISCARD: Discard = Discard;

impl EventSink for Discard {
    fn publish<'a>(&'a self, _: &'a [MembershipEvent]) -> Publishing<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// Keeps what was published, for the local server and tests: the latest [`RECORDED`]
/// events, so a long-running local server does not grow without end.
#[derive(Default)]
pub struct RecordedEvents {
    events: Mutex<std::collections::VecDeque<MembershipEvent>>,
}

/// How many events a [`RecordedEvents`] keeps.
pub const RECORDED: usize = 10_000;

impl RecordedEvents {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<MembershipEvent>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything kept so far, oldest first, leaving nothing kept.
    pub fn take(&self) -> Vec<MembershipEvent> {
        self.lock().drain(..).collect()
    }

    /// The latest events, newest first, keeping them.
    pub fn recent(&self) -> Vec<MembershipEvent> {
        self.lock().iter().rev().take(200).cloned().collect()
    }
}

impl EventSink for RecordedEvents {
    fn publish<'a>(&'a self, events: &'a [MembershipEvent]) -> Publishing<'a> {
        Box::pin(async move {
            let mut kept = self.lock();
            kept.extend(events.iter().cloned());
            let excess = kept.len().saturating_sub(RECORDED);
            kept.drain(..excess);
            Ok(())
        })
    }
}

impl MembershipEvent {
    /// The event of `membership` appearing (`Joined`, at its `addedAt`) or disappearing
    /// (`Left`, at `at`).
    pub fn of(
        account: &AccountId,
        membership: &Membership,
        change: MembershipChange,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            event_id: format!(
                "{account}:{}:{}:{}:{}",
                membership.group_id,
                membership.user_id,
                change.name(),
                membership.added_at.unix_timestamp_nanos()
            ),
            account_id: account.clone(),
            group_id: membership.group_id.clone(),
            user_id: membership.user_id.clone(),
            change,
            source: membership.source,
            at: match change {
                MembershipChange::Joined => membership.added_at,
                MembershipChange::Left => at,
            },
        }
    }

    /// The event a change record carries, if it is a membership's.
    pub fn of_change(change: &crate::ports::Change) -> Option<Self> {
        match change {
            crate::ports::Change::Membership {
                account,
                membership,
                change,
                at,
            } => Some(Self::of(account, membership, *change, *at)),
            _ => None,
        }
    }
}
