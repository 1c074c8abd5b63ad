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

use crate::events::{EventSink, MembershipChange, events_for};
use crate::group::{Evaluation, EvaluationStatus, Group, GroupKind, Membership, MembershipSource};
use crate::ids::{AccountId, GroupId, UserId};
use crate::page::PageRequest;
use crate::ports::{Store, UserQuery};
use crate::rule::{Facts, Reference, Rule};
use crate::user::User;
use crate::{Error, Result, Scope};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use time::OffsetDateTime;

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
    pub events: &'a dyn EventSink,
    pub account: &'a AccountId,
    pub now: OffsetDateTime,
    pub guard: Guard,
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

    fn is_held(&self) -> bool {
        self.group
            .evaluation
            .as_ref()
            .is_some_and(|e| e.status == EvaluationStatus::Held)
    }

    /// A department-owned group evaluates only over that department's subtree.
    fn covers(&self, user: &User) -> bool {
        match &self.group.owner_department {
            None => true,
            Some(owner) => user
                .department
                .as_ref()
                .is_some_and(|p| p.is_within(owner.department_id())),
        }
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

/// Orders smart groups so that every group comes after the groups its rule references, in
/// layers: a layer depends only on earlier layers. Cycles (refused on save) end up last.
fn layers(groups: Vec<Smart>) -> Vec<Vec<Smart>> {
    let ids: HashSet<GroupId> = groups.iter().map(|s| s.group.id.clone()).collect();
    let mut placed: HashSet<GroupId> = HashSet::new();
    let mut pending = groups;
    let mut out = Vec::new();
    while !pending.is_empty() {
        let (ready, rest): (Vec<Smart>, Vec<Smart>) = pending.into_iter().partition(|s| {
            s.rule
                .referenced_groups()
                .iter()
                .all(|g| !ids.contains(g) || placed.contains(g) || *g == s.group.id)
        });
        if ready.is_empty() {
            tracing::error!(
                groups = rest.len(),
                "cycle between smart groups; evaluating them last"
            );
            out.push(rest);
            break;
        }
        placed.extend(ready.iter().map(|s| s.group.id.clone()));
        out.push(ready);
        pending = rest;
    }
    out
}

/// Rejects a rule that names a department or a group that does not exist or lies outside
/// `scope` (answered alike, so a rule cannot probe what exists elsewhere), or whose group
/// membership conditions would form a cycle. Errors point at the condition (`rule/all/1/value`).
pub async fn check_references<S: Store>(
    store: &S,
    account: &AccountId,
    scope: &Scope,
    group: &GroupId,
    rule: &Rule,
) -> Result<()> {
    let references = rule.references();
    if references
        .iter()
        .any(|r| matches!(r, Reference::Department { .. }))
    {
        let tree = store.departments(account).await?;
        for r in references {
            if let Reference::Department { id, pointer } = r {
                let visible = tree
                    .path_of(id)
                    .ok()
                    .flatten()
                    .is_some_and(|p| scope.covers(Some(&p)));
                if !visible {
                    return Err(Error::validation(
                        format!("rule{pointer}"),
                        format!("department {id} does not exist"),
                    ));
                }
            }
        }
    }
    let referenced = rule.referenced_groups();
    if referenced.is_empty() {
        return Ok(());
    }
    let found = store.get_groups(account, referenced).await?;
    for r in references {
        if let Reference::Group { id, pointer } = r {
            if id == group {
                return Err(Error::validation(
                    format!("rule{pointer}"),
                    "a group's rule cannot reference the group itself",
                ));
            }
            let visible = found
                .iter()
                .any(|g| &g.id == id && scope.covers(g.owner_department.as_ref()));
            if !visible {
                return Err(Error::validation(
                    format!("rule{pointer}"),
                    format!("group {id} does not exist"),
                ));
            }
        }
    }
    // Follow references from the referenced smart groups; reaching `group` closes a cycle.
    let smart: HashMap<GroupId, Vec<GroupId>> = store
        .account_smart_groups(account)
        .await?
        .into_iter()
        .filter_map(|g| {
            let refs = g
                .rule
                .as_ref()
                .and_then(|r| Rule::compile(r).ok())?
                .referenced_groups()
                .to_vec();
            Some((g.id, refs))
        })
        .collect();
    let mut stack: Vec<GroupId> = referenced.to_vec();
    let mut seen = HashSet::new();
    while let Some(next) = stack.pop() {
        if &next == group {
            return Err(Error::validation(
                "rule",
                "group membership conditions would form a cycle through this group",
            ));
        }
        if seen.insert(next.clone()) {
            stack.extend(smart.get(&next).into_iter().flatten().cloned());
        }
    }
    Ok(())
}

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

    fn starting_after(after: Option<&UserId>) -> Self {
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

struct Run {
    smart: Smart,
    members: Members,
    tally: Tally,
    /// Count only (the guard's look ahead) or apply.
    mode: Mode,
    /// Changes found but not yet written: gathered across pages so that a write carries up
    /// to [`WRITE_BATCH`] memberships instead of the few one page finds.
    joins: Vec<UserId>,
    leaves: Vec<UserId>,
}

impl Run {
    fn new(smart: Smart, members: Members, tally: Tally, mode: Mode) -> Self {
        Self {
            smart,
            members,
            tally,
            mode,
            joins: Vec::new(),
            leaves: Vec::new(),
        }
    }
}

/// Memberships gathered per group before a pass writes them (a transaction holds 100 items,
/// one of them the group's count).
const WRITE_BATCH: usize = 99;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Mode {
    /// Count the difference, write nothing (the guard's look ahead).
    Count,
    Apply,
}

impl<S: Store> Evaluator<'_, S> {
    async fn apply(
        &self,
        group: &GroupId,
        joins: Vec<UserId>,
        leaves: Vec<UserId>,
        tally: &mut Tally,
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
                .insert_memberships(self.account, group, GroupKind::Smart, &memberships)
                .await?;
            tally.joined += joined.len() as u64;
            let events = events_for(
                self.account,
                group,
                &joined,
                MembershipChange::Joined,
                MembershipSource::Rule,
                self.now,
            );
            self.events.publish(&events).await?;
        }
        if !leaves.is_empty() {
            let left = self
                .store
                .delete_memberships(self.account, group, GroupKind::Smart, &leaves)
                .await?;
            tally.left += left.len() as u64;
            let events = events_for(
                self.account,
                group,
                &left,
                MembershipChange::Left,
                MembershipSource::Rule,
                self.now,
            );
            self.events.publish(&events).await?;
        }
        Ok(())
    }

    /// Writes the gathered changes that fill whole batches; the rest waits for more.
    async fn write_full_batches(&self, run: &mut Run) -> Result<()> {
        while run.joins.len() >= WRITE_BATCH {
            let joins: Vec<UserId> = run.joins.drain(..WRITE_BATCH).collect();
            self.apply(&run.smart.group.id, joins, vec![], &mut run.tally)
                .await?;
        }
        while run.leaves.len() >= WRITE_BATCH {
            let leaves: Vec<UserId> = run.leaves.drain(..WRITE_BATCH).collect();
            self.apply(&run.smart.group.id, vec![], leaves, &mut run.tally)
                .await?;
        }
        Ok(())
    }

    /// Writes all of a run's gathered changes.
    async fn flush(&self, run: &mut Run) -> Result<()> {
        let (joins, leaves) = (
            std::mem::take(&mut run.joins),
            std::mem::take(&mut run.leaves),
        );
        self.apply(&run.smart.group.id, joins, leaves, &mut run.tally)
            .await
    }

    /// One pass over the account's users (from `after`) for every run. Returns the user to
    /// resume after when `out_of_time` stopped it, `None` when it finished.
    async fn pass(
        &self,
        runs: &mut [Run],
        after: Option<UserId>,
        out_of_time: &(dyn Fn() -> bool + Sync),
    ) -> Result<Option<UserId>> {
        let referenced: Vec<GroupId> = {
            let mut all: Vec<GroupId> = runs
                .iter()
                .flat_map(|r| r.smart.rule.referenced_groups().iter().cloned())
                .collect();
            all.sort();
            all.dedup();
            all
        };
        let mut cursor = after.map(|u| u.to_string());
        loop {
            let query = UserQuery {
                page: PageRequest {
                    limit: PAGE,
                    cursor: cursor.take(),
                },
                ..UserQuery::default()
            };
            let page = self
                .store
                .list_users(self.account, &Scope::Account, &query)
                .await?;
            let ids: Vec<UserId> = page.items.iter().map(|u| u.id.clone()).collect();
            let facts_set: HashSet<(GroupId, UserId)> = if referenced.is_empty() || ids.is_empty() {
                HashSet::new()
            } else {
                self.store
                    .memberships_among(self.account, &referenced, &ids)
                    .await?
                    .into_iter()
                    .collect()
            };
            let facts = SetFacts {
                now: self.now,
                members: &facts_set,
            };
            for run in runs.iter_mut() {
                let group = run.smart.group.id.clone();
                if let Some(last) = ids.last() {
                    run.members
                        .fill_through(self.store, self.account, &group, last)
                        .await?;
                }
                let (mut joins, mut leaves) = (Vec::new(), Vec::new());
                for user in &page.items {
                    // Members sorting before this user no longer exist as users.
                    while run.members.buffer.front().is_some_and(|m| m < &user.id) {
                        leaves.extend(run.members.buffer.pop_front());
                    }
                    let is_member = run.members.buffer.front() == Some(&user.id);
                    if is_member {
                        run.members.buffer.pop_front();
                    }
                    let should = run.smart.covers(user) && run.smart.rule.matches(user, &facts);
                    run.tally.evaluated += 1;
                    match (should, is_member) {
                        (true, false) => joins.push(user.id.clone()),
                        (false, true) => leaves.push(user.id.clone()),
                        _ => {}
                    }
                }
                if page.next_cursor.is_none() {
                    // Past the last user: every remaining member is a user who is gone.
                    loop {
                        leaves.extend(run.members.buffer.drain(..));
                        if run.members.exhausted {
                            break;
                        }
                        run.members.fetch(self.store, self.account, &group).await?;
                    }
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
            let stop = match page.next_cursor {
                Some(next) if !out_of_time() => {
                    cursor = Some(next);
                    continue;
                }
                Some(_) => ids.last().cloned(),
                None => None,
            };
            // Leaving the pass (done, or stopped for a checkpoint): nothing stays unwritten.
            for run in runs.iter_mut() {
                self.flush(run).await?;
            }
            return Ok(stop);
        }
    }

    /// Records a finished run, unless it changed nothing and the last result still stands
    /// (a refresh that changes nothing writes nothing).
    async fn record_done(&self, run: &Run) -> Result<()> {
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
        let done = self.finished(
            &Evaluation::queued(self.now, false),
            EvaluationStatus::Done,
            run.tally,
            0,
        );
        self.record(&run.smart.group.id, &done).await
    }

    async fn record(&self, group: &GroupId, evaluation: &Evaluation) -> Result<()> {
        match self
            .store
            .record_evaluation(self.account, group, evaluation)
            .await
        {
            // Deleted meanwhile: nothing left to report on.
            Err(Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    fn finished(
        &self,
        base: &Evaluation,
        status: EvaluationStatus,
        tally: Tally,
        held: u64,
    ) -> Evaluation {
        Evaluation {
            status,
            started_at: base.started_at.or(Some(self.now)),
            finished_at: Some(self.now),
            evaluated: tally.evaluated,
            joined: tally.joined,
            left: tally.left,
            held,
            ..base.clone()
        }
    }
}

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
    let running = Evaluation {
        status: EvaluationStatus::Running,
        started_at: Some(ev.now),
        finished_at: None,
        ..base.clone()
    };
    ev.record(group_id, &running).await?;
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
            ev.record(group_id, &held).await?;
            return Ok(held);
        }
    }
    let mut runs = vec![Run::new(
        Smart::new(group)?,
        Members::new(),
        Tally::default(),
        Mode::Apply,
    )];
    ev.pass(&mut runs, None, &never).await?;
    let done = ev.finished(&running, EvaluationStatus::Done, runs[0].tally, 0);
    ev.record(group_id, &done).await?;
    Ok(done)
}

/// What changed for one user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserOutcome {
    pub joined: Vec<GroupId>,
    pub left: Vec<GroupId>,
}

pub(crate) struct UserFacts<'a> {
    pub(crate) now: OffsetDateTime,
    pub(crate) user: &'a UserId,
    pub(crate) groups: &'a HashSet<GroupId>,
}

