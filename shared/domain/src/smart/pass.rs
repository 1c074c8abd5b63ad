//! One pass over an account's users for any number of groups: members and users merged in
//! user-id order a page at a time, changes gathered and written in batches.

use crate::group::{Evaluation, EvaluationStatus, GroupKind, Membership, MembershipSource};
use crate::ids::{AccountId, GroupId, UserId};
use crate::page::PageRequest;
use crate::ports::{Store, UserQuery};

use crate::user::User;
use crate::{Error, Result, Scope};
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};

use super::{Evaluator, PAGE, SetFacts, Smart};
use crate::ports::RecordIf;

/// One group's members, read in user-id order a page at a time.
pub(crate) struct Members {
    pub(crate) buffer: VecDeque<UserId>,
    cursor: Option<String>,
    pub(crate) exhausted: bool,
}

impl Members {
    pub(crate) fn new() -> Self {
        Self {
            buffer: VecDeque::new(),
            cursor: None,
            exhausted: false,
        }
    }

    pub(super) fn starting_after(after: Option<&UserId>) -> Self {
        Self {
            cursor: after.map(ToString::to_string),
            ..Self::new()
        }
    }

    pub(crate) async fn fetch<S: Store>(
        &mut self,
        store: &S,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<()> {
        let page = PageRequest {
            limit: PAGE,
            cursor: self.cursor.take(),
        };
        let members = store.list_members(account, group, &page).await?;
        self.buffer
            .extend(members.items.into_iter().map(|m| m.user_id));
        self.exhausted = members.next_cursor.is_none();
        self.cursor = members.next_cursor;
        Ok(())
    }

    /// Reads until every member up to `upto` is buffered.
    pub(crate) async fn fill_through<S: Store>(
        &mut self,
        store: &S,
        account: &AccountId,
        group: &GroupId,
        upto: &UserId,
    ) -> Result<()> {
        while !self.exhausted && self.buffer.back().is_none_or(|last| last <= upto) {
            self.fetch(store, account, group).await?;
        }
        Ok(())
    }
}

/// What one pass found (and, applying, did) for one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub evaluated: u64,
    pub joined: u64,
    pub left: u64,
}

pub(super) struct Run {
    pub(super) smart: Smart,
    pub(super) members: Members,
    pub(super) tally: Tally,
    /// Count only (the guard's look ahead) or apply.
    pub(super) mode: Mode,
    /// Changes found but not yet written: gathered across pages so that a write carries up
    /// to the store's write batch (`MembershipStore::WRITE_BATCH`) instead of the few one page
    /// finds.
    pub(super) joins: Vec<UserId>,
    pub(super) leaves: Vec<UserId>,
    /// A requested evaluation's running state: the group shows its counts so far, recorded
    /// every [`PROGRESS_PAGES`] pages while it serves that request.
    pub(super) progress: Option<crate::group::Evaluation>,
    /// Why this run's changes happen (the history's cause).
    pub(super) cause: crate::history::Cause,
}

/// Pages between two progress records of a running evaluation (1,000 users at 200 a page).
pub const PROGRESS_PAGES: usize = 5;

