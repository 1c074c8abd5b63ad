//! Smart-group evaluation, driven by:
//! - `POST /groups/{groupId}/evaluate` ("re-evaluate now", or `{"confirm": true}` for a held
//!   evaluation): queues it on the group and answers 202; the group shows the progress;
//! - the table's stream: a user created, updated or deleted is evaluated against the
//!   account's smart groups; a membership change re-evaluates that user for the rules that
//!   reference the group; a queued evaluation runs; a department move runs its next slice;
//! - the EventBridge schedule: every smart group of every account is refreshed; a refresh
//!   that reaches its time budget saves a checkpoint, whose stream record continues it at
//!   once in a new invocation (not at the next tick).

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use futures_util::stream::{self, StreamExt};
use groups_domain::UserId;
use groups_domain::history::Trigger as Why;
use groups_domain::import_job;
use groups_domain::ports::Change;
use groups_domain::smart::AccountRules;
use groups_domain::smart::{self, Evaluator, Guard, RefreshCheckpoint};
use groups_domain::{
    AccountId, Error, Evaluation, GroupId, PageRequest, Permission, Result, Store, department_move,
    service_rules,
};
/// The guard's settings (shared with the preview).
pub use groups_http::guard_from_env;
use groups_http::metrics;
use groups_http::respond::v2_response;
use groups_http::{
    Access, Body, Deps, EventSource, FunctionDescriptor, Request, Response, Route, Trigger, caller,
    json, query, respond,
};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "evaluate-smart-group",
    trigger: Trigger::HttpAndEvents(
        &[Route {
            method: "POST",
            path: "/groups/{groupId}/evaluate",
        }],
        &[EventSource::TableStream, EventSource::Schedule],
    ),
    access: Access::All(&[Permission::GroupsEdit]),
    publishes: false,
    table: &[
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "BatchGetItem",
        "ConditionCheckItem",
        "Query GSI1",
        "Query GSI2",
        "Query GSI3",
    ],
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateBody {
    #[serde(default)]
    confirm: bool,
}

/// `POST /groups/{groupId}/evaluate`: queue an evaluation (202).
pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        query::allow_only(&req, &[])?;
        let body: EvaluateBody = match req.body() {
            Body::Empty => EvaluateBody::default(),
            Body::Text(t) if t.trim().is_empty() => EvaluateBody::default(),
            _ => groups_http::json_body(&req)?,
        };
        let queued =
            service_rules::request_evaluation(&ctx.store, &caller, &id, body.confirm, ctx.now())
                .await?;
        let mut response = json(StatusCode::ACCEPTED, &queued)?;
        if let Ok(location) = http::HeaderValue::from_str(&format!("/groups/{id}")) {
            response
                .headers_mut()
                .insert(http::header::LOCATION, location);
        }
        Ok(response)
    })
    .await
}

fn evaluator<'a, S: Store>(
    ctx: &'a Deps<S>,
    account: &'a AccountId,
    guard: Guard,
) -> Evaluator<'a, S> {
    Evaluator::new(&ctx.store, account, ctx.now(), guard)
}

