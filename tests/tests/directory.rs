//! The directory routes end to end on both stores: departments (tree and flat listings, counts,
//! create, rename, move, delete) and custom roles (limits of who manages what, holders, a
//! change applying on the holder's next request). A move is driven by the stream (the memory
//! feed or DynamoDB Local's real stream) and leaves every smart group as a full re-evaluation
//! would.

use groups_domain::smart::Guard;
use groups_domain::{Permission, PermissionSet, Scope, Store, UserQuery};
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api, DEPT_ADMIN, LEARNER, OWNER};
use groups_tests::expect::{expected, members};
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn post(path: &str, body: Value) -> HttpCall {
    HttpCall::new("POST", path).json(&body)
}

fn patch(path: &str, body: Value) -> HttpCall {
    HttpCall::new("PATCH", path).json(&body)
}

/// Every page of a listing, following `nextCursor`.
async fn all_pages<S: Store + 'static>(api: &Api<S>, user: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let sep = if path.contains('?') { '&' } else { '?' };
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=2&cursor={c}"),
            None => format!("{path}{sep}limit=2"),
        };
        let reply = api.as_user(user, HttpCall::new("GET", &url)).await;
        assert_eq!(reply.status, 200, "{url}: {}", reply.body);
        out.extend(
            reply.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .cloned(),
        );
        match reply.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn listings_page_the_tree_depth_first_within_scope<S: Store + 'static>(api: Api<S>) {
    let tree = all_pages(&api, ADMIN, "/departments?shape=tree").await;
    assert_eq!(
        ids(&tree),
        [
            "acme",
            "engineering",
            "hr",
            "interns",
            "marketing",
            "sales",
            "sales-apac",
            "sales-emea"
        ]
    );
    // Parents come before their children, with depth and path.
    for (i, d) in tree.iter().enumerate() {
        let path = d["path"].as_array().expect("path");
        assert_eq!(d["depth"].as_u64(), Some(path.len() as u64 - 1));
        if let Some(parent) = d["parentId"].as_str() {
            assert!(ids(&tree[..i]).contains(&parent.to_owned()), "{d}");
        }
    }
    let flat = all_pages(&api, ADMIN, "/departments").await;
    let mut sorted = ids(&flat);
    sorted.sort();
    assert_eq!(ids(&flat), sorted, "flat is by id");
    // A department admin (sales) sees their subtree only; the rest reads as unknown.
    let scoped = all_pages(&api, DEPT_ADMIN, "/departments?shape=tree").await;
    assert_eq!(ids(&scoped), ["sales", "sales-apac", "sales-emea"]);
    let hidden = api
        .as_user(DEPT_ADMIN, HttpCall::new("GET", "/departments/marketing"))
        .await;
    assert_eq!(hidden.status, 404);
    let unknown = api
        .as_user(DEPT_ADMIN, HttpCall::new("GET", "/departments/nope"))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(hidden.body["title"], unknown.body["title"]);
    // A cursor of one shape is not one of the other.
    let first = api
        .as_user(ADMIN, HttpCall::new("GET", "/departments?limit=1"))
        .await;
    let cursor = first.body["nextCursor"].as_str().expect("cursor");
    let mixed = api
        .as_user(
            ADMIN,
            HttpCall::new("GET", &format!("/departments?shape=tree&cursor={cursor}")),
        )
        .await;
    assert_eq!(mixed.status, 400);
    let bad = api
        .as_user(ADMIN, HttpCall::new("GET", "/departments?shape=round"))
        .await;
    assert_eq!(bad.status, 400);
}