impl Run {
    pub(super) fn new(
        smart: Smart,
        members: Members,
        tally: Tally,
        mode: Mode,
        trigger: crate::history::Trigger,
    ) -> Self {
        let cause = smart.cause(trigger);
        Self {
            cause,
            smart,
            members,
            tally,
            mode,
            joins: Vec::new(),
            leaves: Vec::new(),
            progress: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Mode {
    /// Count the difference, write nothing (the guard's look ahead).
    Count,
    Apply,
}

impl<S: Store> Evaluator<'_, S> {
    pub(super) async fn apply(
        &self,
        group: &GroupId,
        joins: Vec<UserId>,
        leaves: Vec<UserId>,
        tally: &mut Tally,
        cause: &crate::history::Cause,
    ) -> Result<()> {
        if !joins.is_empty() {
            let memberships: Vec<Membership> = joins
                .into_iter()
                .map(|user_id| Membership {
                    group_id: group.clone(),
                    user_id,
                    added_at: self.now,
                    added_by: None,
                    source: MembershipSource::Rule,
                })
                .collect();
            let joined = self
                .store
                .insert_memberships(
                    self.account,
                    group,
                    GroupKind::Smart,
                    &memberships,
                    &cause.at(self.now),
                )
                .await?;
            tally.joined += joined.len() as u64;
        }
        if !leaves.is_empty() {
            let left = self
                .store
                .delete_memberships(
                    self.account,
                    group,
                    GroupKind::Smart,
                    &leaves,
                    &cause.at(self.now),
                )
                .await?;
            tally.left += left.len() as u64;
        }
        Ok(())
    }

    /// Writes the gathered changes that fill whole batches; the rest waits for more.
    pub(super) async fn write_full_batches(&self, run: &mut Run) -> Result<()> {
        while run.joins.len() >= S::WRITE_BATCH {
            let joins: Vec<UserId> = run.joins.drain(..S::WRITE_BATCH).collect();
            self.apply(
                &run.smart.group.id,
                joins,
                vec![],
                &mut run.tally,
                &run.cause,
            )
            .await?;
        }
        while run.leaves.len() >= S::WRITE_BATCH {
            let leaves: Vec<UserId> = run.leaves.drain(..S::WRITE_BATCH).collect();
            self.apply(
                &run.smart.group.id,
                vec![],
                leaves,
                &mut run.tally,
                &run.cause,
            )
            .await?;
        }
        Ok(())
    }

    /// Writes all of a run's gathered changes.
    pub(super) async fn flush(&self, run: &mut Run) -> Result<()> {
        let (joins, leaves) = (
            std::mem::take(&mut run.joins),
            std::mem::take(&mut run.leaves),
        );
        self.apply(
            &run.smart.group.id,
            joins,
            leaves,
            &mut run.tally,
            &run.cause,
        )
        .await
    }

    /// One pass over the account's users (from `after`) for every run. Returns the user to
    /// resume after when `out_of_time` stopped it, `None` when it finished.
    pub(super) async fn pass(
        &self,
        runs: &mut [Run],
        after: Option<UserId>,
        out_of_time: &(dyn Fn() -> bool + Sync),
    ) -> Result<Option<UserId>> {
        let referenced = runs
            .iter()
            .flat_map(|r| r.smart.rule.referenced_groups().iter().cloned());
        let mut scan = UserScan::new(
            self.store,
            self.account,
            &Scope::Account,
            referenced,
            after.as_ref(),
        );
        let mut pages = 0;
        while let Some(page) = scan.next().await? {
            pages += 1;
            let facts = SetFacts {
                now: self.now,
                members: &page.memberships,
            };
            let ids: Vec<&UserId> = page.users.iter().map(|u| &u.id).collect();
            for run in runs.iter_mut() {
                let group = run.smart.group.id.clone();
                if let Some(last) = ids.last() {
                    run.members
                        .fill_through(self.store, self.account, &group, last)
                        .await?;
                }
                let (mut joins, mut leaves) = (Vec::new(), Vec::new());
                for user in &page.users {
                    // Members sorting before this user no longer exist as users.
                    while run.members.buffer.front().is_some_and(|m| m < &user.id) {
                        leaves.extend(run.members.buffer.pop_front());
                    }
                    let is_member = run.members.buffer.front() == Some(&user.id);
                    if is_member {
                        run.members.buffer.pop_front();
                    }
                    let should = run
                        .smart
                        .group
                        .decides(user, self.now, || run.smart.rule.matches(user, &facts));
                    run.tally.evaluated += 1;
                    match (should, is_member) {
                        (true, false) => joins.push(user.id.clone()),
                        (false, true) => leaves.push(user.id.clone()),
                        _ => {}
                    }
                }
                if page.last {
                    // Past the last user: every remaining member is a user who is gone.
                    loop {
                        leaves.extend(run.members.buffer.drain(..));
                        if run.members.exhausted {
                            break;
                        }
                        run.members.fetch(self.store, self.account, &group).await?;
                    }
                }
                // Add only: leaves wait for the return to active (DESIGN §11), a gone user's too.
                if run.smart.adds_only() {
                    leaves.clear();
                }
                match run.mode {
                    Mode::Count => {
                        run.tally.joined += joins.len() as u64;
                        run.tally.left += leaves.len() as u64;
                    }
                    Mode::Apply => {
                        run.joins.extend(joins);
                        run.leaves.extend(leaves);
                        self.write_full_batches(run).await?;
                    }
                }
            }
            if pages % PROGRESS_PAGES == 0 && !page.last {
                for run in runs.iter() {
                    self.record_progress(run).await?;
                }
            }
            // Asked only between pages: the last page always finishes the pass.
            let stop = if page.last {
                None
            } else if out_of_time() {
                ids.last().map(|id| (*id).clone())
            } else {
                continue;
            };
            // Leaving the pass (done, or stopped for a checkpoint): nothing stays unwritten.
            for run in runs.iter_mut() {
                self.flush(run).await?;
            }
            return Ok(stop);
        }
        Ok(None)
    }

    /// Records a finished run, unless it changed nothing and the last result still stands
    /// (a refresh that changes nothing writes nothing).
    pub(super) async fn record_done(&self, run: &Run) -> Result<()> {
        let done = self.finished(
            &Evaluation::queued(self.now, false),
            EvaluationStatus::Done,
            run.tally,
            0,
        );
        self.observe(&done);
        let unchanged = run.tally.joined == 0
            && run.tally.left == 0
            && run
                .smart
                .group
                .evaluation
                .as_ref()
                .is_some_and(|e| e.status == EvaluationStatus::Done);
        if unchanged {
            return Ok(());
        }
        self.record(&run.smart.group.id, &done, settles(&run.smart.group))
            .await
            .map(|_| ())
    }

    /// Shows a running evaluation's counts so far on its group (if it still serves its request).
    async fn record_progress(&self, run: &Run) -> Result<()> {
        let Some(running) = &run.progress else {
            return Ok(());
        };
        let progress = crate::group::Evaluation {
            evaluated: run.tally.evaluated,
            joined: run.tally.joined,
            left: run.tally.left,
            ..running.clone()
        };
        let serving = RecordIf::Serving(running.requested_at);
        self.record(&run.smart.group.id, &progress, serving)
            .await
            .map(|_| ())
    }

    /// Records an evaluation's state if `when` still holds; `false` when a newer request took
    /// over (or the group is gone), which that request's own run reports on.
    pub(super) async fn record(
        &self,
        group: &GroupId,
        evaluation: &Evaluation,
        when: RecordIf,
    ) -> Result<bool> {
        match self
            .store
            .record_evaluation(self.account, group, evaluation, when)
            .await
        {
            Err(Error::NotFound { .. }) => Ok(false),
            other => other,
        }
    }

    pub(super) fn finished(
        &self,
        base: &Evaluation,
        status: EvaluationStatus,
        tally: Tally,
        held: u64,
    ) -> Evaluation {
        Evaluation {
            status,
            started_at: base.started_at.or(Some(self.now)),
            finished_at: Some(self.elapsed_now()),
            evaluated: tally.evaluated,
            joined: tally.joined,
            left: tally.left,
            held,
            ..base.clone()
        }
    }
}

/// The account's users within a scope, a page at a time in user-id order, each page with the
/// memberships its users hold in the groups the rules reference: the one scan that evaluation
/// and preview share.
pub(crate) struct UserScan<'a, S> {
    store: &'a S,
    account: &'a AccountId,
    scope: &'a Scope,
    referenced: Vec<GroupId>,
    cursor: Option<String>,
    finished: bool,
}

pub(crate) struct ScannedPage {
    pub(crate) users: Vec<User>,
    pub(crate) memberships: HashSet<(GroupId, UserId)>,
    /// No page follows.
    pub(crate) last: bool,
}

impl<'a, S: Store> UserScan<'a, S> {
    pub(crate) fn new(
        store: &'a S,
        account: &'a AccountId,
        scope: &'a Scope,
        referenced: impl IntoIterator<Item = GroupId>,
        after: Option<&UserId>,
    ) -> Self {
        let mut referenced: Vec<GroupId> = referenced.into_iter().collect();
        referenced.sort();
        referenced.dedup();
        Self {
            store,
            account,
            scope,
            referenced,
            cursor: after.map(ToString::to_string),
            finished: false,
        }
    }

