//! Bootstrap on the in-memory store: idempotent, and refusals that write nothing.

mod common;

use common::{account, owner_request};
use groups_admin::bootstrap::bootstrap;
use groups_admin::report::Outcome;
use groups_domain::{
    BuiltinRole, Department, DepartmentId, DirectoryStore, RoleRef, User, UserId, UserStatus,
};
use groups_store::MemoryStore;
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[tokio::test]
async fn creates_the_root_and_owner_once() {
    let store = MemoryStore::new();
    let first = bootstrap(&store, &account(), &owner_request(), now())
        .await
        .expect("first");
    assert_eq!(
        (first.root, first.owner),
        (Outcome::Created, Outcome::Created)
    );
    let owner_id = UserId::parse("id", "auth0_owner-1").expect("id");
    let owner = store
        .get_user(&account(), &owner_id)
        .await
        .expect("read")
        .expect("owner");
    assert_eq!(owner.role, RoleRef::Builtin(BuiltinRole::Owner));
    assert_eq!(owner.status, UserStatus::Active);
    assert_eq!(
        owner.department.as_ref().map(|p| p.key()),
        Some("/acme/".to_string())
    );
    assert!(owner.registered_at.is_some());
    let tree = store.departments(&account()).await.expect("tree");
    assert_eq!(tree.len(), 1);

    let again = bootstrap(&store, &account(), &owner_request(), now())
        .await
        .expect("again");
    assert_eq!(
        (again.root, again.owner),
        (Outcome::Unchanged, Outcome::Unchanged)
    );
    let same = store
        .get_user(&account(), &owner_id)
        .await
        .expect("read")
        .expect("owner");
    assert_eq!(same, owner, "a rerun writes nothing");
}

#[tokio::test]
async fn a_second_owner_joins_an_existing_root() {
    let store = MemoryStore::new();
    bootstrap(&store, &account(), &owner_request(), now())
        .await
        .expect("first");
    let mut second = owner_request();
    second.owner_subject = "auth0_owner-2".into();
    second.owner_email = "oscar@acme.io".into();
    let done = bootstrap(&store, &account(), &second, now())
        .await
        .expect("second");
    assert_eq!(
        (done.root, done.owner),
        (Outcome::Unchanged, Outcome::Created)
    );
}

/// Runs a bootstrap that must fail, checks its words, and that the table did not change.
async fn refused(
    store: &MemoryStore,
    request: &groups_admin::bootstrap::BootstrapRequest,
    words: &str,
) {
    let before_tree = store.departments(&account()).await.expect("tree").len();
    let before_user = store
        .get_user(
            &account(),
            &UserId::parse("id", &request.owner_subject).expect("id"),
        )
        .await
        .expect("read");
    let err = bootstrap(store, &account(), request, now())
        .await
        .expect_err("must refuse");
    assert!(err.0.contains(words), "{err} should say {words:?}");
    assert!(
        err.0.contains("nothing was written") || err.0.starts_with("--"),
        "{err}"
    );
    assert_eq!(
        store.departments(&account()).await.expect("tree").len(),
        before_tree
    );
    let after_user = store
        .get_user(
            &account(),
            &UserId::parse("id", &request.owner_subject).expect("id"),
        )
        .await
        .expect("read");
    assert_eq!(after_user, before_user);
}

#[tokio::test]
async fn refuses_another_root_in_words() {
    let store = MemoryStore::new();
    bootstrap(&store, &account(), &owner_request(), now())
        .await
        .expect("first");
    let mut other = owner_request();
    other.root_id = "globex".into();
    other.owner_subject = "new-owner".into();
    refused(&store, &other, "already has the root department acme").await;
    let mut renamed = owner_request();
    renamed.root_name = "Acme Inc".into();
    refused(&store, &renamed, "is named \"Acme Corp\", not \"Acme Inc\"").await;
}

#[tokio::test]
async fn refuses_a_root_that_is_not_a_root() {
    let store = MemoryStore::new();
    bootstrap(&store, &account(), &owner_request(), now())
        .await
        .expect("first");
    let child = Department::new(
        DepartmentId::parse("id", "sales").expect("id"),
        "Sales",
        Some(DepartmentId::parse("id", "acme").expect("id")),
    )
    .expect("department");
    store
        .save_department(&account(), &child, None)
        .await
        .expect("save");
    let mut request = owner_request();
    request.root_id = "sales".into();
    request.root_name = "Sales".into();
    refused(&store, &request, "is not the root: it lies under acme").await;
}

#[tokio::test]
async fn refuses_an_existing_user_who_is_not_an_active_owner() {
    let store = MemoryStore::new();
    bootstrap(&store, &account(), &owner_request(), now())
        .await
        .expect("first");
    let owner_id = UserId::parse("id", "auth0_owner-1").expect("id");
    let mut learner: User = store
        .get_user(&account(), &owner_id)
        .await
        .expect("read")
        .expect("user");
    learner.id = UserId::parse("id", "learner-1").expect("id");
    learner.role = RoleRef::Builtin(BuiltinRole::Learner);
    store.put_user(&account(), &learner).await.expect("put");
    let mut request = owner_request();
    request.owner_subject = "learner-1".into();
    refused(
        &store,
        &request,
        "as an active learner, not an active Account Owner",
    )
    .await;

    let mut inactive = learner.clone();
    inactive.id = UserId::parse("id", "gone-owner").expect("id");
    inactive.role = RoleRef::Builtin(BuiltinRole::Owner);
    inactive.status = UserStatus::Inactive;
    store.put_user(&account(), &inactive).await.expect("put");
    request.owner_subject = "gone-owner".into();
    refused(&store, &request, "as an inactive owner").await;

    let mut other_email = owner_request();
    other_email.owner_email = "someone@acme.io".into();
    refused(&store, &other_email, "already an active Account Owner").await;
}

#[tokio::test]
async fn bad_values_name_their_flag_and_write_nothing() {
    let store = MemoryStore::new();
    let mut request = owner_request();
    request.owner_email = "not an email".into();
    refused(&store, &request, "--owner-email: must be an email address").await;
    let mut request = owner_request();
    request.root_id = "a b".into();
    refused(&store, &request, "--root-id: may contain only").await;
    assert!(
        store
            .departments(&account())
            .await
            .expect("tree")
            .is_empty()
    );
}
