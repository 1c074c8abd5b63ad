//! Overrides of a smart group (DESIGN §11): members = (rule ∪ include) − exclude, on every
//! evaluation path (the write itself, a user change, the schedule), with the reason and actor
//! kept, explain naming the override, expiries lapsing on the schedule, and bad or out-of-scope
//! requests writing nothing. Through the API, on both stores.

use evaluate_smart_group::handle_schedule;
use groups_domain::Store;
use groups_domain::smart::Guard;
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api, DEPT_ADMIN, LEARNER};
use groups_tests::expect::{expected, members};
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn get<S: Store + 'static>(api: &Api<S>, user: &str, path: &str) -> (u16, Value) {
    let reply = api.as_user(user, HttpCall::new("GET", path)).await;
    (reply.status, reply.body)
}

async fn post<S: Store + 'static>(
    api: &Api<S>,
    user: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let reply = api
        .as_user(user, HttpCall::new("POST", path).json(&body))
        .await;
    (reply.status, reply.body)
}

/// Members, checked against the group's count.
async fn exact<S: Store + 'static>(api: &Api<S>, id: &str) -> BTreeSet<String> {
    let stored = members(api, id).await;
    let (_, group) = get(api, ADMIN, &format!("/groups/{id}")).await;
    assert_eq!(
        group["memberCount"].as_u64(),
        Some(stored.len() as u64),
        "exact count"
    );
    stored
}

/// Sets a seeded user's job title through the API.
async fn set_job<S: Store + 'static>(api: &Api<S>, user: &str, job: &str) {
    let (_, found) = get(api, ADMIN, &format!("/users?q={user}")).await;
    let mut body = found["items"][0].clone();
    assert_eq!(body["id"], user);
    body["jobTitle"] = json!(job);
    for key in ["id", "createdAt"] {
        body.as_object_mut().expect("user").remove(key);
    }
    let put = api
        .as_user(
            ADMIN,
            HttpCall::new("PUT", &format!("/users/{user}")).json(&body),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
}

