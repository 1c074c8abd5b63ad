//! Carrying out a department move: the stored paths of the subtree's users and groups follow
//! the tree, then the smart groups whose population may change are re-evaluated.
//!
//! The work is a sequence of slices. Progress lives on the department item; a slice that runs
//! out of budget bumps `slice`, and that write's stream record starts the next slice. Every
//! step is idempotent (a path is rewritten only while it still starts with the old one, by a
//! conditioned write of the path fields alone), so a crash anywhere is repaired by running the
//! slice again, and concurrent user changes are never overwritten.

use crate::caller::Scope;
use crate::department::{Department, DepartmentMove, DepartmentPath, MovePhase, MoveStatus};
use crate::error::{Error, Result};
use crate::group::{Evaluation, Group};
use crate::ids::{AccountId, DepartmentId};
use crate::page::PageRequest;
use crate::ports::{GroupQuery, RecordIf, Store, UserQuery};
use crate::rule::{Reference, Rule};
use crate::user::User;
use time::OffsetDateTime;

/// Users one slice rewrites before handing over to the next (a few seconds of writes).
pub const SLICE_USERS: u64 = 2_000;

/// Users read per page while rewriting.
const PAGE: u32 = 100;

/// Does the group's rule name any of `departments`?
pub fn rule_names_any(group: &Group, departments: &[DepartmentId]) -> bool {
    group
        .rule
        .as_ref()
        .and_then(|r| Rule::compile(r).ok())
        .is_some_and(|rule| {
            rule.references()
                .iter()
                .any(|r| matches!(r, Reference::Department { id, .. } if departments.contains(id)))
        })
}

fn under(path: &DepartmentPath, old: &DepartmentPath) -> bool {
    path.key().starts_with(&old.key())
}

/// The move's progress as stored, and the department revision it was read at.
struct Progress<'a, S> {
    store: &'a S,
    account: &'a AccountId,
    department: Department,
    job: DepartmentMove,
}

