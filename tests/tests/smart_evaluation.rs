//! Evaluation is convergent (killed and rerun, it ends right) and cheap (reads counted on
//! DynamoDB Local: rules in O(1) calls per user change; one pass over users per refresh).

use groups_domain::service::{self, GroupPatch};
use groups_domain::smart::{self, Evaluator, Guard};
use groups_domain::{
    BuiltinRole, Caller, GroupId, GroupKind, GroupStore, Membership, MembershipSource, PageRequest,
    RoleRef, Store, User, UserId,
};
use groups_store::MemoryStore;
use groups_store::dynamo::keys;

/// Partitions one group's memberships are spread over on DynamoDB.
const SHARDS: usize = keys::MEMBER_SHARDS as usize;
/// Index keys one account's smart groups (its rules) are spread over on DynamoDB.
const RULE_KEYS: usize = keys::ACCOUNT_SMART_SHARDS as usize;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::Api;
use groups_tests::fixtures;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

fn owner<S>(api: &Api<S>) -> Caller {
    Caller::resolve(
        api.account.clone(),
        UserId::parse("id", "owner").expect("id"),
        RoleRef::Builtin(BuiltinRole::Owner),
        None,
        vec![],
    )
}

async fn smart_group<S: Store + 'static>(api: &Api<S>, title: &str, rule: Value) -> GroupId {
    let new = fixtures::new_smart_group(title, rule);
    service::create_group(api.store(), &owner(api), new, api.ctx.now())
        .await
        .expect("create")
        .id
}

async fn members<S: Store + 'static>(api: &Api<S>, group: &GroupId) -> BTreeSet<String> {
    let page = api
        .store()
        .list_members(&api.account, group, &PageRequest::first(200))
        .await
        .expect("members");
    page.items
        .into_iter()
        .map(|m| m.user_id.to_string())
        .collect()
}

async fn users_matching<S: Store + 'static>(api: &Api<S>, country: &[&str]) -> BTreeSet<String> {
    let page = api
        .store()
        .list_users(
            &api.account,
            &groups_domain::Scope::Account,
            &groups_domain::UserQuery {
                page: PageRequest::first(200),
                ..Default::default()
            },
        )
        .await
        .expect("users");
    page.items
        .into_iter()
        .filter(|u| {
            matches!(u.profile.get("country"), Some(groups_domain::ProfileValue::Text(c)) if country.contains(&c.as_str()))
        })
        .map(|u| u.id.to_string())
        .collect()
}

async fn converges<S: Store + 'static>(api: Api<S>) {
    let ev = Evaluator::new(api.store(), &api.account, api.ctx.now(), Guard::default());
    let id = smart_group(
        &api,
        "Germany",
        json!({"attr": "profile.country", "op": "eq", "value": "DE"}),
    )
    .await;
    smart::evaluate_group(&ev, &id).await.expect("evaluate");
    assert_eq!(
        members(&api, &id).await,
        users_matching(&api, &["DE"]).await
    );
    // The rule changes; evaluations are killed part-way, again and again.
    let group = api
        .store()
        .get_group(&api.account, &id)
        .await
        .expect("get")
        .expect("exists");
    let patch = GroupPatch {
        rule: Some(json!({"attr": "profile.country", "op": "in", "value": ["FR", "US"]})),
        ..GroupPatch::default()
    };
    service::update_group(
        api.store(),
        &owner(&api),
        &id,
        group.version,
        patch,
        api.ctx.now(),
    )
    .await
    .expect("update");
    for micros in [200, 500, 1_000, 2_000, 5_000, 10_000] {
        let _ = tokio::time::timeout(
            Duration::from_micros(micros),
            smart::evaluate_group(&ev, &id),
        )
        .await;
    }
    // And a half-finished run's writes are left behind by hand: some joins applied twice over.
    let target = users_matching(&api, &["FR", "US"]).await;
    let half: Vec<Membership> = target
        .iter()
        .step_by(2)
        .map(|u| Membership {
            group_id: id.clone(),
            user_id: UserId::parse("id", u.clone()).expect("id"),
            added_at: api.ctx.now(),
            added_by: None,
            source: MembershipSource::Rule,
        })
        .collect();
    api.store()
        .insert_memberships(
            &api.account,
            &id,
            GroupKind::Smart,
            &half,
            &groups_tests::fixtures::stamp(),
        )
        .await
        .expect("insert");
    let result = smart::evaluate_group(&ev, &id).await.expect("evaluate");
    assert_eq!(result.status, groups_domain::EvaluationStatus::Done);
    assert_eq!(members(&api, &id).await, target);
    let stored = api
        .store()
        .get_group(&api.account, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        stored.member_count,
        target.len() as u64,
        "the count is exact"
    );
    // Run again: nothing to do, nothing written.
    let again = smart::evaluate_group(&ev, &id).await.expect("evaluate");
    assert_eq!((again.joined, again.left), (0, 0));
}

