//! Applies an import: rows in dependency order (departments parents first, roles, users, groups,
//! memberships) whatever the file order, in batches, each row reported with its outcome, and
//! the rows done saved after every batch so that `--resume` skips them.

mod directory;
mod groups;
mod users;

pub(crate) use directory::all_roles;

use crate::Failure;
use crate::batch::UserBatches;
use crate::input::{Input, SourcedRow};
use crate::progress::Progress;
use crate::report::{Outcome, Refusal, Report, ReportLine, Tally};
use crate::rows::{Kind, Row};
use groups_domain::{AccountId, Error, Store, UserId};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Skip the rows the progress file records as done.
    pub resume: bool,
    /// Apply at most this many rows in this run, then stop as an interruption would.
    pub stop_after: Option<usize>,
    pub progress_path: PathBuf,
    pub now: OffsetDateTime,
    /// Users read and written per batch (progress is saved after each).
    pub user_batch: usize,
}

impl ImportOptions {
    pub fn new(progress_path: PathBuf) -> Self {
        Self {
            resume: false,
            stop_after: None,
            progress_path,
            now: OffsetDateTime::now_utc(),
            user_batch: 1000,
        }
    }
}

/// Where a running import is, after each batch.
#[derive(Debug, Clone)]
pub struct Status {
    pub phase: &'static str,
    pub done: usize,
    pub total: usize,
    pub rows_this_run: usize,
    pub elapsed: Duration,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub tally: Tally,
    /// Every row is done (false when `stop_after` stopped it).
    pub complete: bool,
    pub rows_this_run: usize,
    /// Rows a resume skipped as done by an earlier run.
    pub skipped: usize,
    pub elapsed: Duration,
}

/// What every phase shares: the store, the account, and what earlier rows established.
pub(crate) struct Ctx<'a, S> {
    pub store: &'a S,
    pub account: &'a AccountId,
    pub now: OffsetDateTime,
    pub user_batch: usize,
    /// First place each (kind, id) appeared in this run: a repeat is refused.
    seen: HashMap<(Kind, String), (String, u64)>,
    /// Users known to exist, so memberships need not read them again.
    pub known_users: HashSet<UserId>,
}

