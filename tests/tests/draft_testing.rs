//! Draft testing (DESIGN §11): `POST /smart-groups/test` explains a rule that is not saved for
//! up to 100 chosen users, on both stores; users the caller may not see answer as unknown
//! ids, and attribute values stay hidden without `users:view`.

use groups_domain::{Permission, PermissionSet, Store};
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api, DEPT_ADMIN};
use groups_tests::expect::expected;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn visible_users<S: Store + 'static>(api: &Api<S>, who: &str) -> BTreeSet<String> {
    let reply = api
        .as_user(who, HttpCall::new("GET", "/users?limit=200"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body["nextCursor"].is_null(), "one page holds them");
    reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn test_rule<S: Store + 'static>(api: &Api<S>, who: &str, body: Value) -> (u16, Value) {
    let reply = api
        .as_user(who, HttpCall::new("POST", "/smart-groups/test").json(&body))
        .await;
    (reply.status, reply.body)
}

async fn draft_testing<S: Store + 'static>(api: &Api<S>) {
    let rule = json!({"attr": "jobTitle", "op": "eq", "value": "Specialist"});
    let matching = expected(api, &rule, None).await;
    let everyone = visible_users(api, ADMIN).await;
    let hit = matching.iter().next().expect("a specialist").clone();
    let miss = everyone
        .difference(&matching)
        .next()
        .expect("someone else")
        .clone();
    let before = api.snapshot().await;

    // Each chosen user once, in the order asked; an unknown id is reported, not an error.
    let (status, body) = test_rule(
        api,
        ADMIN,
        json!({"rule": rule, "userIds": [miss, hit, "nobody-here", hit]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{body}");
    assert_eq!(
        (&items[0]["userId"], &items[0]["matches"]),
        (&json!(miss), &json!(false))
    );
    assert_eq!(
        (&items[1]["userId"], &items[1]["matches"]),
        (&json!(hit), &json!(true))
    );
    assert_eq!(
        items[1]["rule"]["actual"], "Specialist",
        "the value, with users:view"
    );
    assert_eq!(items[1].get("member"), None, "no group, no membership");
    assert_eq!(body["notFound"], json!(["nobody-here"]));

    // Against a group: its current membership, and its department's reach.
    let group = api.create_smart("Specialists", &rule).await;
    let (status, body) = test_rule(
        api,
        ADMIN,
        json!({"rule": {"attr": "jobTitle", "op": "ne", "value": "Specialist"}, "groupId": group, "userIds": [hit]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"][0]["matches"], false);
    assert_eq!(body["items"][0]["inGroupScope"], true);

    // A department-scoped caller: a user outside their departments answers as an unknown id.
    let in_scope = visible_users(api, DEPT_ADMIN).await;
    let outside = everyone
        .difference(&in_scope)
        .next()
        .expect("an outsider")
        .clone();
    let inside = in_scope.iter().next().expect("an insider").clone();
    let (status, body) = test_rule(
        api,
        DEPT_ADMIN,
        json!({"rule": rule, "userIds": [outside, inside]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["notFound"], json!([outside]));
    assert_eq!(body["items"][0]["userId"], json!(inside));

    // Without users:view the results show, the values do not.
    let viewer = api
        .custom_user("groupviewer", PermissionSet::of(&[Permission::GroupsView]))
        .await;
    let (status, body) = test_rule(api, &viewer, json!({"rule": rule, "userIds": [hit]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"][0]["matches"], true);
    assert_eq!(body["items"][0]["rule"]["actual"], Value::Null);
    // Without groups:view, nothing.
    let outsider = api
        .custom_user("usersonly", PermissionSet::of(&[Permission::UsersView]))
        .await;
    let (status, _) = test_rule(api, &outsider, json!({"rule": rule, "userIds": [hit]})).await;
    assert_eq!(status, 403);

    // Bad requests are 400s naming the field.
    let many: Vec<String> = (0..101).map(|n| format!("u{n}")).collect();
    for (body, field) in [
        (json!({"rule": rule, "userIds": many}), "userIds"),
        (json!({"rule": rule, "userIds": []}), "userIds"),
        (json!({"rule": rule, "userIds": ["bad id!"]}), "userIds/0"),
        (
            json!({"rule": {"attr": "jobTitle", "op": "gte", "value": 1}, "userIds": [hit]}),
            "rule/op",
        ),
        (
            json!({"rule": rule, "userIds": [hit], "groupId": "no-such-group"}),
            "",
        ),
    ] {
        let (status, reply) = test_rule(api, ADMIN, body.clone()).await;
        if field.is_empty() {
            assert_eq!(status, 404, "{body} -> {reply}");
        } else {
            assert_eq!(
                (status, &reply["field"]),
                (400, &json!(field)),
                "{body} -> {reply}"
            );
        }
    }
    // Testing writes nothing (the group created above aside).
    let after = api.snapshot().await;
    assert_eq!(
        after.len(),
        before.len() + 1,
        "only the created group: {after:?}"
    );
}

#[tokio::test]
async fn a_draft_rule_is_explained_for_chosen_users_in_memory() {
    draft_testing(&Api::seeded(MemoryStore::new()).await).await;
}

#[tokio::test]
async fn a_draft_rule_is_explained_for_chosen_users_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter.clone()).await;
    draft_testing(&api).await;
    // The cost: the users in one BatchGetItem, each user's groups in one Query
    let ids: Vec<String> = visible_users(&api, ADMIN)
        .await
        .into_iter()
        .take(3)
        .collect();
    let rule = json!({"attr": "profile.level", "op": "gte", "value": 2});
    counter.reset();
    let (status, body) = test_rule(&api, ADMIN, json!({"rule": rule, "userIds": ids})).await;
    assert_eq!(status, 200, "{body}");
    // (and the GetItem of the caller's own record that every request makes).
    let calls = counter.by_operation();
    let expected_calls = [("BatchGetItem", 1), ("GetItem", 1), ("Query", 3)]
        .map(|(op, n)| (op.to_owned(), n))
        .into();
    assert_eq!(calls, expected_calls);
}
