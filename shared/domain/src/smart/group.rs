//! One smart group in full: rule saved, "re-evaluate now", a confirmation.

use crate::group::{Evaluation, EvaluationStatus, GroupKind};
use crate::ids::{AccountId, GroupId, UserId};
use crate::ports::Store;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

use super::pass::{Members, Mode, Run, Tally};
use super::{Evaluator, Smart};
use crate::ports::RecordIf;

/// Where a group evaluation stopped at its time budget, to continue from in a new invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupCheckpoint {
    /// Counting for the guard (else applying).
    counting: bool,
    after_user: UserId,
    tally: Tally,
    /// The run's recorded state (the request it serves, its start).
    running: Evaluation,
}

/// A group evaluation's end: finished, or stopped at its budget with where to continue.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupOutcome {
    Finished(Evaluation),
    Stopped(GroupCheckpoint),
}

/// The checkpoint name of one group's evaluation (see [`parse_checkpoint_name`]).
pub fn checkpoint_name(account: &AccountId, group: &GroupId) -> String {
    format!("evaluate/{account}/{group}")
}

/// The account and group a [`checkpoint_name`] names.
pub fn parse_checkpoint_name(name: &str) -> Option<(AccountId, GroupId)> {
    let mut parts = name.strip_prefix("evaluate/")?.split('/');
    let account = AccountId::parse("checkpoint", parts.next()?).ok()?;
    let group = GroupId::parse("checkpoint", parts.next()?).ok()?;
    parts.next().is_none().then_some((account, group))
}

/// Evaluates one smart group in full, honouring the guard unless the request was confirmed.
pub async fn evaluate_group<S: Store>(
    ev: &Evaluator<'_, S>,
    group_id: &GroupId,
) -> Result<Evaluation> {
    match evaluate_group_within(ev, group_id, None, &|| false).await? {
        GroupOutcome::Finished(evaluation) => Ok(evaluation),
        GroupOutcome::Stopped(_) => Err(Error::Internal(
            "an evaluation without a budget stopped".into(),
        )),
    }
}

/// [`evaluate_group`] within a time budget: stops between pages when `out_of_time` says so,
/// answering where to continue (`resume`, in the next invocation).
pub async fn evaluate_group_within<S: Store>(
    ev: &Evaluator<'_, S>,
    group_id: &GroupId,
    resume: Option<GroupCheckpoint>,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<GroupOutcome> {
    evaluate(ev, group_id, resume, out_of_time, false).await
}

/// [`evaluate_group_within`] for a request read from the stream: a request already served
/// (done, held or failed since) starts no second pass. Several requests made while one was
/// queued, or the same record delivered twice, make one pass.
pub async fn evaluate_request_within<S: Store>(
    ev: &Evaluator<'_, S>,
    group_id: &GroupId,
    resume: Option<GroupCheckpoint>,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<GroupOutcome> {
    evaluate(ev, group_id, resume, out_of_time, true).await
}

async fn evaluate<S: Store>(
    ev: &Evaluator<'_, S>,
    group_id: &GroupId,
    resume: Option<GroupCheckpoint>,
    out_of_time: &(dyn Fn() -> bool + Sync),
    only_pending: bool,
) -> Result<GroupOutcome> {
    let group = ev
        .store
        .get_group(ev.account, group_id)
        .await?
        .filter(|g| g.kind == GroupKind::Smart)
        .ok_or_else(|| Error::not_found("smart group", group_id.as_str()))?;
    // A paused group is not evaluated: its request waits, and resuming makes a new one.
    if group.mode == crate::group::GroupMode::Paused {
        let waiting = match (&group.evaluation, resume) {
            (Some(e), _) => e.clone(),
            (None, Some(cp)) => cp.running,
            (None, None) => Evaluation::queued(ev.now, false),
        };
        return Ok(GroupOutcome::Finished(waiting));
    }
    let (running, counting, after, tally) = match resume {
        Some(cp) => {
            // A newer request took over since: its own run serves it.
            let current = group.evaluation.as_ref().map(|e| e.requested_at);
            if current != Some(cp.running.requested_at) {
                return Ok(GroupOutcome::Finished(cp.running));
            }
            (cp.running, cp.counting, Some(cp.after_user), cp.tally)
        }
        None => {
            if let Some(served) = group.evaluation.as_ref().filter(|e| {
                only_pending
                    && matches!(
                        e.status,
                        EvaluationStatus::Done | EvaluationStatus::Held | EvaluationStatus::Failed
                    )
            }) {
                return Ok(GroupOutcome::Finished(served.clone()));
            }
            let base = group
                .evaluation
                .clone()
                .unwrap_or_else(|| Evaluation::queued(ev.now, false));
            // The run serves the request it read; one made meanwhile is left for its own run.
            let serving = match &group.evaluation {
                Some(e) => RecordIf::Serving(e.requested_at),
                None => RecordIf::Always,
            };
            let running = Evaluation {
                status: EvaluationStatus::Running,
                started_at: Some(ev.now),
                finished_at: None,
                ..base.clone()
            };
            if !ev.record(group_id, &running, serving).await? {
                return Ok(GroupOutcome::Finished(running));
            }
            let counting = !base.confirmed && ev.guard.could_hold(group.member_count);
            (running, counting, None, Tally::default())
        }
    };
    let serving = RecordIf::Serving(running.requested_at);
    let members = group.member_count;
    let stopped = |counting: bool, user: UserId, tally: Tally| {
        GroupOutcome::Stopped(GroupCheckpoint {
            counting,
            after_user: user,
            tally,
            running: running.clone(),
        })
    };
    let (mut after, mut tally) = (after, tally);
    if counting {
        let mut runs = vec![Run::new(
            Smart::new(group.clone())?,
            Members::starting_after(after.as_ref()),
            tally,
            Mode::Count,
            running.trigger.unwrap_or(ev.trigger),
        )];
        if let Some(user) = ev.pass(&mut runs, after.clone(), out_of_time).await? {
            return Ok(stopped(true, user, runs[0].tally));
        }
        let counted = runs[0].tally;
        if ev.guard.holds(members, counted.left) {
            let held = ev.finished(
                &running,
                EvaluationStatus::Held,
                Tally { left: 0, ..counted },
                counted.left,
            );
            ev.observe(&held);
            ev.record(group_id, &held, serving).await?;
            return Ok(GroupOutcome::Finished(held));
        }
        (after, tally) = (None, Tally::default());
    }
    let mut run = Run::new(
        Smart::new(group)?,
        Members::starting_after(after.as_ref()),
        tally,
        Mode::Apply,
        running.trigger.unwrap_or(ev.trigger),
    );
    run.progress = Some(running.clone());
    let mut runs = vec![run];
    if let Some(user) = ev.pass(&mut runs, after, out_of_time).await? {
        return Ok(stopped(false, user, runs[0].tally));
    }
    let done = ev.finished(&running, EvaluationStatus::Done, runs[0].tally, 0);
    ev.observe(&done);
    ev.record(group_id, &done, serving).await?;
    Ok(GroupOutcome::Finished(done))
}
