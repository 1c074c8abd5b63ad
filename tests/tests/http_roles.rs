//! The role matrix, table-driven, for every route: Owner; Admin; Department Admin in scope and
//! out of scope; a custom role with and without the route's permission; Learner.

use groups_domain::Store;
use groups_domain::service::{self, NewGroup};
use groups_domain::{
    BuiltinRole, Caller, DepartmentId, GroupKind, Permission, PermissionSet, RoleRef, UserId,
};
use groups_http::Access;
use groups_http::event::HttpCall;
use groups_tests::api::{ADMIN, Api, DEPT_ADMIN, LEARNER, OWNER};
use serde_json::json;

/// Who calls, and whether the target lies in a department admin's scope.
#[derive(Clone, Copy, Debug)]
enum Who {
    Owner,
    Admin,
    DeptAdminInScope,
    DeptAdminOutOfScope,
    CustomWith,
    CustomWithout,
    Learner,
}

const EVERYONE: [Who; 7] = [
    Who::Owner,
    Who::Admin,
    Who::DeptAdminInScope,
    Who::DeptAdminOutOfScope,
    Who::CustomWith,
    Who::CustomWithout,
    Who::Learner,
];

/// A route and what each caller of [`EVERYONE`] gets. The custom role "with" holds what the
/// route's descriptor requires (one of them, for a route that takes either); "without" holds
/// every other permission.
struct Route {
    name: &'static str,
    expected: [u16; 7],
}

/// What the descriptor of `route` (`"GET /groups"`) requires: granted to "with", and withheld
/// from "without".
fn required(route: &str) -> (Vec<Permission>, Vec<Permission>) {
    for d in groups_local::registry::descriptors() {
        if d.routes()
            .iter()
            .any(|r| format!("{} {}", r.method, r.path) == route)
        {
            return match d.access {
                // No custom role may hold owner:manage: "with" gets the rest.
                Access::All(all) => (
                    all.iter()
                        .copied()
                        .filter(|p| *p != Permission::OwnerManage)
                        .collect(),
                    all.to_vec(),
                ),
                Access::Any(any) => (any[..1].to_vec(), any.to_vec()),
                Access::SignedIn | Access::Identity | Access::Provisioning => (vec![], vec![]),
            };
        }
    }
    panic!("no function serves {route}")
}

/// Every route some function serves is in the matrix, and nothing else is.
#[test]
fn the_matrix_covers_every_route_of_every_descriptor() {
    let served: std::collections::BTreeSet<String> = groups_local::registry::descriptors()
        .iter()
        .flat_map(|d| {
            d.routes()
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
        })
        .collect();
    let matrix: std::collections::BTreeSet<String> =
        ROUTES.iter().map(|r| r.name.to_owned()).collect();
    assert_eq!(matrix, served);
}

