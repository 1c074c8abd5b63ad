//! Smart-group evaluation. Convergent and idempotent: every run computes the difference
//! between what the rules say and what is stored, and writes only that, with conditioned
//! writes; a run killed half-way and run again ends in the same membership.
//!
//! - [`evaluate_group`]: one group, in full (rule saved, "re-evaluate now", confirmation).
//! - [`evaluate_user`]: one user against every smart group of the account (a user changed).
//! - [`refresh_account`]: every smart group of an account, one pass over its users per layer
//!   of dependencies (the schedule), resumable from a checkpoint.
//!
//! Users and members are both read in user-id order and merged page by page, so memory holds
//! a page per group, never a whole directory.
use crate::group::Evaluation;
use crate::group::{EvaluationStatus, Group, GroupMode};
use crate::ids::{AccountId, GroupId, UserId};
use crate::rule::{Facts, Rule};
use crate::{Error, Result};
use std::collections::HashSet;
use time::OffsetDateTime;

mod due;
mod group;
mod layers;
mod pass;
mod refresh;
mod user;

pub use group::{
    GroupCheckpoint, GroupOutcome, checkpoint_name, evaluate_group, evaluate_group_within,
    evaluate_request_within, parse_checkpoint_name,
};
pub use pass::Tally;
pub(crate) use pass::{Members, UserScan};
pub use refresh::{RefreshCheckpoint, refresh_account};
pub(crate) use user::UserFacts;
pub use user::{AccountRules, UserOutcome, evaluate_user, evaluate_user_with, user_group_ids};

/// Users read per page.
pub const PAGE: u32 = 200;

/// Holds an evaluation that would remove more than `share` of a group's members, and at least
/// `min_users` of them, until someone confirms it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guard {
    pub share: f64,
    pub min_users: u64,
}

impl Default for Guard {
    fn default() -> Self {
        Self {
            share: 0.5,
            min_users: 100,
        }
    }
}

impl Guard {
    /// Whether removing `leaving` of `members` must wait for a confirmation.
    pub fn holds(&self, members: u64, leaving: u64) -> bool {
        leaving >= self.min_users && leaving as f64 > self.share * members as f64
    }

    /// Whether a group of this size could be held at all (else no counting pass is needed).
    fn could_hold(&self, members: u64) -> bool {
        members >= self.min_users
    }
}

/// Everything an evaluation needs besides the store.
pub struct Evaluator<'a, S> {
    pub store: &'a S,
    pub account: &'a AccountId,
    /// The instant rules are evaluated at (relative dates), and when the run started.
    pub now: OffsetDateTime,
    pub guard: Guard,
    /// Measures the run, so that its finish is a real instant after its start.
    started: std::time::Instant,
    /// Told of each evaluation the run finishes (done or held), for metrics.
    observer: Option<&'a (dyn Fn(&Evaluation) + Sync)>,
    /// What the history names as having set this run in motion (unless a request says).
    pub trigger: crate::history::Trigger,
}

impl<'a, S> Evaluator<'a, S> {
    pub fn new(store: &'a S, account: &'a AccountId, now: OffsetDateTime, guard: Guard) -> Self {
        Self {
            store,
            account,
            now,
            guard,
            started: std::time::Instant::now(),
            observer: None,
            trigger: crate::history::Trigger::Api,
        }
    }

    /// The same evaluator, naming `trigger` in the history of what it changes.
    pub fn triggered_by(mut self, trigger: crate::history::Trigger) -> Self {
        self.trigger = trigger;
        self
    }

    /// The same evaluator, telling `observer` of each evaluation it finishes.
    pub fn observed(mut self, observer: &'a (dyn Fn(&Evaluation) + Sync)) -> Self {
        self.observer = Some(observer);
        self
    }

    fn observe(&self, evaluation: &Evaluation) {
        if let Some(observer) = self.observer {
            observer(evaluation);
        }
    }

    /// Now, as far as this run can tell: its start plus the time it has taken.
    fn elapsed_now(&self) -> OffsetDateTime {
        self.now + self.started.elapsed()
    }
}

/// A compiled smart group.
struct Smart {
    group: Group,
    rule: Rule,
}

impl Smart {
    fn new(group: Group) -> Result<Self> {
        let json = group
            .rule
            .as_ref()
            .ok_or_else(|| Error::Internal(format!("smart group {} has no rule", group.id)))?;
        let rule = Rule::compile(json)?;
        Ok(Self { group, rule })
    }

    /// Why a change by this rule happens, in a run set in motion by `trigger`.
    fn cause(&self, trigger: crate::history::Trigger) -> crate::history::Cause {
        crate::history::Cause::rule(Some(self.group.version), trigger)
    }

    fn is_held(&self) -> bool {
        self.group
            .evaluation
            .as_ref()
            .is_some_and(|e| e.status == EvaluationStatus::Held)
    }

    fn is_paused(&self) -> bool {
        self.group.mode == GroupMode::Paused
    }

    /// The rule adds members; leaves (a deleted user's too) wait for the return to active.
    fn adds_only(&self) -> bool {
        self.group.mode == GroupMode::AddOnly
    }
}

pub(crate) struct SetFacts<'a> {
    pub(crate) now: OffsetDateTime,
    pub(crate) members: &'a HashSet<(GroupId, UserId)>,
}

impl Facts for SetFacts<'_> {
    fn now(&self) -> OffsetDateTime {
        self.now
    }
    fn is_member(&self, group: &GroupId, user: &UserId) -> bool {
        self.members.contains(&(group.clone(), user.clone()))
    }
}
