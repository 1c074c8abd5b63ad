//! An evaluation runs once per request, however many writes the group sees while it waits:
//! joins made by user changes while a full evaluation is queued write no group record (the
//! count lives in shards beside the memberships), requests made while one is queued make one
//! pass, a pass that finishes after a newer request leaves that request queued for its own
//! run, and a finished evaluation shows when it really started and finished.

use groups_domain::ports::RecordIf;
use groups_domain::smart::Guard;
use groups_domain::{Evaluation, EvaluationStatus, GroupId, Store};
use groups_http::event::HttpCall;
use groups_http::metrics::RecordedMetrics;
use groups_store::MemoryStore;
use groups_tests::api::{ADMIN, Api};
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
use groups_tests::fixtures;
use serde_json::json;
use std::sync::Arc;

/// Full passes of requested evaluations finished so far (one metrics line each).
fn passes(recorded: &RecordedMetrics) -> usize {
    recorded
        .lines()
        .iter()
        .filter(|l| l.contains("\"Trigger\":\"request\""))
        .count()
}

async fn request<S: Store + 'static>(api: &Api<S>, group: &str) {
    let reply = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{group}/evaluate")),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
}

async fn evaluation<S: Store + 'static>(api: &Api<S>, group: &str) -> Evaluation {
    let id = GroupId::parse("id", group).expect("id");
    api.store()
        .get_group(&api.account, &id)
        .await
        .expect("read")
        .expect("group")
        .evaluation
        .expect("evaluated")
}

/// 300 users join through user changes while a full evaluation is queued (asked for twice):
/// one pass runs, and the count is exact. Answers the sort keys of the group records seen.
async fn joins_while_queued<S: Store + 'static, F: Feeder<S>>(
    mut api: Api<S>,
    feed: &mut F,
) -> Api<S> {
    let recorded = Arc::new(RecordedMetrics::default());
    api.ctx.metrics = recorded.clone();
    let group = api
        .create_smart(
            "Pilots",
            &json!({"attr": "jobTitle", "op": "eq", "value": "Pilot"}),
        )
        .await;
    feed.settle(&api, Guard::default()).await;
    assert_eq!(passes(&recorded), 1, "the create's evaluation");
    for n in 0..300 {
        let mut user = fixtures::user(5000 + n, None);
        user.job_title = "Pilot".into();
        api.store()
            .put_user(&api.account, &user)
            .await
            .expect("user");
    }
    request(&api, &group).await;
    request(&api, &group).await;
    feed.settle(&api, Guard::default()).await;
    assert_eq!(
        passes(&recorded),
        2,
        "two requests while queued make one pass"
    );
    let reply = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{group}")))
        .await;
    assert_eq!(reply.body["memberCount"], 300, "{}", reply.body);
    let done = evaluation(&api, &group).await;
    assert_eq!(done.status, EvaluationStatus::Done);
    let (started, finished) = (
        done.started_at.expect("started"),
        done.finished_at.expect("finished"),
    );
    assert!(done.requested_at <= started, "{done:?}");
    assert!(started < finished, "a real start and finish: {done:?}");
    api
}

#[tokio::test]
async fn joins_while_queued_make_one_pass_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    joins_while_queued(api, &mut feed).await;
}

#[tokio::test]
async fn joins_while_queued_make_one_pass_on_dynamodb_local() {
    let (store, grants) = groups_testkit::fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, grants).await;
    let mut feed = StreamFeed::new(&api).await;
    joins_while_queued(api, &mut feed).await;
    let group_records = feed
        .delivered_keys
        .iter()
        .filter(|k| k.starts_with("G#"))
        .count();
    // Create, then two requests, then running and done for each of the two passes' runs:
    // create (1), its running and done (2), two requests (2), running and done (2). The 300
    // joins wrote none.
    assert_eq!(group_records, 7, "{:?}", feed.delivered_keys);
}

/// A pass that ends after a newer request was made does not overwrite it: the newer request
/// stays queued and runs once.
async fn a_late_pass_keeps_a_newer_request<S: Store + 'static, F: Feeder<S>>(
    mut api: Api<S>,
    feed: &mut F,
) {
    let recorded = Arc::new(RecordedMetrics::default());
    api.ctx.metrics = recorded.clone();
    let group = api
        .create_smart(
            "Late",
            &json!({"attr": "jobTitle", "op": "eq", "value": "Engineer"}),
        )
        .await;
    feed.settle(&api, Guard::default()).await;
    let before = passes(&recorded);
    let id = GroupId::parse("id", group.as_str()).expect("id");
    request(&api, &group).await;
    let first = evaluation(&api, &group).await;
    // A pass takes the first request...
    let running = Evaluation {
        status: EvaluationStatus::Running,
        started_at: Some(first.requested_at),
        ..first.clone()
    };
    assert!(
        api.store()
            .record_evaluation(
                &api.account,
                &id,
                &running,
                RecordIf::Serving(first.requested_at)
            )
            .await
            .expect("record")
    );
    // ...someone asks again while it runs...
    request(&api, &group).await;
    let second = evaluation(&api, &group).await;
    assert!(second.requested_at > first.requested_at);
    // ...and the first pass ends: its result must not replace the newer request.
    let late = Evaluation {
        status: EvaluationStatus::Done,
        finished_at: Some(second.requested_at),
        ..running
    };
    assert!(
        !api.store()
            .record_evaluation(
                &api.account,
                &id,
                &late,
                RecordIf::Serving(first.requested_at)
            )
            .await
            .expect("record"),
        "a late pass is refused"
    );
    assert_eq!(
        evaluation(&api, &group).await,
        second,
        "the request is kept"
    );
    feed.settle(&api, Guard::default()).await;
    assert_eq!(passes(&recorded), before + 1, "the kept request runs once");
    let done = evaluation(&api, &group).await;
    assert_eq!(done.status, EvaluationStatus::Done);
    assert_eq!(done.requested_at, second.requested_at);
}

#[tokio::test]
async fn a_late_pass_keeps_a_newer_request_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    a_late_pass_keeps_a_newer_request(api, &mut feed).await;
}

#[tokio::test]
async fn a_late_pass_keeps_a_newer_request_on_dynamodb_local() {
    let (store, grants) = groups_testkit::fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, grants).await;
    let mut feed = StreamFeed::new(&api).await;
    a_late_pass_keeps_a_newer_request(api, &mut feed).await;
}