const ROUTES: [Route; 45] = [
    // A person's token is no one on SCIM, whatever their role.
    Route {
        name: "GET /scim/v2/{proxy+}",
        expected: [401, 401, 401, 401, 401, 401, 401],
    },
    // A person's token is no one on SCIM, whatever their role.
    Route {
        name: "POST /scim/v2/{proxy+}",
        expected: [401, 401, 401, 401, 401, 401, 401],
    },
    // A person's token is no one on SCIM, whatever their role.
    Route {
        name: "PUT /scim/v2/{proxy+}",
        expected: [401, 401, 401, 401, 401, 401, 401],
    },
    // A person's token is no one on SCIM, whatever their role.
    Route {
        name: "PATCH /scim/v2/{proxy+}",
        expected: [401, 401, 401, 401, 401, 401, 401],
    },
    // A person's token is no one on SCIM, whatever their role.
    Route {
        name: "DELETE /scim/v2/{proxy+}",
        expected: [401, 401, 401, 401, 401, 401, 401],
    },
    // SCIM tokens are the Account Owner's alone (no custom role holds owner:manage).
    Route {
        name: "GET /scim-tokens",
        expected: [200, 403, 403, 403, 403, 403, 403],
    },
    Route {
        name: "POST /scim-tokens",
        expected: [201, 403, 403, 403, 403, 403, 403],
    },
    Route {
        name: "DELETE /scim-tokens/{tokenId}",
        expected: [404, 403, 403, 403, 403, 403, 403],
    },
    Route {
        name: "GET /groups",
        expected: [200, 200, 200, 200, 200, 403, 403],
    },
    Route {
        name: "POST /groups",
        expected: [201, 201, 201, 400, 201, 403, 403],
    },
    Route {
        name: "GET /groups/{groupId}",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "PATCH /groups/{groupId}",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "DELETE /groups/{groupId}",
        expected: [204, 204, 204, 404, 204, 403, 403],
    },
    Route {
        name: "DELETE /groups",
        expected: [200, 200, 200, 200, 200, 403, 403],
    },
    Route {
        name: "GET /groups/{groupId}/members",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "POST /groups/{groupId}/members",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "DELETE /groups/{groupId}/members",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "GET /users",
        // A department outside the caller's scope reads as an unknown one.
        expected: [200, 200, 200, 400, 200, 403, 403],
    },
    Route {
        name: "GET /users/{userId}/groups",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "GET /users/{userId}/history",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "GET /groups/{groupId}/history",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    // An import no one started: the permission gate answers first, then "unknown".
    Route {
        name: "GET /groups/{groupId}/imports/{importId}",
        expected: [404, 404, 404, 404, 404, 403, 403],
    },
    Route {
        name: "GET /departments",
        expected: [200, 200, 200, 200, 200, 403, 403],
    },
    Route {
        name: "POST /groups/{groupId}/evaluate",
        expected: [202, 202, 202, 404, 202, 403, 403],
    },
    Route {
        name: "POST /smart-groups/preview",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "POST /smart-groups/test",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "POST /smart-groups/health",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "GET /groups/{groupId}/members/{userId}/explain",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "GET /groups/{groupId}/rule-versions",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    // The descriptor asks groups:view; writes also need groups:members (the custom "with").
    Route {
        name: "GET /groups/{groupId}/overrides",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "POST /groups/{groupId}/overrides",
        expected: [201, 201, 201, 404, 403, 403, 403],
    },
    Route {
        name: "DELETE /groups/{groupId}/overrides/{userId}",
        expected: [200, 200, 200, 404, 403, 403, 403],
    },
    Route {
        name: "GET /me",
        expected: [200, 200, 200, 200, 200, 200, 200],
    },
    Route {
        name: "GET /smart-groups/rule-language",
        expected: [200, 200, 200, 200, 200, 403, 403],
    },
    Route {
        name: "PUT /users/{userId}",
        expected: [200, 200, 403, 403, 200, 403, 403],
    },
    Route {
        name: "DELETE /users/{userId}",
        expected: [204, 204, 403, 403, 204, 403, 403],
    },
    Route {
        name: "GET /departments/{departmentId}",
        expected: [200, 200, 200, 404, 200, 403, 403],
    },
    Route {
        name: "POST /departments",
        expected: [201, 201, 403, 403, 201, 403, 403],
    },
    Route {
        name: "PATCH /departments/{departmentId}",
        expected: [200, 200, 403, 403, 200, 403, 403],
    },
    Route {
        name: "DELETE /departments/{departmentId}",
        expected: [204, 204, 403, 403, 204, 403, 403],
    },
    Route {
        name: "GET /roles",
        expected: [200, 200, 403, 403, 200, 403, 403],
    },
    Route {
        name: "POST /roles",
        expected: [201, 201, 403, 403, 201, 403, 403],
    },
    Route {
        name: "GET /roles/{roleId}",
        expected: [200, 200, 403, 403, 200, 403, 403],
    },
    Route {
        name: "PATCH /roles/{roleId}",
        expected: [200, 200, 403, 403, 200, 403, 403],
    },
    Route {
        name: "DELETE /roles/{roleId}",
        expected: [204, 204, 403, 403, 204, 403, 403],
    },
];

/// A fresh empty department under `parent`, for routes that change or consume one.
async fn fresh_department<S: Store + 'static>(api: &Api<S>, n: usize, parent: &str) -> String {
    let id = format!("fresh{n}");
    let reply = api
        .as_user(
            OWNER,
            HttpCall::new("POST", "/departments")
                .json(&json!({"id": id, "name": format!("Fresh {n}"), "parentId": parent})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    id
}

/// A fresh custom role without permissions, for routes that change or consume one.
async fn fresh_role<S: Store + 'static>(api: &Api<S>, n: usize) -> String {
    let id = format!("fresh-role{n}");
    let reply = api
        .as_user(
            OWNER,
            HttpCall::new("POST", "/roles").json(&json!({
                "id": id, "name": format!("Fresh role {n}"), "permissions": [], "scope": "account"
            })),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    id
}

/// A smart group owned by `department`.
async fn smart_group<S: Store + 'static>(api: &Api<S>, title: &str, department: &str) -> String {
    let owner = Caller::resolve(
        api.account.clone(),
        UserId::parse("id", OWNER).expect("id"),
        RoleRef::Builtin(BuiltinRole::Owner),
        None,
        vec![],
    );
    let new = NewGroup {
        title: title.into(),
        description: String::new(),
        kind: GroupKind::Smart,
        rule: Some(json!({"attr": "status", "op": "eq", "value": "active"})),
        owner_department_id: Some(DepartmentId::parse("id", department).expect("id")),
    };
    service::create_group(api.store(), &owner, new, time::OffsetDateTime::now_utc())
        .await
        .expect("create")
        .id
        .to_string()
}

/// A fresh group owned by `department`, for routes that consume one.
async fn fresh_group<S: Store + 'static>(api: &Api<S>, n: usize, department: &str) -> String {
    let owner = Caller::resolve(
        api.account.clone(),
        UserId::parse("id", OWNER).expect("id"),
        RoleRef::Builtin(BuiltinRole::Owner),
        None,
        vec![],
    );
    let new = NewGroup {
        title: format!("Matrix {n}"),
        description: String::new(),
        kind: GroupKind::Static,
        rule: None,
        owner_department_id: Some(DepartmentId::parse("id", department).expect("id")),
    };
    let group = service::create_group(api.store(), &owner, new, time::OffsetDateTime::now_utc())
        .await
        .expect("create");
    group.id.to_string()
}

async fn every_route_answers_each_role_as_the_matrix_says<S: Store + 'static>(api: Api<S>) {
    let in_scope_group = api.group_id("Direct Sales").await; // owned by sales
    let out_of_scope_group = api.group_id("SMM").await; // owned by marketing
    let in_scope_smart = smart_group(&api, "Smart sales", "sales").await;
    let out_of_scope_smart = smart_group(&api, "Smart marketing", "marketing").await;
    let mut n = 0;
    for (r, route) in ROUTES.iter().enumerate() {
        let (granted, withheld) = required(route.name);
        let with = api
            .custom_user(&format!("with{r}"), PermissionSet::of(&granted))
            .await;
        let mut without = PermissionSet::all().without(Permission::OwnerManage);
        for p in &withheld {
            without = without.without(*p);
        }
        let without = api.custom_user(&format!("without{r}"), without).await;
        for (who, expected) in EVERYONE.iter().zip(route.expected) {
            n += 1;
            let user = match who {
                Who::Owner => OWNER,
                Who::Admin => ADMIN,
                Who::DeptAdminInScope | Who::DeptAdminOutOfScope => DEPT_ADMIN,
                Who::CustomWith => with.as_str(),
                Who::CustomWithout => without.as_str(),
                Who::Learner => LEARNER,
            };
            let out = matches!(who, Who::DeptAdminOutOfScope);
            let group = if out {
                out_of_scope_group.clone()
            } else {
                in_scope_group.clone()
            };
            let department = if out { "marketing" } else { "sales" };
            let target_user = if out { "u04" } else { "u01" };
            let call = match route.name {
                "GET /groups" => HttpCall::new("GET", "/groups"),
                "POST /groups" => HttpCall::new("POST", "/groups").json(
                    &json!({"title": format!("Created {n}"), "ownerDepartmentId": department}),
                ),
                "GET /groups/{groupId}" => HttpCall::new("GET", &format!("/groups/{group}")),
                "PATCH /groups/{groupId}" => {
                    let current = api
                        .as_user(OWNER, HttpCall::new("GET", &format!("/groups/{group}")))
                        .await;
                    let etag = current.header("etag").unwrap_or("\"0\"").to_owned();
                    HttpCall::new("PATCH", &format!("/groups/{group}"))
                        .header("if-match", &etag)
                        .json(&json!({"description": format!("edit {n}")}))
                }
                "DELETE /groups/{groupId}" => {
                    let fresh = fresh_group(&api, n, department).await;
                    HttpCall::new("DELETE", &format!("/groups/{fresh}"))
                }
                "DELETE /groups" => {
                    let fresh = fresh_group(&api, n, department).await;
                    HttpCall::new("DELETE", "/groups").json(&json!({"groupIds": [fresh]}))
                }
                "GET /groups/{groupId}/members" => {
                    HttpCall::new("GET", &format!("/groups/{group}/members"))
                }
                "POST /groups/{groupId}/members" => {
                    HttpCall::new("POST", &format!("/groups/{group}/members"))
                        .json(&json!({"userIds": ["u09"]}))
                }
                "DELETE /groups/{groupId}/members" => {
                    HttpCall::new("DELETE", &format!("/groups/{group}/members"))
                        .json(&json!({"userIds": ["u09"]}))
                }
                "GET /users" => HttpCall::new("GET", &format!("/users?departmentId={department}")),
                "GET /users/{userId}/groups" => {
                    HttpCall::new("GET", &format!("/users/{target_user}/groups"))
                }
                "GET /users/{userId}/history" => {
                    HttpCall::new("GET", &format!("/users/{target_user}/history"))
                }
                "GET /groups/{groupId}/history" => {
                    HttpCall::new("GET", &format!("/groups/{group}/history"))
                }
                "GET /groups/{groupId}/imports/{importId}" => HttpCall::new(
                    "GET",
                    &format!("/groups/{group}/imports/imp-{n:032x}"),
                ),
                "GET /departments" => HttpCall::new("GET", "/departments"),
                "POST /groups/{groupId}/evaluate" => {
                    let smart = if out { &out_of_scope_smart } else { &in_scope_smart };
                    HttpCall::new("POST", &format!("/groups/{smart}/evaluate"))
                }
                "POST /smart-groups/preview" | "POST /smart-groups/health" => {
                    let smart = if out { &out_of_scope_smart } else { &in_scope_smart };
                    let path = route.name.trim_start_matches("POST ");
                    HttpCall::new("POST", path)
                        .json(&json!({"rule": {"attr": "status", "op": "eq", "value": "active"}, "groupId": smart}))
                }
                "POST /smart-groups/test" => {
                    let smart = if out { &out_of_scope_smart } else { &in_scope_smart };
                    HttpCall::new("POST", "/smart-groups/test").json(&json!({
                        "rule": {"attr": "status", "op": "eq", "value": "active"},
                        "groupId": smart, "userIds": [target_user]
                    }))
                }
                "GET /groups/{groupId}/members/{userId}/explain" => {
                    let smart = if out { &out_of_scope_smart } else { &in_scope_smart };
                    HttpCall::new("GET", &format!("/groups/{smart}/members/{target_user}/explain"))
                }
                "GET /groups/{groupId}/overrides" => {
                    let smart = if out { &out_of_scope_smart } else { &in_scope_smart };
                    HttpCall::new("GET", &format!("/groups/{smart}/overrides"))
                }
                "POST /groups/{groupId}/overrides" | "DELETE /groups/{groupId}/overrides/{userId}" => {
                    let smart = if out { &out_of_scope_smart } else { &in_scope_smart };
                    let path = format!("/groups/{smart}/overrides");
                    // A user of the group's own department (u03 works in marketing).
                    let target_user = if out { "u03" } else { target_user };
                    // Each call starts from no override (POST answers 201) or one (DELETE 200).
                    let reset = HttpCall::new("DELETE", &format!("{path}/{target_user}"));
                    api.as_user(OWNER, reset).await;
                    let body = json!({"userId": target_user, "effect": "exclude", "reason": format!("call {n}")});
                    if route.name.starts_with("POST") {
                        HttpCall::new("POST", &path).json(&body)
                    } else {
                        let put = api.as_user(OWNER, HttpCall::new("POST", &path).json(&body)).await;
                        assert_eq!(put.status, 201, "{}", put.body);
                        HttpCall::new("DELETE", &format!("{path}/{target_user}"))
                    }
                }
                "GET /groups/{groupId}/rule-versions" => {
                    let smart = if out { &out_of_scope_smart } else { &in_scope_smart };
                    HttpCall::new("GET", &format!("/groups/{smart}/rule-versions"))
                }
                "PUT /users/{userId}" => HttpCall::new("PUT", &format!("/users/synced{n}")).json(&json!({
                    "email": format!("synced{n}@acme.example"), "firstName": "Synced", "lastName": "User",
                    "departmentId": department
                })),
                "DELETE /users/{userId}" => {
                    let put = HttpCall::new("PUT", &format!("/users/doomed{n}")).json(&json!({
                        "email": format!("doomed{n}@acme.example"), "firstName": "Doomed", "lastName": "User",
                        "departmentId": department
                    }));
                    assert_eq!(api.as_user(OWNER, put).await.status, 200);
                    HttpCall::new("DELETE", &format!("/users/doomed{n}"))
                }
                "GET /me" => HttpCall::new("GET", "/me"),
                "GET /smart-groups/rule-language" => {
                    HttpCall::new("GET", "/smart-groups/rule-language")
                }
                "GET /departments/{departmentId}" => {
                    HttpCall::new("GET", &format!("/departments/{department}"))
                }
                "POST /departments" => HttpCall::new("POST", "/departments")
                    .json(&json!({"name": format!("Created {n}"), "parentId": department})),
                "PATCH /departments/{departmentId}" => {
                    let fresh = fresh_department(&api, n, department).await;
                    HttpCall::new("PATCH", &format!("/departments/{fresh}"))
                        .json(&json!({"name": format!("Renamed {n}")}))
                }
                "DELETE /departments/{departmentId}" => {
                    let fresh = fresh_department(&api, n, department).await;
                    HttpCall::new("DELETE", &format!("/departments/{fresh}"))
                }
                "GET /roles" => HttpCall::new("GET", "/roles"),
                "POST /roles" => HttpCall::new("POST", "/roles").json(&json!({
                    "name": format!("Role {n}"), "permissions": [], "scope": "account"
                })),
                "GET /roles/{roleId}" => {
                    let fresh = fresh_role(&api, n).await;
                    HttpCall::new("GET", &format!("/roles/{fresh}"))
                }
                "PATCH /roles/{roleId}" => {
                    let fresh = fresh_role(&api, n).await;
                    HttpCall::new("PATCH", &format!("/roles/{fresh}"))
                        .json(&json!({"name": format!("Renamed role {n}")}))
                }
                "DELETE /roles/{roleId}" => {
                    let fresh = fresh_role(&api, n).await;
                    HttpCall::new("DELETE", &format!("/roles/{fresh}"))
                }
                "GET /scim/v2/{proxy+}" => HttpCall::new("GET", "/scim/v2/Users"),
                "POST /scim/v2/{proxy+}" => HttpCall::new("POST", "/scim/v2/Users").json(&json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("scim{n}@example.com"),
                })),
                "PUT /scim/v2/{proxy+}" => HttpCall::new("PUT", "/scim/v2/Users/u1").json(&json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("scim{n}@example.com"),
                })),
                "PATCH /scim/v2/{proxy+}" => HttpCall::new("PATCH", "/scim/v2/Users/u1").json(&json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "active", "value": false}],
                })),
                "DELETE /scim/v2/{proxy+}" => HttpCall::new("DELETE", "/scim/v2/Users/u1"),
                "GET /scim-tokens" => HttpCall::new("GET", "/scim-tokens"),
                "POST /scim-tokens" => HttpCall::new("POST", "/scim-tokens")
                    .json(&json!({"name": format!("Identity provider {n}")})),
                "DELETE /scim-tokens/{tokenId}" => HttpCall::new("DELETE", "/scim-tokens/scim-unknown"),
                other => panic!("no call for {other}"),
            };
            let reply = api.as_user(user, call).await;
            assert_eq!(
                reply.status, expected,
                "{} as {who:?}: {}",
                route.name, reply.body
            );
            if reply.status >= 400 {
                if route.name.contains("/scim/v2/") {
                    // SCIM's own error shape (RFC 7644 §3.12).
                    assert_eq!(reply.header("content-type"), Some("application/scim+json"));
                    assert_eq!(
                        reply.body["schemas"],
                        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
                    );
                } else {
                    assert_eq!(
                        reply.header("content-type"),
                        Some("application/problem+json"),
                        "{}",
                        route.name
                    );
                    assert!(reply.problem_type().starts_with("urn:groups:problem:"));
                }
            }
            // Scoped callers never see what lies outside their departments.
            if out && route.name == "DELETE /groups" {
                assert_eq!(reply.body["deleted"], json!([]));
            }
        }
    }
}

