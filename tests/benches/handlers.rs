//! The time our own code takes per request, with storage out of the way (the in-memory store):
//! list-groups (a page of 50) and add-members (100 ids). `Lambda path` starts from the event
//! JSON the runtime receives (lambda_http parses it, the handler runs, the response is built);
//! `handler` starts from the parsed request. `cargo bench -p groups-tests --bench handlers`.

use groups_domain::MembershipStore;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use groups_domain::ports::GroupQuery;
use groups_domain::ports::{DirectoryStore, GroupStore};
use groups_domain::{GroupKind, Membership, MembershipSource, PageRequest, UserId};
use groups_http::event::{HttpCall, request, v2_event};
use groups_http::{Deps, Route};
use groups_store::MemoryStore;
use groups_tests::api::Api;
use groups_tests::fixtures;
use serde_json::{Map, Value, json};
use std::hint::black_box;
use tokio::runtime::Runtime;

struct Setup {
    api: Api<MemoryStore>,
    authorizer: Map<String, Value>,
}

async fn setup() -> Setup {
    let api = Api::seeded(MemoryStore::new()).await;
    let admin = fixtures::admin(&api.account);
    for n in 0..200 {
        fixtures::create(api.store(), &admin, &format!("Team {n:03}")).await;
    }
    let sales = fixtures::path(&["acme", "sales"]);
    for n in 1000..1100 {
        api.store()
            .put_user(&api.account, &fixtures::user(n, Some(sales.clone())))
            .await
            .expect("put user");
    }
    let bearer = format!("Bearer {}", api.token("admin"));
    let authorizer = authorizer::context(api.store(), &api.auth, Some(&bearer))
        .await
        .expect("authorized");
    Setup { api, authorizer }
}

fn event(setup: &Setup, call: &HttpCall, route: &Route, params: &[(String, String)]) -> String {
    v2_event(call, route, params, setup.authorizer.clone()).to_string()
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let s = rt.block_on(setup());
    let ctx: &Deps<MemoryStore> = &s.api.ctx;
    let mut group = c.benchmark_group("handlers");

    let list = event(
        &s,
        &HttpCall::new("GET", "/groups?limit=50"),
        &Route {
            method: "GET",
            path: "/groups",
        },
        &[],
    );
    let check = rt.block_on(list_groups::handle(
        ctx,
        request(&serde_json::from_str(&list).expect("event")).expect("request"),
    ));
    assert_eq!(check.status(), 200);
    group.bench_function("list-groups, page of 50: Lambda path", |b| {
        b.iter(|| {
            let req = lambda_http::request::from_str(black_box(&list)).expect("request");
            rt.block_on(list_groups::handle(ctx, req))
        })
    });
    // The in-memory adapter's share (it sorts every title per call, which DynamoDB does not):
    // subtracted from the Lambda path, it leaves our own code.
    let admin = fixtures::admin(&s.api.account);
    let query = GroupQuery {
        page: PageRequest::first(50),
        ..GroupQuery::default()
    };
    group.bench_function("list-groups, page of 50: in-memory store only", |b| {
        b.iter(|| {
            rt.block_on(
                s.api
                    .store()
                    .list_groups(&s.api.account, &admin.scope, &query),
            )
        })
    });
    group.bench_function("list-groups, page of 50: handler", |b| {
        b.iter_batched(
            || lambda_http::request::from_str(&list).expect("request"),
            |req| rt.block_on(list_groups::handle(ctx, req)),
            BatchSize::SmallInput,
        )
    });

    let target = rt.block_on(fixtures::create(s.api.store(), &admin, "Bench target"));
    let ids: Vec<UserId> = (1000..1100).map(fixtures::user_id).collect();
    let add = event(
        &s,
        &HttpCall::new("POST", &format!("/groups/{}/members", target.id))
            .json(&json!({ "userIds": ids.iter().map(ToString::to_string).collect::<Vec<_>>() })),
        &Route {
            method: "POST",
            path: "/groups/{groupId}/members",
        },
        &[("groupId".to_owned(), target.id.to_string())],
    );
    // Each measured add starts from an empty group; emptying it is not measured.
    let empty = || {
        rt.block_on(s.api.store().delete_memberships(
            &s.api.account,
            &target.id,
            GroupKind::Static,
            &ids,
            &groups_tests::fixtures::stamp(),
        ))
        .expect("empty the group");
        // The recorded events would otherwise pile up over the iterations.
        s.api.events.take();
    };
    empty();
    let check = rt.block_on(add_members::handle(
        ctx,
        request(&serde_json::from_str(&add).expect("event")).expect("request"),
    ));
    assert_eq!(check.status(), 200, "{:?}", check.body());
    group.bench_function("add-members, 100 ids: Lambda path", |b| {
        b.iter_batched(
            empty,
            |()| {
                let req = lambda_http::request::from_str(black_box(&add)).expect("request");
                rt.block_on(add_members::handle(ctx, req))
            },
            BatchSize::SmallInput,
        )
    });
    let now = time::OffsetDateTime::now_utc();
    let memberships: Vec<Membership> = ids
        .iter()
        .map(|user_id| Membership {
            group_id: target.id.clone(),
            user_id: user_id.clone(),
            added_at: now,
            added_by: None,
            source: MembershipSource::Manual,
        })
        .collect();
    group.bench_function("add-members, 100 ids: in-memory store only", |b| {
        b.iter_batched(
            empty,
            |()| {
                let store = s.api.store();
                rt.block_on(async {
                    let ids_found = store
                        .get_group_and_users(&s.api.account, &target.id, &ids)
                        .await;
                    let added = store
                        .insert_memberships(
                            &s.api.account,
                            &target.id,
                            GroupKind::Static,
                            &memberships,
                            &groups_tests::fixtures::stamp(),
                        )
                        .await;
                    (ids_found, added)
                })
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("add-members, 100 ids: handler", |b| {
        b.iter_batched(
            || {
                empty();
                lambda_http::request::from_str(&add).expect("request")
            },
            |req| rt.block_on(add_members::handle(ctx, req)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
