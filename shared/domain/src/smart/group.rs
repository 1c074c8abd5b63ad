//! One smart group in full: rule saved, "re-evaluate now", a confirmation.

use crate::group::{Evaluation, EvaluationStatus, GroupKind};
use crate::ids::GroupId;
use crate::ports::Store;

use crate::{Error, Result};

use super::pass::{Members, Mode, Run, Tally};
use super::{Evaluator, Smart};
use crate::ports::RecordIf;

/// Evaluates one smart group in full, honouring the guard unless the request was confirmed.
pub async fn evaluate_group<S: Store>(
    ev: &Evaluator<'_, S>,
    group_id: &GroupId,
) -> Result<Evaluation> {
    let group = ev
        .store
        .get_group(ev.account, group_id)
        .await?
        .filter(|g| g.kind == GroupKind::Smart)
        .ok_or_else(|| Error::not_found("smart group", group_id.as_str()))?;
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
        return Ok(running);
    }
    let serving = RecordIf::Serving(running.requested_at);
    let members = group.member_count;
    let never = || false;
    if !base.confirmed && ev.guard.could_hold(members) {
        let mut runs = vec![Run::new(
            Smart::new(group.clone())?,
            Members::new(),
            Tally::default(),
            Mode::Count,
        )];
        ev.pass(&mut runs, None, &never).await?;
        let tally = runs[0].tally;
        if ev.guard.holds(members, tally.left) {
            let held = ev.finished(
                &running,
                EvaluationStatus::Held,
                Tally { left: 0, ..tally },
                tally.left,
            );
            ev.record(group_id, &held, serving).await?;
            return Ok(held);
        }
    }
    let mut run = Run::new(
        Smart::new(group)?,
        Members::new(),
        Tally::default(),
        Mode::Apply,
    );
    run.progress = Some(running.clone());
    let mut runs = vec![run];
    ev.pass(&mut runs, None, &never).await?;
    let done = ev.finished(&running, EvaluationStatus::Done, runs[0].tally, 0);
    ev.record(group_id, &done, serving).await?;
    Ok(done)
}
