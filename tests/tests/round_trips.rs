//! DynamoDB calls per operation, counted by the SDK interceptor on DynamoDB Local. These are
//! exact: each access pattern is one call (or the documented minimum).

use groups_domain::MembershipStore;

use groups_domain::ports::GroupQuery;
use groups_domain::service::{self, GroupPatch};
use groups_domain::{GroupStore, PageRequest, Scope, UserId};
use groups_store::CallCounter;
use groups_testkit::fresh_dynamo_store;
use groups_tests::fixtures::*;
use std::collections::BTreeMap;

fn calls(counter: &CallCounter) -> BTreeMap<String, usize> {
    let counts = counter.by_operation();
    counter.reset();
    counts
}

fn only(op: &str, n: usize) -> BTreeMap<String, usize> {
    BTreeMap::from([(op.to_owned(), n)])
}

#[tokio::test]
async fn each_request_makes_the_fewest_calls() {
    let (store, counter) = fresh_dynamo_store().await;
    let acc = account();
    let admin = admin(&acc);
    seed_users(&store, &acc, 198, None).await;
    for t in ["SMM", "Interns", "Direct Sales"] {
        create(&store, &admin, t).await;
    }
    counter.reset();

    let group = create(&store, &admin, "Business Services").await;
    assert_eq!(
        calls(&counter),
        only("TransactWriteItems", 1),
        "create is one transaction"
    );

    service::get_group(&store, &admin, &group.id)
        .await
        .expect("get");
    assert_eq!(
        calls(&counter),
        only("BatchGetItem", 1),
        "get is one read of the group and its count shards"
    );

    let page = service::list_groups(&store, &admin, &GroupQuery::default())
        .await
        .expect("list");
    assert_eq!(page.items.len(), 4);
    assert_eq!(
        calls(&counter),
        BTreeMap::from([("Query".into(), 1), ("BatchGetItem".into(), 1)]),
        "a page of groups is one Query and one read of its count shards"
    );

    let ids: Vec<UserId> = (0..99).map(user_id).collect();
    let out = service::add_members(&store, &admin, &group.id, &ids, now())
        .await
        .expect("add");
    assert_eq!(out.added.len(), 99);
    assert_eq!(
        calls(&counter),
        BTreeMap::from([("BatchGetItem".into(), 2), ("TransactWriteItems".into(), 4)]),
        "adding 99 members is two reads (the group, its 4 count items and 99 users: 104 keys) \
         and one transaction per member shard"
    );

    // Repeating it: the transaction is cancelled by the already-present memberships, and
    // nothing is left to write.
    let out = service::add_members(&store, &admin, &group.id, &ids, now())
        .await
        .expect("add");
    assert_eq!(out.already_members.len(), 99);
    assert_eq!(
        calls(&counter),
        BTreeMap::from([("BatchGetItem".into(), 2), ("TransactWriteItems".into(), 4)])
    );

    // 198 members: three reads of ≤100 keys (203 keys), then per member shard one transaction
    // cancelled by the members already in and one without them.
    let more: Vec<UserId> = (0..198).map(user_id).collect();
    let out = service::add_members(&store, &admin, &group.id, &more, now())
        .await
        .expect("add");
    assert_eq!((out.added.len(), out.already_members.len()), (99, 99));
    let counts = calls(&counter);
    assert_eq!(counts.get("BatchGetItem"), Some(&3));
    assert!(counts.get("TransactWriteItems") == Some(&8), "{counts:?}");

    // An account-wide caller removes without reading the users: one read of the group and its
    // count shards, then one transaction per member shard.
    let out = service::remove_members(&store, &admin, &group.id, &ids, now())
        .await
        .expect("remove");
    assert_eq!(out.removed.len(), 99);
    assert_eq!(
        calls(&counter),
        BTreeMap::from([("BatchGetItem".into(), 1), ("TransactWriteItems".into(), 4)]),
        "removing 99 members"
    );
    service::add_members(&store, &admin, &group.id, &ids, now())
        .await
        .expect("add back");
    calls(&counter);

    store
        .list_members(&acc, &group.id, &PageRequest::default())
        .await
        .expect("members");
    assert_eq!(
        calls(&counter),
        only("Query", 4),
        "a query per member shard"
    );
    store
        .list_user_groups(&acc, &user_id(1), &PageRequest::default())
        .await
        .expect("groups");
    assert_eq!(calls(&counter), only("Query", 1));

    let patch = GroupPatch {
        title: Some("Business Services EMEA".into()),
        ..GroupPatch::default()
    };
    service::update_group(&store, &admin, &group.id, 1, patch, now())
        .await
        .expect("rename");
    assert_eq!(
        calls(&counter),
        BTreeMap::from([("BatchGetItem".into(), 1), ("TransactWriteItems".into(), 1)]),
        "a rename reads the group, then moves the title claim in one transaction"
    );

    let filtered = GroupQuery {
        title_contains: Some("s".into()),
        ..GroupQuery::default()
    };
    store
        .list_groups(&acc, &Scope::Account, &filtered)
        .await
        .expect("list");
    assert_eq!(
        calls(&counter),
        BTreeMap::from([("Query".into(), 1), ("BatchGetItem".into(), 1)]),
        "a small filtered listing fits one Query (and one read of its count shards)"
    );
}

#[tokio::test]
async fn importing_users_writes_25_a_call_and_reports_consumed_capacity() {
    let counter = CallCounter::with_capacity();
    let (store, counter) = groups_testkit::fresh_dynamo_store_counted(counter).await;
    let acc = account();
    seed_departments(&store, &acc).await;
    let users: Vec<_> = (0..60)
        .map(|n| user(n, Some(path(&["root", "sales"]))))
        .collect();
    counter.reset();
    store.import_users(&acc, &users).await.expect("import");
    let written = counter.capacity();
    assert_eq!((written.items_written, written.transact_items), (60, 0));
    assert_eq!(written.aws_write_units(), 60);
    assert_eq!(calls(&counter), only("BatchWriteItem", 3));
    // A transaction's items count twice on AWS: a group created with its title marker.
    let admin = admin(&acc);
    create(&store, &admin, "Imported").await;
    let created = counter.capacity();
    assert_eq!(created.items_written, 0);
    assert!(created.transact_items >= 2, "{created:?}");
    assert_eq!(created.aws_write_units(), 2 * created.transact_items);
    counter.reset();
    for u in &users {
        let stored = groups_domain::DirectoryStore::get_user(&store, &acc, &u.id)
            .await
            .expect("get");
        assert_eq!(stored.as_ref(), Some(u));
    }
    // The same items as put_user: the department index finds every imported user.
    let query = groups_domain::ports::UserQuery {
        department: Some((path(&["root", "sales"]), true)),
        page: PageRequest::first(100),
        ..Default::default()
    };
    counter.reset();
    let page = groups_domain::DirectoryStore::list_users(&store, &acc, &Scope::Account, &query)
        .await
        .expect("list");
    assert_eq!(page.items.len(), 60);
    // One Query per shard of the department index, merged in path order.
    assert_eq!(calls(&counter), only("Query", 4));
    assert!(page.items.windows(2).all(|w| w[0].id < w[1].id));
    // Capacity is summed per call: strongly consistent reads of small items cost one unit each.
    counter.reset();
    groups_domain::DirectoryStore::get_user(&store, &acc, &users[0].id)
        .await
        .expect("get");
    let capacity = counter.capacity();
    assert_eq!((capacity.read, capacity.write), (1.0, 0.0));
}