async fn departments_are_created_renamed_and_deleted_only_when_empty<S: Store + 'static>(
    api: Api<S>,
) {
    let created = api
        .as_user(
            ADMIN,
            post(
                "/departments",
                json!({"id": "sales-nordics", "name": "Nordics", "parentId": "sales"}),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.header("location"),
        Some("/departments/sales-nordics")
    );
    assert_eq!(
        created.body["path"],
        json!(["acme", "sales", "sales-nordics"])
    );
    // Refusals write nothing.
    let before = all_pages(&api, ADMIN, "/departments").await;
    for (body, status) in [
        (
            json!({"id": "sales-nordics", "name": "Again", "parentId": "sales"}),
            409,
        ),
        (json!({"name": "NORDICS", "parentId": "sales"}), 409),
        (json!({"name": "Lost", "parentId": "nope"}), 400),
        (json!({"name": "Second root"}), 400),
        (json!({"name": "", "parentId": "sales"}), 400),
        (
            json!({"name": "Bad id", "id": "a/b", "parentId": "sales"}),
            400,
        ),
        (
            json!({"name": "Extra", "parentId": "sales", "colour": "red"}),
            400,
        ),
    ] {
        let reply = api.as_user(ADMIN, post("/departments", body.clone())).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
    }
    assert_eq!(all_pages(&api, ADMIN, "/departments").await, before);
    // A generated id when none is given.
    let generated = api
        .as_user(
            ADMIN,
            post(
                "/departments",
                json!({"name": "Baltics", "parentId": "sales"}),
            ),
        )
        .await;
    assert_eq!(generated.status, 201);
    let generated_id = generated.body["id"].as_str().expect("id").to_owned();
    let renamed = api
        .as_user(
            ADMIN,
            patch(
                "/departments/sales-nordics",
                json!({"name": "Nordic countries"}),
            ),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Nordic countries");
    // Deleting a department with users, sub-departments and groups: 409 with the counts.
    let full = api
        .as_user(ADMIN, HttpCall::new("GET", "/departments/sales"))
        .await;
    let counts = full.body["counts"].clone();
    assert!(counts["nestedUsers"].as_u64() > Some(0), "{counts}");
    let refused = api
        .as_user(ADMIN, HttpCall::new("DELETE", "/departments/sales"))
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["counts"]["users"], counts["nestedUsers"]);
    assert_eq!(
        refused.body["counts"]["subDepartments"],
        counts["subDepartments"]
    );
    assert_eq!(refused.body["counts"]["groups"], counts["groups"]);
    for id in ["sales-nordics", generated_id.as_str()] {
        let gone = api
            .as_user(
                ADMIN,
                HttpCall::new("DELETE", &format!("/departments/{id}")),
            )
            .await;
        assert_eq!(gone.status, 204, "{}", gone.body);
        let read = api
            .as_user(ADMIN, HttpCall::new("GET", &format!("/departments/{id}")))
            .await;
        assert_eq!(read.status, 404);
    }
    // Those without departments:manage write nothing.
    for user in [DEPT_ADMIN, LEARNER] {
        let reply = api
            .as_user(
                user,
                post("/departments", json!({"name": "X", "parentId": "sales"})),
            )
            .await;
        assert_eq!(reply.status, 403, "{user}");
    }
}

/// A custom role managing the departments of `sales` only.
async fn scoped_manager<S: Store + 'static>(api: &Api<S>) -> String {
    api.custom_user_in(
        "dept-manager",
        PermissionSet::of(&[Permission::DepartmentsManage, Permission::UsersView]),
        Some("sales"),
        &["sales"],
    )
    .await
}

async fn a_scoped_manager_changes_departments_only_inside_its_scope<S: Store + 'static>(
    api: Api<S>,
) {
    let manager = scoped_manager(&api).await;
    let inside = api
        .as_user(
            &manager,
            post(
                "/departments",
                json!({"id": "emea-north", "name": "North", "parentId": "sales-emea"}),
            ),
        )
        .await;
    assert_eq!(inside.status, 201, "{}", inside.body);
    let before = all_pages(&api, ADMIN, "/departments").await;
    // Naming anything outside the scope answers as an unknown id, and writes nothing.
    let outside_parent = api
        .as_user(
            &manager,
            post(
                "/departments",
                json!({"name": "X", "parentId": "marketing"}),
            ),
        )
        .await;
    let unknown_parent = api
        .as_user(
            &manager,
            post("/departments", json!({"name": "X", "parentId": "nope"})),
        )
        .await;
    assert_eq!(outside_parent.status, 400);
    assert_eq!(
        outside_parent.body["detail"]
            .as_str()
            .map(|d| d.replace("marketing", "?")),
        unknown_parent.body["detail"]
            .as_str()
            .map(|d| d.replace("nope", "?"))
    );
    let move_out = api
        .as_user(
            &manager,
            patch("/departments/emea-north", json!({"parentId": "hr"})),
        )
        .await;
    assert_eq!(move_out.status, 400);
    for (method, path) in [
        ("PATCH", "/departments/marketing"),
        ("DELETE", "/departments/marketing"),
        ("GET", "/departments/marketing"),
    ] {
        let mut call = HttpCall::new(method, path);
        if method == "PATCH" {
            call = call.json(&json!({"name": "Mine now"}));
        }
        let reply = api.as_user(&manager, call).await;
        assert_eq!(reply.status, 404, "{method} {path}");
    }
    assert_eq!(all_pages(&api, ADMIN, "/departments").await, before);
}

