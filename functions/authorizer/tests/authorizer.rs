//! The authorizer on its own: who it lets in, with which permissions, and that its answer does
//! not depend on the route.

use authorizer::{Refusal, authenticate, dev, handle};
use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use groups_domain::{
    AccountId, BuiltinRole, CustomRole, DepartmentId, DirectoryStore, Permission, PermissionSet,
    RoleId, RoleRef, RoleScope, Scope, User, UserId, UserStatus,
};
use groups_store::MemoryStore;
use std::collections::BTreeMap;

fn user(id: &str, role: RoleRef, status: UserStatus, managed: &[&str]) -> User {
    User {
        id: UserId::parse("id", id).expect("id"),
        email: format!("{id}@acme.example"),
        first_name: id.into(),
        last_name: "Test".into(),
        department: None,
        role,
        status,
        job_title: String::new(),
        created_at: time::OffsetDateTime::now_utc(),
        profile: BTreeMap::new(),
        managed_department_ids: managed
            .iter()
            .map(|d| DepartmentId::parse("id", *d).expect("id"))
            .collect(),
        registered_at: None,
        updated_at: None,
    }
}

async fn store() -> (MemoryStore, AccountId) {
    let store = MemoryStore::new();
    let acme = AccountId::parse("id", "acme").expect("id");
    let trainer = CustomRole::new(
        RoleId::parse("id", "trainer").expect("id"),
        "Trainer",
        PermissionSet::of(&[Permission::GroupsView, Permission::GroupsMembers]),
        RoleScope::ManagedDepartments,
    )
    .expect("role");
    store.put_role(&acme, &trainer).await.expect("put");
    for u in [
        user(
            "ann",
            RoleRef::Builtin(BuiltinRole::Admin),
            UserStatus::Active,
            &[],
        ),
        user(
            "dee",
            RoleRef::Builtin(BuiltinRole::DepartmentAdmin),
            UserStatus::Active,
            &["sales"],
        ),
        user(
            "tom",
            RoleRef::Custom(trainer.id.clone()),
            UserStatus::Active,
            &["marketing"],
        ),
        user(
            "gone",
            RoleRef::Builtin(BuiltinRole::Admin),
            UserStatus::Inactive,
            &[],
        ),
        user(
            "ghost",
            RoleRef::Custom(RoleId::parse("id", "deleted-role").expect("id")),
            UserStatus::Active,
            &[],
        ),
    ] {
        store.put_user(&acme, &u).await.expect("put");
    }
    (store, acme)
}

fn bearer(user: &str) -> String {
    format!(
        "Bearer {}",
        dev::token(&dev::Claims::new("acme", user, 600)).expect("token")
    )
}

#[tokio::test]
async fn resolves_roles_permissions_and_scope_from_the_table() {
    let (store, _) = store().await;
    let config = dev::config().expect("config");
    let ann = authenticate(&store, &config, Some(&bearer("ann")))
        .await
        .expect("ann");
    assert_eq!(ann.scope, Scope::Account);
    assert!(ann.permissions.contains(Permission::UsersManage));
    let dee = authenticate(&store, &config, Some(&bearer("dee")))
        .await
        .expect("dee");
    assert_eq!(
        dee.scope,
        Scope::Departments(vec![DepartmentId::parse("id", "sales").expect("id")])
    );
    let tom = authenticate(&store, &config, Some(&bearer("tom")))
        .await
        .expect("tom");
    assert_eq!(
        tom.permissions,
        PermissionSet::of(&[Permission::GroupsView, Permission::GroupsMembers])
    );
    assert_eq!(
        tom.scope,
        Scope::Departments(vec![DepartmentId::parse("id", "marketing").expect("id")])
    );
    let ghost = authenticate(&store, &config, Some(&bearer("ghost")))
        .await
        .expect("ghost");
    assert!(
        ghost.permissions.is_empty(),
        "a role that no longer exists grants nothing"
    );
}

