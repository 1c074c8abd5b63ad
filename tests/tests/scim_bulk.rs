//! A SCIM PATCH adding or removing 1,000 members at once (DESIGN §10): exact on both stores,
//! and on DynamoDB Local a fixed, batched number of calls; and a `userName eq` lookup among
//! more than 1,000 users costs the same few calls as among ten.

use groups_domain::Store;
use groups_http::event::HttpCall;
use groups_store::{CallCounter, MemoryStore};
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api};
use groups_tests::fixtures::{user, user_id};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK: usize = 1000;

async fn scim<S: Store + 'static>(
    api: &Api<S>,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let token = groups_local::seed::scim_token();
    let call = HttpCall::new(method, path)
        .header("authorization", &format!("Bearer {token}"))
        .json(&body);
    let reply = api.call(call).await;
    (reply.status, reply.body)
}

async fn member_count<S: Store + 'static>(api: &Api<S>, group: &str) -> u64 {
    let reply = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{group}")))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["memberCount"].as_u64().expect("memberCount")
}

/// Entra ID's form: one operation whose value lists every member.
fn members_op(op: &str, range: std::ops::Range<usize>) -> Value {
    let values: Vec<Value> = range
        .map(|n| json!({"value": user_id(n).as_str()}))
        .collect();
    json!({"schemas": [PATCH], "Operations": [{"op": op, "path": "members", "value": values}]})
}

/// Calls made since the last look, by operation; attempts DynamoDB Local refused for a
/// transaction conflict (it does so when busy, and the store retries them) are not counted.
fn calls(counter: Option<&CallCounter>) -> Option<BTreeMap<String, usize>> {
    counter.map(|c| {
        let counts = c.by_operation_settled();
        c.reset();
        counts
    })
}

async fn thousand_at_once<S: Store + 'static>(api: &Api<S>, counter: Option<&CallCounter>) {
    for n in 0..BULK {
        api.ctx
            .store
            .put_user(&api.account, &user(n, None))
            .await
            .expect("put user");
    }
    // Entra ID looks a user up by userName before each create: one index Query, however
    // many users the account has (here over 1,000).
    calls(counter);
    let lookup = "/scim/v2/Users?filter=userName%20eq%20%22USER500%40example.com%22";
    let (status, found) = scim(api, "GET", lookup, json!(null)).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["totalResults"], json!(1), "{found}");
    assert_eq!(found["Resources"][0]["id"], json!(user_id(500).as_str()));
    if let Some(made) = calls(counter) {
        let expected = BTreeMap::from([
            ("GetItem".into(), 2),
            // The department tree (to name departments) and the login index.
            ("Query".into(), 2),
        ]);
        assert_eq!(made, expected, "a userName lookup");
    }
    let (status, group) = scim(
        api,
        "POST",
        "/scim/v2/Groups",
        json!({"schemas": [GROUP], "displayName": "All hands (bulk)"}),
    )
    .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().expect("id").to_owned();
    let path = format!("/scim/v2/Groups/{gid}");

    // 400 already in: the 1,000 add leaves exactly 1,000, each counted once.
    let (status, body) = scim(api, "PATCH", &path, members_op("add", 0..400)).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(member_count(api, &gid).await, 400);

    calls(counter);
    let (status, body) = scim(api, "PATCH", &path, members_op("add", 0..BULK)).await;
    assert_eq!(status, 204, "{body}");
    if let Some(made) = calls(counter) {
        // The token and the group are one read each; the 1,000 ids are checked in batches
        // of 100 keys; the 600 new memberships go in transactions of up to 100 items,
        // one per member shard, retried without the 400 already present.
        assert_eq!(made, expected_add_calls(), "adding 1,000 members");
    }
    assert_eq!(member_count(api, &gid).await, BULK as u64);

    calls(counter);
    let (status, body) = scim(api, "PATCH", &path, members_op("remove", 0..BULK)).await;
    assert_eq!(status, 204, "{body}");
    if let Some(made) = calls(counter) {
        assert_eq!(made, expected_remove_calls(), "removing 1,000 members");
    }
    assert_eq!(member_count(api, &gid).await, 0);
    let (status, shown) = scim(api, "GET", &path, json!(null)).await;
    assert_eq!(status, 200, "{shown}");
    assert!(
        shown.get("members").is_none_or(|m| m == &json!([])),
        "{shown}"
    );
}

fn expected_add_calls() -> BTreeMap<String, usize> {
    BTreeMap::from([
        // The SCIM token: once by the authorizer, once by the function (revocation is immediate).
        ("GetItem".into(), 2),
        // The group (1); the 1,000 ids checked, 100 keys a call (10); the group again as the
        // write reads it, without the users (1); and as its version moves on (1).
        ("BatchGetItem".into(), 13),
        // 4 member shards of about 250 ids, 99 a transaction: 3 each. The 400 present make
        // the first of each shard cancel with nothing left, and the second retry once. Then
        // the group's version (its ETag) moves on (1).
        ("TransactWriteItems".into(), 17),
    ])
}

fn expected_remove_calls() -> BTreeMap<String, usize> {
    BTreeMap::from([
        ("GetItem".into(), 2),
        // The group, then the group as the write reads it (an account-wide caller's removal
        // needs no user read), and as its version moves on.
        ("BatchGetItem".into(), 3),
        // 4 shards, 3 transactions of up to 99 each, none cancelled; then the version.
        ("TransactWriteItems".into(), 13),
    ])
}

#[tokio::test]
async fn thousand_member_patch_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    thousand_at_once(&api, None).await;
}

#[tokio::test]
async fn thousand_member_patch_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter.clone()).await;
    thousand_at_once(&api, Some(&counter)).await;
}