/// Users whose stored path runs through `department`, by id.
async fn users_under<S: Store + 'static>(api: &Api<S>, department: &str) -> BTreeSet<String> {
    let page = api
        .store()
        .list_users(
            &api.account,
            &Scope::Account,
            &UserQuery {
                page: groups_domain::PageRequest::first(200),
                ..UserQuery::default()
            },
        )
        .await
        .expect("users");
    page.items
        .iter()
        .filter(|u| {
            u.department
                .as_ref()
                .is_some_and(|p| p.ids().iter().any(|d| d.as_str() == department))
        })
        .map(|u| u.id.to_string())
        .collect()
}

async fn a_move<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard::default();
    // Smart groups that a move of sales under engineering changes: by rule, and by owner.
    let rules = [
        json!({"attr": "department", "op": "inSubtree", "value": "engineering"}),
        json!({"attr": "department", "op": "inSubtree", "value": "sales"}),
        json!({"not": {"attr": "department", "op": "inSubtree", "value": "engineering"}}),
    ];
    let mut smart = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let reply = api
            .as_user(
                ADMIN,
                post(
                    "/groups",
                    json!({"title": format!("Moving {i}"), "kind": "smart", "rule": rule}),
                ),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        smart.push(reply.body["id"].as_str().expect("id").to_owned());
    }
    let owned_by_engineering = api
        .as_user(
            ADMIN,
            post(
                "/groups",
                json!({"title": "Engineering actives", "kind": "smart",
                "ownerDepartmentId": "engineering",
                "rule": {"attr": "status", "op": "eq", "value": "active"}}),
            ),
        )
        .await;
    assert_eq!(owned_by_engineering.status, 201);
    let owned = owned_by_engineering.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    feed.settle(api, guard).await;
    let sales_users = users_under(api, "sales").await;
    assert!(!sales_users.is_empty());
    assert!(members(api, &smart[0]).await.is_disjoint(&sales_users));

    // Refused moves write nothing.
    for (path, body, status) in [
        ("/departments/sales", json!({"parentId": "sales-emea"}), 400),
        ("/departments/sales", json!({"parentId": "sales"}), 400),
        ("/departments/acme", json!({"parentId": "sales"}), 400),
        ("/departments/sales", json!({"parentId": "nope"}), 400),
    ] {
        let reply = api.as_user(ADMIN, patch(path, body.clone())).await;
        assert_eq!(reply.status, status, "{path} {body}: {}", reply.body);
    }
    let engineers = users_under(api, "engineering").await;
    assert!(engineers.is_disjoint(&sales_users));

    let moved = api
        .as_user(
            ADMIN,
            patch("/departments/sales", json!({"parentId": "engineering"})),
        )
        .await;
    assert_eq!(moved.status, 202, "{}", moved.body);
    assert_eq!(moved.body["move"]["status"], "running");
    assert_eq!(moved.body["path"], json!(["acme", "engineering", "sales"]));
    // One move at a time per account.
    let second = api
        .as_user(
            ADMIN,
            patch("/departments/hr", json!({"parentId": "marketing"})),
        )
        .await;
    assert_eq!(second.status, 409, "{}", second.body);
    feed.settle(api, guard).await;

    let done = api
        .as_user(ADMIN, HttpCall::new("GET", "/departments/sales"))
        .await;
    assert_eq!(done.body["move"]["status"], "done", "{}", done.body);
    assert_eq!(
        done.body["move"]["usersMoved"].as_u64(),
        Some(sales_users.len() as u64)
    );
    assert!(
        done.body["move"]["groupsMoved"].as_u64() >= Some(1),
        "{}",
        done.body
    );
    assert!(
        done.body["move"]["groupsReevaluated"].as_u64() >= Some(3),
        "{}",
        done.body
    );
    // Every stored path follows the tree: the subtree's users are under engineering now.
    assert_eq!(
        users_under(api, "engineering").await,
        &engineers | &sales_users
    );
    // Every smart group is what a full evaluation over the moved directory says.
    for (id, rule) in smart.iter().zip(&rules) {
        assert_eq!(
            members(api, id).await,
            expected(api, rule, None).await,
            "{rule}"
        );
    }
    let active = json!({"attr": "status", "op": "eq", "value": "active"});
    assert_eq!(
        members(api, &owned).await,
        expected(api, &active, Some("engineering")).await
    );
    assert!(!members(api, &smart[0]).await.is_disjoint(&sales_users));
    // Re-evaluating now changes nothing.
    let before: Vec<BTreeSet<String>> = {
        let mut v = Vec::new();
        for id in &smart {
            v.push(members(api, id).await);
        }
        v
    };
    for id in &smart {
        let reply = api
            .as_user(
                ADMIN,
                HttpCall::new("POST", &format!("/groups/{id}/evaluate")),
            )
            .await;
        assert_eq!(reply.status, 202);
    }
    feed.settle(api, guard).await;
    for (id, was) in smart.iter().zip(before) {
        assert_eq!(members(api, id).await, was);
    }
    // The department admin of sales still manages it, where it now stands.
    let scoped = all_pages(api, DEPT_ADMIN, "/departments?shape=tree").await;
    assert_eq!(ids(&scoped), ["sales", "sales-apac", "sales-emea"]);
    let groups = api
        .as_user(DEPT_ADMIN, HttpCall::new("GET", "/groups"))
        .await;
    assert!(!groups.body["items"].as_array().expect("items").is_empty());
    // A second move, back: the same again.
    let back = api
        .as_user(
            OWNER,
            patch("/departments/sales", json!({"parentId": "acme"})),
        )
        .await;
    assert_eq!(back.status, 202);
    feed.settle(api, guard).await;
    assert_eq!(users_under(api, "engineering").await, engineers);
    for (id, rule) in smart.iter().zip(&rules) {
        assert_eq!(
            members(api, id).await,
            expected(api, rule, None).await,
            "{rule}"
        );
    }
}

