//! The Lambda entry point's three event sources, with real event shapes.

use evaluate_smart_group::handle_event;
use groups_domain::MembershipStore;
use groups_domain::service::{self, NewGroup};
use groups_domain::smart::Guard;
use groups_domain::{
    BuiltinRole, Caller, GroupId, GroupKind, GroupStore, PageRequest, RoleRef, UserId,
};
use groups_http::Deps;
use groups_store::MemoryStore;
use serde_json::{Value, json};

const STREAM_EVENT: &str = include_str!("fixtures/dynamodb-stream-event.json");

async fn setup() -> (Deps<MemoryStore>, GroupId) {
    let store = MemoryStore::new();
    let account = groups_local::seed::seed(&store).await.expect("seed");
    let owner = Caller::resolve(
        account,
        UserId::parse("id", "owner").expect("id"),
        RoleRef::Builtin(BuiltinRole::Owner),
        None,
        vec![],
    );
    let new = NewGroup {
        title: "Everyone".into(),
        description: String::new(),
        kind: GroupKind::Smart,
        rule: Some(json!({"attr": "status", "op": "eq", "value": "active"})),
        owner_department_id: None,
    };
    let group = service::create_group(&store, &owner, new, time::OffsetDateTime::now_utc())
        .await
        .expect("create");
    (Deps::new(store), group.id)
}

async fn is_member(ctx: &Deps<MemoryStore>, group: &GroupId, user: &str) -> bool {
    let account = groups_domain::AccountId::parse("id", "acme").expect("id");
    ctx.store
        .list_members(&account, group, &PageRequest::first(200))
        .await
        .expect("members")
        .items
        .iter()
        .any(|m| m.user_id.as_str() == user)
}

#[tokio::test]
async fn a_failing_stream_record_is_reported_and_does_not_block_the_others() {
    let (ctx, group) = setup().await;
    let event: Value = serde_json::from_str(STREAM_EVENT).expect("fixture");
    let response = handle_event(&ctx, Guard::default(), event, u64::MAX)
        .await
        .expect("handled");
    // The evaluation request for a group that does not exist fails, alone.
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "222"}]})
    );
    // The user records before and after it were processed.
    assert!(is_member(&ctx, &group, "u01").await);
    assert!(is_member(&ctx, &group, "u02").await);
}

#[tokio::test]
async fn http_requests_are_answered_as_http_api_responses() {
    let (ctx, group) = setup().await;
    let route = groups_http::Route {
        method: "POST",
        path: "/groups/{groupId}/evaluate",
    };
    let caller = Caller::resolve(
        groups_domain::AccountId::parse("id", "acme").expect("id"),
        UserId::parse("id", "admin").expect("id"),
        RoleRef::Builtin(BuiltinRole::Admin),
        None,
        vec![],
    );
    let call = groups_http::event::HttpCall::new("POST", &format!("/groups/{group}/evaluate"));
    let event = groups_http::event::v2_event(
        &call,
        &route,
        &[("groupId".into(), group.to_string())],
        groups_http::context::encode(&caller),
    );
    let response = handle_event(&ctx, Guard::default(), event, u64::MAX)
        .await
        .expect("handled");
    assert_eq!(response["statusCode"], 202);
    let body: Value = serde_json::from_str(response["body"].as_str().expect("body")).expect("json");
    assert_eq!(body["status"], "queued");
}

#[tokio::test]
async fn the_schedule_refreshes_every_account() {
    let (ctx, group) = setup().await;
    let scheduled = json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-11-26T12:00:00Z",
        "region": "eu-west-1", "resources": ["arn:aws:events:eu-west-1:123456789012:rule/refresh"], "detail": {}
    });
    let response = handle_event(&ctx, Guard::default(), scheduled, u64::MAX)
        .await
        .expect("handled");
    assert_eq!(response, json!({"accounts": 1, "checkpointed": false}));
    assert!(is_member(&ctx, &group, "u01").await);
    let account = groups_domain::AccountId::parse("id", "acme").expect("id");
    let stored = ctx
        .store
        .get_group(&account, &group)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        stored.evaluation.map(|e| e.status),
        Some(groups_domain::EvaluationStatus::Done)
    );
}
