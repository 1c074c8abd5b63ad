//! Rule health (DESIGN §11): `POST /smart-groups/health` tells how each condition of a rule
//! meets the directory the caller may see, which values of the text attributes it reads are
//! near duplicates, and which conditions are worth rewriting. On both stores, against the
//! reference evaluator.

use groups_domain::Store;
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api, DEPT_ADMIN, LEARNER};
use groups_tests::expect::expected;
use serde_json::{Value, json};

async fn health<S: Store + 'static>(api: &Api<S>, who: &str, body: Value) -> (u16, Value) {
    let reply = api
        .as_user(
            who,
            HttpCall::new("POST", "/smart-groups/health").json(&body),
        )
        .await;
    (reply.status, reply.body)
}

async fn users_seen<S: Store + 'static>(api: &Api<S>, who: &str) -> u64 {
    let reply = api
        .as_user(who, HttpCall::new("GET", "/users?limit=200"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["items"].as_array().expect("items").len() as u64
}

async fn rule_health<S: Store + 'static>(api: &Api<S>) {
    // One user typed their job title in lower case.
    let mut odd = api
        .as_user(ADMIN, HttpCall::new("GET", "/users?q=u01"))
        .await
        .body["items"][0]
        .clone();
    assert_eq!(odd["jobTitle"], "Specialist", "{odd}");
    odd["jobTitle"] = json!("specialist");
    for key in ["id", "createdAt"] {
        odd.as_object_mut().expect("user").remove(key);
    }
    let put = api
        .as_user(ADMIN, HttpCall::new("PUT", "/users/u01").json(&odd))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);

    let specialist = json!({"attr": "jobTitle", "op": "eq", "value": "Specialist"});
    let intern = json!({"attr": "jobTitle", "op": "eq", "value": "Intern"});
    let nickname = json!({"attr": "profile.nickname", "op": "eq", "value": "Ace"});
    let rule = json!({"all": [
        {"attr": "status", "op": "eq", "value": "active"},
        {"any": [specialist, intern, nickname]}
    ]});
    let before = api.snapshot().await;
    let (status, body) = health(api, ADMIN, json!({"rule": rule})).await;
    assert_eq!(status, 200, "{body}");
    let everyone = users_seen(api, ADMIN).await;
    assert_eq!(body["evaluated"], everyone);
    let conditions = body["conditions"].as_array().expect("conditions");
    let paths: Vec<&str> = conditions
        .iter()
        .map(|c| c["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        paths,
        [
            "rule/all/0",
            "rule/all/1/any/0",
            "rule/all/1/any/1",
            "rule/all/1/any/2"
        ]
    );
    // Each condition's count is what the reference evaluator finds for it alone.
    let alone = [
        json!({"attr": "status", "op": "eq", "value": "active"}),
        specialist.clone(),
        intern.clone(),
        nickname,
    ];
    for (condition, piece) in conditions.iter().zip(&alone) {
        let matching = expected(api, piece, None).await.len() as u64;
        assert_eq!(condition["matching"], matching, "{condition}");
    }
    assert_eq!(conditions[3]["missing"], everyone, "no one has a nickname");
    assert_eq!(conditions[1]["missing"], 0);
    // Suggestions: the nickname condition matches no one and is mostly missing; the two job
    // title conditions read better as one "in".
    let suggestions = body["suggestions"].as_array().expect("suggestions");
    let kinds: Vec<(&str, &str)> = suggestions
        .iter()
        .map(|s| {
            (
                s["path"].as_str().expect("path"),
                s["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("rule/all/1/any/2", "neverMatches"),
            ("rule/all/1/any/2", "mostlyMissing"),
            ("rule/all/1/any", "anyOfEqIsIn")
        ],
        "{body}"
    );
    assert_eq!(
        suggestions[2]["replacement"],
        json!({"attr": "jobTitle", "op": "in", "value": ["Specialist", "Intern"]})
    );
    // The lower-case job title is a near duplicate of the usual one.
    let specialists = expected(api, &specialist, None).await.len() as u64;
    assert_eq!(
        body["nearDuplicates"],
        json!([{"attr": "jobTitle", "values": [
            {"value": "Specialist", "users": specialists - 1},
            {"value": "specialist", "users": 1}
        ]}]),
        "{body}"
    );
    assert_eq!(body["valuesHidden"], false);

    // A department-scoped caller: only their users are read.
    let (status, scoped) = health(api, DEPT_ADMIN, json!({"rule": rule})).await;
    assert_eq!(status, 200, "{scoped}");
    assert_eq!(scoped["evaluated"], users_seen(api, DEPT_ADMIN).await);
    assert!(scoped["evaluated"].as_u64() < Some(everyone));
    // Without users:view the values stay hidden; without groups:view, nothing.
    let viewer = api
        .custom_user(
            "healthviewer",
            groups_domain::PermissionSet::of(&[groups_domain::Permission::GroupsView]),
        )
        .await;
    let (status, hidden) = health(api, &viewer, json!({"rule": rule})).await;
    assert_eq!(status, 200, "{hidden}");
    assert_eq!(
        (&hidden["valuesHidden"], &hidden["nearDuplicates"]),
        (&json!(true), &json!([]))
    );
    assert_eq!(health(api, LEARNER, json!({"rule": rule})).await.0, 403);
    // Bad input is a 400 naming the node; an unknown group a 404.
    let (status, bad) = health(
        api,
        ADMIN,
        json!({"rule": {"attr": "jobTitle", "op": "gte", "value": 1}}),
    )
    .await;
    assert_eq!((status, &bad["field"]), (400, &json!("rule/op")), "{bad}");
    let (status, _) = health(
        api,
        ADMIN,
        json!({"rule": rule, "groupId": "no-such-group"}),
    )
    .await;
    assert_eq!(status, 404);
    // Conditions come in the rule's order (the builder's numbering), past ten as well.
    let many: Vec<Value> = (0..11)
        .map(|i| json!({"attr": "jobTitle", "op": "eq", "value": format!("T{i}")}))
        .collect();
    let (status, body) = health(api, ADMIN, json!({"rule": {"any": many}})).await;
    assert_eq!(status, 200, "{body}");
    let paths: Vec<String> = body["conditions"]
        .as_array()
        .expect("conditions")
        .iter()
        .map(|c| c["path"].as_str().expect("path").to_owned())
        .collect();
    assert_eq!(
        paths,
        (0..11).map(|i| format!("rule/any/{i}")).collect::<Vec<_>>()
    );
    assert_eq!(api.snapshot().await, before, "health writes nothing");
}

#[tokio::test]
async fn rule_health_reports_counts_duplicates_and_rewrites_in_memory() {
    rule_health(&Api::seeded(MemoryStore::new()).await).await;
}

#[tokio::test]
async fn rule_health_reports_counts_duplicates_and_rewrites_on_dynamodb_local() {
    let (store, grants) = fresh_dynamo_store().await;
    rule_health(&Api::seeded_checked(store, grants).await).await;
}
