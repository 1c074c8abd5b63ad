//! Membership-changed events for downstream consumers (course enrolment). A port: EventBridge
//! in production, a recording sink in memory for the local server and tests.

use crate::error::Result;
use crate::group::MembershipSource;
use crate::ids::{AccountId, GroupId, UserId};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MembershipChange {
    Joined,
    Left,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipEvent {
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

/// Keeps what was published, for the local server and tests.
#[derive(Default)]
pub struct RecordedEvents {
    events: Mutex<Vec<MembershipEvent>>,
}

impl RecordedEvents {
    pub fn take(&self) -> Vec<MembershipEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl EventSink for RecordedEvents {
    fn publish<'a>(&'a self, events: &'a [MembershipEvent]) -> Publishing<'a> {
        Box::pin(async move {
            self.events
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(events);
            Ok(())
        })
    }
}

/// Builds the events of one membership write.
pub fn events_for(
    account: &AccountId,
    group: &GroupId,
    users: &[UserId],
    change: MembershipChange,
    source: MembershipSource,
    at: OffsetDateTime,
) -> Vec<MembershipEvent> {
    users
        .iter()
        .map(|user| MembershipEvent {
            account_id: account.clone(),
            group_id: group.clone(),
            user_id: user.clone(),
            change,
            source,
            at,
        })
        .collect()
}