/// One kind's handler: the outcome of each row of a batch, in order.
pub(crate) trait Phase<S> {
    fn batch_size(&self, ctx: &Ctx<'_, S>) -> usize;
    async fn apply(
        &mut self,
        ctx: &mut Ctx<'_, S>,
        rows: &[&SourcedRow],
    ) -> Result<Vec<Result<Outcome, Refusal>>, Failure>;
}

/// Why a row was not applied: refused (reported, the import goes on), or the store failed
/// (the import stops, and a resume retries the batch).
pub(crate) enum RowError {
    Refused(Refusal),
    Fatal(Failure),
}

impl From<Error> for RowError {
    fn from(e: Error) -> Self {
        match e {
            Error::Unavailable(_) | Error::Internal(_) => {
                RowError::Fatal(Failure(format!("the store failed: {e}")))
            }
            other => RowError::Refused(other.into()),
        }
    }
}

impl From<Refusal> for RowError {
    fn from(r: Refusal) -> Self {
        RowError::Refused(r)
    }
}

pub(crate) type RowResult = Result<Outcome, RowError>;

/// A row's refusal, naming `field` when one is at fault.
pub(crate) fn refuse(field: Option<&str>, reason: impl Into<String>) -> RowError {
    RowError::Refused(Refusal::new(field, reason))
}

/// A row's outcome for the report, or the failure that stops the import.
pub(crate) fn settle(result: RowResult) -> Result<Result<Outcome, Refusal>, Failure> {
    match result {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(RowError::Refused(r)) => Ok(Err(r)),
        Err(RowError::Fatal(f)) => Err(f),
    }
}

pub async fn import<S, W>(
    store: &S,
    account: &AccountId,
    input: &Input,
    options: &ImportOptions,
    report: &mut Report<W>,
    on_batch: &mut dyn FnMut(&Status),
) -> Result<Summary, Failure>
where
    S: Store + UserBatches,
    W: Write,
{
    let mut progress = match Progress::load(&options.progress_path)? {
        Some(saved) if options.resume && saved.fingerprint != input.fingerprint => {
            return Err(Failure(format!(
                "{} records an import of other files (or of these files before they changed); run without --resume to start over (the import is idempotent)",
                options.progress_path.display()
            )));
        }
        Some(saved) if options.resume => saved,
        _ => Progress::fresh(&input.fingerprint),
    };
    progress.complete = false;
    let mut run = Run {
        ctx: Ctx {
            store,
            account,
            now: options.now,
            user_batch: options.user_batch.max(1),
            seen: HashMap::new(),
            known_users: HashSet::new(),
        },
        report,
        progress,
        path: options.progress_path.clone(),
        budget: options.stop_after,
        rows_this_run: 0,
        skipped: 0,
        started: Instant::now(),
        on_batch,
    };
    let unreadable: Vec<&SourcedRow> = input.rows.iter().filter(|r| r.kind.is_none()).collect();
    let of = |kind: Kind| -> Vec<&SourcedRow> {
        input.rows.iter().filter(|r| r.kind == Some(kind)).collect()
    };
    let complete = run
        .phase("unreadable", &unreadable, &mut Unreadable)
        .await?
        && run
            .phase(
                "department",
                &directory::order_departments(of(Kind::Department)),
                &mut directory::Departments::load(store, account).await?,
            )
            .await?
        && run
            .phase(
                "role",
                &of(Kind::Role),
                &mut directory::Roles::load(store, account).await?,
            )
            .await?
        && run
            .phase(
                "user",
                &of(Kind::User),
                &mut users::Users::load(store, account).await?,
            )
            .await?
        && run
            .phase(
                "group",
                &of(Kind::Group),
                &mut groups::Groups::load(store, account).await?,
            )
            .await?
        && run
            .phase(
                "membership",
                &of(Kind::Membership),
                &mut groups::Memberships::default(),
            )
            .await?;
    run.progress.complete = complete;
    run.progress.save(&run.path)?;
    Ok(Summary {
        tally: run.report.tally.clone(),
        complete,
        rows_this_run: run.rows_this_run,
        skipped: run.skipped,
        elapsed: run.started.elapsed(),
    })
}

struct Run<'a, 'b, S, W: Write> {
    ctx: Ctx<'a, S>,
    report: &'b mut Report<W>,
    progress: Progress,
    path: PathBuf,
    budget: Option<usize>,
    rows_this_run: usize,
    skipped: usize,
    started: Instant,
    on_batch: &'b mut dyn FnMut(&Status),
}

impl<S, W: Write> Run<'_, '_, S, W> {
    /// Runs one phase from where the progress left it; false when the budget ran out first.
    async fn phase(
        &mut self,
        name: &'static str,
        rows: &[&SourcedRow],
        handler: &mut impl Phase<S>,
    ) -> Result<bool, Failure> {
        let mut at = self.progress.done(name).min(rows.len());
        self.skipped += at;
        while at < rows.len() {
            let mut n = handler.batch_size(&self.ctx).max(1).min(rows.len() - at);
            if let Some(budget) = self.budget {
                if budget == 0 {
                    return Ok(false);
                }
                n = n.min(budget);
            }
            let batch = &rows[at..at + n];
            let outcomes = self.apply(handler, batch).await?;
            for (row, outcome) in batch.iter().zip(outcomes) {
                self.report.record(line_of(row, outcome))?;
            }
            self.report.flush()?;
            at += n;
            self.progress.done.insert(name.to_owned(), at);
            self.progress.save(&self.path)?;
            self.rows_this_run += n;
            self.budget = self.budget.map(|b| b - n);
            (self.on_batch)(&Status {
                phase: name,
                done: at,
                total: rows.len(),
                rows_this_run: self.rows_this_run,
                elapsed: self.started.elapsed(),
            });
        }
        Ok(true)
    }

