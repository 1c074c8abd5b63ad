//! CSV imports on the in-memory store: one file per kind, in any order.

mod common;

use common::{account, bootstrapped, run_import, temp_dir, write};
use groups_domain::{DirectoryStore, GroupId, GroupStore, UserId};
use groups_store::MemoryStore;

fn uid(s: &str) -> UserId {
    UserId::parse("id", s).expect("user id")
}

fn gid(s: &str) -> GroupId {
    GroupId::parse("id", s).expect("group id")
}

#[tokio::test]
async fn csv_files_import_in_dependency_order() {
    let store = MemoryStore::new();
    bootstrapped(&store).await;
    let dir = temp_dir("csv");
    // Given in the wrong order on purpose.
    let memberships = write(
        &dir,
        "memberships.csv",
        "groupId,userId\ngrp-a,u1\ngrp-a,u2\ngrp-a,nobody\n",
    );
    let users = write(
        &dir,
        "users.csv",
        "id,email,firstName,lastName,departmentId,role,status,jobTitle,managedDepartmentIds,profile\n\
         u1,ann@acme.io,Ann,Able,emea,lead,active,Manager,emea;sales,\"{\"\"country\"\":\"\"DE\"\",\"\"skills\"\":[\"\"a\"\",\"\"b\"\"]}\"\n\
         u2,bo@acme.io,Bo,Best,sales,,inactive,,,\n\
         u3,broken,Cy,C,,,,,,\n\
         u4,d@acme.io,Di\n",
    );
    let groups = write(
        &dir,
        "groups.csv",
        "id,title,description,ownerDepartmentId\ngrp-a,Interns,,sales\n",
    );
    let roles = write(
        &dir,
        "roles.csv",
        "id,name,permissions,scope\nlead,Team lead,groups:view;groups:members;users:view,managedDepartments\nbad,Bad,groups:fly,account\n",
    );
    let departments = write(
        &dir,
        "departments.csv",
        "id,name,parentId\nemea,EMEA,sales\nsales,Sales,acme\n",
    );
    let files = [
        memberships.clone(),
        users.clone(),
        groups.clone(),
        roles.clone(),
        departments.clone(),
    ];
    let run = run_import(&store, &dir, &files, |_| {}).await;
    let check = |file: &std::path::Path, line: u64, outcome: &str, words: &str| {
        let got = run.at(file, line);
        assert_eq!(got["outcome"], outcome, "{got}");
        assert!(
            got["reason"].as_str().unwrap_or_default().contains(words),
            "{got}"
        );
    };
    check(&departments, 2, "created", "");
    check(&departments, 3, "created", "");
    check(&roles, 2, "created", "");
    check(&roles, 3, "refused", "unknown permission \"groups:fly\"");
    check(&users, 2, "created", "");
    check(&users, 3, "created", "");
    check(&users, 4, "refused", "must be an email address");
    check(&users, 5, "refused", "has 3 fields; the header has 10");
    assert_eq!(run.at(&users, 5)["id"], "u4");
    check(&groups, 2, "created", "");
    check(&memberships, 2, "created", "");
    check(&memberships, 3, "created", "");
    check(&memberships, 4, "refused", "unknown user nobody");
    assert_eq!(run.lines.len(), 12, "one report line per row");
    let ann = store
        .get_user(&account(), &uid("u1"))
        .await
        .expect("read")
        .expect("u1");
    assert_eq!(ann.managed_department_ids.len(), 2);
    assert_eq!(ann.job_title, "Manager");
    assert_eq!(
        serde_json::to_value(&ann.profile).expect("json"),
        serde_json::json!({"country": "DE", "skills": ["a", "b"]})
    );
    let bo = store
        .get_user(&account(), &uid("u2"))
        .await
        .expect("read")
        .expect("u2");
    assert_eq!(
        (bo.role.as_str(), bo.status),
        ("learner", groups_domain::UserStatus::Inactive)
    );
    let group = store
        .get_group(&account(), &gid("grp-a"))
        .await
        .expect("read")
        .expect("grp-a");
    assert_eq!(group.member_count, 2);
    assert_eq!(
        group.owner_department.map(|p| p.key()),
        Some("/acme/sales/".into())
    );
}

#[tokio::test]
async fn an_unknown_csv_column_stops_before_anything_is_written() {
    let dir = temp_dir("csv-bad");
    let users = write(&dir, "users.csv", "id,email,nick\nu1,a@acme.io,x\n");
    let err = groups_admin::input::read_inputs(&[users], None).expect_err("unknown column");
    assert!(err.0.contains("unknown column \"nick\""), "{err}");
    let odd = write(&dir, "people.csv", "id,email\n");
    let err = groups_admin::input::read_inputs(&[odd], None).expect_err("unknown kind");
    assert!(err.0.contains("--kind"), "{err}");
}