impl<S: Store> Progress<'_, S> {
    /// Writes the progress, conditioned on the revision it was read at; a rename that came
    /// first is re-read and kept.
    async fn save(&mut self) -> Result<()> {
        for _ in 0..5 {
            let mut next = self.department.clone();
            next.move_job = Some(self.job.clone());
            next.revision = self.department.revision + 1;
            match self
                .store
                .save_department(self.account, &next, Some(self.department.revision))
                .await
            {
                Ok(()) => {
                    self.department = next;
                    return Ok(());
                }
                Err(Error::Conflict(_)) => {
                    let tree = self.store.departments(self.account).await?;
                    match tree.get(&self.department.id) {
                        Some(fresh) => self.department = fresh.clone(),
                        None => return Ok(()),
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Err(Error::Unavailable(format!(
            "department {} kept changing while its move was recorded",
            self.department.id
        )))
    }
}

/// Runs one slice of the department's move, if one is running; answers the move as it stands.
pub async fn run_slice<S: Store>(
    store: &S,
    account: &AccountId,
    id: &DepartmentId,
    users_budget: u64,
    now: impl Fn() -> OffsetDateTime,
) -> Result<Option<DepartmentMove>> {
    let tree = store.departments(account).await?;
    let Some(department) = tree.get(id).cloned() else {
        return Ok(None);
    };
    let Some(job) = department
        .move_job
        .clone()
        .filter(|m| m.status == MoveStatus::Running)
    else {
        return Ok(department.move_job);
    };
    let mut progress = Progress {
        store,
        account,
        department,
        job,
    };
    if progress.job.phase == MovePhase::Users {
        if !move_users(&mut progress, &tree, users_budget).await? {
            progress.job.slice += 1;
            progress.save().await?;
            return Ok(Some(progress.job));
        }
        // Exact: the users the subtree now holds at its new place.
        progress.job.users_moved =
            crate::service_departments::count_users(store, account, &progress.job.to_path, true)
                .await?;
        progress.job.phase = MovePhase::Groups;
        progress.save().await?;
    }
    if progress.job.phase == MovePhase::Groups {
        progress.job.groups_moved += move_groups(&progress, &tree).await?;
        progress.job.phase = MovePhase::Evaluations;
        progress.save().await?;
    }
    if progress.job.phase == MovePhase::Evaluations {
        progress.job.groups_reevaluated = request_evaluations(&progress, &tree, &now).await?;
        progress.job.phase = MovePhase::Finished;
    }
    progress.job.status = MoveStatus::Done;
    progress.job.finished_at = Some(now());
    progress.save().await?;
    Ok(Some(progress.job))
}

/// Rewrites users still at the old path, up to `budget` of them; answers whether none is left.
async fn move_users<S: Store>(
    progress: &mut Progress<'_, S>,
    tree: &crate::department::DepartmentTree,
    mut budget: u64,
) -> Result<bool> {
    let from = progress.job.from_path.clone();
    let mut query = UserQuery {
        department: Some((from.clone(), true)),
        text: None,
        page: PageRequest::first(PAGE),
    };
    loop {
        let page = progress
            .store
            .list_users(progress.account, &Scope::Account, &query)
            .await?;
        for user in &page.items {
            if budget == 0 {
                return Ok(false);
            }
            if move_user(progress.store, progress.account, tree, &from, user.clone()).await? {
                progress.job.users_moved += 1;
            }
            budget -= 1;
        }
        progress.save().await?;
        match page.next_cursor {
            // Rewritten users left the old path; the cursor still marks where this pass is.
            Some(cursor) => query.page.cursor = Some(cursor),
            None => return Ok(true),
        }
    }
}

/// Points one user at its department's current path while it still lies under `from`
/// (re-reading it when a concurrent change came first).
async fn move_user<S: Store>(
    store: &S,
    account: &AccountId,
    tree: &crate::department::DepartmentTree,
    from: &DepartmentPath,
    listed: User,
) -> Result<bool> {
    let id = listed.id.clone();
    let mut read = Some(listed);
    for _ in 0..5 {
        let user = match read.take() {
            Some(user) => user,
            None => match store.get_user(account, &id).await? {
                Some(user) => user,
                None => return Ok(false),
            },
        };
        let Some(stale) = user.department.filter(|p| under(p, from)) else {
            return Ok(false);
        };
        let Some(to) = tree.path_of(stale.department_id())? else {
            return Ok(false);
        };
        if to == stale {
            return Ok(false);
        }
        if store
            .move_user_department(account, &id, &stale, &to)
            .await?
        {
            return Ok(true);
        }
    }
    Err(Error::Unavailable(format!(
        "user {id} kept changing while its department moved"
    )))
}

/// Points groups owned in the subtree at their new paths; answers how many it rewrote.
async fn move_groups<S: Store>(
    progress: &Progress<'_, S>,
    tree: &crate::department::DepartmentTree,
) -> Result<u64> {
    let from = &progress.job.from_path;
    let scope = Scope::Departments(vec![progress.department.id.clone()]);
    let mut query = GroupQuery {
        page: PageRequest::first(crate::page::MAX_LIMIT),
        ..GroupQuery::default()
    };
    let mut moved = 0;
    loop {
        let page = progress
            .store
            .list_groups(progress.account, &scope, &query)
            .await?;
        for group in &page.items {
            let Some(stale) = group.owner_department.as_ref().filter(|p| under(p, from)) else {
                continue;
            };
            let Some(to) = tree.path_of(stale.department_id())? else {
                continue;
            };
            if to != *stale
                && progress
                    .store
                    .move_group_department(progress.account, &group.id, stale, &to)
                    .await?
            {
                moved += 1;
            }
        }
        match page.next_cursor {
            Some(c) => query.page.cursor = Some(c),
            None => return Ok(moved),
        }
    }
}

/// Queues an evaluation of every smart group whose population may change: owned by, or with a
/// rule naming, a department on the old or new path or in the subtree.
async fn request_evaluations<S: Store>(
    progress: &Progress<'_, S>,
    tree: &crate::department::DepartmentTree,
    now: &impl Fn() -> OffsetDateTime,
) -> Result<u64> {
    let job = &progress.job;
    let mut affected: Vec<DepartmentId> = job.from_path.ids().to_vec();
    affected.extend(job.to_path.ids().iter().cloned());
    affected.extend(tree.subtree(&progress.department.id));
    affected.sort();
    affected.dedup();
    let mut queued = 0;
    for group in progress
        .store
        .account_smart_groups(progress.account)
        .await?
    {
        let owned = group
            .owner_department
            .as_ref()
            .is_some_and(|p| affected.contains(p.department_id()));
        if !owned && !rule_names_any(&group, &affected) {
            continue;
        }
        match progress
            .store
            .record_evaluation(
                progress.account,
                &group.id,
                &Evaluation::queued(now(), false).because(crate::history::Trigger::DepartmentMove),
                RecordIf::Always,
            )
            .await
        {
            Ok(_) => queued += 1,
            Err(Error::NotFound { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(queued)
}
