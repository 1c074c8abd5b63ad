//! Round trips and consumed capacity on DynamoDB Local, per API operation and per evaluation
//! path, and the scale of a full refresh (wall time, peak memory, writes when nothing changed).
//!
//! `cargo bench -p groups-tests --bench dynamodb` (DynamoDB Local is started when
//! `DYNAMODB_ENDPOINT` is unset). `BENCH_SIZES=10000` runs the refresh at 10,000 users only;
//! `BENCH_PARTS=scale` (or `ops`, `history`, `incremental`, comma-separated) runs only those parts.
//! Each refresh runs in a child process of this binary, so its peak memory is its own.

use groups_domain::ports::Change;
use groups_domain::ports::{DirectoryStore, GroupStore};
use groups_domain::service::{self, NewGroup};
use groups_domain::smart::{self, Evaluator, Guard};
use groups_domain::{AccountId, GroupId, GroupKind, UserId};
use groups_http::Deps;
use groups_http::event::HttpCall;
use groups_local::registry::{dispatch, functions};
use groups_store::dynamo::Capacity;
use groups_store::dynamo::local_client;
use groups_store::{CallCounter, DynamoStore};
use groups_tests::api::Api;
use groups_tests::fixtures;
use groups_tests::generated::{Population, narrow_rule, seed_departments, team_rule};
use serde_json::Value as Json;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

use std::time::Instant;
use time::OffsetDateTime;

const CHILD: &str = "GROUPS_BENCH_CHILD";
const SMART_GROUPS: usize = 50;
const WRITES: [&str; 5] = [
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

fn calls_text(calls: &BTreeMap<String, usize>) -> String {
    let text: Vec<String> = calls.iter().map(|(op, n)| format!("{n} {op}")).collect();
    if text.is_empty() {
        "none".into()
    } else {
        text.join(", ")
    }
}

fn row(name: &str, counter: &CallCounter, took: std::time::Duration) {
    let calls = counter.by_operation();
    let capacity = counter.capacity();
    println!(
        "| {name} | {} | {} | {:.1} | {:.1} | {} | {:.0} ms |",
        counter.total(),
        calls_text(&calls),
        capacity.read,
        capacity.write,
        capacity.aws_write_units(),
        took.as_secs_f64() * 1000.0
    );
}

fn header(title: &str) {
    println!("\n### {title}\n");
    println!(
        "| operation | calls | by operation | read units | write units | write units on AWS | on DynamoDB Local |"
    );
    println!("|---|---|---|---|---|---|---|");
}

/// Writes `count` generated users: batches of 25, eight batches in flight.
async fn seed_users(store: &DynamoStore, account: &AccountId, count: usize) {
    let mut users = Population::new(OffsetDateTime::now_utc())
        .take(count)
        .peekable();
    while users.peek().is_some() {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let chunk: Vec<_> = users.by_ref().take(25).collect();
            let (store, account) = (store.clone(), account.clone());
            batch.spawn(async move { store.import_users(&account, &chunk).await });
        }
        for done in batch.join_all().await {
            done.expect("import users");
        }
    }
}

async fn smart_groups(
    store: &DynamoStore,
    account: &AccountId,
    count: usize,
    rule: fn(usize) -> Json,
) -> Vec<GroupId> {
    let admin = fixtures::admin(account);
    let mut ids = Vec::new();
    for i in 0..count {
        let new = NewGroup {
            title: format!("Smart {i}"),
            description: String::new(),
            kind: GroupKind::Smart,
            rule: Some(rule(i)),
            owner_department_id: None,
        };
        let group = service::create_group(store, &admin, new, fixtures::now())
            .await
            .expect("create smart group");
        ids.push(group.id);
    }
    ids
}

fn evaluator<'a>(store: &'a DynamoStore, account: &'a AccountId) -> Evaluator<'a, DynamoStore> {
    Evaluator::new(store, account, OffsetDateTime::now_utc(), Guard::default())
}

