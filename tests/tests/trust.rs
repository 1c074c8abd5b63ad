//! Each scope, privilege and parity hole of issue #12, on both stores: what a caller outside a
//! scope, with fewer permissions, or racing another gets.

use groups_domain::{Permission, PermissionSet, Store, UserId};
use groups_http::event::HttpCall;
use groups_tests::api::{ADMIN, Api, DEPT_ADMIN, OWNER, Reply};
use serde_json::{Value, json};

fn put_user(id: &str, body: Value) -> HttpCall {
    HttpCall::new("PUT", &format!("/users/{id}")).json(&body)
}

/// A user body as the platform syncs it.
fn user_body(id: &str, department: &str, role: &str) -> Value {
    json!({"email": format!("{id}@acme.example"), "firstName": "F", "lastName": "L",
           "departmentId": department, "role": role})
}

async fn stored<S: Store + 'static>(api: &Api<S>, id: &str) -> Option<groups_domain::User> {
    api.store()
        .get_user(&api.account, &UserId::parse("id", id).expect("id"))
        .await
        .expect("get user")
}

/// The two answers are the same, but for the id each names.
fn same_as_unknown(out_of_scope: &Reply, unknown: &Reply, out_id: &str, unknown_id: &str) {
    assert_eq!(out_of_scope.status, unknown.status, "{}", out_of_scope.body);
    let normalized = out_of_scope
        .body
        .to_string()
        .replace(out_id, "<id>")
        .replace(unknown_id, "<id>");
    assert_eq!(
        normalized,
        unknown.body.to_string().replace(unknown_id, "<id>"),
        "an out-of-scope id answers exactly as an unknown one"
    );
}

async fn users_manage_stays_within_the_callers_authority<S: Store + 'static>(api: Api<S>) {
    let manage = PermissionSet::of(&[Permission::UsersManage, Permission::UsersView]);
    let scoped = api
        .custom_user_in("hrm", manage, Some("sales"), &["sales"])
        .await;
    let only_manage = api
        .custom_user("um", PermissionSet::of(&[Permission::UsersManage]))
        .await;
    let refused: Vec<(&str, HttpCall, u16)> = vec![
        // Out of scope: answered as an unknown user, whatever it would have done.
        (
            &scoped,
            put_user("u04", user_body("u04", "sales", "learner")),
            404,
        ),
        (
            &scoped,
            put_user("admin", user_body("admin", "sales", "learner")),
            404,
        ),
        (&scoped, HttpCall::new("DELETE", "/users/u04"), 404),
        // In scope, but granting more than the caller holds.
        (
            &scoped,
            put_user("u02", user_body("u02", "sales", "admin")),
            403,
        ),
        (
            &scoped,
            put_user("u02", user_body("u02", "sales", "departmentAdmin")),
            403,
        ),
        (
            &scoped,
            put_user("hrm", user_body("hrm", "sales", "admin")),
            403,
        ),
        // New values out of scope read as unknown departments.
        (
            &scoped,
            put_user("u02", user_body("u02", "hr", "learner")),
            400,
        ),
        (
            &scoped,
            put_user(
                "u02",
                json!({"email": "u02@acme.example", "firstName": "F", "lastName": "L",
                       "departmentId": "sales", "managedDepartmentIds": ["acme"]}),
            ),
            400,
        ),
        // Its own managed departments, even within scope, and its own role.
        (
            &scoped,
            put_user(
                "hrm",
                json!({"email": "hrm@acme.example", "firstName": "F", "lastName": "L",
                       "departmentId": "sales", "role": "role-hrm",
                       "managedDepartmentIds": ["sales", "sales-emea"]}),
            ),
            403,
        ),
        (
            &only_manage,
            put_user(
                "um",
                json!({"email": "um@acme.example", "firstName": "F", "lastName": "L", "role": "admin"}),
            ),
            403,
        ),
        (
            &only_manage,
            put_user("u02", user_body("u02", "sales", "admin")),
            403,
        ),
        // The Administrator holds more than `users:manage`: neither demoted nor deleted by it.
        (
            &only_manage,
            put_user("admin", user_body("admin", "acme", "learner")),
            403,
        ),
        (&only_manage, HttpCall::new("DELETE", "/users/admin"), 403),
        // Only an Owner manages Owners.
        (
            ADMIN,
            put_user("owner", user_body("owner", "acme", "admin")),
            403,
        ),
        (
            ADMIN,
            put_user("u02", user_body("u02", "sales", "owner")),
            403,
        ),
        (ADMIN, HttpCall::new("DELETE", "/users/owner"), 403),
    ];
    for (caller, call, status) in refused {
        let target = call.path.trim_start_matches("/users/").to_owned();
        let before = stored(&api, &target).await;
        let reply = api.as_user(caller, call).await;
        assert_eq!(reply.status, status, "{caller} on {target}: {}", reply.body);
        assert_eq!(stored(&api, &target).await, before, "nothing written");
    }
    // The unknown-department answer is byte for byte the out-of-scope one.
    let out = api
        .as_user(&scoped, put_user("u02", user_body("u02", "hr", "learner")))
        .await;
    let unknown = api
        .as_user(
            &scoped,
            put_user("u02", user_body("u02", "nope", "learner")),
        )
        .await;
    same_as_unknown(&out, &unknown, "hr", "nope");
    // What the caller may do, it does.
    for (caller, call) in [
        (
            &scoped,
            put_user("u02", user_body("u02", "sales-emea", "learner")),
        ),
        (
            &scoped,
            put_user(
                "new-in-sales",
                user_body("new-in-sales", "sales", "learner"),
            ),
        ),
        (
            &only_manage,
            put_user("u05", user_body("u05", "engineering", "learner")),
        ),
        (
            &ADMIN.to_owned(),
            put_user("u03", user_body("u03", "marketing", "admin")),
        ),
    ] {
        let reply = api.as_user(caller, call).await;
        assert_eq!(reply.status, 200, "{caller}: {}", reply.body);
    }
    assert_eq!(
        stored(&api, "u03")
            .await
            .map(|u| u.role.as_str().to_owned()),
        Some("admin".into())
    );
}

