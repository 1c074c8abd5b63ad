//! Imports on the in-memory store: every row's outcome and reason, nothing written for a
//! refused row, exact member counts, a rerun changing nothing, and changes reported.

mod common;

use common::{account, bootstrapped, run_import, temp_dir, write};
use groups_domain::{
    DirectoryStore, Group, GroupId, GroupKind, GroupMode, GroupStore, MembershipStore, PageRequest,
    RoleId, UserId,
};
use groups_store::MemoryStore;
use time::OffsetDateTime;

fn uid(s: &str) -> UserId {
    UserId::parse("id", s).expect("user id")
}

fn gid(s: &str) -> GroupId {
    GroupId::parse("id", s).expect("group id")
}

/// A smart group, so that a membership row naming it is refused.
async fn smart_group(store: &MemoryStore) {
    let now = OffsetDateTime::now_utc();
    let group = Group {
        id: gid("grp-smart"),
        title: "Everyone in Sales".into(),
        description: String::new(),
        kind: GroupKind::Smart,
        rule: Some(serde_json::json!({"attr": "department", "op": "inSubtree", "value": "sales"})),
        member_count: 0,
        owner_department: None,
        created_by: uid("someone"),
        created_at: now,
        updated_by: uid("someone"),
        updated_at: now,
        version: 1,
        evaluation: None,
        mode: GroupMode::Active,
        overrides: Vec::new(),
        scheduled: None,
        provisioning: None,
    };
    store
        .create_group(&account(), &group)
        .await
        .expect("smart group");
}

const MIXED: &str = r#"{"type":"membership","groupId":"grp-a","userId":"u1"}
{"type":"user","id":"u1","email":"ann@acme.io","firstName":"Ann","lastName":"Able","departmentId":"sales"}
{"type":"department","id":"emea","name":"EMEA","parentId":"sales"}
{"type":"department","id":"sales","name":"Sales","parentId":"acme"}
{"type":"department","id":"bad dept","name":"X","parentId":"acme"}
{"type":"department","id":"orphan","name":"Orphan","parentId":"nowhere"}
{"type":"role","id":"trainer","name":"Trainer","permissions":["groups:view","users:view"],"scope":"account"}
{"type":"role","id":"boss","name":"Boss","permissions":["owner:manage"],"scope":"account"}
{"type":"user","id":"u2","email":"not-an-email","firstName":"Bo","lastName":"Bad"}
{"type":"user","id":"u3","email":"c@acme.io","firstName":"Cy","lastName":"C","departmentId":"orphan"}
{"type":"user","id":"u4","email":"d@acme.io","firstName":"Di","lastName":"D","role":"trainer","departmentId":"emea","profile":{"country":"DE","level":3,"hired":"2024-03-01"}}
{"type":"user","id":"u1","email":"ann2@acme.io","firstName":"Ann","lastName":"Again"}
{"type":"group","id":"grp-a","title":"Interns","description":"Summer interns","ownerDepartmentId":"sales"}
{"type":"group","id":"grp-b","title":"INTERNS"}
{"type":"membership","groupId":"grp-a","userId":"u4"}
{"type":"membership","groupId":"grp-a","userId":"ghost"}
{"type":"membership","groupId":"grp-b","userId":"u1"}
this is not json
{"type":"robot","id":"r2d2"}
{"type":"user","id":"u5","email":"e@acme.io","firstName":"Ed","lastName":"E","role":"nope"}
{"type":"user","id":"u6","email":"f@acme.io","firstName":"Flo","lastName":"F","nickname":"flo"}
{"type":"user","id":"auth0_owner-1","email":"olga@acme.io","firstName":"Olga","lastName":"Owner","role":"learner","departmentId":"acme"}
{"type":"membership","groupId":"grp-smart","userId":"u1"}
{"type":"user","id":"u7","email":"g@acme.io","firstName":"Gil","lastName":"G","profile":{"bad key":"x"}}
{"type":"membership","groupId":"grp-a","userId":"u4"}
"#;