/// Every API operation, as API Gateway calls it, after the authorizer: the demo account plus
/// 1,000 users, 60 groups.
async fn api_operations() {
    let counter = CallCounter::with_capacity();
    let (store, _) = groups_testkit::fresh_dynamo_store_counted(counter.clone()).await;
    let api = Api::seeded(store).await;
    let sales = fixtures::path(&["acme", "sales"]);
    for n in 1000..2000 {
        api.store()
            .put_user(&api.account, &fixtures::user(n, Some(sales.clone())))
            .await
            .expect("put user");
    }
    let admin = fixtures::admin(&api.account);
    for n in 0..60 {
        fixtures::create(api.store(), &admin, &format!("Team {n:02}")).await;
    }
    let registry = functions();
    let bearer = format!("Bearer {}", api.token("admin"));
    let call = async |name: &str, call: HttpCall| -> Value {
        let context = authorizer::context(api.store(), &api.auth, Some(&bearer))
            .await
            .expect("authorized");
        counter.reset();
        let started = Instant::now();
        let response = dispatch(&registry, &api.ctx, &call, context).await;
        let status = response.status().as_u16();
        row(name, &counter, started.elapsed());
        let body = match response.into_body() {
            groups_http::Body::Text(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        assert!(status < 300, "{name}: {status} {body}");
        body
    };
    let ids = |from: usize, n: usize| -> Vec<String> {
        (from..from + n).map(|i| format!("u{i}")).collect()
    };
    header("API operations (after the authorizer; 1,040 users, 64 groups)");
    call(
        "list groups, a page of 50",
        HttpCall::new("GET", "/groups?limit=50"),
    )
    .await;
    call(
        "search groups (\"team 1\")",
        HttpCall::new("GET", "/groups?limit=50&q=team%201"),
    )
    .await;
    let created = call(
        "create a group",
        HttpCall::new("POST", "/groups").json(&json!({"title": "Bench static"})),
    )
    .await;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let got = call(
        "get a group",
        HttpCall::new("GET", &format!("/groups/{id}")),
    )
    .await;
    call(
        "rename a group",
        HttpCall::new("PATCH", &format!("/groups/{id}"))
            .header("if-match", &format!("\"{}\"", got["version"]))
            .json(&json!({"title": "Bench static renamed"})),
    )
    .await;
    let mut from = 1000;
    for n in [10, 100, 1000] {
        let target = call(
            "create a group",
            HttpCall::new("POST", "/groups").json(&json!({"title": format!("Bench add {n}")})),
        )
        .await;
        let target = target["id"].as_str().unwrap_or_default().to_owned();
        let users = ids(from.min(2000 - n), n);
        from += n;
        call(
            &format!("add {n} members"),
            HttpCall::new("POST", &format!("/groups/{target}/members"))
                .json(&json!({"userIds": users})),
        )
        .await;
        if n == 1000 {
            call(
                "list members, a page of 50",
                HttpCall::new("GET", &format!("/groups/{target}/members?limit=50")),
            )
            .await;
            call(
                "remove 10 members",
                HttpCall::new("DELETE", &format!("/groups/{target}/members"))
                    .json(&json!({"userIds": ids(1000, 10)})),
            )
            .await;
        }
    }
    call(
        "list users, a page of 50",
        HttpCall::new("GET", "/users?limit=50"),
    )
    .await;
    call(
        "list users of a subtree, a page of 50",
        HttpCall::new("GET", "/users?departmentId=sales&nested=true&limit=50"),
    )
    .await;
    call(
        "a user's groups",
        HttpCall::new("GET", "/users/u1500/groups"),
    )
    .await;
    call("list departments", HttpCall::new("GET", "/departments")).await;
    let rule = json!({"all": [{"attr": "department", "op": "inSubtree", "value": "sales"}, {"attr": "email", "op": "endsWith", "value": "example.com"}]});
    call(
        "preview a rule (1,040 users)",
        HttpCall::new("POST", "/smart-groups/preview").json(&json!({"rule": rule})),
    )
    .await;
    let smart = call(
        "create a smart group",
        HttpCall::new("POST", "/groups")
            .json(&json!({"title": "Bench smart", "kind": "smart", "rule": rule})),
    )
    .await;
    let smart = smart["id"].as_str().unwrap_or_default().to_owned();
    counter.reset();
    let ev = evaluator(api.store(), &api.account);
    let started = Instant::now();
    smart::evaluate_group(&ev, &GroupId::parse("id", smart.clone()).expect("id"))
        .await
        .expect("evaluate");
    row(
        "evaluate the smart group (rule saved, 1,040 users)",
        &counter,
        started.elapsed(),
    );
    call(
        "explain a membership",
        HttpCall::new("GET", &format!("/groups/{smart}/members/u1500/explain")),
    )
    .await;
    call(
        "rule versions",
        HttpCall::new("GET", &format!("/groups/{smart}/rule-versions")),
    )
    .await;
    call(
        "put a user",
        HttpCall::new("PUT", "/users/u1999").json(&json!({"email": "u1999@example.com", "firstName": "New", "lastName": "Name", "departmentId": "sales"})),
    )
    .await;
    call("delete a user", HttpCall::new("DELETE", "/users/u1998")).await;
    call(
        "delete a group",
        HttpCall::new("DELETE", &format!("/groups/{id}")),
    )
    .await;
}

/// Membership history at 10,000 members: a page of a group's history, and the members "as
/// of" an instant before the last 1,000 leaves (today's 9,000 members, the 1,000 leaves undone).
async fn history() {
    use groups_domain::history::{Cause, HistoryEntry, HistoryStore, Trigger};
    use groups_domain::{Membership, MembershipSource, MembershipStore, events::MembershipChange};
    let counter = CallCounter::with_capacity();
    let (store, _) = groups_testkit::fresh_dynamo_store_counted(counter.clone()).await;
    let api = Api::seeded(store).await;
    let admin = fixtures::admin(&api.account);
    let group = fixtures::create(api.store(), &admin, "History bench")
        .await
        .id;
    let joined_at = OffsetDateTime::now_utc() - time::Duration::hours(2);
    let left_at = joined_at + time::Duration::hours(1);
    let user = |n: usize| UserId::parse("id", format!("h{n:05}")).expect("id");
    let cause = Cause::manual(&admin.user_id, Trigger::Api);
    let memberships: Vec<Membership> = (0..10_000)
        .map(|n| Membership {
            group_id: group.clone(),
            user_id: user(n),
            added_at: joined_at,
            added_by: Some(admin.user_id.clone()),
            source: MembershipSource::Manual,
        })
        .collect();
    let leaving: Vec<UserId> = (0..1_000).map(user).collect();
    for chunk in memberships.chunks(396) {
        api.store()
            .insert_memberships(
                &api.account,
                &group,
                GroupKind::Static,
                chunk,
                &cause.at(joined_at),
            )
            .await
            .expect("members");
    }
    api.store()
        .delete_memberships(
            &api.account,
            &group,
            GroupKind::Static,
            &leaving,
            &cause.at(left_at),
        )
        .await
        .expect("leaves");
    // The history the stream consumer would write for those changes.
    let entry = |n: usize, change, at| HistoryEntry {
        group_id: group.clone(),
        user_id: user(n),
        change,
        at,
        cause: cause.clone(),
    };
    let entries: Vec<HistoryEntry> = (0..10_000)
        .map(|n| entry(n, MembershipChange::Joined, joined_at))
        .chain((0..1_000).map(|n| entry(n, MembershipChange::Left, left_at)))
        .collect();
    api.store()
        .append_history(&api.account, &entries)
        .await
        .expect("history");
    let registry = functions();
    let bearer = format!("Bearer {}", api.token("admin"));
    header("Membership history (10,000 members, 11,000 history entries)");
    let before_leaves = (joined_at + time::Duration::minutes(30))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("instant");
    for (name, path) in [
        (
            "a group's history, a page of 50",
            format!("/groups/{group}/history?limit=50"),
        ),
        (
            "a user's history, a page of 50",
            "/users/h00001/history?limit=50".to_owned(),
        ),
        (
            "members as of an instant (10,000 then, 1,000 left since), a page of 50",
            format!("/groups/{group}/members?limit=50&asOf={before_leaves}"),
        ),
    ] {
        let context = authorizer::context(api.store(), &api.auth, Some(&bearer))
            .await
            .expect("authorized");
        counter.reset();
        let started = Instant::now();
        let response = dispatch(&registry, &api.ctx, &HttpCall::new("GET", &path), context).await;
        row(name, &counter, started.elapsed());
        assert_eq!(response.status().as_u16(), 200, "{name}");
    }
}

/// One user changes with `groups` smart groups in the account: what the stream handler pays.
async fn incremental(groups: usize) {
    let counter = CallCounter::with_capacity();
    let (store, _) = groups_testkit::fresh_dynamo_store_counted(counter.clone()).await;
    let account = fixtures::account();
    seed_departments(&store, &account).await;
    seed_users(&store, &account, 2_000).await;
    smart_groups(&store, &account, groups, narrow_rule).await;
    let ev = evaluator(&store, &account);
    smart::refresh_account(&ev, None, &|| false)
        .await
        .expect("refresh");
    let ctx = Deps::with_events(store.clone(), Arc::new(groups_domain::events::Discard));
    // A user who moves into the first rule's team (Sales, Germany, level 0) and out of others.
    let id = UserId::parse("id", "u7").expect("id");
    let mut user = store
        .get_user(&account, &id)
        .await
        .expect("get")
        .expect("user");
    let before = smart::user_group_ids(&store, &account, &id)
        .await
        .expect("groups");
    user.department = Some(fixtures::path(&["root", "sales"]));
    user.status = groups_domain::UserStatus::Active;
    user.profile.insert(
        "country".into(),
        groups_domain::ProfileValue::Text("DE".into()),
    );
    user.profile
        .insert("level".into(), groups_domain::ProfileValue::Number(0.0));
    store.put_user(&account, &user).await.expect("put");
    let change = Change::User {
        account: account.clone(),
        user: id.clone(),
    };
    counter.reset();
    let started = Instant::now();
    evaluate_smart_group::process(&ctx, Guard::default(), &change)
        .await
        .expect("process");
    let took = started.elapsed();
    let after = smart::user_group_ids(&store, &account, &id)
        .await
        .expect("groups");
    let moved = before.symmetric_difference(&after).count();
    row(
        &format!("a user changes, {groups} smart groups ({moved} memberships change)"),
        &counter,
        took,
    );
    counter.reset();
    let started = Instant::now();
    evaluate_smart_group::process(&ctx, Guard::default(), &change)
        .await
        .expect("process");
    row(
        &format!("the same record again, {groups} smart groups (nothing changes)"),
        &counter,
        started.elapsed(),
    );
}

/// What a child process measured.
struct Measured {
    calls: BTreeMap<String, usize>,
    capacity: Capacity,
    millis: u128,
    peak_kib: u64,
}

impl Measured {
    fn writes(&self) -> usize {
        WRITES.iter().filter_map(|w| self.calls.get(*w)).sum()
    }
    fn reads(&self) -> usize {
        self.calls.values().sum::<usize>() - self.writes()
    }
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// In the child: one refresh of the account (or one group's full evaluation), then a line of
/// results for the parent.
async fn child(task: &str) {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is unset"));
    let counter = CallCounter::with_capacity();
    let client = local_client(&var("DYNAMODB_ENDPOINT"), Some(&counter));
    let store = DynamoStore::new(client, var("GROUPS_BENCH_TABLE"));
    let account = AccountId::parse("id", var("GROUPS_BENCH_ACCOUNT")).expect("account");
    let ev = evaluator(&store, &account);
    let started = Instant::now();
    if task == "refresh" {
        let left = smart::refresh_account(&ev, None, &|| false)
            .await
            .expect("refresh");
        assert!(left.is_none(), "the refresh stopped early");
    } else {
        let group = GroupId::parse("id", var("GROUPS_BENCH_GROUP")).expect("group");
        smart::evaluate_group(&ev, &group).await.expect("evaluate");
    }
    let millis = started.elapsed().as_millis();
    let capacity = counter.capacity();
    let calls: Vec<String> = counter
        .by_operation()
        .iter()
        .map(|(op, n)| format!("{op}={n}"))
        .collect();
    println!(
        "RESULT {} {} {} {} {} {} {}",
        millis,
        peak_kib(),
        capacity.read,
        capacity.write,
        capacity.items_written,
        capacity.transact_items,
        calls.join(",")
    );
}

fn run_child(task: &str, table: &str, account: &AccountId, group: Option<&GroupId>) -> Measured {
    let exe = std::env::current_exe().expect("own path");
    let mut command = std::process::Command::new(exe);
    command
        .env(CHILD, task)
        .env("DYNAMODB_ENDPOINT", groups_testkit::dynamodb_endpoint())
        .env("GROUPS_BENCH_TABLE", table)
        .env("GROUPS_BENCH_ACCOUNT", account.as_str());
    if let Some(group) = group {
        command.env("GROUPS_BENCH_GROUP", group.as_str());
    }
    let output = command.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child {task} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .expect("a result line");
    let fields: Vec<&str> = line.split(' ').collect();
    let number = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .expect("a number")
    };
    let calls = fields
        .get(6)
        .unwrap_or(&"")
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap_or(0)))
        .collect();
    Measured {
        calls,
        capacity: Capacity {
            read: number(2),
            write: number(3),
            items_written: number(4) as u64,
            transact_items: number(5) as u64,
            empty_queries: 0,
        },
        millis: number(0) as u128,
        peak_kib: number(1) as u64,
    }
}

