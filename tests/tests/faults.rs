//! Fault injection: a fifth of DynamoDB calls fail (throttling, 500s, reset connections,
//! responses lost after the write) while clients add and remove overlapping members, race for
//! titles, change users and refresh smart groups. Counts stay exact, no membership is
//! duplicated or lost, titles stay unique; where retries run out the answer is a 503.

use groups_domain::service::{self, NewGroup};
use groups_domain::smart::{self, Evaluator, Guard};
use groups_domain::{
    BuiltinRole, Caller, DirectoryStore, Error, GroupKind, GroupQuery, GroupStore, PageRequest,
    RoleRef, Scope, UserId, UserStatus,
};
use groups_http::event::HttpCall;
use groups_http::{Deps, Route};
use groups_store::DynamoStore;
use groups_store::dynamo::local_client;
use groups_testkit::{dynamodb_endpoint, faults, fresh_dynamo_store};
use groups_tests::fixtures::{self, account, admin, all_members, user, user_id};
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// Tolerates only the failure retries may run out into.
fn tolerate<T>(result: Result<T, Error>, unavailable: &std::sync::atomic::AtomicU64) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(Error::Unavailable(_)) => {
            unavailable.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            None
        }
        Err(e) => panic!("unexpected failure under faults: {e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_injected_faults_counts_stay_exact_and_titles_unique() {
    let (direct, _) = fresh_dynamo_store().await;
    let proxy = faults::start(dynamodb_endpoint(), 20, 0x5EED).await;
    let faulty = Arc::new(DynamoStore::new(
        local_client(&proxy.endpoint, None),
        direct.table(),
    ));
    let acc = account();
    let admin = admin(&acc);
    fixtures::seed_users(&direct, &acc, 40, None).await;
    let mut groups = Vec::new();
    for t in ["Alpha", "Beta", "Gamma"] {
        groups.push(fixtures::create(&direct, &admin, t).await.id);
    }
    let smart_rule = json!({"attr": "status", "op": "eq", "value": "active"});
    let smart = service::create_group(
        &direct,
        &admin,
        NewGroup {
            kind: GroupKind::Smart,
            rule: Some(smart_rule),
            ..fixtures::new_group("Active")
        },
        fixtures::now(),
    )
    .await
    .expect("smart group")
    .id;
    let unavailable = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..12usize {
        let (store, admin, groups, unavailable) = (
            faulty.clone(),
            admin.clone(),
            groups.clone(),
            unavailable.clone(),
        );
        tasks.spawn(async move {
            for round in 0..8usize {
                let group = &groups[(worker + round) % groups.len()];
                let start = (worker * 7 + round * 3) % 40;
                let add: Vec<UserId> = (0..10).map(|k| user_id((start + k) % 40)).collect();
                tolerate(
                    service::add_members(&*store, &admin, group, &add, fixtures::now()).await,
                    &unavailable,
                );
                let remove: Vec<UserId> = (0..5).map(|k| user_id((start + 2 * k) % 40)).collect();
                tolerate(
                    service::remove_members(
                        &*store,
                        &admin,
                        group,
                        &remove,
                        time::OffsetDateTime::now_utc(),
                    )
                    .await,
                    &unavailable,
                );
            }
        });
    }
    for racer in 0..3usize {
        let (store, admin, unavailable) = (faulty.clone(), admin.clone(), unavailable.clone());
        tasks.spawn(async move {
            for i in 0..6 {
                let title = if racer % 2 == 0 {
                    format!("Contested {i}")
                } else {
                    format!("CONTESTED {i}")
                };
                match service::create_group(
                    &*store,
                    &admin,
                    fixtures::new_group(&title),
                    fixtures::now(),
                )
                .await
                {
                    Ok(_) | Err(Error::TitleTaken { .. }) => {}
                    other => {
                        tolerate(other, &unavailable);
                    }
                }
            }
        });
    }
    {
        // Users change while refreshes run.
        let (store, acc, unavailable) = (faulty.clone(), acc.clone(), unavailable.clone());
        tasks.spawn(async move {
            for n in 0..20usize {
                let mut u = user(n, None);
                u.status = if n % 3 == 0 {
                    UserStatus::Inactive
                } else {
                    UserStatus::Active
                };
                if tolerate(store.put_user(&acc, &u).await, &unavailable).is_none() {
                    continue;
                }
                let ev = Evaluator::new(&*store, &acc, fixtures::now(), Guard::default());
                tolerate(smart::evaluate_user(&ev, &u.id).await, &unavailable);
            }
        });
    }
    {
        let (store, acc, unavailable) = (faulty.clone(), acc.clone(), unavailable.clone());
        tasks.spawn(async move {
            for _ in 0..3 {
                let ev = Evaluator::new(&*store, &acc, fixtures::now(), Guard::default());
                tolerate(
                    smart::refresh_account(&ev, None, &|| false).await,
                    &unavailable,
                );
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("no task panicked");
    }
    assert!(
        proxy.counts.injected() > 100,
        "faults were injected: {:?}",
        proxy.counts
    );

    // Checked through the direct client: exact counts, no duplicates.
    let listed = direct
        .list_groups(
            &acc,
            &Scope::Account,
            &GroupQuery {
                page: PageRequest::first(200),
                ..GroupQuery::default()
            },
        )
        .await
        .expect("groups");
    for g in &listed.items {
        let members = all_members(&direct, &acc, &g.id).await;
        let distinct: HashSet<_> = members.iter().collect();
        assert_eq!(
            distinct.len(),
            members.len(),
            "no duplicate membership in {}",
            g.title
        );
        assert_eq!(
            g.member_count,
            members.len() as u64,
            "exact count of {}",
            g.title
        );
    }
    let titles: Vec<String> = listed
        .items
        .iter()
        .map(|g| g.title.to_lowercase())
        .collect();
    let unique: BTreeSet<&String> = titles.iter().collect();
    assert_eq!(unique.len(), titles.len(), "titles stay unique: {titles:?}");
    // The smart group converges once evaluated without faults.
    let ev = Evaluator::new(&direct, &acc, fixtures::now(), Guard::default());
    smart::evaluate_group(&ev, &smart).await.expect("evaluate");
    let members: BTreeSet<String> = all_members(&direct, &acc, &smart)
        .await
        .iter()
        .map(|u| u.to_string())
        .collect();
    let mut expected = BTreeSet::new();
    for n in 0..40 {
        let u = direct
            .get_user(&acc, &user_id(n))
            .await
            .expect("get")
            .expect("exists");
        if u.status == UserStatus::Active {
            expected.insert(u.id.to_string());
        }
    }
    assert_eq!(members, expected);
    let stored = direct
        .get_group(&acc, &smart)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.member_count, members.len() as u64);
    eprintln!(
        "faults: {:?}; calls that ran out of retries: {unavailable:?}",
        proxy.counts
    );
}

#[tokio::test]
async fn when_retries_run_out_the_answer_is_a_503_problem() {
    let (direct, _) = fresh_dynamo_store().await;
    let proxy = faults::start(dynamodb_endpoint(), 100, 7).await;
    let ctx = Deps::new(DynamoStore::new(
        local_client(&proxy.endpoint, None),
        direct.table(),
    ));
    let functions = groups_local::registry::functions::<DynamoStore>();
    let caller = Caller::resolve(
        account(),
        UserId::parse("id", "ann").expect("id"),
        RoleRef::Builtin(BuiltinRole::Admin),
        None,
        vec![],
    );
    let route = Route {
        method: "GET",
        path: "/groups",
    };
    let call = HttpCall::new("GET", "/groups");
    assert!(route.matches(&call.path).is_some());
    let response = groups_local::registry::dispatch(
        &functions,
        &ctx,
        &call,
        groups_http::context::encode(&caller),
    )
    .await;
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert!(
        proxy.counts.injected() >= 3,
        "the SDK retried before giving up"
    );
}

/// A storage failure while authorizing is no decision: never an empty identity (which every
/// function would answer 401, and API Gateway would cache for the TTL), but a failed
/// invocation that API Gateway answers 500 and does not cache.
#[tokio::test]
async fn an_authorizer_that_cannot_read_the_directory_decides_nothing() {
    let (direct, _) = fresh_dynamo_store().await;
    groups_local::seed::seed(&direct).await.expect("seed");
    let config = authorizer::dev::config().expect("config");
    let token =
        authorizer::dev::token(&authorizer::dev::Claims::new("acme", "admin", 600)).expect("token");
    let bearer = format!("Bearer {token}");
    let decided = authorizer::context(&direct, &config, Some(&bearer)).await;
    assert!(decided.is_ok_and(|c| c.contains_key("userId")));
    let proxy = faults::start(dynamodb_endpoint(), 100, 11).await;
    let failing = DynamoStore::new(local_client(&proxy.endpoint, None), direct.table());
    assert_eq!(
        authorizer::context(&failing, &config, Some(&bearer)).await,
        Err(authorizer::Unavailable)
    );
    let mut event = aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request::default();
    event.headers.insert(
        "authorization",
        http::HeaderValue::from_str(&bearer).expect("header"),
    );
    assert!(authorizer::handle(&failing, &config, event).await.is_err());
}