/// (line, outcome, field, words in the reason)
const EXPECTED: &[(u64, &str, Option<&str>, &str)] = &[
    (1, "created", None, ""),
    (2, "created", None, ""),
    (3, "created", None, ""),
    (4, "created", None, ""),
    (5, "refused", Some("id"), "may contain only letters"),
    (6, "refused", Some("parentId"), "unknown department nowhere"),
    (7, "created", None, ""),
    (
        8,
        "refused",
        Some("permissions"),
        "owner:manage belongs to the Account Owner only",
    ),
    (9, "refused", Some("email"), "must be an email address"),
    (
        10,
        "refused",
        Some("departmentId"),
        "unknown department orphan",
    ),
    (11, "created", None, ""),
    (12, "refused", None, "repeats"),
    (13, "created", None, ""),
    (14, "refused", None, "already exists"),
    (15, "created", None, ""),
    (16, "refused", Some("userId"), "unknown user ghost"),
    (17, "refused", Some("groupId"), "unknown group grp-b"),
    (18, "refused", None, "not valid JSON"),
    (19, "refused", Some("type"), "must be one of"),
    (20, "refused", Some("role"), "unknown role nope"),
    (21, "refused", None, "unknown field `nickname`"),
    (
        22,
        "refused",
        Some("role"),
        "does not demote or deactivate Owners",
    ),
    (23, "refused", None, "is a smart group"),
    (
        24,
        "refused",
        Some("profile/bad key"),
        "profile field names",
    ),
    (25, "refused", None, "repeats"),
];

fn check_outcomes(
    run: &common::Run,
    file: &std::path::Path,
    expected: &[(u64, &str, Option<&str>, &str)],
) {
    for (line, outcome, field, words) in expected {
        let got = run.at(file, *line);
        assert_eq!(got["outcome"], *outcome, "line {line}: {got}");
        assert_eq!(got["field"].as_str(), *field, "line {line}: {got}");
        let reason = got["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains(words),
            "line {line}: {reason:?} should say {words:?}"
        );
    }
    assert_eq!(run.lines.len(), expected.len(), "one report line per row");
}

#[tokio::test]
async fn mixed_rows_each_get_their_outcome_and_refused_rows_write_nothing() {
    let store = MemoryStore::new();
    bootstrapped(&store).await;
    smart_group(&store).await;
    let dir = temp_dir("mixed");
    let file = write(&dir, "directory.jsonl", MIXED);
    let run = run_import(&store, &dir, std::slice::from_ref(&file), |_| {}).await;
    check_outcomes(&run, &file, EXPECTED);
    assert!(run.summary.complete);
    assert_eq!(
        run.summary
            .tally
            .count(Some(groups_admin::rows::Kind::User), "created"),
        2
    );

    // Dependency order: the department row after its child, the user before its department,
    // the first membership before its group and user: all applied.
    let tree = store.departments(&account()).await.expect("tree");
    let emea = groups_domain::DepartmentId::parse("id", "emea").expect("id");
    assert_eq!(
        tree.path_of(&emea).expect("path").map(|p| p.key()),
        Some("/acme/sales/emea/".into())
    );
    let u4 = store
        .get_user(&account(), &uid("u4"))
        .await
        .expect("read")
        .expect("u4");
    assert_eq!(u4.role.as_str(), "trainer");
    assert_eq!(u4.profile.len(), 3);
    assert!(u4.registered_at.is_some());

    // Refused rows wrote nothing.
    for id in ["u2", "u3", "u5", "u6", "u7"] {
        assert!(
            store
                .get_user(&account(), &uid(id))
                .await
                .expect("read")
                .is_none(),
            "{id}"
        );
    }
    assert!(
        tree.get(&groups_domain::DepartmentId::parse("id", "orphan").expect("id"))
            .is_none()
    );
    assert_eq!(tree.len(), 3);
    let boss = RoleId::parse("id", "boss").expect("id");
    assert!(
        store
            .get_role(&account(), &boss)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .get_group(&account(), &gid("grp-b"))
            .await
            .expect("read")
            .is_none()
    );
    let ann = store
        .get_user(&account(), &uid("u1"))
        .await
        .expect("read")
        .expect("u1");
    assert_eq!(
        ann.email, "ann@acme.io",
        "the repeated row did not overwrite the first"
    );
    let owner = store
        .get_user(&account(), &uid("auth0_owner-1"))
        .await
        .expect("read")
        .expect("owner");
    assert_eq!(owner.role.as_str(), "owner", "the Owner was not demoted");
    let smart = store
        .get_group(&account(), &gid("grp-smart"))
        .await
        .expect("read")
        .expect("smart");
    assert_eq!(smart.member_count, 0);

    // Exact counts: two members, counted once each.
    let group = store
        .get_group(&account(), &gid("grp-a"))
        .await
        .expect("read")
        .expect("grp-a");
    assert_eq!(group.member_count, 2);
    let members = store
        .list_members(&account(), &gid("grp-a"), &PageRequest::first(100))
        .await
        .expect("members");
    assert_eq!(members.items.len(), 2);

    // Running it again changes nothing: what was applied is unchanged, the rest still refused.
    let again = run_import(&store, &dir, std::slice::from_ref(&file), |_| {}).await;
    let rerun: Vec<(u64, &str, Option<&str>, &str)> = EXPECTED
        .iter()
        .map(|(l, o, f, w)| match *o {
            "created" => (*l, "unchanged", None, ""),
            _ => (*l, *o, *f, *w),
        })
        .collect();
    check_outcomes(&again, &file, &rerun);
    let group = store
        .get_group(&account(), &gid("grp-a"))
        .await
        .expect("read")
        .expect("grp-a");
    assert_eq!(group.member_count, 2);
}

