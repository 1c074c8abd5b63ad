//! A department move at scale: 10,000 users follow their department, in slices that the
//! stream chains, through a crash in the middle and a rerun, without losing a concurrent change.

use groups_domain::department::{MoveStatus, move_slice_started};
use groups_domain::department_move::{SLICE_USERS, run_slice};
use groups_domain::ports::{Change, RecordIf};
use groups_domain::service_departments::{DepartmentChange, update_department};
use groups_domain::{
    AccountId, Department, DepartmentPath, DirectoryStore, Evaluation, EvaluationStatus,
    PageRequest, Scope, Store, UserQuery,
};
use groups_store::dynamo::local_client;
use groups_store::{DynamoStore, MemoryStore};
use groups_testkit::{faults, fresh_private_dynamo_store, private_dynamodb_endpoint};
use groups_tests::fixtures::{self, account, admin, dep, path, user};
use serde_json::json;
use std::collections::BTreeSet;

const USERS: usize = 10_000;

/// root > old > team (the users) and root > new; a group owned by team; a smart group whose rule
/// names `new`.
async fn world<S: Store>(
    store: &S,
    acc: &AccountId,
) -> (groups_domain::GroupId, groups_domain::GroupId) {
    for (id, parent) in [
        ("root", None),
        ("old", Some("root")),
        ("team", Some("old")),
        ("new", Some("root")),
    ] {
        let d = Department::new(dep(id), id, parent.map(dep)).expect("department");
        store.put_department(acc, &d).await.expect("put department");
    }
    let caller = admin(acc);
    let owned = groups_domain::service::create_group(
        store,
        &caller,
        groups_domain::service::NewGroup {
            owner_department_id: Some(dep("team")),
            ..fixtures::new_group("Team's own")
        },
        fixtures::now(),
    )
    .await
    .expect("owned group");
    let smart = groups_domain::service::create_group(
        store,
        &caller,
        groups_domain::service::NewGroup {
            kind: groups_domain::GroupKind::Smart,
            rule: Some(json!({"attr": "department", "op": "inSubtree", "value": "new"})),
            ..fixtures::new_group("Everyone under new")
        },
        fixtures::now(),
    )
    .await
    .expect("smart group");
    // Evaluated already: only the move can queue it again.
    let mut done = Evaluation::queued(fixtures::now(), false);
    done.status = EvaluationStatus::Done;
    store
        .record_evaluation(acc, &smart.id, &done, RecordIf::Always)
        .await
        .expect("record");
    (owned.id, smart.id)
}

/// Ids of the users whose stored path starts with `prefix`.
async fn users_at<S: Store>(
    store: &S,
    acc: &AccountId,
    prefix: &DepartmentPath,
) -> BTreeSet<String> {
    let mut query = UserQuery {
        department: Some((prefix.clone(), true)),
        page: PageRequest::first(200),
        ..UserQuery::default()
    };
    let mut out = BTreeSet::new();
    loop {
        let page = store
            .list_users(acc, &Scope::Account, &query)
            .await
            .expect("users");
        out.extend(page.items.iter().map(|u| u.id.to_string()));
        match page.next_cursor {
            Some(c) => query.page.cursor = Some(c),
            None => return out,
        }
    }
}

fn team_users() -> Vec<groups_domain::User> {
    (0..USERS)
        .map(|i| user(i, Some(path(&["root", "old", "team"]))))
        .collect()
}

async fn start_move<S: Store>(store: &S, acc: &AccountId) {
    let moved = update_department(
        store,
        &admin(acc),
        &dep("team"),
        DepartmentChange {
            name: None,
            parent_id: Some(dep("new")),
        },
        fixtures::now(),
    )
    .await
    .expect("move");
    assert!(moved.department.is_moving());
    assert_eq!(moved.path, path(&["root", "new", "team"]));
}

/// Everything a finished move promises.
async fn check_done<S: Store>(
    store: &S,
    acc: &AccountId,
    owned: &groups_domain::GroupId,
    smart: &groups_domain::GroupId,
) {
    let tree = store.departments(acc).await.expect("tree");
    let job = tree
        .get(&dep("team"))
        .and_then(|d| d.move_job.clone())
        .expect("job");
    assert_eq!(job.status, MoveStatus::Done);
    assert_eq!(job.users_moved, USERS as u64);
    assert_eq!(job.groups_moved, 1);
    assert!(job.groups_reevaluated >= 1);
    assert_eq!(users_at(store, acc, &path(&["root", "old"])).await.len(), 0);
    assert_eq!(
        users_at(store, acc, &path(&["root", "new", "team"]))
            .await
            .len(),
        USERS
    );
    let group = store
        .get_group(acc, owned)
        .await
        .expect("read")
        .expect("group");
    assert_eq!(group.owner_department, Some(path(&["root", "new", "team"])));
    let smart = store
        .get_group(acc, smart)
        .await
        .expect("read")
        .expect("group");
    assert_eq!(
        smart.evaluation.map(|e| e.status),
        Some(EvaluationStatus::Queued),
        "the smart group naming the new parent is re-evaluated"
    );
}

