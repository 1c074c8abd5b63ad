//! CSV imports above [`MAX_IMPORT_ROWS`] rows run as a job (DESIGN §11): the request checks
//! everything and finds each row's user, stores the rows in slices and answers 202 at once;
//! each slice is then written in its own step, and every step's saved progress starts the next
//! (a checkpoint's change record, as long-running evaluations continue). Progress and each
//! row's outcome are readable while it runs.
//!
//! Kept as named checkpoints: `import/<account>/<job>` (the job), `…/rows/<n>` (a slice to
//! write, deleted once written) and `…/done/<n>` (its outcomes).

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::ids::{AccountId, GroupId, UserId};
use crate::ports::Store;
use crate::role::{Permission, RoleRef};
use crate::service::{visible, writable};
use crate::service_csv::{
    ImportOutcome, ImportRow, MAX_IMPORT_ROWS, ResolvedRow, RowResult, apply_rows, check_rows,
    prepare_import,
};
use crate::user::UserStatus;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Most rows one job takes.
pub const MAX_JOB_ROWS: usize = 50_000;
/// Rows written in one step (and kept in one checkpoint item, well under DynamoDB's 400 KB).
pub const SLICE_ROWS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobStatus {
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportJob {
    pub id: String,
    pub group_id: GroupId,
    /// Who started it: each step acts with their authority as it is then.
    pub requested_by: UserId,
    pub status: JobStatus,
    pub total: usize,
    pub slices: usize,
    /// Slices written so far.
    pub slices_done: usize,
    /// Counts of the rows written so far (`rows` is empty here; outcomes are kept per slice).
    pub outcome: ImportOutcome,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ImportJob {
    pub fn processed(&self) -> usize {
        let o = &self.outcome;
        o.added + o.already_members + o.not_found + o.invalid + o.duplicates
    }
}

fn job_name(account: &AccountId, job: &str) -> String {
    format!("import/{account}/{job}")
}

fn slice_name(account: &AccountId, job: &str, part: &str, n: usize) -> String {
    format!("import/{account}/{job}/{part}/{n}")
}

/// The account and job of a job's checkpoint name; `None` for any other name (its slices too).
pub fn parse_job_name(name: &str) -> Option<(AccountId, String)> {
    let mut parts = name.strip_prefix("import/")?.split('/');
    let account = AccountId::parse("checkpoint", parts.next()?).ok()?;
    let job = parts.next()?.to_owned();
    parts.next().is_none().then_some((account, job))
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::Internal(e.to_string()))
}

/// Checks the request as a small import would be checked, stores its rows in slices and the
/// job, and answers the job (its first step starts from the job's change record).
pub async fn start_import<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    rows: Vec<ImportRow>,
    now: OffsetDateTime,
) -> Result<ImportJob> {
    let job_id = format!("imp-{}", uuid::Uuid::new_v4().simple());
    caller.require(Permission::GroupsMembers)?;
    check_rows(&rows, MAX_JOB_ROWS, "split the file")?;
    let resolved = prepare_import(store, caller, group_id, rows).await?;
    let account = &caller.account_id;
    let slices: Vec<&[ResolvedRow]> = resolved.chunks(SLICE_ROWS).collect();
    for (n, slice) in slices.iter().enumerate() {
        let name = slice_name(account, &job_id, "rows", n);
        store.save_checkpoint(&name, Some(&to_json(slice)?)).await?;
    }
    let job = ImportJob {
        id: job_id,
        group_id: group_id.clone(),
        requested_by: caller.user_id.clone(),
        status: JobStatus::Running,
        total: resolved.len(),
        slices: slices.len(),
        slices_done: 0,
        outcome: ImportOutcome::default(),
        created_at: now,
        finished_at: None,
        error: None,
    };
    store
        .save_checkpoint(&job_name(account, &job.id), Some(&to_json(&job)?))
        .await?;
    Ok(job)
}

/// The person who started a job, with their authority now (`None`: deleted or inactive).
async fn current_caller<S: Store>(
    store: &S,
    account: &AccountId,
    user: &UserId,
) -> Result<Option<Caller>> {
    let Some(found) = store.get_user(account, user).await? else {
        return Ok(None);
    };
    if found.status != UserStatus::Active {
        return Ok(None);
    }
    let custom = match &found.role {
        RoleRef::Custom(id) => store.get_role(account, id).await?,
        RoleRef::Builtin(_) => None,
    };
    Ok(Some(Caller::resolve(
        account.clone(),
        user.clone(),
        found.role.clone(),
        custom.as_ref(),
        found.managed_department_ids.clone(),
    )))
}

