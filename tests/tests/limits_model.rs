//! The DynamoDB model for scale runs (`groups_dynamo_model` under `groups_testkit::limits`):
//! its capacity units agree with DynamoDB Local's on the same operations at 10,000 users, a
//! partition key's budget bounds how fast it is written, and overlapping transactions are
//! cancelled as on AWS so the store's retry path runs.

use groups_domain::ports::GroupQuery;
use groups_domain::service;
use groups_domain::smart::{self, Evaluator, Guard};
use groups_domain::{
    AccountId, DirectoryStore, Group, GroupKind, GroupStore, Membership, MembershipSource,
    MembershipStore, PageRequest, Scope,
};
use groups_store::dynamo::Capacity;
use groups_store::{CallCounter, DynamoStore};
use groups_testkit::limits::{Latency, Limits};
use groups_tests::fixtures;
use groups_tests::generated::{Population, narrow_rule, seed_departments};
use time::OffsetDateTime;

/// One phase's consumed capacity on each store.
struct Phase {
    name: &'static str,
    local: Capacity,
    model: Capacity,
}

/// The phases on one store. The groups are created through the service, or, given `same_as`
/// (another store's groups), as those very groups through the same reads and writes: their
/// ids pick their index keys, so both stores then hold the same layout.
async fn phases(
    store: &DynamoStore,
    counter: &CallCounter,
    same_as: Option<&[Group]>,
) -> (Vec<(&'static str, Capacity)>, Vec<Group>) {
    let account = AccountId::parse("account", "units").expect("account");
    let admin = fixtures::admin(&account);
    let mut out = Vec::new();
    let mut measure = |name: &'static str, counter: &CallCounter| {
        out.push((name, counter.capacity()));
        counter.reset();
    };
    seed_departments(store, &account).await;
    counter.reset();
    let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let users: Vec<_> = Population::new(now).take(10_000).collect();
    for chunk in users.chunks(25) {
        store.import_users(&account, chunk).await.expect("import");
    }
    measure("import 10,000 users (BatchWriteItem)", counter);
    let mut groups = Vec::new();
    for i in 0..5 {
        let group = match same_as {
            None => {
                let new = fixtures::new_smart_group(&format!("Smart {i}"), narrow_rule(i));
                service::create_group(store, &admin, new, now)
                    .await
                    .expect("create")
            }
            Some(created) => {
                // What the service reads for a rule naming a department (the tree), and
                // its write.
                store.departments(&account).await.expect("tree");
                store
                    .create_group(&account, &created[i])
                    .await
                    .expect("create");
                created[i].clone()
            }
        };
        groups.push(group);
    }
    let ids: Vec<_> = groups.iter().map(|g| g.id.clone()).collect();
    measure("create 5 smart groups (TransactWriteItems)", counter);
    let ev = Evaluator::new(store, &account, now, Guard::default());
    for id in &ids {
        smart::evaluate_group(&ev, id).await.expect("evaluate");
    }
    measure("evaluate each over 10,000 users", counter);
    for id in &ids {
        store.get_group(&account, id).await.expect("get");
        store
            .list_members(&account, id, &PageRequest::default())
            .await
            .expect("members");
    }
    store
        .list_groups(&account, &Scope::Account, &GroupQuery::default())
        .await
        .expect("list");
    measure("read groups, counts and member pages", counter);
    for user in users.iter().take(20) {
        let mut changed = user.clone();
        changed.job_title = "Changed".into();
        store.put_user(&account, &changed).await.expect("put");
        smart::evaluate_user(&ev, &changed.id).await.expect("user");
    }
    measure("20 user changes, each evaluated", counter);
    (out, groups)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_models_units_agree_with_dynamodb_locals_at_10000_users() {
    let local_counter = CallCounter::with_capacity();
    let store = groups_testkit::fresh_private_dynamo_store_counted(local_counter.clone()).await;
    let (local, groups) = phases(&store, &local_counter, None).await;
    let limits = Limits::new(Latency::default());
    let model_counter = CallCounter::with_capacity();
    let (model_store, _model) = groups_testkit::model_store(&limits, model_counter.clone()).await;
    let (model, _) = phases(&model_store, &model_counter, Some(&groups)).await;
    let phases: Vec<Phase> = local
        .into_iter()
        .zip(model)
        .map(|((name, local), (_, model))| Phase { name, local, model })
        .collect();
    for p in &phases {
        let (local, model) = (&p.local, &p.model);
        let shown = format!("{}: DynamoDB Local {local:?}, model {model:?}", p.name);
        eprintln!("{shown}");
        // The same calls wrote the same items.
        assert_eq!(local.items_written, model.items_written, "{shown}");
        assert_eq!(local.transact_items, model.transact_items, "{shown}");
        assert_eq!(local.empty_queries, model.empty_queries, "{shown}");
        // Reads agree, except that AWS (and the model) charge an empty query its minimum
        // read (half a unit, or one if consistent) and DynamoDB Local charges nothing.
        assert!(
            model.read >= local.read && model.read <= local.read + model.empty_queries as f64,
            "{shown}"
        );
        if model.empty_queries == 0 {
            assert_eq!(model.read, local.read, "{shown}");
        }
        if model.transact_items == 0 {
            // Single and batch writes (index copies included) agree exactly.
            assert_eq!(model.write, local.write, "{shown}");
        } else {
            // DynamoDB Local under-reports transactions; AWS charges two units per item of
            // up to 1 KB in a transaction (the model), plus single writes as above.
            assert!(
                model.write >= 2.0 * model.transact_items as f64 + model.items_written as f64,
                "{shown}"
            );
            assert!(model.write > local.write, "{shown}");
        }
    }
    assert!(
        phases[0].local.write >= 20_000.0,
        "users and their index copies"
    );
}

/// Writes `batches` BatchWriteItems of 25 one-kilobyte items into `partitions` partition keys
/// as one worker; answers the virtual seconds taken.
async fn write_batches(partitions: usize, batches: usize) -> f64 {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    let limits = Limits::new(Latency::default());
    let model = groups_dynamo_model::Model::with_meter(std::sync::Arc::new(limits.clone()));
    let client = model.client();
    groups_store::dynamo::create_table(&client, "groups")
        .await
        .expect("table");
    limits.reset();
    let filler = "x".repeat(900);
    let ((), _) = Limits::run(1, 0.0, async {
        for b in 0..batches {
            let requests = (0..25)
                .map(|i| {
                    let item = [
                        ("PK", format!("P#{}", b % partitions)),
                        ("SK", format!("S#{b}#{i}")),
                        ("entity", "filler".into()),
                        ("data", filler.clone()),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), AttributeValue::S(v)))
                    .collect();
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .expect("put");
                    WriteRequest::builder().put_request(put).build()
                })
                .collect();
            client
                .batch_write_item()
                .request_items("groups", requests)
                .send()
                .await
                .expect("batch write");
        }
    })
    .await;
    let report = limits.report(1);
    assert_eq!(
        report.write_units,
        (25 * batches) as f64,
        "one unit per item of under 1 KB"
    );
    assert_eq!(report.calls, batches as u64);
    report.elapsed
}

