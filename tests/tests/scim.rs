//! SCIM 2.0 at `/scim/v2` (DESIGN §10) on both stores: the forms Entra ID and Okta document
//! (filters `userName eq`, PATCH with capitalised ops and `"False"`, path-less `replace`,
//! `members[value eq "…"]`), smart groups following a provisioned user, provisioned groups
//! read-only on the admin API, SCIM tokens valid on SCIM only and revoked at once, and a
//! unknown member refused with nothing written (the 1,000-member PATCH is in `scim_bulk.rs`).

use groups_domain::Store;
use groups_domain::smart::Guard;
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api};
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn scim<S: Store + 'static>(
    api: &Api<S>,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut call = HttpCall::new(method, path).header("authorization", &format!("Bearer {token}"));
    if let Some(b) = body {
        call = call.json(&b);
    }
    let reply = api.call(call).await;
    (reply.status, reply.body)
}

async fn admin<S: Store + 'static>(
    api: &Api<S>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut call = HttpCall::new(method, path);
    if let Some(b) = body {
        call = call.json(&b);
    }
    let reply = api.as_user(ADMIN, call).await;
    (reply.status, reply.body)
}

async fn member_ids<S: Store + 'static>(api: &Api<S>, group: &str) -> Vec<String> {
    let (status, body) = admin(
        api,
        "GET",
        &format!("/groups/{group}/members?limit=200"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["userId"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn provisioning<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let token = groups_local::seed::scim_token();
    let guard = Guard::default();
    // A smart group of Engineering's active people.
    let (status, smart) = admin(
        api,
        "POST",
        "/groups",
        Some(json!({
            "title": "Engineers (SCIM test)", "kind": "smart",
            "rule": {"all": [
            {"attr": "department", "op": "inSubtree", "value": "engineering"},
            {"attr": "status", "op": "eq", "value": "active"},
        ]},
        })),
    )
    .await;
    assert_eq!(status, 201, "{smart}");
    let smart = smart["id"].as_str().expect("id").to_owned();
    feed.settle(api, guard).await;

    // Entra ID looks the user up first, then creates them with the enterprise extension.
    let (status, found) = scim(
        api,
        &token,
        "GET",
        "/scim/v2/Users?filter=userName%20eq%20%22nia.new%40acme.example%22",
        None,
    )
    .await;
    assert_eq!(
        (status, found["totalResults"].clone()),
        (200, json!(0)),
        "{found}"
    );
    let (status, created) = scim(api, &token, "POST", "/scim/v2/Users", Some(json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "entra-0001",
        "userName": "nia.new@acme.example",
        "active": true,
        "name": {"givenName": "Nia", "familyName": "New"},
        "title": "Engineer",
        "emails": [{"value": "nia.new@acme.example", "type": "work", "primary": true}],
        ENTERPRISE: {"department": "Engineering", "employeeNumber": "E-77", "manager": {"value": "admin"}},
    }))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created[ENTERPRISE]["department"], json!("Engineering"));
    assert_eq!(created[ENTERPRISE]["manager"]["value"], json!("admin"));
    assert_eq!(created["externalId"], json!("entra-0001"));
    let etag = created["meta"]["version"]
        .as_str()
        .expect("version")
        .to_owned();
    // The same userName again is a uniqueness conflict, in any case.
    let (status, dup) = scim(api, &token, "POST", "/scim/v2/Users", Some(json!({
        "schemas": [USER], "userName": "NIA.NEW@acme.example", "name": {"givenName": "N", "familyName": "N"},
    }))).await;
    assert_eq!(
        (status, dup["scimType"].clone()),
        (409, json!("uniqueness")),
        "{dup}"
    );

    // The user change reaches the smart group like any other.
    feed.settle(api, guard).await;
    assert!(
        member_ids(api, &smart).await.contains(&id),
        "a provisioned engineer joins"
    );

    // Filters as identity providers send them, and the operators of RFC 7644 §3.4.2.2.
    for (filter, expected) in [
        ("externalId eq \"entra-0001\"", 1),
        ("userName sw \"NIA.\" and active eq true", 1),
        ("emails[type eq \"work\" and value co \"nia.new\"]", 1),
        (
            &format!("{ENTERPRISE}:employeeNumber eq \"E-77\"") as &str,
            1,
        ),
        ("not (userName ew \"acme.example\")", 0),
        (
            "(title pr) and (meta.created gt \"2000-01-01T00:00:00Z\") and externalId eq \"entra-0001\"",
            1,
        ),
        (
            "userName eq \"nobody@acme.example\" or externalId ne \"entra-0001\" and externalId eq \"x\"",
            0,
        ),
    ] {
        let path = format!("/scim/v2/Users?filter={}", encode(filter));
        let (status, body) = scim(api, &token, "GET", &path, None).await;
        assert_eq!(status, 200, "{filter}: {body}");
        assert_eq!(body["totalResults"], json!(expected), "{filter}");
    }
    let (status, bad) = scim(
        api,
        &token,
        "GET",
        "/scim/v2/Users?filter=userName%20zz%20%22x%22",
        None,
    )
    .await;
    assert_eq!(
        (status, bad["scimType"].clone()),
        (400, json!("invalidFilter")),
        "{bad}"
    );
    // Paging and projection.
    let (_, page) = scim(
        api,
        &token,
        "GET",
        "/scim/v2/Users?startIndex=2&count=3&sortBy=userName&attributes=userName",
        None,
    )
    .await;
    assert_eq!(page["itemsPerPage"], json!(3));
    assert_eq!(page["startIndex"], json!(2));
    let first = &page["Resources"][0];
    assert!(
        first.get("userName").is_some() && first.get("emails").is_none(),
        "{first}"
    );

    // A stale If-Match is refused and writes nothing.
    let (status, _) = api
        .call(
            HttpCall::new("PATCH", &format!("/scim/v2/Users/{id}"))
                .header("authorization", &format!("Bearer {token}"))
                .header("if-match", "W/\"stale\"")
                .json(&json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "X"}]})),
        )
        .await
        .into_parts();
    assert_eq!(status, 412);
    // Entra ID's PATCH: capitalised ops, a value-filtered email path, "False" for active.
    let (status, patched) = scim(api, &token, "PATCH", &format!("/scim/v2/Users/{id}"), Some(json!({
        "schemas": [PATCH],
        "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "nia@acme.example"},
            {"op": "Replace", "path": "name.familyName", "value": "Newer"},
            {"op": "Replace", "path": "active", "value": "False"},
        ],
    }))).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], json!(false));
    assert_eq!(patched["name"]["familyName"], json!("Newer"));
    assert_eq!(patched["emails"][0]["value"], json!("nia@acme.example"));
    assert_ne!(patched["meta"]["version"].as_str(), Some(etag.as_str()));
    // Deactivated: they leave the smart group.
    feed.settle(api, guard).await;
    assert!(
        !member_ids(api, &smart).await.contains(&id),
        "a deactivated user leaves"
    );
    // Okta's path-less replace brings them back.
    let (status, _) = scim(api, &token, "PATCH", &format!("/scim/v2/Users/{id}"), Some(json!({
        "schemas": [PATCH], "Operations": [{"op": "replace", "value": {"id": id, "active": true}}],
    }))).await;
    assert_eq!(status, 200);
    feed.settle(api, guard).await;
    assert!(member_ids(api, &smart).await.contains(&id));

    // Groups: created by SCIM, read-only on the admin API.
    let (status, group) = scim(
        api,
        &token,
        "POST",
        "/scim/v2/Groups",
        Some(json!({
            "schemas": [GROUP], "displayName": "Okta Pilots", "externalId": "okta-g1",
            "members": [{"value": id}, {"value": "u01"}],
        })),
    )
    .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().expect("id").to_owned();
    let (status, refused) = admin(
        api,
        "POST",
        &format!("/groups/{gid}/members"),
        Some(json!({"userIds": ["u02"]})),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let (status, _) = admin(api, "DELETE", &format!("/groups/{gid}"), None).await;
    assert_eq!(status, 409);
    // A bulk delete naming it is refused whole: the admin's own group named first stays.
    let (status, refused) = admin(
        api,
        "DELETE",
        "/groups",
        Some(json!({"groupIds": [smart, gid]})),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let (status, kept) = admin(api, "GET", &format!("/groups/{smart}"), None).await;
    assert_eq!(status, 200, "nothing deleted before the refusal: {kept}");
    let (status, shown) = admin(api, "GET", &format!("/groups/{gid}"), None).await;
    assert_eq!(status, 200, "{shown}");
    // The admin API says who owns it (the console's badge), and an admin group says nothing.
    assert_eq!(
        shown["provisioned"],
        json!({"tokenId": "scim-demo", "externalId": "okta-g1"}),
        "{shown}"
    );
    assert!(kept.get("provisioned").is_none(), "{kept}");
    // Admin-made groups are no SCIM group.
    let (_, listed) = scim(
        api,
        &token,
        "GET",
        "/scim/v2/Groups?excludedAttributes=members",
        None,
    )
    .await;
    assert_eq!(listed["totalResults"], json!(1), "{listed}");
    assert!(listed["Resources"][0].get("members").is_none());
    // A one-for-one member swap changes the group's ETag, and a PATCH sent with the old one
    // is refused with nothing written.
    let group_path = format!("/scim/v2/Groups/{gid}");
    let tag = |g: &Value| g["meta"]["version"].as_str().unwrap_or_default().to_owned();
    let (_, before) = scim(api, &token, "GET", &group_path, None).await;
    let swap = |out: &str, into: &str| {
        json!({"schemas": [PATCH], "Operations": [
            {"op": "remove", "path": format!("members[value eq \"{out}\"]")},
            {"op": "add", "path": "members", "value": [{"value": into}]},
        ]})
    };
    let (status, body) = scim(api, &token, "PATCH", &group_path, Some(swap("u01", "u02"))).await;
    assert_eq!(status, 204, "{body}");
    let (_, after) = scim(api, &token, "GET", &group_path, None).await;
    assert_eq!(
        after["members"].as_array().map(Vec::len),
        Some(2),
        "{after}"
    );
    assert_ne!(tag(&before), tag(&after), "a swap changes the ETag");
    let swap_back = |seen: String| {
        api.call(
            HttpCall::new("PATCH", &group_path)
                .header("authorization", &format!("Bearer {token}"))
                .header("if-match", &seen)
                .json(&swap("u02", "u01")),
        )
    };
    let stale = swap_back(tag(&before)).await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert!(
        member_ids(api, &gid).await.contains(&"u02".to_owned()),
        "nothing written"
    );
    let fresh = swap_back(tag(&after)).await;
    assert_eq!(fresh.status, 204, "{}", fresh.body);
    // Okta's member removal by value filter, and Entra's by value list.
    let (status, _) = scim(api, &token, "PATCH", &format!("/scim/v2/Groups/{gid}"), Some(json!({
        "schemas": [PATCH], "Operations": [{"op": "remove", "path": format!("members[value eq \"{id}\"]")}],
    }))).await;
    assert_eq!(status, 204);
    let (status, _) = scim(
        api,
        &token,
        "PATCH",
        &format!("/scim/v2/Groups/{gid}"),
        Some(json!({
            "schemas": [PATCH], "Operations": [
                {"op": "Remove", "path": "members", "value": [{"value": "u01"}]},
                {"op": "Add", "path": "members", "value": [{"value": "u03"}]},
                {"op": "Replace", "path": "displayName", "value": "Okta Pilots 2"},
            ],
        })),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(member_ids(api, &gid).await, vec!["u03".to_owned()]);
    // An unknown member is refused, and nothing of the request is written.
    let (status, bad) = scim(api, &token, "PATCH", &format!("/scim/v2/Groups/{gid}"), Some(json!({
        "schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "displayName", "value": "Never"},
            {"op": "add", "path": "members", "value": [{"value": "u04"}, {"value": "nobody-here"}]},
        ],
    }))).await;
    assert_eq!(
        (status, bad["scimType"].clone()),
        (400, json!("invalidValue")),
        "{bad}"
    );
    let (_, shown) = scim(api, &token, "GET", &format!("/scim/v2/Groups/{gid}"), None).await;
    assert_eq!(shown["displayName"], json!("Okta Pilots 2"));
    assert_eq!(shown["members"].as_array().map(Vec::len), Some(1));

    // With the demo token's onDelete "deactivate", DELETE keeps the user, inactive, and SCIM
    // shows them no more.
    let (status, gone) = scim(
        api,
        &token,
        "POST",
        "/scim/v2/Users",
        Some(json!({
            "schemas": [USER], "userName": "leaver@acme.example",
            "name": {"givenName": "Lee", "familyName": "Ver"},
        })),
    )
    .await;
    assert_eq!(status, 201, "{gone}");
    let gone_id = gone["id"].as_str().expect("id").to_owned();
    let (status, _) = scim(
        api,
        &token,
        "DELETE",
        &format!("/scim/v2/Users/{gone_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = scim(
        api,
        &token,
        "GET",
        &format!("/scim/v2/Users/{gone_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let kept = api
        .store()
        .get_user(
            &api.account,
            &groups_domain::UserId::parse("id", gone_id.clone()).expect("id"),
        )
        .await
        .expect("read")
        .expect("still in the directory");
    assert_eq!(kept.status, groups_domain::UserStatus::Inactive);
    // An admin reactivating them hands them back to SCIM: the identity provider finds them by
    // userName again instead of creating a second user.
    api.store()
        .put_user(
            &api.account,
            &groups_domain::User {
                status: groups_domain::UserStatus::Active,
                ..kept
            },
        )
        .await
        .expect("reactivate");
    let (status, back) = scim(
        api,
        &token,
        "GET",
        &format!("/scim/v2/Users/{gone_id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, back["active"].clone()),
        (200, json!(true)),
        "{back}"
    );
    let (_, found) = scim(
        api,
        &token,
        "GET",
        &format!(
            "/scim/v2/Users?filter={}",
            encode("userName eq \"leaver@acme.example\"")
        ),
        None,
    )
    .await;
    assert_eq!(found["totalResults"], json!(1), "{found}");

    // Tokens: a SCIM token is no one on the admin API; a person's token no one on SCIM.
    let (status, _) = api
        .call(HttpCall::new("GET", "/groups").header("authorization", &format!("Bearer {token}")))
        .await
        .into_parts();
    assert_eq!(status, 401);
    let (status, body) = api
        .as_user(ADMIN, HttpCall::new("GET", "/scim/v2/Users"))
        .await
        .into_parts();
    assert_eq!(
        (status, body["schemas"][0].clone()),
        (401, json!("urn:ietf:params:scim:api:messages:2.0:Error"))
    );
    // A write refused (an identity provider never changes the Owner) creates no department,
    // not even one the body names that does not exist yet.
    let (status, refused) = scim(
        api,
        &token,
        "PUT",
        "/scim/v2/Users/owner",
        Some(json!({
            "schemas": [USER, ENTERPRISE], "userName": "olivia@acme.example",
            "name": {"givenName": "Olivia", "familyName": "Demo"}, "active": true,
            ENTERPRISE: {"department": "Never Created (SCIM test)"},
        })),
    )
    .await;
    assert!(matches!(status, 403 | 404), "{status} {refused}");
    let (status, departments) = admin(api, "GET", "/departments?limit=200", None).await;
    assert_eq!(status, 200, "{departments}");
    assert!(
        !departments.to_string().contains("Never Created"),
        "a refused write left a department: {departments}"
    );
    // The Owner issues a token (shown once), lists it without its secret, revokes it.
    let (status, issued) = api
        .as_user(
            "owner",
            HttpCall::new("POST", "/scim-tokens")
                .json(&json!({"name": "Okta", "onDelete": "remove"})),
        )
        .await
        .into_parts();
    assert_eq!(status, 201, "{issued}");
    let fresh = issued["token"].as_str().expect("token").to_owned();
    let (status, _) = scim(api, &fresh, "GET", "/scim/v2/ServiceProviderConfig", None).await;
    assert_eq!(status, 200);
    let (_, list) = api
        .as_user("owner", HttpCall::new("GET", "/scim-tokens"))
        .await
        .into_parts();
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|t| t.get("token").is_none())
    );
    // With onDelete "remove", DELETE removes the user from the directory.
    let (status, _) = scim(api, &fresh, "DELETE", &format!("/scim/v2/Users/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = admin(api, "GET", &format!("/users/{id}/groups"), None).await;
    assert_eq!(status, 404, "removed from the directory");
    let tid = issued["id"].as_str().expect("id");
    let (status, _) = api
        .as_user(
            "owner",
            HttpCall::new("DELETE", &format!("/scim-tokens/{tid}")),
        )
        .await
        .into_parts();
    assert_eq!(status, 204);
    let (status, _) = scim(api, &fresh, "GET", "/scim/v2/Users", None).await;
    assert_eq!(status, 401, "a revoked token stops at once");
    // Forged and foreign-looking tokens are no one.
    let forged = format!("scim.acme.scim-demo.{}", "0".repeat(64));
    let (status, _) = scim(api, &forged, "GET", "/scim/v2/Users", None).await;
    assert_eq!(status, 401);
}

/// Percent-encodes a filter for a query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn provisioning_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    provisioning(&api, &mut feed).await;
}

#[tokio::test]
async fn provisioning_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    provisioning(&api, &mut feed).await;
}
