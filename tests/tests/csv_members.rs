//! Members through CSV (DESIGN §11): importing a static group's members by email or id with an
//! outcome per row, and exporting every member with what the caller may see. Through the API,
//! on both stores.

use groups_domain::{Permission, PermissionSet, Store};
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api, DEPT_ADMIN};
use groups_tests::expect::members;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn email<S: Store + 'static>(api: &Api<S>, user: &str) -> String {
    let found = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/users?q={user}")))
        .await;
    found.body["items"][0]["email"]
        .as_str()
        .expect("email")
        .to_owned()
}

async fn import<S: Store + 'static>(
    api: &Api<S>,
    who: &str,
    group: &str,
    file: &str,
) -> (u16, Value) {
    let reply = api
        .as_user(
            who,
            HttpCall::new("POST", &format!("/groups/{group}/members"))
                .header("content-type", "text/csv; charset=utf-8")
                .body(file),
        )
        .await;
    (reply.status, reply.body)
}

/// The export as rows of named cells.
async fn export<S: Store + 'static>(
    api: &Api<S>,
    who: &str,
    group: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    let reply = api
        .as_user(
            who,
            HttpCall::new("GET", &format!("/groups/{group}/members")).header("accept", "text/csv"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/csv"))
    );
    let text = reply.body.as_str().expect("CSV text").to_owned();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn outcomes(body: &Value) -> Vec<(u64, String)> {
    body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["outcome"].as_str().expect("outcome").to_owned(),
            )
        })
        .collect()
}

async fn csv_members<S: Store + 'static>(api: &Api<S>) {
    let created = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups").json(&json!({"title": "CSV club"})),
        )
        .await;
    let club = created.body["id"].as_str().expect("id").to_owned();
    let (e1, e2, e3) = (
        email(api, "u01").await,
        email(api, "u02").await,
        email(api, "u03").await,
    );

    // By email: case and spaces don't matter; each row says what happened to it.
    let file = format!(
        "email,note\r\n{e1},first\r\n {} ,loud\r\n{e1},again\r\nnot-an-email,x\r\nnobody@acme.example,x\r\n\r\n\"{e3}\",\"quoted, with comma\"\r\n",
        e2.to_uppercase()
    );
    let (status, body) = import(api, ADMIN, &club, &file).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        outcomes(&body),
        vec![
            (2, "added".into()),
            (3, "added".into()),
            (4, "duplicate".into()),
            (5, "invalid".into()),
            (6, "notFound".into()),
            (8, "added".into()),
        ]
    );
    assert_eq!(
        (body["added"].as_u64(), body["duplicates"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(body["rows"][0]["userId"], "u01");
    assert!(
        body["rows"][4].get("userId").is_none(),
        "an unknown email names no id"
    );

    // By id (a userId column wins over email): a member already, a new one, a bad id.
    let (status, body) = import(
        api,
        ADMIN,
        &club,
        "Email,userId\nx@y.z,u01\n,u04\n,not an id!\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        outcomes(&body),
        vec![
            (2, "alreadyMember".into()),
            (3, "added".into()),
            (4, "invalid".into())
        ]
    );
    let want: BTreeSet<String> = ["u01", "u02", "u03", "u04"].map(String::from).into();
    assert_eq!(members(api, &club).await, want);
    let group = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{club}")))
        .await;
    assert_eq!(group.body["memberCount"], 4);

    // Refused, writing nothing.
    let version = group.body["version"].clone();
    for file in [
        "name\nu05\n".to_owned(),
        "userId\n".to_owned(),
        format!("userId\n{}", "u05\n".repeat(1001)),
    ] {
        let (status, body) = import(api, ADMIN, &club, &file).await;
        assert_eq!(status, 400, "{file:.40} → {body}");
    }
    let sales = api.group_id("Direct Sales").await;
    let smart = api
        .create_smart(
            "CSV smart",
            &json!({"attr": "jobTitle", "op": "eq", "value": "Nobody"}),
        )
        .await;
    assert_eq!(import(api, ADMIN, &smart, "userId\nu05\n").await.0, 409);
    assert_eq!(members(api, &club).await, want);
    let group = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{club}")))
        .await;
    assert_eq!(group.body["version"], version);

    // A department admin: their group takes their users; others read as unknown.
    assert_eq!(import(api, DEPT_ADMIN, &club, "userId\nu05\n").await.0, 404);
    let before = members(api, &sales).await;
    let outsider = email(api, "u04").await; // works in HR
    let inside = email(api, "u08").await; // works in Sales APAC
    let (status, body) = import(
        api,
        DEPT_ADMIN,
        &sales,
        &format!("email\n{outsider}\n{inside}\n"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0]["outcome"], "notFound");
    assert!(before.contains("u08"));
    assert_eq!(body["rows"][1]["outcome"], "alreadyMember");
    assert_eq!(members(api, &sales).await, before);

    // Export: every member, personal columns as the JSON listing shows them, formulas defused.
    let mut user = api
        .as_user(ADMIN, HttpCall::new("GET", "/users?q=u02"))
        .await
        .body["items"][0]
        .clone();
    user["firstName"] = json!("=HYPERLINK(\"x\")");
    for key in ["id", "createdAt"] {
        user.as_object_mut().expect("user").remove(key);
    }
    let put = api
        .as_user(ADMIN, HttpCall::new("PUT", "/users/u02").json(&user))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let rows = export(api, ADMIN, &club).await;
    let ids: Vec<&str> = rows.iter().map(|r| r["userId"].as_str()).collect();
    assert_eq!(ids, vec!["u01", "u02", "u03", "u04"]);
    assert_eq!(rows[0]["email"], e1);
    assert_eq!(rows[0]["source"], "manual");
    assert_eq!(rows[0]["addedBy"], ADMIN);
    assert_eq!(rows[1]["firstName"], "'=HYPERLINK(\"x\")");
    let viewer = api
        .custom_user("csv-viewer", PermissionSet::of(&[Permission::GroupsView]))
        .await;
    let rows = export(api, &viewer, &club).await;
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter().all(|r| r["email"].is_empty()),
        "no personal data without users:view"
    );
    let denied = api
        .as_user(
            DEPT_ADMIN,
            HttpCall::new("GET", &format!("/groups/{club}/members")).header("accept", "text/csv"),
        )
        .await;
    assert_eq!(denied.status, 404);
}

#[tokio::test]
async fn csv_import_and_export_in_memory() {
    csv_members(&Api::seeded(MemoryStore::new()).await).await;
}

#[tokio::test]
async fn csv_import_and_export_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    csv_members(&Api::seeded_checked(store, counter).await).await;
}