#[tokio::test]
async fn a_10000_user_move_runs_in_slices_the_stream_chains_in_memory() {
    let store = MemoryStore::new();
    let acc = account();
    let (owned, smart) = world(&store, &acc).await;
    for u in team_users() {
        store.put_user(&acc, &u).await.expect("user");
    }
    let mut feed = store.subscribe();
    start_move(&store, &acc).await;
    // Deliver the feed as the stream would: each slice's last write asks for the next.
    let mut slices = 0;
    while let Ok(change) = feed.try_recv() {
        if let Change::DepartmentMove {
            account,
            department,
        } = change
        {
            slices += 1;
            run_slice(&store, &account, &department, SLICE_USERS, fixtures::now)
                .await
                .expect("slice");
        }
    }
    assert_eq!(slices as u64, (USERS as u64).div_ceil(SLICE_USERS));
    check_done(&store, &acc, &owned, &smart).await;
    // A finished move starts nothing more.
    let tree = store.departments(&acc).await.expect("tree");
    let team = tree.get(&dep("team")).expect("team");
    assert!(!move_slice_started(Some(team), Some(team)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10000_user_move_survives_a_crash_and_a_rerun_on_dynamodb_local() {
    // Its own DynamoDB Local: 10,000 users would slow every later test of a shared one.
    let store = fresh_private_dynamo_store().await;
    let acc = account();
    let (owned, smart) = world(&store, &acc).await;
    store
        .import_users(&acc, &team_users())
        .await
        .expect("import");
    start_move(&store, &acc).await;

    // The process dies after 3,000 requests: in the middle of rewriting the users.
    let proxy = faults::start_cutoff(private_dynamodb_endpoint(), 3_000).await;
    let crashing = DynamoStore::new(local_client(&proxy.endpoint, None), store.table());
    let crashed = run_slice(&crashing, &acc, &dep("team"), u64::MAX, fixtures::now).await;
    assert!(crashed.is_err(), "the slice died: {crashed:?}");
    let moved = users_at(&store, &acc, &path(&["root", "new", "team"])).await;
    let stale = users_at(&store, &acc, &path(&["root", "old"])).await;
    assert!(
        !moved.is_empty() && !stale.is_empty(),
        "{} moved",
        moved.len()
    );
    assert_eq!(
        moved.len() + stale.len(),
        USERS,
        "every user is at one place or the other"
    );

    // Meanwhile a writer that read the tree before the move changes a user at the old path.
    let id = stale.iter().next().expect("a stale user").clone();
    let uid = groups_domain::UserId::parse("id", id.as_str()).expect("id");
    let mut changed = store
        .get_user(&acc, &uid)
        .await
        .expect("read")
        .expect("user");
    changed.job_title = "Changed during the move".into();
    store
        .put_user(&acc, &changed)
        .await
        .expect("concurrent write");

    // The rerun (the stream redelivers the record) finishes in slices.
    let mut slices = 0;
    loop {
        slices += 1;
        let job = run_slice(&store, &acc, &dep("team"), SLICE_USERS, fixtures::now)
            .await
            .expect("slice")
            .expect("job");
        if job.status == MoveStatus::Done {
            break;
        }
        assert!(slices < 20, "the move makes progress");
    }
    assert!(slices >= 2, "{slices} slices");
    check_done(&store, &acc, &owned, &smart).await;
    let kept = store
        .get_user(&acc, &uid)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(
        kept.job_title, "Changed during the move",
        "the concurrent change is not lost"
    );
    assert_eq!(kept.department, Some(path(&["root", "new", "team"])));
    // Running it once more changes nothing.
    let again = run_slice(&store, &acc, &dep("team"), SLICE_USERS, fixtures::now)
        .await
        .expect("rerun")
        .expect("job");
    assert_eq!(again.status, MoveStatus::Done);
    check_done(&store, &acc, &owned, &smart).await;
}