#[tokio::test]
async fn refuses_deleted_deactivated_and_foreign_users() {
    let (store, _) = store().await;
    let config = dev::config().expect("config");
    let refusal = |r: Result<_, Refusal>| r.err();
    assert_eq!(
        refusal(authenticate(&store, &config, Some(&bearer("gone"))).await),
        Some(Refusal::InactiveUser)
    );
    assert_eq!(
        refusal(authenticate(&store, &config, Some(&bearer("nobody"))).await),
        Some(Refusal::UnknownUser)
    );
    let other_tenant = format!(
        "Bearer {}",
        dev::token(&dev::Claims::new("globex", "ann", 600)).expect("token")
    );
    assert_eq!(
        refusal(authenticate(&store, &config, Some(&other_tenant)).await),
        Some(Refusal::UnknownUser)
    );
    assert_eq!(
        refusal(authenticate(&store, &config, None).await),
        Some(Refusal::MissingToken)
    );
    assert_eq!(
        refusal(authenticate(&store, &config, Some("Basic abc")).await),
        Some(Refusal::Malformed)
    );
}

fn event(route_key: &str, authorization: &str) -> ApiGatewayV2CustomAuthorizerV2Request {
    let json = serde_json::json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/$default/{}", route_key.replace(' ', "")),
        "identitySource": [authorization],
        "routeKey": route_key,
        "rawPath": "/groups",
        "rawQueryString": "",
        "headers": {"authorization": authorization},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "http": {"method": "GET", "path": "/groups", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "t"},
            "requestId": "id",
            "routeKey": route_key,
            "stage": "$default",
            "time": "26/Nov/2026:10:15:30 +0000",
            "timeEpoch": 1795688130000u64
        }
    });
    serde_json::from_value(json).expect("authorizer event")
}

/// API Gateway caches the answer by the Authorization header alone. The answer must then be
/// the same whatever route asked first: it carries identity, and each function decides.
#[tokio::test]
async fn the_answer_depends_on_the_token_only_never_on_the_route() {
    let (store, _) = store().await;
    let config = dev::config().expect("config");
    let token = bearer("tom");
    let read = handle(&store, &config, event("GET /groups", &token))
        .await
        .expect("decided");
    let write = handle(&store, &config, event("DELETE /groups/{groupId}", &token))
        .await
        .expect("decided");
    assert_eq!(read, write);
    assert!(read.is_authorized);
    assert_eq!(read.context["permissions"], "groups:view,groups:members");
    // The cached context grants nothing by itself: the trainer lacks groups:delete, and the
    // function reading this context refuses the delete.
    let fields = read
        .context
        .as_object()
        .expect("object")
        .clone()
        .into_iter()
        .collect();
    let caller = groups_http::context::decode(&fields).expect("caller");
    assert!(caller.require(Permission::GroupsDelete).is_err());
    // A bad token yields an empty identity, which every function answers with 401.
    let bad = handle(&store, &config, event("GET /groups", "Bearer nope"))
        .await
        .expect("decided");
    assert_eq!(bad.context, serde_json::json!({}));
}

/// The authorizer keeps no cache of its own: each answer reads the user's current role. A
/// downgrade therefore reaches callers as soon as API Gateway's cached answer for their token
/// expires: within `AuthorizerCacheTtl` seconds (a template parameter, 60 by default).
#[tokio::test]
async fn a_downgraded_role_is_seen_by_the_next_authorization() {
    let (store, acme) = store().await;
    let config = dev::config().expect("config");
    let token = bearer("ann");
    let before = authenticate(&store, &config, Some(&token))
        .await
        .expect("ann");
    assert!(before.permissions.contains(Permission::GroupsDelete));
    let mut ann = store
        .get_user(&acme, &UserId::parse("id", "ann").expect("id"))
        .await
        .expect("get")
        .expect("exists");
    ann.role = RoleRef::Builtin(BuiltinRole::Learner);
    store.put_user(&acme, &ann).await.expect("put");
    let after = authenticate(&store, &config, Some(&token))
        .await
        .expect("still a user");
    assert!(
        after.permissions.is_empty(),
        "the same token now carries a learner's (empty) permissions"
    );
    ann.status = UserStatus::Inactive;
    store.put_user(&acme, &ann).await.expect("put");
    assert_eq!(
        authenticate(&store, &config, Some(&token)).await.err(),
        Some(Refusal::InactiveUser)
    );
}