/// One step of the job named `name`: writes its next slice and saves the progress, which
/// starts the next step. A step run twice writes nothing twice (the slice's outcomes mark it).
pub async fn continue_import<S: Store>(store: &S, name: &str, now: OffsetDateTime) -> Result<()> {
    let Some((account, job_id)) = parse_job_name(name) else {
        return Ok(());
    };
    let Some(saved) = store.load_checkpoint(name).await? else {
        return Ok(());
    };
    let mut job: ImportJob = from_json(saved)?;
    if job.status != JobStatus::Running {
        return Ok(());
    }
    let n = job.slices_done;
    let done_name = slice_name(&account, &job_id, "done", n);
    let outcomes: Vec<RowResult> = match store.load_checkpoint(&done_name).await? {
        Some(written) => from_json(written)?,
        None => {
            let rows_name = slice_name(&account, &job_id, "rows", n);
            let rows: Vec<ResolvedRow> = match store.load_checkpoint(&rows_name).await? {
                Some(rows) => from_json(rows)?,
                None => return fail(store, name, job, "a slice of rows is missing", now).await,
            };
            let caller = match current_caller(store, &account, &job.requested_by).await? {
                Some(c) if c.require(Permission::GroupsMembers).is_ok() => c,
                _ => {
                    let why = "the person who started it may no longer add members";
                    return fail(store, name, job, why, now).await;
                }
            };
            let group = store.get_group(&account, &job.group_id).await?;
            if writable(&caller, group, &job.group_id).is_err() {
                let why = "the group is gone, outside its starter's scope or now provisioned";
                return fail(store, name, job, why, now).await;
            }
            let outcomes = apply_rows(store, &caller, &job.group_id, rows, now).await?;
            store
                .save_checkpoint(&done_name, Some(&to_json(&outcomes)?))
                .await?;
            store.save_checkpoint(&rows_name, None).await?;
            outcomes
        }
    };
    for row in &outcomes {
        job.outcome.count(row);
    }
    job.slices_done += 1;
    if job.slices_done >= job.slices {
        job.status = JobStatus::Done;
        job.finished_at = Some(now);
    }
    store.save_checkpoint(name, Some(&to_json(&job)?)).await
}

async fn fail<S: Store>(
    store: &S,
    name: &str,
    mut job: ImportJob,
    why: &str,
    now: OffsetDateTime,
) -> Result<()> {
    job.status = JobStatus::Failed;
    job.error = Some(why.to_owned());
    job.finished_at = Some(now);
    store.save_checkpoint(name, Some(&to_json(&job)?)).await
}

/// A job with one slice of its row outcomes (`slice`: from 0; written slices only), for the
/// person who started it, while they may still see the group.
pub async fn import_status<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    job_id: &str,
    slice: usize,
) -> Result<(ImportJob, Vec<RowResult>)> {
    caller.require(Permission::GroupsView)?;
    let account = &caller.account_id;
    visible(caller, store.get_group(account, group_id).await?, group_id)?;
    let unknown = || Error::not_found("import", job_id);
    if job_id.is_empty() || job_id.contains('/') {
        return Err(unknown());
    }
    let job: ImportJob = match store.load_checkpoint(&job_name(account, job_id)).await? {
        Some(saved) => from_json(saved)?,
        None => return Err(unknown()),
    };
    // Its rows are what the starter typed (emails among them) and what they could see: the
    // job is theirs alone; anyone else reads it as unknown.
    if &job.group_id != group_id || job.requested_by != caller.user_id {
        return Err(unknown());
    }
    let rows = if slice < job.slices_done {
        match store
            .load_checkpoint(&slice_name(account, job_id, "done", slice))
            .await?
        {
            Some(saved) => from_json(saved)?,
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    Ok((job, rows))
}

/// Whether `rows` are too many for one request (and so a job).
pub fn needs_job(rows: &[ImportRow]) -> bool {
    rows.len() > MAX_IMPORT_ROWS
}