#[tokio::test]
async fn changes_are_reported_as_changed() {
    let store = MemoryStore::new();
    bootstrapped(&store).await;
    let dir = temp_dir("changed");
    let first = write(
        &dir,
        "first.jsonl",
        r#"{"type":"department","id":"sales","name":"Sales","parentId":"acme"}
{"type":"department","id":"hr","name":"HR","parentId":"acme"}
{"type":"role","id":"trainer","name":"Trainer","permissions":["groups:view"],"scope":"account"}
{"type":"user","id":"u1","email":"ann@acme.io","firstName":"Ann","lastName":"Able","departmentId":"sales","createdAt":"2020-01-02T03:04:05Z"}
{"type":"group","id":"grp-a","title":"Interns"}
"#,
    );
    run_import(&store, &dir, std::slice::from_ref(&first), |_| {}).await;
    let created = store
        .get_user(&account(), &uid("u1"))
        .await
        .expect("read")
        .expect("u1");
    let second = write(
        &dir,
        "second.jsonl",
        r#"{"type":"department","id":"sales","name":"Sales & Marketing","parentId":"acme"}
{"type":"department","id":"hr","name":"HR","parentId":"sales"}
{"type":"role","id":"trainer","name":"Trainer","permissions":["groups:view","users:view"],"scope":"account"}
{"type":"user","id":"u1","email":"ann@acme.io","firstName":"Ann","lastName":"Baker","departmentId":"sales"}
{"type":"group","id":"grp-a","title":"Interns 2025","description":"new"}
"#,
    );
    let run = run_import(&store, &dir, std::slice::from_ref(&second), |_| {}).await;
    check_outcomes(
        &run,
        &second,
        &[
            (1, "changed", None, ""),
            (
                2,
                "refused",
                Some("parentId"),
                "an import does not move departments",
            ),
            (3, "changed", None, ""),
            (4, "changed", None, ""),
            (5, "changed", None, ""),
        ],
    );
    let changed = store
        .get_user(&account(), &uid("u1"))
        .await
        .expect("read")
        .expect("u1");
    assert_eq!(changed.last_name, "Baker");
    assert_eq!(
        changed.created_at, created.created_at,
        "a resent user keeps its creation time"
    );
    assert_eq!(changed.registered_at, created.registered_at);
    let group = store
        .get_group(&account(), &gid("grp-a"))
        .await
        .expect("read")
        .expect("grp-a");
    assert_eq!((group.title.as_str(), group.version), ("Interns 2025", 2));
}