async fn an_account_always_keeps_an_active_owner<S: Store + 'static>(api: Api<S>) {
    let refusals = [
        (
            OWNER,
            put_user("owner", user_body("owner", "acme", "admin")),
        ),
        (
            OWNER,
            put_user(
                "owner",
                json!({"email": "owner@acme.example", "firstName": "F", "lastName": "L",
                       "departmentId": "acme", "role": "owner", "status": "inactive"}),
            ),
        ),
        (OWNER, HttpCall::new("DELETE", "/users/owner")),
        (ADMIN, HttpCall::new("DELETE", "/users/admin")),
        (
            ADMIN,
            put_user(
                "admin",
                json!({"email": "admin@acme.example", "firstName": "F", "lastName": "L",
                       "departmentId": "acme", "role": "admin", "status": "inactive"}),
            ),
        ),
    ];
    for (caller, call) in refusals {
        let target = call.path.trim_start_matches("/users/").to_owned();
        let before = stored(&api, &target).await;
        let reply = api.as_user(caller, call).await;
        assert_eq!(reply.status, 403, "{caller}: {}", reply.body);
        assert_eq!(stored(&api, &target).await, before);
    }
    // Two Owners demoting each other at once: one wins, the other finds itself no longer an
    // Owner, and the account keeps one.
    let promote = api
        .as_user(OWNER, put_user("u10", user_body("u10", "sales", "owner")))
        .await;
    assert_eq!(promote.status, 200, "{}", promote.body);
    for round in 0..3 {
        let (a, b) = tokio::join!(
            api.as_user(OWNER, put_user("u10", user_body("u10", "sales", "learner"))),
            api.as_user(
                "u10",
                put_user("owner", user_body("owner", "acme", "learner"))
            ),
        );
        let statuses = [a.status, b.status];
        let owners = [stored(&api, "owner").await, stored(&api, "u10").await]
            .into_iter()
            .flatten()
            .filter(groups_domain::ports::is_active_owner)
            .count();
        assert_eq!(
            owners, 1,
            "round {round}: {statuses:?} {} {}",
            a.body, b.body
        );
        assert!(statuses.contains(&200), "round {round}: {statuses:?}");
        // Make both owners again for the next round.
        let (owner, other) = if a.status == 200 {
            (OWNER, "u10")
        } else {
            ("u10", OWNER)
        };
        let body = if other == OWNER {
            user_body("owner", "acme", "owner")
        } else {
            user_body("u10", "sales", "owner")
        };
        let restored = api.as_user(owner, put_user(other, body)).await;
        assert_eq!(restored.status, 200, "{}", restored.body);
    }
}