/// Reacts to one change. Idempotent: processing a change twice changes nothing more.
pub async fn process<S: Store>(ctx: &Deps<S>, guard: Guard, change: &Change) -> Result<()> {
    match change {
        Change::User { account, user } => {
            let ev = evaluator(ctx, account, guard).triggered_by(Why::UserChange);
            smart::evaluate_user(&ev, user).await?;
        }
        // The history's source; the event publisher records it.
        Change::MembersWritten { .. } => {}
        Change::Membership {
            account,
            membership,
            ..
        } => {
            // Only rules that reference the group can change.
            let rules = AccountRules::load(&ctx.store, account).await?;
            if rules.references(&membership.group_id) {
                let ev = evaluator(ctx, account, guard).triggered_by(Why::ReferencedGroup);
                smart::evaluate_user_with(&ev, &rules, &membership.user_id).await?;
            }
        }
        Change::EvaluationRequested { account, group } => {
            let budget = within(CONTINUATION_BUDGET);
            Box::pin(evaluate_requested(
                ctx, guard, account, group, None, &budget,
            ))
            .await?;
        }
        Change::WorkContinues { name } if name == REFRESH => {
            // The refresh that stopped at its budget goes on now, within a budget of its own.
            let budget = within(CONTINUATION_BUDGET);
            Box::pin(handle_schedule(ctx, guard, &budget)).await?;
        }
        Change::WorkContinues { name } if import_job::parse_job_name(name).is_some() => {
            // A CSV import job's next slice.
            import_job::continue_import(&ctx.store, name, ctx.now()).await?;
        }
        Change::WorkContinues { name } => {
            let Some((account, group)) = smart::parse_checkpoint_name(name) else {
                return Ok(());
            };
            let Some(saved) = ctx.store.load_checkpoint(name).await? else {
                return Ok(());
            };
            let resume: smart::GroupCheckpoint =
                serde_json::from_value(saved).map_err(|e| Error::Internal(e.to_string()))?;
            let budget = within(CONTINUATION_BUDGET);
            Box::pin(evaluate_requested(
                ctx,
                guard,
                &account,
                &group,
                Some(resume),
                &budget,
            ))
            .await?;
        }
        Change::DepartmentMove {
            account,
            department,
        } => {
            // One slice; if work remains, its last write starts the next through the stream.
            department_move::run_slice(
                &ctx.store,
                account,
                department,
                department_move::SLICE_USERS,
                || ctx.now(),
            )
            .await?;
        }
    }
    Ok(())
}

/// A budget of `limit` from now.
fn within(limit: std::time::Duration) -> impl Fn() -> bool + Sync {
    let started = std::time::Instant::now();
    move || started.elapsed() > limit
}

/// Runs (or continues) a requested evaluation within a budget; one that stops leaves a
/// checkpoint whose stream record continues it at once, and one that finishes clears it.
pub async fn evaluate_requested<S: Store>(
    ctx: &Deps<S>,
    guard: Guard,
    account: &AccountId,
    group: &GroupId,
    resume: Option<smart::GroupCheckpoint>,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<()> {
    // A failure is counted with the stream record that failed (handle_stream).
    let report = |e: &Evaluation| {
        ctx.metrics.emit(metrics::evaluation("request", Some(e)));
    };
    let ev = evaluator(ctx, account, guard).observed(&report);
    let name = smart::checkpoint_name(account, group);
    let resumed = resume.is_some();
    match Box::pin(smart::evaluate_request_within(
        &ev,
        group,
        resume,
        out_of_time,
    ))
    .await?
    {
        smart::GroupOutcome::Stopped(checkpoint) => {
            let value =
                serde_json::to_value(&checkpoint).map_err(|e| Error::Internal(e.to_string()))?;
            ctx.store.save_checkpoint(&name, Some(&value)).await
        }
        smart::GroupOutcome::Finished(_) if resumed => ctx.store.save_checkpoint(&name, None).await,
        smart::GroupOutcome::Finished(_) => Ok(()),
    }
}

fn report(response: &mut DynamoDbEventResponse, sequence: String) {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence);
    response.batch_item_failures.push(failure);
}

/// Users evaluated at once within one stream batch (each evaluation is a few small reads and
/// writes, so the batch is bound by round trips, not by the function's CPU).
const USERS_AT_ONCE: usize = 16;

/// What one stream record asks for: a user to evaluate (a user change, or a membership change
/// of a group some rule references), or another change processed as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Work {
    User(AccountId, UserId),
    Other(Change),
}

