//! The schedule: every smart group of an account, one pass over its users per layer of
//! dependencies, resumable from a checkpoint.

use crate::group::{Evaluation, EvaluationStatus};
use crate::history::Trigger;
use crate::ids::{GroupId, UserId};
use crate::ports::Store;

use crate::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::layers::layers;
use super::pass::{Members, Mode, Run, Tally, settles};
use super::{Evaluator, Smart};

/// Where a scheduled refresh of an account stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshCheckpoint {
    pub layer: usize,
    mode: Mode,
    pub after_user: Option<UserId>,
    /// Per group: what the pass so far found or did.
    tallies: BTreeMap<GroupId, Tally>,
    /// Groups the guard held in this refresh.
    held: Vec<GroupId>,
    /// Groups the first pass only counts (large enough to be held); the rest it applies.
    #[serde(default)]
    counting: Vec<GroupId>,
    /// Counted groups with changes the guard let through: the second pass applies them.
    #[serde(default)]
    second_pass: Vec<GroupId>,
}

impl RefreshCheckpoint {
    /// The checkpoint of a pass stopped after `user`, with what its runs found so far.
    fn stopped_at(mut self, user: UserId, runs: &[Run]) -> Self {
        self.after_user = Some(user);
        self.tallies = runs
            .iter()
            .map(|r| (r.smart.group.id.clone(), r.tally))
            .collect();
        self
    }
}

/// Refreshes every smart group of the account, per layer of dependencies. The first pass over
/// the users applies every group too small to be held and counts the others (the guard's look
/// ahead); only counted groups with changes the guard lets through need a second pass. So a
/// refresh that changes nothing, or changes only small groups, reads the users once. Stops
/// between pages when `out_of_time` says so and answers where to resume.
pub async fn refresh_account<S: Store>(
    ev: &Evaluator<'_, S>,
    resume: Option<RefreshCheckpoint>,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<Option<RefreshCheckpoint>> {
    let mut groups = ev.store.account_smart_groups(ev.account).await?;
    if resume.is_none() {
        // Rule changes that are due take effect (their groups evaluate on their own request),
        // and lapsed overrides are dropped.
        let applied = super::due::apply_due(ev.store, ev.account, &mut groups, ev.now).await?;
        groups.retain(|g| !applied.contains(&g.id));
    }
    let smart: Vec<Smart> = groups
        .into_iter()
        // A held evaluation waits for its confirmation; the schedule does not override it.
        .filter(|g| {
            !g.evaluation
                .as_ref()
                .is_some_and(|e| e.status == EvaluationStatus::Held)
        })
        // A paused group waits for its resume, which evaluates it in full.
        .filter(|g| g.mode != crate::group::GroupMode::Paused)
        .filter_map(|g| Smart::new(g).ok())
        .collect();
    // The guard needs each group's size (not read with the rules).
    let mut smart = smart;
    let ids: Vec<GroupId> = smart.iter().map(|s| s.group.id.clone()).collect();
    let sizes = ev.store.member_counts(ev.account, &ids).await?;
    for (s, size) in smart.iter_mut().zip(sizes) {
        s.group.member_count = size;
    }
    let fresh = |layer| RefreshCheckpoint {
        layer,
        mode: Mode::Count,
        after_user: None,
        tallies: BTreeMap::new(),
        held: Vec::new(),
        counting: Vec::new(),
        second_pass: Vec::new(),
    };
    let mut state = resume.unwrap_or_else(|| fresh(0));
    for (index, layer) in layers(smart).into_iter().enumerate().skip(state.layer) {
        if index != state.layer {
            state = fresh(index);
        }
        if state.mode == Mode::Count {
            if state.after_user.is_none() {
                state.counting = layer
                    .iter()
                    .filter(|s| ev.guard.could_hold(s.group.member_count))
                    .map(|s| s.group.id.clone())
                    .collect();
            }
            let mut runs: Vec<Run> = layer
                .into_iter()
                .map(|s| {
                    let mode = if state.counting.contains(&s.group.id) {
                        Mode::Count
                    } else {
                        Mode::Apply
                    };
                    run(s, &state, mode, ev.trigger)
                })
                .collect();
            if let Some(stop) = ev
                .pass(&mut runs, state.after_user.clone(), out_of_time)
                .await?
            {
                return Ok(Some(state.stopped_at(stop, &runs)));
            }
            let mut second = Vec::new();
            for r in runs {
                let id = r.smart.group.id.clone();
                let changed = r.tally.joined > 0 || r.tally.left > 0;
                match r.mode {
                    Mode::Apply => ev.record_done(&r).await?,
                    Mode::Count if ev.guard.holds(r.smart.group.member_count, r.tally.left) => {
                        let held = ev.finished(
                            &Evaluation::queued(ev.now, false),
                            EvaluationStatus::Held,
                            Tally { left: 0, ..r.tally },
                            r.tally.left,
                        );
                        ev.observe(&held);
                        ev.record(&id, &held, settles(&r.smart.group)).await?;
                        state.held.push(id);
                    }
                    Mode::Count if changed => {
                        state.second_pass.push(id);
                        second.push(r.smart);
                    }
                    Mode::Count => ev.record_done(&r).await?,
                }
            }
            state.mode = Mode::Apply;
            state.after_user = None;
            state.tallies.clear();
            if let Some(stop) = second_pass(ev, second, &state, out_of_time).await? {
                return Ok(Some(stop));
            }
        } else {
            let layer: Vec<Smart> = layer
                .into_iter()
                .filter(|s| state.second_pass.contains(&s.group.id))
                .collect();
            if let Some(stop) = second_pass(ev, layer, &state, out_of_time).await? {
                return Ok(Some(stop));
            }
        }
        state = fresh(index + 1);
    }
    Ok(None)
}

/// Applies the counted groups the guard let through; a checkpoint if it had to stop.
async fn second_pass<S: Store>(
    ev: &Evaluator<'_, S>,
    layer: Vec<Smart>,
    state: &RefreshCheckpoint,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<Option<RefreshCheckpoint>> {
    if layer.is_empty() {
        return Ok(None);
    }
    let mut runs: Vec<Run> = layer
        .into_iter()
        .map(|s| run(s, state, Mode::Apply, ev.trigger))
        .collect();
    if let Some(stop) = ev
        .pass(&mut runs, state.after_user.clone(), out_of_time)
        .await?
    {
        return Ok(Some(state.clone().stopped_at(stop, &runs)));
    }
    for r in &runs {
        ev.record_done(r).await?;
    }
    Ok(None)
}

/// A run resuming from a checkpoint: its members are read after the resume point.
fn run(smart: Smart, state: &RefreshCheckpoint, mode: Mode, trigger: Trigger) -> Run {
    let tally = state
        .tallies
        .get(&smart.group.id)
        .copied()
        .unwrap_or_default();
    Run::new(
        smart,
        Members::starting_after(state.after_user.as_ref()),
        tally,
        mode,
        trigger,
    )
}
