//! Bad tokens answer 401 and write nothing; another account's ids answer 404 on every route.

use authorizer::dev;
use groups_domain::{AccountId, Department, DepartmentId, Group, GroupKind, Store, UserId};
use groups_http::event::HttpCall;
use groups_tests::api::{ADMIN, Api, OWNER};
use groups_tests::fixtures;
use jsonwebtoken::Algorithm;
use serde_json::json;

fn claims<S: Store + 'static>(api: &Api<S>) -> dev::Claims {
    dev::Claims::new(api.account.as_str(), ADMIN, 600)
}

fn b64(value: &serde_json::Value) -> String {
    use base64_lite::encode;
    encode(value.to_string().as_bytes())
}

/// Minimal base64url without padding, so the test does not trust the code it tests.
mod base64_lite {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

async fn bad_tokens<S: Store + 'static>(api: &Api<S>) -> Vec<(&'static str, Option<String>)> {
    let mut expired = claims(api);
    expired.exp -= 3600;
    expired.nbf -= 7200;
    let mut not_yet = claims(api);
    not_yet.nbf += 3600;
    let mut wrong_iss = claims(api);
    wrong_iss.iss = "someone-else".into();
    let mut wrong_aud = claims(api);
    wrong_aud.aud = "another-api".into();
    let sign = |c: &dev::Claims| dev::token(c).expect("sign");
    let good = sign(&claims(api));
    let parts: Vec<&str> = good.split('.').collect();
    let mut escalated = claims(api);
    escalated.sub = OWNER.into();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&serde_json::to_value(&escalated).expect("json")),
        parts[2]
    );
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": dev::ES256_KID})),
        parts[1]
    );
    // HS256 keyed with the RS256 public key: the classic algorithm confusion.
    let confused = dev::sign(
        &claims(api),
        Algorithm::HS256,
        dev::RS256_KID,
        dev::RS256_PUBLIC,
    )
    .expect("sign");
    let unknown_kid =
        dev::sign(&claims(api), Algorithm::ES256, "nobody", dev::ES256_PRIVATE).expect("sign");
    let forged = dev::sign(
        &claims(api),
        Algorithm::ES256,
        dev::ES256_KID,
        dev::ATTACKER_ES256_PRIVATE,
    )
    .expect("sign");
    vec![
        ("no token", None),
        ("expired", Some(sign(&expired))),
        ("not yet valid", Some(sign(&not_yet))),
        ("wrong issuer", Some(sign(&wrong_iss))),
        ("wrong audience", Some(sign(&wrong_aud))),
        ("tampered payload", Some(tampered)),
        ("alg none", Some(alg_none)),
        ("algorithm confusion", Some(confused)),
        ("unknown kid", Some(unknown_kid)),
        ("forged signature", Some(forged)),
        (
            "oversized",
            Some("a".repeat(authorizer::MAX_TOKEN_BYTES + 1)),
        ),
        ("garbage", Some("not.a.jwt".into())),
    ]
}

async fn bad_tokens_answer_401_and_write_nothing<S: Store + 'static>(api: Api<S>) {
    let group = api.group_id("Interns").await;
    let before = api.snapshot().await;
    for (case, token) in bad_tokens(&api).await {
        let calls = [
            HttpCall::new("GET", "/groups"),
            HttpCall::new("POST", "/groups").json(&json!({"title": "Sneaky"})),
            HttpCall::new("POST", &format!("/groups/{group}/members"))
                .json(&json!({"userIds": ["u01"]})),
            HttpCall::new("DELETE", &format!("/groups/{group}")),
        ];
        for call in calls {
            let call = match &token {
                Some(t) => call.header("authorization", &format!("Bearer {t}")),
                None => call,
            };
            let reply = api.call(call).await;
            assert_eq!(reply.status, 401, "{case}: {}", reply.body);
            assert_eq!(reply.problem_type(), "urn:groups:problem:unauthenticated");
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        }
    }
    assert_eq!(api.snapshot().await, before, "nothing was written");
    // The same claims, properly signed (ES256, and RS256 with its own key), are accepted.
    let good = dev::token(&claims(&api)).expect("sign");
    let rs = dev::sign(
        &claims(&api),
        Algorithm::RS256,
        dev::RS256_KID,
        dev::RS256_PRIVATE,
    )
    .expect("sign");
    for token in [good, rs] {
        let reply = api
            .call(
                HttpCall::new("GET", "/groups").header("authorization", &format!("Bearer {token}")),
            )
            .await;
        assert_eq!(reply.status, 200);
    }
}