/// A batch of stream records. Each account's rules are read and compiled once; membership
/// records of groups no rule references are dropped; each distinct user is evaluated once,
/// up to [`USERS_AT_ONCE`] at a time; every other distinct change runs once, in order.
/// Records whose work failed are reported so Lambda retries them (with bisecting) instead of
/// the batch.
pub async fn handle_stream<S: Store>(
    ctx: &Deps<S>,
    guard: Guard,
    event: StreamEvent,
) -> DynamoDbEventResponse {
    let records: Vec<(String, Change)> = event
        .records
        .iter()
        .filter_map(|record| {
            let change = groups_store::dynamo::stream::change_of_record(record)?;
            Some((
                record.change.sequence_number.clone().unwrap_or_default(),
                change,
            ))
        })
        .collect();
    let mut rules: HashMap<AccountId, Result<AccountRules>> = HashMap::new();
    for (_, change) in &records {
        if let Change::User { account, .. } | Change::Membership { account, .. } = change
            && !rules.contains_key(account)
        {
            let loaded = AccountRules::load(&ctx.store, account).await;
            rules.insert(account.clone(), loaded);
        }
    }
    // Users changed themselves (not only a group their rules reference): the history's trigger.
    let changed_users: HashSet<(AccountId, UserId)> = records
        .iter()
        .filter_map(|(_, c)| match c {
            Change::User { account, user } => Some((account.clone(), user.clone())),
            _ => None,
        })
        .collect();
    // Each record's work, or none.
    let work: Vec<(String, Option<Work>)> = records
        .into_iter()
        .map(|(sequence, change)| {
            let work = match change {
                Change::User { account, user } => Some(Work::User(account, user)),
                Change::Membership {
                    account,
                    membership,
                    ..
                } => match rules.get(&account) {
                    Some(Ok(r)) if !r.references(&membership.group_id) => None,
                    _ => Some(Work::User(account, membership.user_id)),
                },
                Change::MembersWritten { .. } => None,
                other => Some(Work::Other(other)),
            };
            (sequence, work)
        })
        .collect();
    // Each distinct piece of work once, in the order first asked for.
    let mut seen: HashSet<&Work> = HashSet::new();
    let (mut users, mut others): (Vec<(AccountId, UserId)>, Vec<Change>) = (Vec::new(), Vec::new());
    for w in work.iter().filter_map(|(_, w)| w.as_ref()) {
        if !seen.insert(w) {
            continue;
        }
        match w {
            Work::User(a, u) => users.push((a.clone(), u.clone())),
            Work::Other(c) => others.push(c.clone()),
        }
    }
    let changed_users = &changed_users;
    let mut failed: HashSet<Work> = HashSet::new();
    let evaluated: Vec<(Work, Result<()>)> = stream::iter(users)
        .map(|(account, user)| {
            let rules = &rules;
            async move {
                let result = match rules.get(&account) {
                    Some(Ok(r)) => {
                        // A user change of its own, or only a group the rules reference.
                        let trigger = if changed_users.contains(&(account.clone(), user.clone())) {
                            Why::UserChange
                        } else {
                            Why::ReferencedGroup
                        };
                        let ev = evaluator(ctx, &account, guard).triggered_by(trigger);
                        smart::evaluate_user_with(&ev, r, &user).await.map(drop)
                    }
                    Some(Err(e)) => Err(Error::Unavailable(format!("rules of {account}: {e}"))),
                    None => Err(Error::Internal("rules not loaded".into())),
                };
                (Work::User(account, user), result)
            }
        })
        .buffer_unordered(USERS_AT_ONCE)
        .collect()
        .await;
    let mut outcomes = evaluated;
    for change in others {
        let result = process(ctx, guard, &change).await;
        outcomes.push((Work::Other(change), result));
    }
    for (work, result) in outcomes {
        if let Err(error) = result {
            ctx.metrics.emit(metrics::evaluation("stream", None));
            tracing::error!(%error, ?work, "stream record failed");
            failed.insert(work);
        }
    }
    let mut response = DynamoDbEventResponse::default();
    for (sequence, work) in work {
        if work.is_some_and(|w| failed.contains(&w)) {
            report(&mut response, sequence);
        }
    }
    response
}