#[tokio::test]
async fn killed_and_rerun_an_evaluation_converges_in_memory() {
    converges(Api::seeded(MemoryStore::new()).await).await;
}

#[tokio::test]
async fn killed_and_rerun_an_evaluation_converges_on_dynamodb_local() {
    let (store, grants) = fresh_dynamo_store().await;
    converges(Api::seeded_checked(store, grants).await).await;
}

/// Users `numbers` (written again if they exist) with emails `<prefix><n>@<domain>`.
async fn put_users_at<S: Store + 'static>(
    api: &Api<S>,
    numbers: std::ops::Range<usize>,
    prefix: &str,
    domain: &str,
) {
    for n in numbers {
        let mut user: User = fixtures::user(n, None);
        user.email = format!("{prefix}{n}@{domain}");
        api.store()
            .put_user(&api.account, &user)
            .await
            .expect("put");
    }
}

/// The calls of one whole refresh of the account.
async fn refresh_counted<S: Store>(
    ev: &Evaluator<'_, S>,
    counter: &groups_store::CallCounter,
) -> std::collections::BTreeMap<String, usize> {
    counter.reset();
    let stopped = smart::refresh_account(ev, None, &|| false)
        .await
        .expect("refresh");
    assert!(stopped.is_none(), "a refresh without a deadline finishes");
    counter.by_operation()
}

