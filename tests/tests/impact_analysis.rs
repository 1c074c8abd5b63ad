//! Impact analysis (DESIGN §11): a preview against a group also reports how the change ripples
//! into the smart groups that follow it, transitively and in dependency order, with the
//! guard's verdict for each; a paused follower is reported frozen. On both stores, checked
//! against the reference evaluator.

use groups_domain::Store;
use groups_domain::service_rules;
use groups_domain::smart::Guard;
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api};
use groups_tests::expect::{expected, members};
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
use groups_tests::fixtures;
use serde_json::{Value, json};

fn member_of(group: &str) -> Value {
    json!({"attr": "group", "op": "memberOf", "value": group})
}

async fn impact<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let settle = Guard::default();
    let club = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups").json(&json!({"title": "Club",
                "userIds": ["u01", "u02", "u03", "u04", "u05", "u06", "u07", "u08"]})),
        )
        .await;
    assert_eq!(club.status, 201, "{}", club.body);
    let club = club.body["id"].as_str().expect("id").to_owned();
    let specialist = json!({"attr": "jobTitle", "op": "eq", "value": "Specialist"});
    let a = api
        .create_smart("A follows the club", &member_of(&club))
        .await;
    feed.settle(api, settle).await;
    let b = api
        .create_smart(
            "B: specialists of A",
            &json!({"all": [member_of(&a), specialist]}),
        )
        .await;
    feed.settle(api, settle).await;
    // C names A and B: it must be looked at after B.
    let c = api
        .create_smart(
            "C: in A and B",
            &json!({"all": [member_of(&a), member_of(&b)]}),
        )
        .await;
    let d = api.create_smart("D: paused follower", &member_of(&a)).await;
    let unrelated = api.create_smart("Unrelated", &specialist).await;
    feed.settle(api, settle).await;
    let current = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{d}")))
        .await;
    let paused = api
        .as_user(
            ADMIN,
            HttpCall::new("PATCH", &format!("/groups/{d}"))
                .header("if-match", current.header("etag").expect("etag"))
                .json(&json!({"mode": "paused"})),
        )
        .await;
    assert_eq!(paused.status, 200, "{}", paused.body);
    let in_a = members(api, &a).await;
    assert_eq!(in_a.len(), 8);
    let specialists = expected(api, &json!({"all": [member_of(&club), specialist]}), None)
        .await
        .len() as u64;
    assert!((2..8).contains(&specialists), "{specialists}");
    assert_eq!(members(api, &b).await.len() as u64, specialists);
    assert_eq!(members(api, &c).await.len() as u64, specialists);

    // A's rule narrowed to no one: all 8 leave A, B and C lose their specialists, D would
    // lose all 8 but is paused.
    let caller = fixtures::admin(&api.account);
    let nobody = json!({"attr": "jobTitle", "op": "eq", "value": "Nobody"});
    let a_id = groups_domain::GroupId::parse("id", &a).expect("id");
    let preview = service_rules::preview(
        api.store(),
        &caller,
        &nobody,
        Some(&a_id),
        Guard::default(),
        api.ctx.now(),
    )
    .await
    .expect("preview");
    assert_eq!((preview.leaves, preview.held), (8, false));
    let found: Vec<(String, u64, u64, bool, bool, u32)> = preview
        .impact
        .iter()
        .map(|i| {
            (
                i.title.clone(),
                i.joins,
                i.leaves,
                i.held,
                i.frozen,
                i.depth,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "B: specialists of A".into(),
                0,
                specialists,
                false,
                false,
                1
            ),
            ("D: paused follower".into(), 0, 8, false, true, 1),
            ("C: in A and B".into(), 0, specialists, false, false, 2),
        ],
        "{:?}",
        preview.impact
    );
    assert!(preview.impact_complete);
    assert!(
        preview
            .impact
            .iter()
            .all(|i| i.group_id.as_str() != unrelated)
    );

    // A strict guard holds A's change and B's; C still follows A, which it names directly.
    let strict = Guard {
        share: 0.5,
        min_users: 2,
    };
    let preview = service_rules::preview(
        api.store(),
        &caller,
        &nobody,
        Some(&a_id),
        strict,
        api.ctx.now(),
    )
    .await
    .expect("preview");
    assert!(preview.held);
    let verdicts: Vec<(String, bool)> = preview
        .impact
        .iter()
        .map(|i| (i.title.clone(), i.held))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("B: specialists of A".into(), true),
            ("D: paused follower".into(), true),
            ("C: in A and B".into(), true)
        ]
    );
    // Through the API: the impact section is in the preview answer.
    let reply = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/smart-groups/preview")
                .json(&json!({"rule": nobody, "groupId": a})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["impact"].as_array().map(Vec::len), Some(3));
    assert_eq!(reply.body["impact"][0]["groupId"], json!(b));
    // Without a group there is nothing to ripple.
    let reply = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/smart-groups/preview").json(&json!({"rule": nobody})),
        )
        .await;
    assert_eq!(reply.body["impact"], json!([]));
}

#[tokio::test]
async fn a_preview_reports_the_ripple_into_followers_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    impact(&api, &mut feed).await;
}

#[tokio::test]
async fn a_preview_reports_the_ripple_into_followers_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    impact(&api, &mut feed).await;
}