fn measured_row(name: &str, m: &Measured) {
    println!(
        "| {name} | {:.1} s | {} MiB | {} | {} | {:.0} | {:.0} | {} | {} |",
        m.millis as f64 / 1000.0,
        m.peak_kib / 1024,
        m.reads(),
        m.writes(),
        m.capacity.read,
        m.capacity.write,
        m.capacity.aws_write_units(),
        calls_text(&m.calls)
    );
}

/// A full refresh of `users` users × 50 smart groups: first (memberships written), then again
/// with nothing changed, and the naive way (one full pass per group) for comparison.
async fn scale(users: usize) {
    let (store, _) = groups_testkit::fresh_dynamo_store().await;
    let account = fixtures::account();
    seed_departments(&store, &account).await;
    let started = Instant::now();
    seed_users(&store, &account, users).await;
    eprintln!(
        "seeded {users} users in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let groups = smart_groups(&store, &account, SMART_GROUPS, team_rule).await;
    let table = store.table().to_owned();
    println!("\n### Full refresh: {users} users × {SMART_GROUPS} smart groups\n");
    println!(
        "| run | wall | peak memory | reads | writes | read units | write units | write units on AWS | calls |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let first = run_child("refresh", &table, &account, None);
    measured_row("first refresh (memberships written)", &first);
    let again = run_child("refresh", &table, &account, None);
    measured_row("refresh, nothing changed", &again);
    let one = run_child("group", &table, &account, Some(&groups[0]));
    measured_row("one group's full evaluation (naive: one per group)", &one);
    let mut members = 0;
    for id in &groups {
        members += store
            .get_group(&account, id)
            .await
            .expect("get")
            .map_or(0, |g| g.member_count);
    }
    println!(
        "\n{members} memberships in all. Nothing changed → {} items written (must be 0). Reads: \
         one refresh {} calls, {:.0} units; naive ({SMART_GROUPS} groups × one evaluation) {} calls, \
         {:.0} units: {:.1}× the calls, {:.1}× the units.",
        again.writes(),
        again.reads(),
        again.capacity.read,
        one.reads() * SMART_GROUPS,
        one.capacity.read * SMART_GROUPS as f64,
        (one.reads() * SMART_GROUPS) as f64 / again.reads().max(1) as f64,
        one.capacity.read * SMART_GROUPS as f64 / again.capacity.read.max(1.0),
    );
    assert_eq!(
        again.writes(),
        0,
        "a refresh with nothing changed wrote items"
    );
}

#[tokio::main]
async fn main() {
    if let Ok(task) = std::env::var(CHILD) {
        return child(&task).await;
    }
    println!("DynamoDB Local at {}", groups_testkit::dynamodb_endpoint());
    // BENCH_PARTS picks parts (ops, history, incremental, scale); all by default.
    let parts =
        std::env::var("BENCH_PARTS").unwrap_or_else(|_| "ops,history,incremental,scale".into());
    if parts.contains("ops") {
        api_operations().await;
    }
    if parts.contains("history") {
        history().await;
    }
    if parts.contains("incremental") {
        header("Evaluation on a user's change (the stream handler; 2,000 users)");
        incremental(10).await;
        incremental(100).await;
    }
    if !parts.contains("scale") {
        return;
    }
    let sizes = std::env::var("BENCH_SIZES").unwrap_or_else(|_| "10000,100000".into());
    for size in sizes.split(',').filter_map(|s| s.trim().parse().ok()) {
        scale(size).await;
    }
}