#[tokio::test]
async fn evaluation_reads_rules_once_per_user_change_and_users_once_per_refresh() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter.clone()).await;
    // 400 more users, in no group's reach: 445 users are three pages of 200.
    put_users_at(&api, 100..500, "extra", "elsewhere.example").await;
    let ev = Evaluator::new(api.store(), &api.account, api.ctx.now(), Guard::default());
    let countries = ["DE", "FR", "US", "JP", "BR", "XX"];
    let mut groups = Vec::new();
    for (i, c) in countries.iter().enumerate() {
        let id = smart_group(
            &api,
            &format!("Country {i}"),
            json!({"attr": "profile.country", "op": "eq", "value": c}),
        )
        .await;
        smart::evaluate_group(&ev, &id).await.expect("evaluate");
        groups.push(id);
    }
    let user = UserId::parse("id", "u01").expect("id");
    counter.reset();
    smart::evaluate_user(&ev, &user)
        .await
        .expect("evaluate user");
    let with_six = counter.by_operation();
    assert_eq!(
        with_six.get("Query"),
        Some(&(RULE_KEYS + 1)),
        "the account's rules in one query of each of its 4 smart-group index keys, the \
         user's groups in one: {with_six:?}"
    );
    assert_eq!(with_six.get("GetItem"), Some(&1));
    for (i, c) in countries.iter().enumerate() {
        let id = smart_group(&api, &format!("Again {i}"), json!({"all": [{"attr": "profile.country", "op": "ne", "value": c}, {"attr": "profile.country", "op": "exists"}]})).await;
        smart::evaluate_group(&ev, &id).await.expect("evaluate");
        groups.push(id);
    }
    counter.reset();
    smart::evaluate_user(&ev, &user)
        .await
        .expect("evaluate user");
    assert_eq!(
        counter.by_operation(),
        with_six,
        "twelve groups cost what six did"
    );

    // A refresh with nothing to change: the users are read once (three pages) for all twelve
    // rules, each group's members once, and nothing is written.
    let ops = refresh_counted(&ev, &counter).await;
    // Every group has fewer than 100 members: one member page each (a query per member
    // shard), and no group large enough for the guard's counting pass. The guard's sizes are
    // one read of the count items.
    let member_pages: usize = groups.len();
    let wanted = RULE_KEYS + 3 + SHARDS * member_pages;
    assert!(
        ops.get("Query") == Some(&wanted),
        "the rules (a query per smart-group index key), 3 user pages, one member page per group: {ops:?} (one pass per group would read {} user pages)",
        3 * groups.len()
    );
    assert_eq!(ops.get("BatchGetItem"), Some(&1), "{ops:?}");
    assert!(
        !ops.contains_key("TransactWriteItems") && !ops.contains_key("UpdateItem"),
        "no writes: {ops:?}"
    );

    // Changes are written in full batches across pages, not a few per page: 400 joins over
    // three pages of users go in batches of 396 (99 per member shard), each shard's share of
    // a batch in transactions of at most 99.
    let extras = smart_group(
        &api,
        "Elsewhere",
        json!({"attr": "email", "op": "endsWith", "value": "elsewhere.example"}),
    )
    .await;
    counter.reset();
    let done = smart::evaluate_group(&ev, &extras).await.expect("evaluate");
    assert_eq!(done.joined, 400, "{done:?}");
    let ops = counter.by_operation();
    let mut joined = fixtures::all_members(api.store(), &api.account, &extras).await;
    joined.sort();
    let transactions: usize = joined
        .chunks(99 * SHARDS)
        .map(|batch| {
            let mut per_shard = [0usize; SHARDS];
            for user in batch {
                per_shard[keys::member_shard_of(user) as usize] += 1;
            }
            per_shard.iter().map(|n| n.div_ceil(99)).sum::<usize>()
        })
        .sum();
    assert!(transactions <= 400_usize.div_ceil(99) + 2 * SHARDS);
    assert_eq!(
        ops.get("TransactWriteItems"),
        Some(&transactions),
        "{ops:?}"
    );
    assert_eq!(
        fixtures::all_members(api.store(), &api.account, &extras)
            .await
            .len(),
        400
    );
    groups.push(extras.clone());

    // Nothing changed, and one group is large enough for the guard to count first: still one
    // pass over the users (the small groups are applied while the large one is counted, and
    // a counted group without changes needs no second pass).
    let ops = refresh_counted(&ev, &counter).await;
    let elsewhere_pages = 2;
    assert_eq!(
        ops.get("Query"),
        Some(&(RULE_KEYS + 3 + SHARDS * (groups.len() - 1 + elsewhere_pages))),
        "{ops:?}"
    );
    assert!(
        !ops.contains_key("TransactWriteItems") && !ops.contains_key("UpdateItem"),
        "no writes: {ops:?}"
    );

    // The large group changes (a tenth of it leaves, under the guard's limit): the first pass
    // counts it, a second pass applies it.
    put_users_at(&api, 100..140, "moved", "moved.example").await;
    let ops = refresh_counted(&ev, &counter).await;
    let stored = api
        .store()
        .get_group(&api.account, &extras)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.member_count, 360);
    assert_eq!(
        ops.get("Query"),
        Some(
            &(RULE_KEYS
                + 3
                + SHARDS * (groups.len() - 1 + elsewhere_pages)
                + 3
                + SHARDS * elsewhere_pages)
        ),
        "the second pass reads the users again, for the large group only: {ops:?}"
    );

    // The 40 come back, and the refresh stops inside its second pass (the first pass asks
    // twice, after pages one and two; the third ask is the second pass's first page): the
    // checkpoint, stored and read back, resumes the second pass and the count ends exact.
    put_users_at(&api, 100..140, "extra", "elsewhere.example").await;
    let asked = std::sync::atomic::AtomicUsize::new(0);
    let out_of_time = || asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2;
    let checkpoint = smart::refresh_account(&ev, None, &out_of_time)
        .await
        .expect("refresh")
        .expect("stopped in the second pass");
    let stored: smart::RefreshCheckpoint =
        serde_json::from_value(serde_json::to_value(&checkpoint).expect("serialize"))
            .expect("deserialize");
    let done = smart::refresh_account(&ev, Some(stored), &|| false)
        .await
        .expect("resume");
    assert!(done.is_none());
    let stored = api
        .store()
        .get_group(&api.account, &extras)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.member_count, 400);
    assert_eq!(
        fixtures::all_members(api.store(), &api.account, &extras)
            .await
            .len(),
        400
    );

    // A refresh stopped after its first page resumes from the checkpoint and finishes.
    let stop_after_first = std::sync::atomic::AtomicBool::new(false);
    let out_of_time = || stop_after_first.swap(true, std::sync::atomic::Ordering::SeqCst);
    let checkpoint = smart::refresh_account(&ev, None, &out_of_time)
        .await
        .expect("refresh");
    let checkpoint = checkpoint.expect("stopped early");
    assert!(checkpoint.after_user.is_some());
    let done = smart::refresh_account(&ev, Some(checkpoint), &|| false)
        .await
        .expect("resume");
    assert!(done.is_none());
    for g in &groups {
        let stored = api
            .store()
            .get_group(&api.account, g)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(
            stored.member_count,
            fixtures::all_members(api.store(), &api.account, g)
                .await
                .len() as u64
        );
    }
}