#[tokio::test]
async fn a_move_keeps_every_smart_group_right_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    a_move(&api, &mut feed).await;
}

#[tokio::test]
async fn a_move_keeps_every_smart_group_right_on_dynamodb_local_through_the_stream() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    a_move(&api, &mut feed).await;
}

async fn roles_hold_only_what_their_manager_holds<S: Store + 'static>(api: Api<S>) {
    let created = api
        .as_user(
            ADMIN,
            post(
                "/roles",
                json!({"id": "reviewer", "name": "Reviewer",
                "permissions": ["groups:view", "users:view"], "scope": "account"}),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("location"), Some("/roles/reviewer"));
    assert_eq!(created.body["holders"], 0);
    // A manager holding roles:manage and groups:view only.
    let manager = api
        .custom_user(
            "role-manager",
            PermissionSet::of(&[Permission::RolesManage, Permission::GroupsView]),
        )
        .await;
    let before = all_pages(&api, ADMIN, "/roles").await;
    for (user, body, status) in [
        (
            manager.as_str(),
            json!({"name": "Too much", "permissions": ["users:manage"], "scope": "account"}),
            403,
        ),
        (
            ADMIN,
            json!({"name": "Owner-ish", "permissions": ["owner:manage"], "scope": "account"}),
            400,
        ),
        (
            ADMIN,
            json!({"name": "Typo", "permissions": ["groups:fly"], "scope": "account"}),
            400,
        ),
        (
            ADMIN,
            json!({"id": "admin", "name": "Shadow", "permissions": [], "scope": "account"}),
            400,
        ),
        (
            ADMIN,
            json!({"name": "reviewer", "permissions": [], "scope": "account"}),
            409,
        ),
        (
            ADMIN,
            json!({"id": "reviewer", "name": "Other", "permissions": [], "scope": "account"}),
            409,
        ),
        (ADMIN, json!({"name": "No scope", "permissions": []}), 400),
        (
            DEPT_ADMIN,
            json!({"name": "Nope", "permissions": [], "scope": "account"}),
            403,
        ),
    ] {
        let reply = api.as_user(user, post("/roles", body.clone())).await;
        assert_eq!(reply.status, status, "{user} {body}: {}", reply.body);
    }
    assert_eq!(all_pages(&api, ADMIN, "/roles").await, before);
    // Within its own permissions the manager may define roles; it cannot touch stronger ones.
    let small = api
        .as_user(
            &manager,
            post("/roles", json!({"id": "watcher", "name": "Watcher", "permissions": ["groups:view"], "scope": "managedDepartments"})),
        )
        .await;
    assert_eq!(small.status, 201, "{}", small.body);
    let stronger = api
        .as_user(&manager, patch("/roles/reviewer", json!({"name": "Mine"})))
        .await;
    assert_eq!(stronger.status, 403);
    let own = api
        .as_user(
            &manager,
            patch("/roles/role-role-manager", json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(own.status, 403, "nobody changes the role they hold");
    let unknown = api
        .as_user(ADMIN, patch("/roles/nope", json!({"name": "X"})))
        .await;
    assert_eq!(unknown.status, 404);
    // A manager scoped to sales cannot change a role held in marketing (the trainer's): that
    // would change someone outside its departments.
    let scoped = api
        .custom_user_in(
            "sales-roles",
            PermissionSet::of(&[
                Permission::RolesManage,
                Permission::GroupsView,
                Permission::GroupsMembers,
                Permission::UsersView,
            ]),
            Some("sales"),
            &["sales"],
        )
        .await;
    let before = all_pages(&api, ADMIN, "/roles").await;
    for call in [
        patch("/roles/trainer", json!({"permissions": ["groups:view"]})),
        HttpCall::new("DELETE", "/roles/trainer"),
    ] {
        let reply = api.as_user(&scoped, call).await;
        assert_eq!(reply.status, 403, "{}", reply.body);
    }
    assert_eq!(all_pages(&api, ADMIN, "/roles").await, before);
    // It lists only the holders it can see.
    let listed = api
        .as_user(&scoped, HttpCall::new("GET", "/roles/trainer"))
        .await;
    assert_eq!(listed.body["holders"], 0, "{}", listed.body);
}

async fn a_role_change_applies_on_the_holders_next_request<S: Store + 'static>(api: Api<S>) {
    let holder = api
        .custom_user("viewer", PermissionSet::of(&[Permission::GroupsView]))
        .await;
    let role = "role-viewer";
    let listed = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/roles/{role}")))
        .await;
    assert_eq!(listed.body["holders"], 1, "{}", listed.body);
    assert_eq!(
        api.as_user(&holder, HttpCall::new("GET", "/groups"))
            .await
            .status,
        200
    );
    let changed = api
        .as_user(
            ADMIN,
            patch(
                &format!("/roles/{role}"),
                json!({"permissions": ["users:view"]}),
            ),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["permissions"], json!(["users:view"]));
    assert_eq!(
        api.as_user(&holder, HttpCall::new("GET", "/groups"))
            .await
            .status,
        403
    );
    let me = api.as_user(&holder, HttpCall::new("GET", "/me")).await;
    assert_eq!(me.body["permissions"], json!(["users:view"]));
    // A role still held cannot go; once nobody holds it, it can.
    let refused = api
        .as_user(ADMIN, HttpCall::new("DELETE", &format!("/roles/{role}")))
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["holders"], 1);
    let reassign = api
        .as_user(
            ADMIN,
            HttpCall::new("PUT", &format!("/users/{holder}")).json(&json!({
                "email": "viewer@acme.example", "firstName": "viewer", "lastName": "Custom",
                "role": "learner"
            })),
        )
        .await;
    assert_eq!(reassign.status, 200, "{}", reassign.body);
    let gone = api
        .as_user(ADMIN, HttpCall::new("DELETE", &format!("/roles/{role}")))
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(
        api.as_user(ADMIN, HttpCall::new("GET", &format!("/roles/{role}")))
            .await
            .status,
        404
    );
    assert_eq!(
        api.as_user(OWNER, HttpCall::new("GET", "/roles/nope"))
            .await
            .status,
        404
    );
}

groups_tests::on_both_stores!(
    listings_page_the_tree_depth_first_within_scope,
    departments_are_created_renamed_and_deleted_only_when_empty,
    a_scoped_manager_changes_departments_only_inside_its_scope,
    roles_hold_only_what_their_manager_holds,
    a_role_change_applies_on_the_holders_next_request
);
