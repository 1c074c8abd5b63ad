//! A batch of stream records costs one read of each account's rules, one evaluation per
//! distinct user however many records name them, and nothing for membership records of groups
//! no rule references (calls counted on DynamoDB Local's real stream).

use groups_domain::DirectoryStore;
use groups_domain::smart::Guard;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::Api;
use groups_tests::feed::{Feeder, StreamFeed};
use groups_tests::fixtures;
use serde_json::json;

#[tokio::test]
async fn a_batch_reads_the_rules_once_and_each_user_once() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter.clone()).await;
    let mut feed = StreamFeed::new(&api).await;
    for i in 0..5 {
        let rule = json!({"attr": "jobTitle", "op": "eq", "value": format!("Role {i}")});
        api.create_smart(&format!("Role group {i}"), &rule).await;
    }
    feed.settle(&api, Guard::default()).await;
    // 50 new users, each matching one rule; 10 of them written a second time (two records
    // for one user in the batch).
    let user = |n: usize, first: &str| {
        let mut user = fixtures::user(7000 + n, None);
        user.job_title = format!("Role {}", n % 5);
        user.first_name = first.into();
        user
    };
    for n in 0..50 {
        api.store()
            .put_user(&api.account, &user(n, "First"))
            .await
            .expect("user");
    }
    for n in 0..10 {
        api.store()
            .put_user(&api.account, &user(n, "Second"))
            .await
            .expect("user");
    }
    counter.reset();
    feed.settle(&api, Guard::default()).await;
    let calls = counter.by_operation();
    let count = |op: &str| calls.get(op).copied().unwrap_or(0);
    assert_eq!(count("GetItem"), 50, "each user read once: {calls:?}");
    assert_eq!(
        count("TransactWriteItems"),
        50,
        "each user joins one group: {calls:?}"
    );
    // The users' batch: the rules once (a Query of each of the account's 4 smart-group index
    // keys), then each user's groups once. The batch of the 50 membership records that
    // follows: the rules once, and no evaluation (no rule names a group).
    let rules = groups_store::dynamo::keys::ACCOUNT_SMART_SHARDS as usize;
    assert_eq!(count("Query"), rules + 50 + rules, "{calls:?}");
    // The 50 joins' history: the event publisher writes it 25 entries a call, across records.
    assert_eq!(count("BatchWriteItem"), 2, "{calls:?}");
    assert_eq!(calls.len(), 4, "nothing else: {calls:?}");
    for i in 0..5 {
        let id = api.group_id(&format!("Role group {i}")).await;
        let reply = api
            .as_user(
                groups_tests::api::ADMIN,
                groups_http::event::HttpCall::new("GET", &format!("/groups/{id}")),
            )
            .await;
        assert_eq!(reply.body["memberCount"], 10, "{}", reply.body);
    }
}
