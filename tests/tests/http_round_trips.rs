//! DynamoDB calls per HTTP request, on DynamoDB Local, the authorizer's lookup included.

use groups_http::event::HttpCall;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{Api, OWNER};
use serde_json::json;
use std::collections::BTreeMap;

#[tokio::test]
async fn each_request_costs_the_authorizers_lookup_plus_its_own_minimum() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter.clone()).await;
    let group = api.group_id("Interns").await;
    let expect = |label: &str, calls: &[(&str, usize)], counter: &groups_store::CallCounter| {
        let expected: BTreeMap<String, usize> =
            calls.iter().map(|(op, n)| ((*op).to_owned(), *n)).collect();
        assert_eq!(counter.by_operation(), expected, "{label}");
        counter.reset();
    };
    counter.reset();

    let reply = api.as_user(OWNER, HttpCall::new("GET", "/groups")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["items"].as_array().map(Vec::len), Some(4));
    expect(
        "a page of groups: the authorizer's GetItem, one Query, one read of the count shards",
        &[("GetItem", 1), ("Query", 1), ("BatchGetItem", 1)],
        &counter,
    );

    let reply = api
        .as_user(OWNER, HttpCall::new("GET", &format!("/groups/{group}")))
        .await;
    assert_eq!(reply.status, 200);
    expect(
        "one group: the authorizer's GetItem, then the group and its count shards",
        &[("GetItem", 1), ("BatchGetItem", 1)],
        &counter,
    );

    let reply = api
        .as_user(
            OWNER,
            HttpCall::new("POST", "/groups").json(&json!({"title": "Round trips"})),
        )
        .await;
    assert_eq!(reply.status, 201);
    expect(
        "create: one transaction",
        &[("GetItem", 1), ("TransactWriteItems", 1)],
        &counter,
    );

    let ids: Vec<String> = (1..=40).map(|n| format!("u{n:02}")).collect();
    let reply = api
        .as_user(
            OWNER,
            HttpCall::new("POST", &format!("/groups/{group}/members"))
                .json(&json!({"userIds": ids})),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["added"].as_array().map(Vec::len), Some(31));
    expect(
        "adding 40 members: one read, then one transaction per member shard (4), and one more \
         for each shard where some were already in",
        &[
            ("GetItem", 1),
            ("BatchGetItem", 1),
            ("TransactWriteItems", 8),
        ],
        &counter,
    );
}