    /// Refuses unreadable rows and repeats itself; hands the rest to the phase.
    async fn apply(
        &mut self,
        handler: &mut impl Phase<S>,
        batch: &[&SourcedRow],
    ) -> Result<Vec<Result<Outcome, Refusal>>, Failure> {
        let mut outcomes: Vec<Option<Result<Outcome, Refusal>>> = Vec::with_capacity(batch.len());
        let mut pass = Vec::new();
        for row in batch {
            match &row.row {
                Err(refusal) => outcomes.push(Some(Err(refusal.clone()))),
                Ok(parsed) => match self.ctx.repeat_of(parsed, row) {
                    Some(refusal) => outcomes.push(Some(Err(refusal))),
                    None => {
                        outcomes.push(None);
                        pass.push(*row);
                    }
                },
            }
        }
        let mut applied = handler.apply(&mut self.ctx, &pass).await?.into_iter();
        outcomes
            .into_iter()
            .map(|o| match o {
                Some(done) => Ok(done),
                None => applied
                    .next()
                    .ok_or_else(|| Failure("a phase answered fewer outcomes than rows".into())),
            })
            .collect()
    }
}

impl<S> Ctx<'_, S> {
    /// A refusal when this row's (kind, id) came earlier in the run.
    fn repeat_of(&mut self, row: &Row, at: &SourcedRow) -> Option<Refusal> {
        let key = (row.kind(), row.id());
        match self.seen.get(&key) {
            Some((file, line)) => Some(Refusal::new(
                None,
                format!(
                    "repeats {file} line {line}, which had the same {}",
                    key.0.name()
                ),
            )),
            None => {
                self.seen.insert(key, (at.file.clone(), at.line));
                None
            }
        }
    }
}

fn line_of(row: &SourcedRow, outcome: Result<Outcome, Refusal>) -> ReportLine {
    let id = match &row.row {
        Ok(parsed) => Some(parsed.id()),
        Err(_) => row.id.clone(),
    };
    let (outcome, field, reason) = match outcome {
        Ok(o) => (o, None, None),
        Err(r) => (Outcome::Refused, r.field, Some(r.reason)),
    };
    ReportLine {
        file: row.file.clone(),
        line: row.line,
        kind: row.kind,
        id,
        outcome,
        field,
        reason,
    }
}

/// Lines whose kind could not be read: already refused when read.
struct Unreadable;

impl<S> Phase<S> for Unreadable {
    fn batch_size(&self, _: &Ctx<'_, S>) -> usize {
        1000
    }

    async fn apply(
        &mut self,
        _: &mut Ctx<'_, S>,
        rows: &[&SourcedRow],
    ) -> Result<Vec<Result<Outcome, Refusal>>, Failure> {
        Ok(rows
            .iter()
            .map(|_| Err(Refusal::new(None, "unreadable line")))
            .collect())
    }
}

/// The [`Phase`] of a kind whose rows apply one at a time (`one`), 50 to a batch.
macro_rules! row_by_row_phase {
    ($phase:ident, $variant:ident, $refusal:literal) => {
        impl<S: Store> Phase<S> for $phase {
            fn batch_size(&self, _: &Ctx<'_, S>) -> usize {
                50
            }

            async fn apply(
                &mut self,
                ctx: &mut Ctx<'_, S>,
                rows: &[&SourcedRow],
            ) -> Result<Vec<Result<Outcome, Refusal>>, Failure> {
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    out.push(match &row.row {
                        Ok(Row::$variant(r)) => settle(self.one(ctx, r).await)?,
                        _ => Err(Refusal::new(None, $refusal)),
                    });
                }
                Ok(out)
            }
        }
    };
}
pub(crate) use row_by_row_phase;