async fn rules_and_listings_judge_scope_on_every_id<S: Store + 'static>(api: Api<S>) {
    let smm = api.group_id("SMM").await; // marketing: outside Dana's sales
    let interns = api.group_id("Interns").await; // account level: outside too
    let unknown = "grp-unknown";
    for out in [smm.as_str(), interns.as_str()] {
        let rule = |g: &str| json!({"attr": "group", "op": "memberOf", "value": g});
        let preview = |g: &str| {
            HttpCall::new("POST", "/smart-groups/preview").json(&json!({"rule": rule(g)}))
        };
        let create = |g: &str| {
            HttpCall::new("POST", "/groups").json(&json!({"title": format!("Probe {g}"),
                "kind": "smart", "ownerDepartmentId": "sales", "rule": rule(g)}))
        };
        for build in [&preview as &dyn Fn(&str) -> HttpCall, &create] {
            let a = api.as_user(DEPT_ADMIN, build(out)).await;
            let b = api.as_user(DEPT_ADMIN, build(unknown)).await;
            assert_eq!(a.status, 400, "{}", a.body);
            same_as_unknown(&a, &b, out, unknown);
        }
    }
    let department = |d: &str| {
        HttpCall::new("POST", "/smart-groups/preview")
            .json(&json!({"rule": {"attr": "department", "op": "inSubtree", "value": d}}))
    };
    let a = api.as_user(DEPT_ADMIN, department("marketing")).await;
    let b = api.as_user(DEPT_ADMIN, department("nowhere")).await;
    same_as_unknown(&a, &b, "marketing", "nowhere");
    let inside = api.as_user(DEPT_ADMIN, department("sales-emea")).await;
    assert_eq!(inside.status, 200, "{}", inside.body);
    // The user listing by department: scoped callers on DynamoDB used to get a 500 here.
    let a = api
        .as_user(
            DEPT_ADMIN,
            HttpCall::new("GET", "/users?departmentId=marketing"),
        )
        .await;
    let b = api
        .as_user(
            DEPT_ADMIN,
            HttpCall::new("GET", "/users?departmentId=nowhere"),
        )
        .await;
    same_as_unknown(&a, &b, "marketing", "nowhere");
    for nested in ["true", "false"] {
        let reply = api
            .as_user(
                DEPT_ADMIN,
                HttpCall::new("GET", &format!("/users?departmentId=sales&nested={nested}")),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(!reply.body["items"].as_array().expect("items").is_empty());
    }
    let trainer = api
        .as_user("trainer", HttpCall::new("GET", "/users?q=acme"))
        .await;
    assert_eq!(trainer.status, 200, "{}", trainer.body);
    for user in trainer.body["items"].as_array().expect("items") {
        assert_eq!(user["departmentId"], "marketing", "{user}");
    }
}

async fn member_lists_show_personal_data_only_in_scope<S: Store + 'static>(api: Api<S>) {
    let group = api.group_id("Direct Sales").await;
    let add = api
        .as_user(
            OWNER,
            HttpCall::new("POST", &format!("/groups/{group}/members"))
                .json(&json!({"userIds": ["u04"]})),
        )
        .await;
    assert_eq!(add.body["added"], json!(["u04"]));
    let viewer = api
        .custom_user("gv", PermissionSet::of(&[Permission::GroupsView]))
        .await;
    let members = |user: String| {
        let api = &api;
        let group = group.clone();
        async move {
            let reply = api
                .as_user(
                    &user,
                    HttpCall::new("GET", &format!("/groups/{group}/members")),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.body["items"].as_array().expect("items").clone()
        }
    };
    let dana = members(DEPT_ADMIN.into()).await;
    assert_eq!(dana.len(), 8, "every member counted: {dana:?}");
    for m in &dana {
        if m["userId"] == "u04" {
            assert_eq!(m.get("user"), None, "hr is outside sales: {m}");
            assert_eq!(m["outOfScope"], true);
        } else {
            assert!(m["user"]["email"].is_string(), "{m}");
            assert_eq!(m.get("outOfScope"), None);
        }
    }
    for m in members(viewer.clone()).await {
        assert_eq!(m.get("user"), None, "no users:view, no personal data: {m}");
    }
    for m in members(ADMIN.into()).await {
        assert!(m["user"]["email"].is_string(), "{m}");
    }
    // Explanations show attribute values only with users:view.
    let smart = api
        .as_user(
            OWNER,
            HttpCall::new("POST", "/groups").json(&json!({"title": "Specialists", "kind": "smart",
                "rule": {"attr": "jobTitle", "op": "eq", "value": "Specialist"}})),
        )
        .await;
    let smart = smart.body["id"].as_str().expect("id").to_owned();
    let explain = |user: String| {
        let api = &api;
        let smart = smart.clone();
        async move {
            api.as_user(
                &user,
                HttpCall::new("GET", &format!("/groups/{smart}/members/u01/explain")),
            )
            .await
        }
    };
    let hidden = explain(viewer).await;
    assert_eq!(hidden.status, 200, "{}", hidden.body);
    assert_eq!(hidden.body["rule"]["actual"], Value::Null);
    let shown = explain(ADMIN.into()).await;
    assert_eq!(shown.body["rule"]["actual"], "Specialist");
    // A rule an Owner saved on a sales group may name a group outside Dana's scope: Dana's
    // explanation hides that condition's value and result.
    let smm = api.group_id("SMM").await;
    let mixed = api
        .as_user(
            OWNER,
            HttpCall::new("POST", "/groups").json(
                &json!({"title": "Sales or SMM", "kind": "smart",
                "ownerDepartmentId": "sales",
                "rule": {"any": [{"attr": "group", "op": "memberOf", "value": smm},
                                 {"attr": "jobTitle", "op": "eq", "value": "Specialist"}]}}),
            ),
        )
        .await;
    assert_eq!(mixed.status, 201, "{}", mixed.body);
    let mixed = mixed.body["id"].as_str().expect("id").to_owned();
    let path = format!("/groups/{mixed}/members/u01/explain");
    let dana = api.as_user(DEPT_ADMIN, HttpCall::new("GET", &path)).await;
    assert_eq!(dana.status, 200, "{}", dana.body);
    let hidden = &dana.body["rule"]["any"][0];
    assert_eq!(hidden["hidden"], true, "{hidden}");
    assert_eq!(hidden["result"], Value::Null);
    assert_eq!(hidden["actual"], Value::Null);
    assert_eq!(dana.body["rule"]["any"][1]["actual"], "Specialist");
    let owner = api.as_user(OWNER, HttpCall::new("GET", &path)).await;
    assert_eq!(owner.body["rule"]["any"][0].get("hidden"), None);
    assert!(owner.body["rule"]["any"][0]["result"].is_boolean());
}

