//! A refresh that reaches its time budget continues at once: its checkpoint's change record
//! starts the next invocation, which finishes it. Cut at every page boundary it can stop at,
//! the refresh still ends with every smart group as the reference says. A requested
//! evaluation shows its counts on the group while it runs (seen by stopping one part-way).

use evaluate_smart_group::handle_schedule;
use groups_domain::smart::{Evaluator, Guard};
use groups_domain::{CheckpointStore, DirectoryStore, EvaluationStatus, GroupStore, Store};
use groups_http::event::HttpCall;
use groups_store::DynamoStore;
use groups_store::MemoryStore;
use groups_store::dynamo::local_client;
use groups_testkit::{
    faults, fresh_dynamo_store, fresh_private_dynamo_store, private_dynamodb_endpoint,
};
use groups_tests::api::{ADMIN, Api};
use groups_tests::expect::{expected, members};
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
use groups_tests::fixtures;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

fn rules() -> Vec<Value> {
    vec![
        json!({"attr": "jobTitle", "op": "eq", "value": "Engineer"}),
        json!({"attr": "department", "op": "inSubtree", "value": "sales"}),
        json!({"not": {"attr": "jobTitle", "op": "eq", "value": "Engineer"}}),
    ]
}

/// The demo account, 600 more users (four pages of users in all) and three smart groups, one
/// of them referenced by a fourth (two layers); then every new user's job title changes, so
/// the refresh has work on every page.
async fn world<S: Store + 'static, F: Feeder<S>>(
    api: &Api<S>,
    feed: &mut F,
) -> Vec<(String, Value)> {
    let sales = fixtures::path(&["acme", "sales"]);
    for n in 0..600 {
        let department = (n % 3 == 0).then(|| sales.clone());
        api.store()
            .put_user(&api.account, &fixtures::user(1000 + n, department))
            .await
            .expect("user");
    }
    let mut groups = Vec::new();
    for (i, rule) in rules().into_iter().enumerate() {
        let id = api.create_smart(&format!("Refreshed {i}"), &rule).await;
        groups.push((id, rule));
    }
    let follower = json!({"attr": "group", "op": "memberOf", "value": groups[0].0});
    let id = api.create_smart("Refreshed follower", &follower).await;
    groups.push((id, follower));
    feed.settle(api, Guard::default()).await;
    // Changed behind the stream's back, as a bulk import might: only the refresh sees it.
    for n in 0..600 {
        let mut user = fixtures::user(1000 + n, None);
        user.department = (n % 3 == 0).then(|| sales.clone());
        user.job_title = if n % 2 == 0 { "Analyst" } else { "Engineer" }.into();
        api.store()
            .put_user(&api.account, &user)
            .await
            .expect("user");
    }
    groups
}

/// Runs the schedule stopping at the `cut`-th page boundary; answers whether it stopped.
async fn refresh_cut_at<S: Store + 'static>(api: &Api<S>, cut: usize) -> bool {
    let asked = AtomicUsize::new(0);
    let out_of_time = || asked.fetch_add(1, Ordering::SeqCst) + 1 >= cut;
    let summary = handle_schedule(&api.ctx, Guard::default(), &out_of_time)
        .await
        .expect("refresh");
    summary.checkpointed
}

async fn check<S: Store + 'static>(api: &Api<S>, groups: &[(String, Value)], cut: usize) {
    assert_eq!(
        api.store().load_checkpoint("refresh").await.expect("load"),
        None,
        "cut {cut}: the continuation finished the refresh"
    );
    for (id, rule) in groups {
        assert_eq!(
            members(api, id).await,
            expected(api, rule, None).await,
            "cut {cut}: {rule}"
        );
    }
}