async fn a_department_admin_lists_only_their_groups<S: Store + 'static>(api: Api<S>) {
    let reply = api
        .as_user(DEPT_ADMIN, HttpCall::new("GET", "/groups"))
        .await;
    let titles: Vec<&str> = reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|g| g["title"].as_str())
        .collect();
    assert_eq!(titles, ["Business Services", "Direct Sales"]);
    // Adding a user from another department is reported as an unknown id, not done.
    let group = api.group_id("Direct Sales").await;
    let reply = api
        .as_user(
            DEPT_ADMIN,
            HttpCall::new("POST", &format!("/groups/{group}/members"))
                .json(&json!({"userIds": ["u04", "u09"]})),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["notFound"], json!(["u04"]));
    assert_eq!(reply.body["outOfScope"], json!([]));
    assert_eq!(reply.body["added"], json!(["u09"]));
}

async fn every_caller_learns_their_role_permissions_and_scope_from_me<S: Store + 'static>(
    api: Api<S>,
) {
    let custom = api
        .custom_user(
            "viewer",
            PermissionSet::of(&[Permission::GroupsView, Permission::UsersView]),
        )
        .await;
    let cases = [
        (OWNER, "owner", PermissionSet::all(), None),
        (
            ADMIN,
            "admin",
            PermissionSet::all().without(Permission::OwnerManage),
            None,
        ),
        (
            DEPT_ADMIN,
            "departmentAdmin",
            BuiltinRole::DepartmentAdmin.permissions(),
            Some(json!(["sales"])),
        ),
        (LEARNER, "learner", PermissionSet::of(&[]), None),
        (
            custom.as_str(),
            "role-viewer",
            PermissionSet::of(&[Permission::GroupsView, Permission::UsersView]),
            None,
        ),
    ];
    for (user, role, permissions, departments) in cases {
        let reply = api.as_user(user, HttpCall::new("GET", "/me")).await;
        assert_eq!(reply.status, 200, "{user}: {}", reply.body);
        assert_eq!(reply.body["userId"], json!(user));
        assert_eq!(reply.body["accountId"], json!(api.account.to_string()));
        assert_eq!(reply.body["role"], json!(role), "{user}");
        assert_eq!(reply.body["permissions"], json!(permissions), "{user}");
        assert_eq!(
            reply.body.get("departmentIds").cloned(),
            departments,
            "{user}"
        );
        assert_eq!(reply.body["user"]["id"], json!(user));
    }
    let anonymous = api.call(HttpCall::new("GET", "/me")).await;
    assert_eq!(anonymous.status, 401);
    let extra = api
        .as_user(ADMIN, HttpCall::new("GET", "/me?debug=1"))
        .await;
    assert_eq!(extra.status, 400);
}

groups_tests::on_both_stores!(
    every_route_answers_each_role_as_the_matrix_says,
    a_department_admin_lists_only_their_groups,
    every_caller_learns_their_role_permissions_and_scope_from_me
);
