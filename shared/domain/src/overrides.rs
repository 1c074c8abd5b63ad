//! Overrides of a smart group (DESIGN §11): one person in or out whatever the rule says, with a
//! reason, the actor and an optional expiry. Members = (rule ∪ include) − exclude, within the
//! group's department. They are kept on the group itself, so every evaluation path that reads
//! the rule reads them too, at no extra cost.

use crate::group::Group;
use crate::ids::UserId;
use crate::user::User;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Most overrides one group keeps: they travel with the group item (a listing page of groups
/// stays small, and an item stays far below DynamoDB's 400 KB).
pub const MAX_OVERRIDES: usize = 100;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OverrideEffect {
    /// A member even when the rule says no.
    Include,
    /// Never a member, even when the rule says yes.
    Exclude,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Override {
    pub user_id: UserId,
    pub effect: OverrideEffect,
    pub reason: String,
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// After this instant the override lapses: evaluations ignore it and the schedule drops it.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<OffsetDateTime>,
}

impl Override {
    pub fn in_force(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

impl Group {
    /// The override of `user` that applies at `now`.
    pub fn override_in_force(&self, user: &UserId, now: OffsetDateTime) -> Option<&Override> {
        self.overrides
            .iter()
            .find(|o| &o.user_id == user && o.in_force(now))
    }

    /// Whether `user` belongs: (rule ∪ include) − exclude, and only within the group's
    /// department. `rule_matches` is asked only when no override decides.
    pub fn decides(
        &self,
        user: &User,
        now: OffsetDateTime,
        rule_matches: impl FnOnce() -> bool,
    ) -> bool {
        if !self.covers_user(user) {
            return false;
        }
        match self.override_in_force(&user.id, now).map(|o| o.effect) {
            Some(OverrideEffect::Include) => true,
            Some(OverrideEffect::Exclude) => false,
            None => rule_matches(),
        }
    }

    /// Whether some override has lapsed by `now` (the schedule then drops it).
    pub fn has_lapsed_overrides(&self, now: OffsetDateTime) -> bool {
        self.overrides.iter().any(|o| !o.in_force(now))
    }
}
