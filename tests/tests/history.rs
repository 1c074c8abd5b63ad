//! Membership history (DESIGN §11): every join and leave with its cause (manual and by whom, rule
//! version, override, group deleted; trigger API, user change, schedule), per group and per user,
//! newest first and paged, and a group's members as of a past instant. Through the API, with the
//! history written from the change records as the stream consumer writes it, on both stores.

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
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

async fn call<S: Store + 'static>(
    api: &Api<S>,
    user: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = HttpCall::new(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = api.as_user(user, request).await;
    (reply.status, reply.body)
}

async fn get<S: Store + 'static>(api: &Api<S>, user: &str, path: &str) -> (u16, Value) {
    call(api, user, "GET", path, None).await
}

/// Every entry of a history, following cursors `limit` at a time.
async fn all_entries<S: Store + 'static>(api: &Api<S>, path: &str, limit: u32) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let (status, body) = get(api, ADMIN, &page).await;
        assert_eq!(status, 200, "{page}: {body}");
        let items = body["items"].as_array().expect("items").clone();
        assert!(
            items.len() <= limit as usize,
            "a page holds at most its limit"
        );
        entries.extend(items);
        match body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return entries,
        }
    }
}

/// (change, user, cause kind, trigger) of each entry, in order.
fn summary(entries: &[Value]) -> Vec<(String, String, String, String)> {
    entries
        .iter()
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                text(&e["change"]),
                text(&e["userId"]),
                text(&e["cause"]["kind"]),
                text(&e["cause"]["trigger"]),
            )
        })
        .collect()
}

fn instant(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("format")
}

/// A moment strictly between two writes (the clock must move on before the next write).
async fn pause() -> OffsetDateTime {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let now = OffsetDateTime::now_utc();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    now
}

/// Members as of `at`, every page, by user id.
async fn members_as_of<S: Store + 'static>(api: &Api<S>, id: &str, at: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/groups/{id}/members?asOf={at}&limit=2");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let path = path.replace('+', "%2B");
        let (status, body) = get(api, ADMIN, &path).await;
        assert_eq!(status, 200, "{path}: {body}");
        found.extend(body["items"].as_array().expect("items").clone());
        match body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return found,
        }
    }
}

fn ids(entries: &[Value]) -> BTreeSet<String> {
    entries
        .iter()
        .map(|m| m["userId"].as_str().expect("userId").to_owned())
        .collect()
}