#[tokio::test]
async fn a_refresh_cut_at_every_page_boundary_continues_at_once_and_ends_right_in_memory() {
    let mut cut = 1;
    loop {
        let api = Api::seeded(MemoryStore::new()).await;
        let mut feed = MemoryFeed::new(&api);
        let groups = world(&api, &mut feed).await;
        let stopped = refresh_cut_at(&api, cut).await;
        // The checkpoint's change is on the feed: the next invocation runs from it at once.
        let delivered = feed.settle(&api, Guard::default()).await;
        if stopped {
            assert!(
                delivered > 0,
                "cut {cut}: the checkpoint asked for a continuation"
            );
        }
        check(&api, &groups, cut).await;
        if !stopped {
            assert!(
                cut > 4,
                "a refresh over four pages has boundaries to cut at ({cut})"
            );
            break;
        }
        cut += 1;
    }
}

#[tokio::test]
async fn a_refresh_cut_continues_through_the_real_stream_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    let groups = world(&api, &mut feed).await;
    assert!(refresh_cut_at(&api, 2).await, "the refresh stopped");
    feed.settle(&api, Guard::default()).await;
    check(&api, &groups, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_evaluation_shows_its_counts_so_far_on_dynamodb_local() {
    // Its own DynamoDB Local: the many cut runs would slow every later test of a shared one.
    let direct = fresh_private_dynamo_store().await;
    let acc = fixtures::account();
    let users: Vec<_> = (0..1500).map(|n| fixtures::user(n, None)).collect();
    direct.import_users(&acc, &users).await.expect("import");
    let admin = fixtures::admin(&acc);
    let group = groups_domain::service::create_group(
        &direct,
        &admin,
        groups_domain::service::NewGroup {
            kind: groups_domain::GroupKind::Smart,
            rule: Some(rules()[0].clone()),
            ..fixtures::new_group("Engineers")
        },
        fixtures::now(),
    )
    .await
    .expect("group");
    // The run dies part-way (its process stops answering after `cut` requests): what the
    // group shows then is what it showed while running. Cut later and later until a cut lands
    // after a progress record and before the end.
    let mut shown = None;
    for cut in (20..160).step_by(6) {
        let proxy = faults::start_cutoff(private_dynamodb_endpoint(), cut).await;
        let dying = DynamoStore::new(local_client(&proxy.endpoint, None), direct.table());
        let ev = Evaluator::new(&dying, &acc, fixtures::now(), Guard::default());
        if groups_domain::smart::evaluate_group(&ev, &group.id)
            .await
            .is_ok()
        {
            break;
        }
        let evaluation = direct
            .get_group(&acc, &group.id)
            .await
            .expect("read")
            .expect("group")
            .evaluation
            .expect("evaluation");
        if evaluation.status == EvaluationStatus::Running && evaluation.evaluated > 0 {
            shown = Some(evaluation);
            break;
        }
    }
    let shown = shown.expect("a cut landed while the group showed its progress");
    assert!(
        shown.evaluated >= 1000 && shown.evaluated < 1500,
        "counts so far: {shown:?}"
    );
    // Earlier cut runs joined some already: this run counts only its own joins.
    assert!(shown.joined <= shown.evaluated, "{shown:?}");
    // Run again, it finishes and shows the result.
    let ev = Evaluator::new(&direct, &acc, fixtures::now(), Guard::default());
    let done = groups_domain::smart::evaluate_group(&ev, &group.id)
        .await
        .expect("evaluate");
    assert_eq!(done.status, EvaluationStatus::Done);
    assert_eq!(done.evaluated, 1500);
}

/// A requested evaluation cut at a page boundary leaves a checkpoint whose change record
/// continues it at once; however it is cut (applying, or counting for the guard), it ends
/// with the rule's membership, or held as an uncut run would be.
#[tokio::test]
async fn a_requested_evaluation_cut_at_every_page_boundary_continues_and_ends_right() {
    let mut cut = 1;
    loop {
        let api = Api::seeded(MemoryStore::new()).await;
        let mut feed = MemoryFeed::new(&api);
        for n in 0..700 {
            api.store()
                .put_user(&api.account, &fixtures::user(1000 + n, None))
                .await
                .expect("user");
        }
        let rule = rules()[0].clone();
        let id = api.create_smart("Cut engineers", &rule).await;
        let group = groups_domain::GroupId::parse("id", id.as_str()).expect("id");
        // The request the create made is run here, cut, instead of by the feed.
        while feed.0.try_recv().is_ok() {}
        let asked = AtomicUsize::new(0);
        let out_of_time = || asked.fetch_add(1, Ordering::SeqCst) + 1 >= cut;
        evaluate_smart_group::evaluate_requested(
            &api.ctx,
            Guard::default(),
            &api.account,
            &group,
            None,
            &out_of_time,
        )
        .await
        .expect("evaluate");
        let name = groups_domain::smart::checkpoint_name(&api.account, &group);
        let stopped = api
            .store()
            .load_checkpoint(&name)
            .await
            .expect("load")
            .is_some();
        feed.settle(&api, Guard::default()).await;
        assert_eq!(
            api.store().load_checkpoint(&name).await.expect("load"),
            None,
            "cut {cut}: the continuation finished"
        );
        let shown = api
            .store()
            .get_group(&api.account, &group)
            .await
            .expect("read")
            .expect("group")
            .evaluation
            .expect("evaluation");
        assert_eq!(shown.status, EvaluationStatus::Done, "cut {cut}");
        assert_eq!(
            members(&api, &id).await,
            expected(&api, &rule, None).await,
            "cut {cut}"
        );
        assert_eq!(
            shown.joined as usize,
            members(&api, &id).await.len(),
            "cut {cut}"
        );
        if !stopped {
            assert!(
                cut > 3,
                "an evaluation over four pages has boundaries to cut at ({cut})"
            );
            break;
        }
        cut += 1;
    }
}

/// Cut while counting for the guard, the continuation goes on counting and holds the
/// evaluation that would remove too many members, as an uncut run would.
#[tokio::test]
async fn a_cut_while_counting_for_the_guard_continues_to_the_same_hold() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    for n in 0..700 {
        api.store()
            .put_user(&api.account, &fixtures::user(1000 + n, None))
            .await
            .expect("user");
    }
    let rule = rules()[0].clone();
    let id = api.create_smart("Held engineers", &rule).await;
    let group = groups_domain::GroupId::parse("id", id.as_str()).expect("id");
    feed.settle(&api, Guard::default()).await;
    let before = members(&api, &id).await;
    assert!(before.len() >= 700);
    // Most engineers change jobs behind the stream's back; then "re-evaluate now", cut.
    for n in 0..600 {
        let mut user = fixtures::user(1000 + n, None);
        user.job_title = "Analyst".into();
        api.store()
            .put_user(&api.account, &user)
            .await
            .expect("user");
    }
    while feed.0.try_recv().is_ok() {}
    let reply = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{id}/evaluate")),
        )
        .await;
    assert_eq!(reply.status, 202);
    while feed.0.try_recv().is_ok() {}
    let asked = AtomicUsize::new(0);
    let out_of_time = || asked.fetch_add(1, Ordering::SeqCst) + 1 >= 1;
    evaluate_smart_group::evaluate_requested(
        &api.ctx,
        Guard::default(),
        &api.account,
        &group,
        None,
        &out_of_time,
    )
    .await
    .expect("evaluate");
    let name = groups_domain::smart::checkpoint_name(&api.account, &group);
    assert!(
        api.store()
            .load_checkpoint(&name)
            .await
            .expect("load")
            .is_some(),
        "stopped while counting"
    );
    feed.settle(&api, Guard::default()).await;
    let shown = api
        .store()
        .get_group(&api.account, &group)
        .await
        .expect("read")
        .expect("group")
        .evaluation
        .expect("evaluation");
    assert_eq!(shown.status, EvaluationStatus::Held);
    assert_eq!(shown.held, 600, "{shown:?}");
    assert_eq!(
        members(&api, &id).await,
        before,
        "nothing applied while held"
    );
}
