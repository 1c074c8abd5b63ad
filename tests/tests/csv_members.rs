//! Members through CSV (DESIGN §11): importing a static group's members by email or id with an
//! outcome per row, and exporting every member with what the caller may see. Through the API,
//! on both stores.

use groups_domain::smart::Guard;
use groups_domain::{Permission, PermissionSet, Store};
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api, DEPT_ADMIN};
use groups_tests::expect::members;
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
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
        format!("userId\n{}", "u05\n".repeat(50_001)),
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

/// A file over 1,000 rows runs as a job: 202 at once with its progress, then slice by slice
/// through the change records, with every row's outcome readable, paged.
async fn import_job<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard::default();
    let created = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups")
                .json(&json!({"title": "Big import", "kind": "static"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let group = created.body["id"].as_str().expect("id").to_owned();
    let seeded: Vec<String> = (1..=40).map(|n| format!("u{n:02}")).collect();
    let mut file = String::from("userId\n");
    for id in seeded.iter().chain(seeded.iter()) {
        file.push_str(&format!("{id}\n"));
    }
    file.push_str("not an id!\n\nnot one either!\n");
    for n in 0..1118 {
        file.push_str(&format!("ghost-{n}\n"));
    }
    let (status, job) = import(api, ADMIN, &group, &file).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(
        (&job["status"], &job["total"]),
        (&json!("running"), &json!(1200))
    );
    let location = format!(
        "/groups/{group}/imports/{}",
        job["id"].as_str().expect("id")
    );
    feed.settle(api, guard).await;

    let mut rows: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let done = loop {
        let path = match &cursor {
            Some(c) => format!("{location}?cursor={c}"),
            None => location.clone(),
        };
        let reply = api.as_user(ADMIN, HttpCall::new("GET", &path)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            reply.body["items"]
                .as_array()
                .is_some_and(|i| i.len() <= 500)
        );
        rows.extend(
            reply.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .cloned(),
        );
        match reply.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break reply.body,
        }
    };
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(
        (&done["processed"], &done["total"]),
        (&json!(1200), &json!(1200))
    );
    assert_eq!(rows.len(), 1200, "every row's outcome, each once");
    let lines: BTreeSet<u64> = rows.iter().filter_map(|r| r["line"].as_u64()).collect();
    assert_eq!(lines.len(), 1200);
    assert!(lines.contains(&84), "line numbers count the blank line too");
    let count = |outcome: &str| rows.iter().filter(|r| r["outcome"] == outcome).count();
    assert_eq!(count("duplicate"), 40);
    assert_eq!(count("invalid"), 2);
    assert_eq!(count("notFound"), 1118);
    let added: BTreeSet<String> = rows
        .iter()
        .filter(|r| r["outcome"] == "added")
        .map(|r| r["userId"].as_str().expect("userId").to_owned())
        .collect();
    assert_eq!(added.len() + count("notFound") + 42, 1200);
    assert_eq!(done["added"], json!(added.len()));
    assert_eq!(
        members(api, &group).await,
        added,
        "the members are exactly those added"
    );
    let stored = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{group}")))
        .await;
    assert_eq!(
        stored.body["memberCount"],
        json!(added.len()),
        "exact count"
    );

    // Unknown, foreign, out-of-scope or someone else's jobs read as not found.
    for (who, path) in [
        (ADMIN, format!("/groups/{group}/imports/imp-unknown")),
        (DEPT_ADMIN, location.clone()),
        (groups_tests::api::OWNER, location.clone()),
        (
            ADMIN,
            location.replace(&group, &api.group_id("Interns").await),
        ),
    ] {
        let reply = api.as_user(who, HttpCall::new("GET", &path)).await;
        assert_eq!(reply.status, 404, "{who} {path}: {}", reply.body);
    }
}

#[tokio::test]
async fn a_large_csv_import_runs_as_a_job_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    import_job(&api, &mut feed).await;
}

#[tokio::test]
async fn a_large_csv_import_runs_as_a_job_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    import_job(&api, &mut feed).await;
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

/// An export larger than one response (40,000 members) continues at `Link: rel="next"`, each
/// part with the header row, until every member is out. In memory only: 40,050 memberships take
/// minutes to write on DynamoDB Local, and the paging is the handler's, the same on both stores.
#[tokio::test]
async fn an_export_above_one_response_continues_at_the_next_link_in_memory() {
    use groups_domain::{GroupKind, Membership, MembershipSource, MembershipStore, UserId};
    let api = Api::seeded(MemoryStore::new()).await;
    let created = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups").json(&json!({"title": "Huge", "kind": "static"})),
        )
        .await;
    let group = created.body["id"].as_str().expect("id").to_owned();
    let id = groups_domain::GroupId::parse("id", &group).expect("group id");
    let now = time::OffsetDateTime::now_utc();
    let memberships: Vec<Membership> = (0..40_050)
        .map(|n| Membership {
            group_id: id.clone(),
            user_id: UserId::parse("id", format!("bulk-{n:05}")).expect("user id"),
            added_at: now,
            added_by: None,
            source: MembershipSource::Manual,
        })
        .collect();
    api.store()
        .insert_memberships(
            &api.account,
            &id,
            GroupKind::Static,
            &memberships,
            &groups_tests::fixtures::stamp(),
        )
        .await
        .expect("members");
    let mut path = format!("/groups/{group}/members");
    let mut ids = BTreeSet::new();
    let mut parts = 0;
    loop {
        let reply = api
            .as_user(
                ADMIN,
                HttpCall::new("GET", &path).header("accept", "text/csv"),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        parts += 1;
        let text = reply.body.as_str().expect("CSV").to_owned();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert!(rows.len() <= 40_000);
        for row in &rows {
            assert!(ids.insert(row[0].to_owned()), "each member once");
        }
        match reply.header("link") {
            Some(link) => {
                let next = link
                    .strip_prefix('<')
                    .and_then(|l| l.split_once(">; rel=\"next\""))
                    .map(|(p, _)| p.to_owned())
                    .expect("a next link");
                path = next;
            }
            None => break,
        }
    }
    assert_eq!((parts, ids.len()), (2, 40_050));
}