async fn history<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard::default();
    feed.settle(api, guard).await;
    let everyone: Vec<String> = expected(
        api,
        &json!({"attr": "status", "op": "eq", "value": "active"}),
        None,
    )
    .await
    .into_iter()
    .collect();
    let (a, b, c) = (&everyone[0], &everyone[1], &everyone[2]);

    // A static group: two join by hand, one leaves by hand.
    let (status, created) = call(
        api,
        ADMIN,
        "POST",
        "/groups",
        Some(json!({"title": "Audited", "kind": "static"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let members_path = format!("/groups/{id}/members");
    let before_any = pause().await;
    let (status, body) = call(
        api,
        ADMIN,
        "POST",
        &members_path,
        Some(json!({"userIds": [a, b]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    feed.settle(api, guard).await;
    let both_in = pause().await;
    let (status, body) = call(
        api,
        ADMIN,
        "DELETE",
        &members_path,
        Some(json!({"userIds": [a]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    feed.settle(api, guard).await;

    let group_history = format!("/groups/{id}/history");
    let entries = all_entries(api, &group_history, 50).await;
    let (x, y) = if a > b { (a, b) } else { (b, a) };
    let manual = |change: &str, user: &str| {
        (
            change.to_owned(),
            user.to_owned(),
            "manual".to_owned(),
            "api".to_owned(),
        )
    };
    assert_eq!(
        summary(&entries),
        vec![
            manual("left", a),
            // Joined at one instant: by user id, newest key first.
            manual("joined", x),
            manual("joined", y),
        ],
        "newest first, with causes: {entries:?}"
    );
    assert!(entries.iter().all(|e| e["cause"]["by"] == ADMIN), "by whom");
    assert!(
        entries[0]["user"]["id"] == a.as_str(),
        "the member's directory entry, as the member list shows it"
    );
    // Paging one at a time gives the same entries, each once.
    assert_eq!(all_entries(api, &group_history, 1).await, entries);

    // As of a past instant: before anyone, both, and now.
    assert!(
        members_as_of(api, &id, &instant(before_any))
            .await
            .is_empty()
    );
    let then = members_as_of(api, &id, &instant(both_in)).await;
    assert_eq!(ids(&then), BTreeSet::from([a.clone(), b.clone()]));
    let left_since = then.iter().find(|m| m["userId"] == a.as_str()).expect("a");
    assert!(
        left_since.get("addedAt").is_none(),
        "a member who has left since has no current membership to show: {left_since}"
    );
    let still = then.iter().find(|m| m["userId"] == b.as_str()).expect("b");
    assert_eq!(still["source"], "manual");
    let now = members_as_of(api, &id, &instant(OffsetDateTime::now_utc())).await;
    assert_eq!(
        ids(&now),
        members(api, &id).await,
        "as of now: today's members"
    );
    // Out of range or malformed: a 400 naming asOf, nothing written.
    let tomorrow = instant(OffsetDateTime::now_utc() + time::Duration::days(1));
    let too_old = instant(OffsetDateTime::now_utc() - time::Duration::days(401));
    for bad in [tomorrow.as_str(), too_old.as_str(), "yesterday"] {
        let (status, body) = get(api, ADMIN, &format!("{members_path}?asOf={bad}")).await;
        assert_eq!(
            (status, &body["field"]),
            (400, &json!("asOf")),
            "{bad}: {body}"
        );
    }

    // A smart group: joins by its rule (the version in force), a leave by a user change, and
    // an exclusion by override.
    set_job(api, b, "Auditor").await;
    set_job(api, c, "Auditor").await;
    feed.settle(api, guard).await;
    let rule = json!({"attr": "jobTitle", "op": "eq", "value": "Auditor"});
    let smart = api.create_smart("Rule audited", &rule).await;
    feed.settle(api, guard).await;
    let (_, group) = get(api, ADMIN, &format!("/groups/{smart}")).await;
    let version = group["version"].clone();
    let smart_history = format!("/groups/{smart}/history");
    let joins = all_entries(api, &smart_history, 50).await;
    assert_eq!(ids(&joins), BTreeSet::from([b.clone(), c.clone()]));
    for e in &joins {
        assert_eq!(
            (
                &e["change"],
                &e["cause"]["kind"],
                &e["cause"]["ruleVersion"]
            ),
            (&json!("joined"), &json!("rule"), &version),
            "{e}"
        );
    }
    let (status, body) = call(
        api,
        ADMIN,
        "POST",
        &format!("/groups/{smart}/overrides"),
        Some(json!({"userId": c, "effect": "exclude", "reason": "Audit"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    feed.settle(api, guard).await;
    let newest = &all_entries(api, &smart_history, 1).await[0];
    assert_eq!(
        (
            &newest["change"],
            &newest["userId"],
            &newest["cause"]["kind"]
        ),
        (&json!("left"), &json!(c), &json!("override"))
    );
    assert_eq!(newest["cause"]["by"], ADMIN);

    // A user change: the user no longer matches and leaves, the trigger named.
    set_job(api, b, "Retired auditor").await;
    feed.settle(api, guard).await;
    let newest = &all_entries(api, &smart_history, 1).await[0];
    assert_eq!(
        summary(std::slice::from_ref(newest)),
        vec![(
            "left".to_owned(),
            b.clone(),
            "rule".to_owned(),
            "userChange".to_owned()
        )]
    );

    // The user's history across groups: newest first, with titles.
    let user_history = format!("/users/{b}/history");
    let mine = all_entries(api, &user_history, 50).await;
    let groups: Vec<(String, String)> = mine
        .iter()
        .map(|e| {
            (
                e["change"].as_str().unwrap_or_default().to_owned(),
                e["groupTitle"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            ("left".to_owned(), "Rule audited".to_owned()),
            ("joined".to_owned(), "Rule audited".to_owned()),
            ("joined".to_owned(), "Audited".to_owned()),
        ]
    );
    // Deleting the group: its members leave, by whom and why, and the history outlives it.
    let (status, body) = call(api, ADMIN, "DELETE", &format!("/groups/{id}"), None).await;
    assert_eq!(status, 204, "{body}");
    feed.settle(api, guard).await;
    let mine = all_entries(api, &user_history, 50).await;
    assert_eq!(
        (
            &mine[0]["change"],
            &mine[0]["groupId"],
            &mine[0]["cause"]["kind"]
        ),
        (&json!("left"), &json!(id), &json!("groupDeleted")),
        "{mine:?}"
    );
    assert!(mine[0].get("groupTitle").is_none(), "the group is gone");
    assert_eq!(mine.len(), 4);

    // Scope and permissions: out of scope reads as unknown, a learner is refused.
    let (status, _) = get(api, DEPT_ADMIN, &group_history).await;
    assert_eq!(
        status, 404,
        "a deleted group's history is not a group's page"
    );
    let (status, _) = get(api, LEARNER, &smart_history).await;
    assert_eq!(status, 403);
    let (status, _) = get(api, ADMIN, "/users/nobody-at-all/history").await;
    assert_eq!(
        status, 200,
        "an account-wide caller reads a deleted user's history"
    );
    let outsider = out_of_scope_user(api).await;
    let (status, body) = get(api, DEPT_ADMIN, &format!("/users/{outsider}/history")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = get(api, ADMIN, &format!("{group_history}?cursor=forged")).await;
    assert_eq!(status, 400, "{body}");
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
    let (status, reply) = call(api, ADMIN, "PUT", &format!("/users/{user}"), Some(body)).await;
    assert_eq!(status, 200, "{reply}");
}

/// A user the department admin's scope does not cover.
async fn out_of_scope_user<S: Store + 'static>(api: &Api<S>) -> String {
    let (_, all) = get(api, ADMIN, "/users?limit=200").await;
    let (_, theirs) = get(api, DEPT_ADMIN, "/users?limit=200").await;
    let visible: BTreeSet<&str> = theirs["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .find(|id| !visible.contains(id.as_str()))
        .expect("a user outside the department admin's scope")
}

#[tokio::test]
async fn history_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    history(&api, &mut feed).await;
}

#[tokio::test]
async fn history_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    history(&api, &mut feed).await;
}

/// A page of history is one Query (besides the authorizer's GetItem, the group with its counts,
/// and one read of the page's users).
#[tokio::test]
async fn a_history_page_is_one_query_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter.clone()).await;
    let mut feed = StreamFeed::new(&api).await;
    let id = api.group_id("Interns").await;
    let (status, _) = call(
        &api,
        ADMIN,
        "DELETE",
        &format!("/groups/{id}/members"),
        Some(json!({"userIds": members(&api, &id).await})),
    )
    .await;
    assert_eq!(status, 200);
    feed.settle(&api, Guard::default()).await;
    counter.reset();
    let (status, body) = get(&api, ADMIN, &format!("/groups/{id}/history?limit=5")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(5));
    let calls = counter.by_operation();
    let want: std::collections::BTreeMap<String, usize> =
        [("GetItem", 1), ("BatchGetItem", 2), ("Query", 1)]
            .into_iter()
            .map(|(op, n)| (op.to_owned(), n))
            .collect();
    assert_eq!(
        calls, want,
        "the authorizer's GetItem, the group with its counts, one Query, the page's users"
    );
}
