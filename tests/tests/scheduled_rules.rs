//! Scheduled rule versions (DESIGN §11): a rule change saved with `effectiveAt` waits on the
//! group until the schedule applies it, then shows in the rule history and is evaluated in
//! full; it can be cancelled, and bad requests write nothing. Through the API, on both stores.

use evaluate_smart_group::handle_schedule;
use groups_domain::Store;
use groups_domain::smart::Guard;
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api};
use groups_tests::expect::{expected, members};
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
use serde_json::{Value, json};

async fn group<S: Store + 'static>(api: &Api<S>, id: &str) -> Value {
    let reply = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{id}")))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

async fn patch<S: Store + 'static>(api: &Api<S>, id: &str, body: Value) -> (u16, Value) {
    let version = group(api, id).await["version"].clone();
    let reply = api
        .as_user(
            ADMIN,
            HttpCall::new("PATCH", &format!("/groups/{id}"))
                .header("if-match", &format!("\"{version}\""))
                .json(&body),
        )
        .await;
    (reply.status, reply.body)
}

/// An instant `days` from now on the functions' clock (which `travel` moves).
fn in_days(days: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::days(days))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

async fn schedule<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard::default();
    api.watch_grants();
    handle_schedule(&api.ctx, guard, &|| false)
        .await
        .expect("refresh");
    api.check_handler_grants(&evaluate_smart_group::DESCRIPTOR, "the schedule");
    feed.settle(api, guard).await;
}

async fn scheduled<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let now_rule = json!({"attr": "jobTitle", "op": "eq", "value": "Specialist"});
    let later_rule = json!({"attr": "jobTitle", "op": "eq", "value": "Analyst"});
    let id = api.create_smart("Specialists", &now_rule).await;
    feed.settle(api, Guard::default()).await;
    let before = members(api, &id).await;
    assert_eq!(before, expected(api, &now_rule, None).await);
    assert_ne!(before, expected(api, &later_rule, None).await);

    // Saved for tomorrow: the rule in force is unchanged and nothing is requested.
    let (status, body) = patch(
        api,
        &id,
        json!({"rule": later_rule, "effectiveAt": in_days(1)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rule"], now_rule);
    assert_eq!(body["scheduled"]["rule"], later_rule);
    assert_eq!(body["scheduled"]["savedBy"], ADMIN);
    assert_eq!(body["evaluation"]["status"], "done");
    schedule(api, feed).await;
    assert_eq!(members(api, &id).await, before, "not yet due");
    assert_eq!(group(api, &id).await["scheduled"]["rule"], later_rule);

    // Refused, writing nothing.
    let version = group(api, &id).await["version"].clone();
    for (body, field) in [
        (
            json!({"rule": later_rule, "effectiveAt": in_days(-1)}),
            "effectiveAt",
        ),
        (
            json!({"rule": later_rule, "effectiveAt": in_days(800)}),
            "effectiveAt",
        ),
        (json!({"effectiveAt": in_days(2)}), "effectiveAt"),
        (json!({"scheduled": {"rule": later_rule}}), "scheduled"),
        (
            json!({"rule": later_rule, "effectiveAt": in_days(2), "scheduled": null}),
            "scheduled",
        ),
        (
            json!({"rule": {"attr": "nope", "op": "eq", "value": 1}, "effectiveAt": in_days(2)}),
            "rule/attr",
        ),
    ] {
        let (status, reply) = patch(api, &id, body.clone()).await;
        assert_eq!(status, 400, "{body} → {reply}");
        assert_eq!(reply["field"], field, "{body} → {reply}");
    }
    assert_eq!(group(api, &id).await["version"], version, "nothing written");
    let club = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups").json(&json!({"title": "Unscheduled"})),
        )
        .await;
    let club = club.body["id"].as_str().expect("id").to_owned();
    let (status, _) = patch(
        api,
        &club,
        json!({"rule": later_rule, "effectiveAt": in_days(1)}),
    )
    .await;
    assert_eq!(status, 400, "a static group has no rule");

    // Two days on, the schedule applies it: the history shows it and the group follows it.
    api.travel(2);
    schedule(api, feed).await;
    let applied = group(api, &id).await;
    assert_eq!(applied["rule"], later_rule);
    assert!(applied.get("scheduled").is_none(), "{applied}");
    assert_eq!(
        members(api, &id).await,
        expected(api, &later_rule, None).await
    );
    let history = api
        .as_user(
            ADMIN,
            HttpCall::new("GET", &format!("/groups/{id}/rule-versions")),
        )
        .await;
    assert_eq!(history.body["items"][0]["rule"], later_rule);
    assert_eq!(history.body["items"][0]["savedBy"], ADMIN);
    assert_eq!(history.body["items"][1]["rule"], now_rule);

    // A cancelled change never takes effect.
    let (status, body) = patch(
        api,
        &id,
        json!({"rule": now_rule, "effectiveAt": in_days(3)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = patch(api, &id, json!({"scheduled": null})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("scheduled").is_none(), "{body}");
    api.travel(10);
    schedule(api, feed).await;
    assert_eq!(group(api, &id).await["rule"], later_rule);
}

#[tokio::test]
async fn scheduled_rule_versions_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    scheduled(&api, &mut feed).await;
}

#[tokio::test]
async fn scheduled_rule_versions_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    scheduled(&api, &mut feed).await;
}