    pub(crate) async fn next(&mut self) -> Result<Option<ScannedPage>> {
        if self.finished {
            return Ok(None);
        }
        let query = UserQuery {
            page: PageRequest {
                limit: PAGE,
                cursor: self.cursor.take(),
            },
            ..UserQuery::default()
        };
        let page = self
            .store
            .list_users(self.account, self.scope, &query)
            .await?;
        let ids: Vec<UserId> = page.items.iter().map(|u| u.id.clone()).collect();
        let memberships = if self.referenced.is_empty() || ids.is_empty() {
            HashSet::new()
        } else {
            self.store
                .memberships_among(self.account, &self.referenced, &ids)
                .await?
                .into_iter()
                .collect()
        };
        self.finished = page.next_cursor.is_none();
        self.cursor = page.next_cursor;
        Ok(Some(ScannedPage {
            users: page.items,
            memberships,
            last: self.finished,
        }))
    }
}

/// What a refresh's result may overwrite: the request that was pending when the refresh read
/// the group (the refresh has served it), or nothing pending; never a request made since, nor
/// a group evaluation in progress.
pub(super) fn settles(group: &crate::group::Group) -> RecordIf {
    match &group.evaluation {
        Some(e) if e.status == EvaluationStatus::Queued => RecordIf::Serving(e.requested_at),
        _ => RecordIf::Idle,
    }
}