/// A static group of another account, as its store holds it.
fn foreign_group(id: &str, title: &str) -> Group {
    let now = fixtures::now();
    Group {
        id: groups_domain::GroupId::parse("id", id).expect("id"),
        title: title.into(),
        description: String::new(),
        kind: GroupKind::Static,
        rule: None,
        member_count: 0,
        owner_department: None,
        created_by: UserId::parse("id", "x").expect("id"),
        created_at: now,
        updated_by: UserId::parse("id", "x").expect("id"),
        updated_at: now,
        version: 1,
        evaluation: None,
        mode: groups_domain::GroupMode::Active,
        overrides: Vec::new(),
        scheduled: None,
        provisioning: None,
    }
}

async fn another_accounts_ids_answer_404_on_every_route<S: Store + 'static>(api: Api<S>) {
    // A second tenant with its own department, user and group.
    let globex = AccountId::parse("id", "globex").expect("id");
    let dep = DepartmentId::parse("id", "g-dep").expect("id");
    api.store()
        .put_department(
            &globex,
            &Department::new(dep.clone(), "Globex", None).expect("dep"),
        )
        .await
        .expect("put");
    api.store()
        .put_user(&globex, &fixtures::user(77, None))
        .await
        .expect("put");
    let theirs = foreign_group("grp-globex", "Globex only");
    api.store()
        .create_group(&globex, &theirs)
        .await
        .expect("create");
    let before = api.snapshot().await;
    let g = "grp-globex";
    let calls = [
        HttpCall::new("GET", &format!("/groups/{g}")),
        HttpCall::new("PATCH", &format!("/groups/{g}"))
            .header("if-match", "\"1\"")
            .json(&json!({"title": "Mine"})),
        HttpCall::new("DELETE", &format!("/groups/{g}")),
        HttpCall::new("GET", &format!("/groups/{g}/members")),
        HttpCall::new("POST", &format!("/groups/{g}/members")).json(&json!({"userIds": ["u01"]})),
        HttpCall::new("DELETE", &format!("/groups/{g}/members")).json(&json!({"userIds": ["u01"]})),
        HttpCall::new("GET", "/users/u0077/groups"),
    ];
    for call in calls {
        let label = format!("{} {}", call.method, call.path);
        let reply = api.as_user(OWNER, call).await;
        assert_eq!(reply.status, 404, "{label}: {}", reply.body);
        assert_eq!(reply.problem_type(), "urn:groups:problem:not-found");
    }
    // Ids inside bodies: another tenant's users are not found, its groups are not deleted,
    // its departments cannot own our groups.
    let interns = api.group_id("Interns").await;
    let reply = api
        .as_user(
            OWNER,
            HttpCall::new("POST", &format!("/groups/{interns}/members"))
                .json(&json!({"userIds": ["u0077"]})),
        )
        .await;
    assert_eq!(reply.body["notFound"], json!(["u0077"]));
    let reply = api
        .as_user(
            OWNER,
            HttpCall::new("DELETE", "/groups").json(&json!({"groupIds": [g]})),
        )
        .await;
    assert_eq!(reply.body["notFound"], json!([g]));
    let reply = api
        .as_user(
            OWNER,
            HttpCall::new("POST", "/groups")
                .json(&json!({"title": "X", "ownerDepartmentId": "g-dep"})),
        )
        .await;
    assert_eq!(reply.status, 400);
    let reply = api
        .as_user(OWNER, HttpCall::new("GET", "/users?departmentId=g-dep"))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(api.snapshot().await, before);
    assert!(
        api.store()
            .get_group(&globex, &theirs.id)
            .await
            .expect("get")
            .is_some()
    );
}

groups_tests::on_both_stores!(
    bad_tokens_answer_401_and_write_nothing,
    another_accounts_ids_answer_404_on_every_route,
    another_accounts_ids_are_unknown_to_scim,
    generated_scim_requests_treat_foreign_ids_as_unknown
);