const REFRESH: &str = "refresh";

/// How long a continued refresh runs before it hands over again (the function's timeout is 15
/// minutes; the rest of its stream batch needs time too).
const CONTINUATION_BUDGET: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshState {
    /// Accounts before this one are done.
    account: AccountId,
    state: RefreshCheckpoint,
}

/// What a scheduled invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshSummary {
    pub accounts: u64,
    /// Whether it stopped early and left a checkpoint for the next invocation.
    pub checkpointed: bool,
}

/// Refreshes every smart group of every account, resuming the checkpoint left by an earlier
/// invocation, and leaving one if `out_of_time` says to stop.
pub async fn handle_schedule<S: Store>(
    ctx: &Deps<S>,
    guard: Guard,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<RefreshSummary> {
    let mut resume: Option<RefreshState> = match ctx.store.load_checkpoint(REFRESH).await? {
        Some(value) => serde_json::from_value(value).ok(),
        None => None,
    };
    let mut summary = RefreshSummary::default();
    let mut cursor = None;
    loop {
        let page = ctx
            .store
            .smart_group_accounts(&PageRequest { limit: 50, cursor })
            .await?;
        for account in &page.items {
            // Accounts before the checkpoint's were done by an earlier invocation.
            if resume.as_ref().is_some_and(|r| account < &r.account) {
                continue;
            }
            let state = resume
                .take()
                .filter(|r| &r.account == account)
                .map(|r| r.state);
            let report = |e: &Evaluation| {
                ctx.metrics.emit(metrics::evaluation("schedule", Some(e)));
            };
            let ev = evaluator(ctx, account, guard)
                .observed(&report)
                .triggered_by(Why::Schedule);
            if let Some(state) = Box::pin(smart::refresh_account(&ev, state, out_of_time)).await? {
                let checkpoint = RefreshState {
                    account: account.clone(),
                    state,
                };
                let value = serde_json::to_value(&checkpoint)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                ctx.store.save_checkpoint(REFRESH, Some(&value)).await?;
                summary.checkpointed = true;
                return Ok(summary);
            }
            summary.accounts += 1;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    ctx.store.save_checkpoint(REFRESH, None).await?;
    Ok(summary)
}

/// The Lambda entry point's dispatch: an HTTP API request, a stream batch, or the schedule.
/// `deadline_ms` is the invocation's deadline (ms since the epoch).
pub async fn handle_event<S: Store>(
    ctx: &Deps<S>,
    guard: Guard,
    payload: Value,
    deadline_ms: u64,
) -> Result<Value> {
    fn to_value<T: Serialize>(value: &T) -> Result<Value> {
        serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))
    }
    if payload.get("requestContext").is_some() {
        let request =
            groups_http::event::request(&payload).map_err(|e| Error::Internal(e.to_string()))?;
        let response = match groups_http::descriptor::refuse(&DESCRIPTOR, &request) {
            Some(refusal) => refusal,
            None => handle(ctx, request).await,
        };
        return to_value(&v2_response(response));
    }
    if payload.get("Records").is_some() {
        let event: StreamEvent =
            serde_json::from_value(payload).map_err(|e| Error::Internal(e.to_string()))?;
        return to_value(&Box::pin(handle_stream(ctx, guard, event)).await);
    }
    // Anything else is the schedule. Stop with a minute to spare to save the checkpoint.
    let out_of_time = move || {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(u64::MAX);
        now_ms + 60_000 >= deadline_ms
    };
    let refreshed = Box::pin(handle_schedule(ctx, guard, &out_of_time)).await;
    if refreshed.is_err() {
        ctx.metrics.emit(metrics::evaluation("schedule", None));
    }
    to_value(&refreshed?)
}