fn at(days: i64) -> String {
    let when = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    when.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

async fn overrides<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard::default();
    let rule = json!({"attr": "jobTitle", "op": "eq", "value": "Specialist"});
    let id = api.create_smart("Specialists", &rule).await;
    feed.settle(api, guard).await;
    let before = exact(api, &id).await;
    assert_eq!(before, expected(api, &rule, None).await);
    let everyone = expected(
        api,
        &json!({"attr": "status", "op": "eq", "value": "active"}),
        None,
    )
    .await;
    let guest = everyone
        .difference(&before)
        .next()
        .expect("a non-member")
        .clone();
    let expert = before.iter().next().expect("a member").clone();
    let path = format!("/groups/{id}/overrides");

    // Include a non-member until the day after tomorrow: they join at once, by override.
    let (status, body) = post(
        api,
        ADMIN,
        &path,
        json!({"userId": guest, "effect": "include", "reason": "  Mentor for Q3  ", "expiresAt": at(2)}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (&body["member"], &body["applied"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(body["override"]["reason"], "Mentor for Q3");
    assert_eq!(body["override"]["createdBy"], ADMIN);
    // Exclude a member: they leave at once.
    let (status, body) = post(
        api,
        ADMIN,
        &path,
        json!({"userId": expert, "effect": "exclude", "reason": "On leave"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["member"], false);
    let mut want = before.clone();
    want.insert(guest.clone());
    want.remove(&expert);
    assert_eq!(exact(api, &id).await, want, "(rule ∪ include) − exclude");
    let (_, listed) = get(api, ADMIN, &format!("/groups/{id}/members?limit=200")).await;
    let source = |user: &str| {
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|m| m["userId"] == user)
            .map(|m| m["source"].clone())
    };
    assert_eq!(source(&guest), Some(json!("override")));

    // The list, by user id; the second page follows the cursor.
    let (status, page) = get(api, ADMIN, &format!("{path}?limit=1")).await;
    assert_eq!(status, 200, "{page}");
    let first = page["items"][0]["userId"]
        .as_str()
        .expect("user")
        .to_owned();
    let cursor = page["nextCursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let (_, rest) = get(api, ADMIN, &format!("{path}?limit=1&cursor={cursor}")).await;
    let second = rest["items"][0]["userId"]
        .as_str()
        .expect("user")
        .to_owned();
    assert!(first < second, "{first} then {second}");
    assert_eq!(
        BTreeSet::from([first, second]),
        BTreeSet::from([guest.clone(), expert.clone()])
    );
    assert!(rest["nextCursor"].is_null());

    // "Why?" names the override.
    let (_, why) = get(
        api,
        ADMIN,
        &format!("/groups/{id}/members/{expert}/explain"),
    )
    .await;
    assert_eq!(
        (&why["matches"], &why["member"], &why["override"]["effect"]),
        (&json!(true), &json!(false), &json!("exclude"))
    );
    assert_eq!(why["override"]["reason"], "On leave");

    // Every path keeps them: a user change, then the schedule.
    set_job(api, &expert, "Analyst").await;
    feed.settle(api, guard).await;
    set_job(api, &expert, "Specialist").await;
    feed.settle(api, guard).await;
    api.watch_grants();
    handle_schedule(&api.ctx, guard, &|| false)
        .await
        .expect("refresh");
    api.check_handler_grants(&evaluate_smart_group::DESCRIPTOR, "the schedule");
    feed.settle(api, guard).await;
    assert_eq!(exact(api, &id).await, want, "overrides hold on every path");

    // Manual edits of a smart group point at the overrides.
    let (status, body) = post(
        api,
        ADMIN,
        &format!("/groups/{id}/members"),
        json!({"userIds": [guest]}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["overrides"], path);

    // Bad input and callers outside the scope write nothing.
    let (_, group) = get(api, ADMIN, &format!("/groups/{id}")).await;
    let version = group["version"].clone();
    for (body, want_status) in [
        (
            json!({"userId": guest, "effect": "include", "reason": " "}),
            400,
        ),
        (
            json!({"userId": guest, "effect": "maybe", "reason": "x"}),
            400,
        ),
        (
            json!({"userId": guest, "effect": "include", "reason": "x", "expiresAt": at(-1)}),
            400,
        ),
        (
            json!({"userId": guest, "effect": "include", "reason": "x".repeat(201)}),
            400,
        ),
        (
            json!({"userId": guest, "effect": "include", "reason": "x", "extra": 1}),
            400,
        ),
        (
            json!({"userId": "nobody-here", "effect": "include", "reason": "x"}),
            404,
        ),
    ] {
        let (status, reply) = post(api, ADMIN, &path, body.clone()).await;
        assert_eq!(status, want_status, "{body} → {reply}");
    }
    // Without groups:members, and for a department admin to whom the group is unknown.
    let (status, _) = post(
        api,
        LEARNER,
        &path,
        json!({"userId": guest, "effect": "exclude", "reason": "x"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post(
        api,
        DEPT_ADMIN,
        &path,
        json!({"userId": guest, "effect": "exclude", "reason": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let (_, group) = get(api, ADMIN, &format!("/groups/{id}")).await;
    assert_eq!(group["version"], version, "nothing written");
    assert_eq!(exact(api, &id).await, want);

    // Two days on, the inclusion lapses on the schedule and is dropped from the group.
    api.travel(3);
    api.watch_grants();
    handle_schedule(&api.ctx, guard, &|| false)
        .await
        .expect("refresh");
    api.check_handler_grants(&evaluate_smart_group::DESCRIPTOR, "the schedule");
    feed.settle(api, guard).await;
    want.remove(&guest);
    assert_eq!(exact(api, &id).await, want, "the lapsed inclusion ends");
    let (_, page) = get(api, ADMIN, &path).await;
    let listed: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["userId"].as_str())
        .collect();
    assert_eq!(listed, vec![expert.as_str()]);
    let stored = api
        .store()
        .get_group(
            &api.account,
            &groups_domain::GroupId::parse("id", id.as_str()).expect("id"),
        )
        .await
        .expect("read")
        .expect("group");
    assert_eq!(
        stored.overrides.len(),
        1,
        "the schedule dropped the lapsed one"
    );

    // Removing the exclusion hands the member back to the rule.
    let reply = api
        .as_user(ADMIN, HttpCall::new("DELETE", &format!("{path}/{expert}")))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["member"], true);
    want.insert(expert.clone());
    assert_eq!(exact(api, &id).await, want);
    assert_eq!(want, expected(api, &rule, None).await);
    let again = api
        .as_user(ADMIN, HttpCall::new("DELETE", &format!("{path}/{expert}")))
        .await;
    assert_eq!(again.status, 404, "{}", again.body);
}

#[tokio::test]
async fn overrides_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    overrides(&api, &mut feed).await;
}

#[tokio::test]
async fn overrides_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    overrides(&api, &mut feed).await;
}

/// An override add reads the group with the user, the user's groups, and writes one
/// transaction (override, membership and count shard together).
#[tokio::test]
async fn an_override_costs_one_transaction_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter.clone()).await;
    let rule = json!({"attr": "jobTitle", "op": "eq", "value": "Specialist"});
    let id = api.create_smart("Counted", &rule).await;
    let everyone = expected(
        &api,
        &json!({"attr": "status", "op": "eq", "value": "active"}),
        None,
    )
    .await;
    let user = everyone.iter().next().expect("a user").clone();
    counter.reset();
    let (status, body) = post(
        &api,
        ADMIN,
        &format!("/groups/{id}/overrides"),
        json!({"userId": user, "effect": "include", "reason": "Counted"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let calls = counter.by_operation();
    let want: std::collections::BTreeMap<String, usize> = [
        ("GetItem", 1),
        ("BatchGetItem", 1),
        ("Query", 1),
        ("TransactWriteItems", 1),
    ]
    .into_iter()
    .map(|(op, n)| (op.to_owned(), n))
    .collect();
    assert_eq!(
        calls, want,
        "the authorizer's GetItem, the group with the user, the user's groups, one transaction"
    );
}