/// A SCIM token acts in its own account only: another account's users and provisioned groups
/// answer 404 on every SCIM route, and naming them in a body writes nothing.
async fn another_accounts_ids_are_unknown_to_scim<S: Store + 'static>(api: Api<S>) {
    let globex = AccountId::parse("id", "globex").expect("id");
    let theirs_user = fixtures::user(77, None);
    api.store()
        .put_user(&globex, &theirs_user)
        .await
        .expect("put");
    let mut theirs = foreign_group("grp-globex-scim", "Globex provisioned");
    theirs.provisioning = Some(groups_domain::group::Provisioning {
        by: "scim-globex".into(),
        external_id: Some("okta-globex".into()),
    });
    api.store()
        .create_group(&globex, &theirs)
        .await
        .expect("create");
    let token = groups_local::seed::scim_token();
    let scim = |method: &str, path: &str, body: Option<serde_json::Value>| {
        let mut call =
            HttpCall::new(method, path).header("authorization", &format!("Bearer {token}"));
        if let Some(b) = body {
            call = call.json(&b);
        }
        api.call(call)
    };
    let before = api.snapshot().await;
    let user = format!("/scim/v2/Users/{}", theirs_user.id);
    let group = format!("/scim/v2/Groups/{}", theirs.id);
    let user_body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "mine@acme.example", "active": false,
    });
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}],
    });
    let group_body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Mine",
    });
    let members = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "u01"}]}],
    });
    for (method, path, body) in [
        ("GET", &user, None),
        ("PUT", &user, Some(user_body.clone())),
        ("PATCH", &user, Some(patch)),
        ("DELETE", &user, None),
        ("GET", &group, None),
        ("PUT", &group, Some(group_body)),
        ("PATCH", &group, Some(members)),
        ("DELETE", &group, None),
    ] {
        let reply = scim(method, path, body).await;
        assert_eq!(reply.status, 404, "{method} {path}: {}", reply.body);
        assert_eq!(
            reply.body["schemas"][0],
            json!("urn:ietf:params:scim:api:messages:2.0:Error")
        );
    }
    // Their user as a member of a new group is no user; their names and ids are not listed.
    let reply = scim(
        "POST",
        "/scim/v2/Groups",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Mixed",
            "members": [{"value": "u01"}, {"value": theirs_user.id.as_str()}],
        })),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    for filter in [
        format!(
            "userName%20eq%20%22{}%22",
            theirs_user.email.replace('@', "%40")
        ),
        format!("id%20eq%20%22{}%22", theirs_user.id),
    ] {
        let reply = scim("GET", &format!("/scim/v2/Users?filter={filter}"), None).await;
        assert_eq!(
            reply.body["totalResults"],
            json!(0),
            "{filter}: {}",
            reply.body
        );
    }
    let reply = scim("GET", "/scim/v2/Groups", None).await;
    assert_eq!(reply.body["totalResults"], json!(0), "{}", reply.body);
    assert_eq!(api.snapshot().await, before, "nothing written");
    let kept = api
        .store()
        .get_group(&globex, &theirs.id)
        .await
        .expect("get");
    assert_eq!(kept.map(|g| g.title), Some(theirs.title));
}

