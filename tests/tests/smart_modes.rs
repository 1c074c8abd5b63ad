//! A smart group's mode (DESIGN §11): `paused` changes no membership at all (a deleted user's
//! leave included), `addOnly` applies joins and holds leaves, and leaving a pause or returning to
//! `active` evaluates in full. Through the API, on both stores.

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
use std::collections::BTreeSet;

async fn group<S: Store + 'static>(api: &Api<S>, id: &str) -> Value {
    let reply = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{id}")))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// PATCHes `body` onto the group at its current version.
async fn patch<S: Store + 'static>(api: &Api<S>, id: &str, body: Value) -> (u16, Value) {
    let current = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{id}")))
        .await;
    let etag = current.header("etag").expect("etag").to_owned();
    let reply = api
        .as_user(
            ADMIN,
            HttpCall::new("PATCH", &format!("/groups/{id}"))
                .header("if-match", &etag)
                .json(&body),
        )
        .await;
    (reply.status, reply.body)
}

/// Sets a seeded user's job title (or deletes the user, given `None`).
async fn set_job<S: Store + 'static>(api: &Api<S>, user: &str, job: Option<&str>) {
    let Some(job) = job else {
        let deleted = api
            .as_user(ADMIN, HttpCall::new("DELETE", &format!("/users/{user}")))
            .await;
        assert_eq!(deleted.status, 204, "{}", deleted.body);
        return;
    };
    let mut body = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/users?q={user}")))
        .await
        .body["items"][0]
        .clone();
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

/// Members and count agree.
async fn exact<S: Store + 'static>(api: &Api<S>, id: &str) -> BTreeSet<String> {
    let stored = members(api, id).await;
    assert_eq!(
        group(api, id).await["memberCount"].as_u64(),
        Some(stored.len() as u64),
        "exact count"
    );
    stored
}

async fn modes<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard::default();
    let rule = json!({"attr": "jobTitle", "op": "eq", "value": "Specialist"});
    let id = api.create_smart("Specialists", &rule).await;
    feed.settle(api, guard).await;
    let before = exact(api, &id).await;
    assert_eq!(before, expected(api, &rule, None).await);
    assert!(before.len() >= 3, "{before:?}");
    assert_eq!(group(api, &id).await["mode"], "active");
    let outsider = {
        let everyone = expected(
            api,
            &json!({"attr": "status", "op": "eq", "value": "active"}),
            None,
        )
        .await;
        everyone
            .difference(&before)
            .next()
            .expect("a non-member")
            .clone()
    };
    let mut current = before.iter();
    let (changer, deleted, later) = (
        current.next().expect("member").clone(),
        current.next().expect("member").clone(),
        current.next().expect("member").clone(),
    );

    // Paused: neither a change, nor the schedule, nor "evaluate now" moves anyone.
    let (status, body) = patch(api, &id, json!({"mode": "paused"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mode"], "paused");
    assert_eq!(
        body["evaluation"]["status"], "done",
        "pausing requests nothing"
    );
    set_job(api, &changer, Some("Analyst")).await;
    set_job(api, &outsider, Some("Specialist")).await;
    feed.settle(api, guard).await;
    handle_schedule(&api.ctx, guard, &|| false)
        .await
        .expect("refresh");
    feed.settle(api, guard).await;
    assert_eq!(exact(api, &id).await, before, "frozen while paused");
    let refused = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{id}/evaluate")).json(&json!({})),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(group(api, &id).await["evaluation"]["status"], "done");
    // No change at all: a deleted user's leave waits too.
    set_job(api, &deleted, None).await;
    feed.settle(api, guard).await;
    let mut kept = before.clone();
    assert_eq!(exact(api, &id).await, kept, "a deleted user's leave waits");

    // Add only: leaving the pause evaluates; the waiting user joins, no one leaves (not even
    // the deleted user: their leave waits for the return to active).
    let (status, body) = patch(api, &id, json!({"mode": "addOnly"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["evaluation"]["status"], "queued");
    feed.settle(api, guard).await;
    kept.insert(outsider.clone());
    assert_eq!(exact(api, &id).await, kept, "joins only");
    assert!(kept.contains(&changer) && kept.contains(&deleted));
    // "Why?" names the mode that keeps a member who no longer matches.
    let why = api
        .as_user(
            ADMIN,
            HttpCall::new("GET", &format!("/groups/{id}/members/{changer}/explain")),
        )
        .await;
    assert_eq!(why.status, 200, "{}", why.body);
    assert_eq!(
        (&why.body["mode"], &why.body["member"], &why.body["matches"]),
        (&json!("addOnly"), &json!(true), &json!(false))
    );
    set_job(api, &later, Some("Analyst")).await;
    feed.settle(api, guard).await;
    handle_schedule(&api.ctx, guard, &|| false)
        .await
        .expect("refresh");
    feed.settle(api, guard).await;
    assert_eq!(exact(api, &id).await, kept, "no one leaves by the rule");

    // Active again: evaluated in full, the rule holds exactly.
    let (status, body) = patch(api, &id, json!({"mode": "active"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["evaluation"]["status"], "queued");
    feed.settle(api, guard).await;
    let after = exact(api, &id).await;
    assert_eq!(after, expected(api, &rule, None).await);
    assert!(!after.contains(&changer) && !after.contains(&later) && after.contains(&outsider));
    assert!(!after.contains(&deleted));
    assert_eq!(group(api, &id).await["mode"], "active");

    // A static group has no mode, and a bad one is refused; neither writes anything.
    let club = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups").json(&json!({"title": "Modeless"})),
        )
        .await;
    let club = club.body["id"].as_str().expect("id").to_owned();
    assert_eq!(group(api, &club).await.get("mode"), None);
    let (status, body) = patch(api, &club, json!({"mode": "paused"})).await;
    assert_eq!((status, &body["field"]), (400, &json!("mode")), "{body}");
    let (status, body) = patch(api, &id, json!({"mode": "sleepy", "title": "Renamed"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(group(api, &club).await["version"], 1);
    assert_eq!(group(api, &id).await["title"], "Specialists");
}

#[tokio::test]
async fn modes_pause_and_add_only_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    modes(&api, &mut feed).await;
}

#[tokio::test]
async fn modes_pause_and_add_only_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    modes(&api, &mut feed).await;
}