fn refusal_of(result: Result<groups_domain::Caller, Refusal>) -> Option<Refusal> {
    result.err()
}

/// Signs `claims` with the local key, adding `extra` header fields.
fn signed_with_header(claims: &dev::Claims, extra: serde_json::Value) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let key = EncodingKey::from_ec_pem(dev::ES256_PRIVATE.as_bytes()).expect("key");
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(dev::ES256_KID.into());
    let mut json = serde_json::to_value(&header).expect("header");
    for (k, v) in extra.as_object().expect("object") {
        json[k] = v.clone();
    }
    // jsonwebtoken signs its own header type, so sign the raw input by hand.
    use base64::Engine;
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let input = format!(
        "{}.{}",
        b64(&json),
        b64(&serde_json::to_value(claims).expect("claims"))
    );
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::ES256).expect("sign");
    format!("{input}.{signature}")
}

#[tokio::test]
async fn token_lifetimes_issue_times_critical_headers_and_the_scheme_are_checked() {
    let (store, _) = store().await;
    let config = dev::config().expect("config");
    let check = |token: String| {
        let (store, config) = (&store, &config);
        async move { refusal_of(authenticate(store, config, Some(&format!("Bearer {token}"))).await) }
    };
    let base = || dev::Claims::new("acme", "ann", 600);
    // A day is the default ceiling on exp − iat.
    let mut long = base();
    long.exp = long.iat + 24 * 3600 + 1;
    assert!(matches!(
        check(dev::token(&long).expect("sign")).await,
        Some(Refusal::Invalid(_))
    ));
    let mut day = base();
    day.exp = day.iat + 24 * 3600;
    assert_eq!(check(dev::token(&day).expect("sign")).await, None);
    // Issued in the future beyond the leeway.
    let mut future = base();
    future.iat += 3600;
    future.nbf = 0;
    assert!(matches!(
        check(dev::token(&future).expect("sign")).await,
        Some(Refusal::Invalid(_))
    ));
    let mut skewed = base();
    skewed.iat += 10;
    assert_eq!(
        check(dev::token(&skewed).expect("sign")).await,
        None,
        "within the leeway"
    );
    // A critical extension nobody here understands.
    let crit = signed_with_header(&base(), serde_json::json!({"crit": ["exp"], "exp": 1}));
    assert!(check(crit).await.is_some());
    let plain = signed_with_header(&base(), serde_json::json!({}));
    assert_eq!(
        check(plain).await,
        None,
        "the hand-signed token is otherwise valid"
    );
    // The scheme in any case.
    let token = dev::token(&base()).expect("sign");
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let header = format!("{scheme} {token}");
        assert!(
            authenticate(&store, &config, Some(&header)).await.is_ok(),
            "{scheme}"
        );
    }
    assert!(
        authenticate(&store, &config, Some(&format!("Basic {token}")))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_recreated_user_id_does_not_revive_older_tokens() {
    let (store, acme) = store().await;
    let config = dev::config().expect("config");
    let old = bearer("ann");
    assert!(authenticate(&store, &config, Some(&old)).await.is_ok());
    let mut ann = user(
        "ann",
        RoleRef::Builtin(BuiltinRole::Admin),
        UserStatus::Active,
        &[],
    );
    store.delete_user(&acme, &ann.id).await.expect("delete");
    // Recreated later through the service, which stamps the record's creation.
    ann.registered_at = Some(time::OffsetDateTime::now_utc() + time::Duration::seconds(2));
    store.put_user(&acme, &ann).await.expect("put");
    assert_eq!(
        refusal_of(authenticate(&store, &config, Some(&old)).await),
        Some(Refusal::StaleToken)
    );
    let mut fresh = dev::Claims::new("acme", "ann", 600);
    fresh.iat += 3;
    fresh.nbf = fresh.iat;
    let fresh = format!("Bearer {}", dev::token(&fresh).expect("sign"));
    assert!(authenticate(&store, &config, Some(&fresh)).await.is_ok());
}