/// Generated SCIM requests that name another account's user or group (in the path, a member
/// list, a value filter or a search) answer exactly as the same request naming an id that
/// exists nowhere, and write nothing. Fixed seeds; a failure prints the request.
async fn generated_scim_requests_treat_foreign_ids_as_unknown<S: Store + 'static>(api: Api<S>) {
    use groups_tests::generated::Rng;
    let globex = AccountId::parse("id", "globex").expect("id");
    let foreign_user = fixtures::user(88, None);
    api.store()
        .put_user(&globex, &foreign_user)
        .await
        .expect("put");
    let mut foreign_group = foreign_group("grp-globex-gen", "Globex generated");
    foreign_group.provisioning = Some(groups_domain::group::Provisioning {
        by: "scim-globex".into(),
        external_id: None,
    });
    api.store()
        .create_group(&globex, &foreign_group)
        .await
        .expect("create");
    // Our own provisioned group, for member writes that name a foreign user.
    let token = groups_local::seed::scim_token();
    let send = |method: String, path: String, body: Option<serde_json::Value>| {
        let mut call =
            HttpCall::new(&method, &path).header("authorization", &format!("Bearer {token}"));
        if let Some(b) = body {
            call = call.json(&b);
        }
        api.call(call)
    };
    let ours = send(
        "POST".into(),
        "/scim/v2/Groups".into(),
        Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ours (generated)"})),
    )
    .await;
    assert_eq!(ours.status, 201, "{}", ours.body);
    let ours = ours.body["id"].as_str().expect("id").to_owned();
    let before = api.snapshot().await;
    const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    // A request shape, filled in with the id under test.
    let shape = |pick: usize,
                 verb: usize,
                 id: &str|
     -> (String, String, Option<serde_json::Value>) {
        let user_path = format!("/scim/v2/Users/{id}");
        let group_path = format!("/scim/v2/Groups/{id}");
        let members = |op: &str| json!({"schemas": [PATCH], "Operations": [{"op": op, "path": "members", "value": [{"value": id}]}]});
        match (pick, verb) {
            (0, 0) => ("GET".into(), user_path, None),
            (0, 1) => ("DELETE".into(), user_path, None),
            (0, _) => (
                "PATCH".into(),
                user_path,
                Some(json!({"schemas": [PATCH],
                "Operations": [{"op": "replace", "path": "displayName", "value": "X"}]})),
            ),
            (1, 0) => ("GET".into(), group_path, None),
            (1, 1) => ("DELETE".into(), group_path, None),
            (1, _) => ("PATCH".into(), group_path, Some(members("add"))),
            (2, 0) => (
                "PATCH".into(),
                format!("/scim/v2/Groups/{ours}"),
                Some(members("add")),
            ),
            (2, 1) => (
                "PATCH".into(),
                format!("/scim/v2/Groups/{ours}"),
                Some(json!({"schemas": [PATCH],
                "Operations": [{"op": "replace", "path": "members", "value": [{"value": id}]}]})),
            ),
            (2, _) => (
                "PUT".into(),
                format!("/scim/v2/Groups/{ours}"),
                Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Ours (generated)", "members": [{"value": id}]})),
            ),
            (_, 0) => (
                "GET".into(),
                format!("/scim/v2/Users?filter=id%20eq%20%22{id}%22"),
                None,
            ),
            (_, 1) => (
                "GET".into(),
                format!("/scim/v2/Groups?filter=id%20eq%20%22{id}%22"),
                None,
            ),
            (_, _) => (
                "POST".into(),
                "/scim/v2/Users/.search".into(),
                Some(
                    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": format!("id eq \"{id}\"")}),
                ),
            ),
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    for seed in 1..=200u64 {
        // At least 24 requests, and until every shape has been sent.
        if seed > 24 && seen.len() == 12 {
            break;
        }
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let (pick, verb) = (rng.below(4), rng.below(3));
        seen.insert((pick, verb));
        let foreign = if pick == 1 {
            foreign_group.id.to_string()
        } else {
            foreign_user.id.to_string()
        };
        let unknown = format!("nowhere-{seed}");
        let answer = |reply: groups_tests::api::Reply, id: &str| {
            let text = reply.body.to_string().replace(id, "<id>");
            (reply.status, text)
        };
        let (m, p, b) = shape(pick, verb, &foreign);
        let repro = format!("seed {seed}: {m} {p} {}", b.clone().unwrap_or_default());
        let got = answer(send(m, p, b).await, &foreign);
        let (m, p, b) = shape(pick, verb, &unknown);
        let want = answer(send(m, p, b).await, &unknown);
        assert_eq!(got, want, "a foreign id answers as an unknown one: {repro}");
        assert!(got.0 >= 200, "{repro}");
    }
    assert_eq!(seen.len(), 12, "every request shape was generated");
    assert_eq!(api.snapshot().await, before, "nothing written");
    let kept = api.store().get_group(&globex, &foreign_group.id).await;
    assert!(kept.expect("get").is_some(), "their group is still there");
    let kept = api.store().get_user(&globex, &foreign_user.id).await;
    assert_eq!(
        kept.expect("get"),
        Some(foreign_user),
        "their user is unchanged"
    );
}