impl Facts for UserFacts<'_> {
    fn now(&self) -> OffsetDateTime {
        self.now
    }
    fn is_member(&self, group: &GroupId, user: &UserId) -> bool {
        user == self.user && self.groups.contains(group)
    }
}

/// Every group a user belongs to (one query per 200 groups).
pub async fn user_group_ids<S: Store>(
    store: &S,
    account: &AccountId,
    user: &UserId,
) -> Result<HashSet<GroupId>> {
    let mut groups = HashSet::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_user_groups(
                account,
                user,
                &PageRequest {
                    limit: PAGE,
                    cursor,
                },
            )
            .await?;
        groups.extend(page.items.into_iter().map(|m| m.group_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(groups),
        }
    }
}

/// Brings one user's smart-group memberships in line with the rules (and removes a deleted
/// user from every group). Reads the account's rules in one query and the user's groups in
/// one; writes only the memberships that change, in dependency order.
pub async fn evaluate_user<S: Store>(
    ev: &Evaluator<'_, S>,
    user_id: &UserId,
) -> Result<UserOutcome> {
    let smart: Vec<Smart> = ev
        .store
        .account_smart_groups(ev.account)
        .await?
        .into_iter()
        .filter_map(|g| match Smart::new(g) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(error = %e, "skipping a smart group whose rule does not compile");
                None
            }
        })
        .collect();
    let user = ev.store.get_user(ev.account, user_id).await?;
    let mut groups = user_group_ids(ev.store, ev.account, user_id).await?;
    let smart_ids: HashSet<GroupId> = smart.iter().map(|s| s.group.id.clone()).collect();
    let mut outcome = UserOutcome::default();
    for layer in layers(smart) {
        for s in layer {
            // A held evaluation freezes the group's membership on every path until someone
            // confirms it or changes the rule; the full evaluation then catches up.
            if s.is_held() {
                continue;
            }
            let should = user.as_ref().is_some_and(|u| {
                let facts = UserFacts {
                    now: ev.now,
                    user: user_id,
                    groups: &groups,
                };
                s.covers(u) && s.rule.matches(u, &facts)
            });
            let is_member = groups.contains(&s.group.id);
            let mut tally = Tally::default();
            match (should, is_member) {
                (true, false) => {
                    ev.apply(&s.group.id, vec![user_id.clone()], vec![], &mut tally)
                        .await?;
                    groups.insert(s.group.id.clone());
                    outcome.joined.push(s.group.id.clone());
                }
                (false, true) => {
                    ev.apply(&s.group.id, vec![], vec![user_id.clone()], &mut tally)
                        .await?;
                    groups.remove(&s.group.id);
                    outcome.left.push(s.group.id.clone());
                }
                _ => {}
            }
        }
    }
    if user.is_none() {
        // A deleted user leaves their static groups too.
        for group in groups.iter().filter(|g| !smart_ids.contains(*g)) {
            let left = ev
                .store
                .delete_memberships(
                    ev.account,
                    group,
                    GroupKind::Static,
                    std::slice::from_ref(user_id),
                )
                .await?;
            if !left.is_empty() {
                let events = events_for(
                    ev.account,
                    group,
                    &left,
                    MembershipChange::Left,
                    MembershipSource::Manual,
                    ev.now,
                );
                ev.events.publish(&events).await?;
                outcome.left.push(group.clone());
            }
        }
    }
    Ok(outcome)
}

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
    let smart: Vec<Smart> = ev
        .store
        .account_smart_groups(ev.account)
        .await?
        .into_iter()
        // A held evaluation waits for its confirmation; the schedule does not override it.
        .filter(|g| {
            !g.evaluation
                .as_ref()
                .is_some_and(|e| e.status == EvaluationStatus::Held)
        })
        .filter_map(|g| Smart::new(g).ok())
        .collect();
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
                    run(s, &state, mode)
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
                        ev.record(&id, &held).await?;
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
        .map(|s| run(s, state, Mode::Apply))
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
fn run(smart: Smart, state: &RefreshCheckpoint, mode: Mode) -> Run {
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
    )
}