async fn initial_members_are_authorized_before_the_group_is_written<S: Store + 'static>(
    api: Api<S>,
) {
    let creator = api
        .custom_user("creator", PermissionSet::of(&[Permission::GroupsCreate]))
        .await;
    let before = api.snapshot().await;
    let call = || {
        HttpCall::new("POST", "/groups").json(&json!({"title": "With members", "userIds": ["u01"]}))
    };
    let refused = api.as_user(&creator, call()).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(api.snapshot().await, before, "no group was left behind");
    let full = api
        .custom_user(
            "full-creator",
            PermissionSet::of(&[Permission::GroupsCreate, Permission::GroupsMembers]),
        )
        .await;
    let created = api.as_user(&full, call()).await;
    assert_eq!(
        created.status, 201,
        "a retry is not a 409: {}",
        created.body
    );
    assert_eq!(created.body["memberCount"], 1);
}

async fn titles_that_read_alike_are_one_title_and_keys_fit<S: Store + 'static>(api: Api<S>) {
    let create = |title: String| HttpCall::new("POST", "/groups").json(&json!({"title": title}));
    let first = api.as_user(ADMIN, create("Interns Abroad".into())).await;
    assert_eq!(first.status, 201, "{}", first.body);
    for twin in [
        "\u{406}nterns Abroad",
        "Interns\u{200B} Abroad",
        "INTERNS ABROAD",
    ] {
        let reply = api.as_user(ADMIN, create(twin.into())).await;
        assert_eq!(reply.status, 409, "{twin:?}: {}", reply.body);
    }
    let before = api.snapshot().await;
    for bad in [
        "\u{FDFA}".repeat(200),
        "a\u{202E}b".into(),
        "\u{FEFF}x".into(),
    ] {
        let reply = api.as_user(ADMIN, create(bad.clone())).await;
        assert_eq!(reply.status, 400, "{bad:?}: {}", reply.body);
        assert_eq!(reply.body["field"], "title");
    }
    assert_eq!(api.snapshot().await, before);
}

async fn duplicate_keys_are_refused_at_any_depth<S: Store + 'static>(api: Api<S>) {
    let before = api.snapshot().await;
    let body = r#"{"title": "Dup", "kind": "smart", "rule": {"attr": "status", "op": "eq", "value": "active", "value": "inactive"}}"#;
    let reply = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups")
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["field"], "rule/value");
    let no_type = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups").body(r#"{"title": "No type"}"#),
        )
        .await;
    assert_eq!(no_type.status, 415, "{}", no_type.body);
    assert_eq!(api.snapshot().await, before);
}

groups_tests::on_both_stores!(
    users_manage_stays_within_the_callers_authority,
    an_account_always_keeps_an_active_owner,
    rules_and_listings_judge_scope_on_every_id,
    member_lists_show_personal_data_only_in_scope,
    initial_members_are_authorized_before_the_group_is_written,
    titles_that_read_alike_are_one_title_and_keys_fit,
    duplicate_keys_are_refused_at_any_depth,
);