#[tokio::test]
async fn a_partition_keys_budget_bounds_how_fast_it_is_written() {
    // 2,000 items of about 1 KB: one key takes two seconds of its budget; eighty keys take
    // only the calls' latency (80 batches of 8 ms) and the last batch's 25 ms of its key.
    let one_key = write_batches(1, 80).await;
    let many_keys = write_batches(80, 80).await;
    assert!((1.99..2.01).contains(&one_key), "{one_key}");
    assert!((0.64..0.66).contains(&many_keys), "{many_keys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_transactions_are_cancelled_and_retried_to_an_exact_count() {
    let limits = Limits::new(Latency::default());
    let (store, _model) = groups_testkit::model_store(&limits, CallCounter::new()).await;
    let account = fixtures::account();
    let admin = fixtures::admin(&account);
    let group = fixtures::create(&store, &admin, "Contended").await;
    limits.reset();
    // Sixteen writers add one member each at the same instant: those whose users share a
    // member shard share its count item, in overlapping transactions, so all but one of each
    // are cancelled and retried (four shards: at least one holds four of the users).
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..16 {
        let (store, account, id) = (store.clone(), account.clone(), group.id.clone());
        writers.spawn(Limits::run(n, 0.0, async move {
            let membership = Membership {
                group_id: id.clone(),
                user_id: fixtures::user_id(n as usize),
                added_at: fixtures::now(),
                added_by: None,
                source: MembershipSource::Manual,
            };
            store
                .insert_memberships(
                    &account,
                    &id,
                    GroupKind::Static,
                    &[membership],
                    &groups_tests::fixtures::stamp(),
                )
                .await
                .expect("insert")
        }));
    }
    for (added, _) in writers.join_all().await {
        assert_eq!(added.len(), 1);
    }
    let report = limits.report(3);
    assert!(report.conflicts > 0, "{report:?}");
    let stored = store
        .get_group(&account, &group.id)
        .await
        .expect("get")
        .expect("group");
    assert_eq!(stored.member_count, 16);
}
