//! Internet scale under AWS's limits: the DynamoDB adapter runs unchanged on the in-process
//! model of DynamoDB (`groups_dynamo_model`), metered by `groups_testkit::limits` (per
//! partition key budgets, latencies, transaction conflicts), and every figure below is the
//! model's virtual time, not this machine's.
//!
//! `cargo bench -p groups-tests --bench scale --profile dev` (`BENCH_PARTS=evaluation,changes,
//! list,units` to pick; `SCALE_MEMBERS`, `SCALE_USERS`, `SCALE_SMART`, `SCALE_CHANGES`,
//! `SCALE_ACCOUNTS` to resize). Prints markdown tables for BENCHMARKS.md.

use groups_domain::ports::{DirectoryStore, GroupQuery};
use groups_domain::service;
use groups_domain::smart::{self, Evaluator, Guard};
use groups_domain::{
    AccountId, GroupId, GroupKind, Membership, MembershipSource, MembershipStore, ProfileValue,
    User,
};
use groups_dynamo_model::{StreamRecord, lambda_event};
use groups_http::Deps;
use groups_store::{CallCounter, DynamoStore};
use groups_testkit::limits::{Latency, Limits, Report};
use groups_tests::fixtures;
use groups_tests::generated::{Population, seed_departments, team_rule};
use serde_json::json;
use std::collections::VecDeque;
use std::time::Instant;
use time::OffsetDateTime;

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn wanted(part: &str) -> bool {
    std::env::var("BENCH_PARTS").map_or(true, |parts| parts.split(',').any(|p| p == part))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000)
}

async fn import(store: &DynamoStore, account: &AccountId, users: &[User]) {
    for chunk in users.chunks(25) {
        store.import_users(account, chunk).await.expect("import");
    }
}

fn hottest(report: &Report) -> String {
    report
        .hottest
        .iter()
        .map(|h| {
            let key = h.key.split(' ').next_back().unwrap_or(&h.key);
            let short: String = key
                .chars()
                .rev()
                .take(24)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("…{short} {:.0} s", h.busy)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

async fn smart_group(
    store: &DynamoStore,
    account: &AccountId,
    title: &str,
    rule: serde_json::Value,
) -> GroupId {
    let new = fixtures::new_smart_group(title, rule);
    service::create_group(store, &fixtures::admin(account), new, now())
        .await
        .expect("create smart group")
        .id
}

/// The first evaluation of a smart group every user of a `members`-user account matches.
async fn evaluation(members: usize) {
    let limits = Limits::pipelined(Latency::default());
    let (store, _model) = groups_testkit::model_store(&limits, CallCounter::new()).await;
    let account = fixtures::account();
    seed_departments(&store, &account).await;
    let started = Instant::now();
    let users: Vec<User> = Population::new(now()).take(members).collect();
    import(&store, &account, &users).await;
    drop(users);
    eprintln!(
        "seeded {members} users in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let id = smart_group(
        &store,
        &account,
        "Everyone",
        json!({"attr": "department", "op": "inSubtree", "value": "root"}),
    )
    .await;
    limits.reset();
    let wall = Instant::now();
    let (done, _) = Limits::run(0, 0.0, async {
        let ev = Evaluator::new(&store, &account, now(), Guard::default());
        smart::evaluate_group(&ev, &id).await.expect("evaluate")
    })
    .await;
    let report = limits.report(4);
    // The four member shards' writes, which one key had to take before.
    let member_units: f64 = report
        .hottest
        .iter()
        .filter(|h| h.key.contains("#G#"))
        .map(|h| h.write_units)
        .sum();
    println!("\n### First evaluation of a {members}-member smart group\n");
    println!(
        "| members joined | virtual time | calls | conflicts | read units | write units | hottest keys (busy) | wall here |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {:.0} s | {} | {} | {:.0} | {:.0} | {} | {:.0} s |",
        done.joined,
        report.elapsed,
        report.calls,
        report.conflicts,
        report.read_units,
        report.write_units,
        hottest(&report),
        wall.elapsed().as_secs_f64()
    );
    println!(
        "\nWith the memberships in one partition key (before), the same writes would need at least {:.0} s of that key's budget.",
        member_units / groups_testkit::limits::WRITE_UNITS_PER_KEY
    );
}

/// A record waiting for a stream worker, with when it was written.
struct Pending {
    at: f64,
    record: StreamRecord,
    /// A user change (whose delay is measured).
    user: bool,
}

fn partition_of(record: &StreamRecord) -> String {
    record
        .keys
        .get("PK")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `changes` user changes arriving evenly over `window` seconds to an account of `users` users
/// and `smart` smart groups, consumed as Lambda consumes the stream: `WORKERS` stream shards,
/// each one batch at a time of up to 100 records, records of one partition key in order.
async fn changes(users: usize, smart: usize, changes: usize, window: f64, lanes: usize) {
    const WORKERS: usize = 16;
    const BATCHING_WINDOW: f64 = 1.0;
    let limits = Limits::new(Latency::default());
    let (store, model) = groups_testkit::model_store(&limits, CallCounter::new()).await;
    let account = fixtures::account();
    seed_departments(&store, &account).await;
    let mut people: Vec<User> = Population::new(now()).take(users).collect();
    import(&store, &account, &people).await;
    for i in 0..smart {
        smart_group(&store, &account, &format!("Team {i}"), team_rule(i)).await;
    }
    let started = Instant::now();
    let ev = Evaluator::new(&store, &account, now(), Guard::default());
    smart::refresh_account(&ev, None, &|| false)
        .await
        .expect("first refresh");
    eprintln!(
        "seeded {users} users and {smart} smart groups in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    model.take_stream();
    limits.reset();
    let ctx = Deps::new(store.clone());
    // Each change moves a user to another level (so some team memberships change).
    let mut arrivals: VecDeque<(f64, User)> = (0..changes)
        .map(|n| {
            let slot = n % people.len();
            let mut user = people[slot].clone();
            let level = match user.profile.get("level") {
                Some(ProfileValue::Number(l)) => *l,
                _ => 0.0,
            };
            user.profile
                .insert("level".into(), ProfileValue::Number((level + 1.0) % 6.0));
            people[slot] = user.clone();
            (n as f64 * window / changes as f64, user)
        })
        .collect();
    let mut queues: Vec<VecDeque<Pending>> = (0..WORKERS).map(|_| VecDeque::new()).collect();
    let mut free_at = [0.0_f64; WORKERS];
    let mut delays = Vec::new();
    let (mut failures, mut batches, mut last_end) = (0usize, 0usize, 0.0_f64);
    let route = |record: &StreamRecord| {
        let pk = partition_of(record);
        (pk.bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
            % WORKERS as u64) as usize
    };
    let wall = Instant::now();
    loop {
        // The next event in virtual time: a change written, or a worker's next batch.
        // A worker's next batch starts when it is free and its batching window (1 s, as the
        // template sets) has passed since its first record, or 100 records are waiting.
        let next_batch = (0..WORKERS)
            .filter_map(|w| {
                let first = queues[w].front()?.at;
                let full = queues[w].get(99).map_or(f64::INFINITY, |p| p.at);
                Some((w, (first + BATCHING_WINDOW).min(full).max(free_at[w])))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let next_write = arrivals.front().map(|(at, _)| *at);
        match (next_write, next_batch) {
            (Some(at), batch) if batch.is_none_or(|(_, b)| at <= b) => {
                let Some((at, user)) = arrivals.pop_front() else {
                    break;
                };
                let ((), _) = Limits::run(u64::MAX - 1, at, async {
                    store.put_user(&account, &user).await.expect("put user");
                })
                .await;
                for record in model.take_stream() {
                    let w = route(&record);
                    queues[w].push_back(Pending {
                        at,
                        record,
                        user: true,
                    });
                }
            }
            (_, Some((w, start))) => {
                let mut batch = Vec::new();
                while batch.len() < 100 && queues[w].front().is_some_and(|p| p.at <= start) {
                    batch.extend(queues[w].pop_front());
                }
                let records: Vec<StreamRecord> = batch.iter().map(|p| p.record.clone()).collect();
                let (response, end) = Limits::run_lanes(w as u64, start, lanes, async {
                    evaluate_smart_group::handle_stream(
                        &ctx,
                        Guard::default(),
                        lambda_event(&records),
                    )
                    .await
                })
                .await;
                failures += response.batch_item_failures.len();
                batches += 1;
                free_at[w] = end;
                last_end = last_end.max(end);
                delays.extend(batch.iter().filter(|p| p.user).map(|p| end - p.at));
                for record in model.take_stream() {
                    let w = route(&record);
                    queues[w].push_back(Pending {
                        at: end,
                        record,
                        user: false,
                    });
                }
            }
            _ => break,
        }
    }
    delays.sort_by(f64::total_cmp);
    let report = limits.report(3);
    println!(
        "\n### {changes} user changes in {window:.0} s: {users} users, {smart} smart groups, {WORKERS} stream shards, {lanes} lane(s) per batch\n"
    );
    println!(
        "| converged after the last change | delay p50 | delay p99 | batches | failed records | conflicts | read units | write units | hottest keys (busy) | wall here |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {:.1} s | {:.2} s | {:.2} s | {batches} | {failures} | {} | {:.0} | {:.0} | {} | {:.0} s |",
        (last_end.max(report.elapsed) - window).max(0.0),
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        report.conflicts,
        report.read_units,
        report.write_units,
        hottest(&report),
        wall.elapsed().as_secs_f64()
    );
}

/// 1,000 list-groups requests a second for 10 s, across `accounts` accounts of 50 groups.
async fn list(accounts: usize) {
    let limits = Limits::new(Latency::default());
    let (store, _model) = groups_testkit::model_store(&limits, CallCounter::new()).await;
    let mut ids = Vec::new();
    for a in 0..accounts {
        let account = AccountId::parse("a", format!("acc-{a:05}")).expect("account");
        let admin = fixtures::admin(&account);
        store
            .put_user(&account, &fixtures::user(1, None))
            .await
            .expect("user");
        for g in 0..50 {
            let group = fixtures::create(&store, &admin, &format!("Group {g}")).await;
            if g < 3 {
                let m = Membership {
                    group_id: group.id.clone(),
                    user_id: fixtures::user_id(1),
                    added_at: now(),
                    added_by: None,
                    source: MembershipSource::Manual,
                };
                store
                    .insert_memberships(
                        &account,
                        &group.id,
                        GroupKind::Static,
                        &[m],
                        &groups_tests::fixtures::stamp(),
                    )
                    .await
                    .expect("member");
            }
        }
        ids.push(account);
    }
    limits.reset();
    let mut latencies = Vec::new();
    for i in 0..10_000 {
        let at = i as f64 / 1_000.0;
        let account = &ids[i % accounts];
        let (_, end) = Limits::run(i as u64, at, async {
            // The authorizer's lookup, then the listing.
            store
                .get_user(account, &fixtures::user_id(1))
                .await
                .expect("caller");
            service::list_groups(&store, &fixtures::admin(account), &GroupQuery::default())
                .await
                .expect("list")
        })
        .await;
        latencies.push(end - at);
    }
    latencies.sort_by(f64::total_cmp);
    let report = limits.report(3);
    println!(
        "\n### 1,000 list-groups requests a second for 10 s across {accounts} accounts (50 groups each)\n"
    );
    println!("| p50 | p99 | max | read units a request | hottest keys (busy in 10 s) |");
    println!("|---|---|---|---|---|");
    println!(
        "| {:.1} ms | {:.1} ms | {:.1} ms | {:.1} | {} |",
        percentile(&latencies, 0.5) * 1000.0,
        percentile(&latencies, 0.99) * 1000.0,
        latencies.last().copied().unwrap_or(0.0) * 1000.0,
        report.read_units / 10_000.0,
        hottest(&report)
    );
}

/// Write units of one member joining a smart group: now, and with the write of before (the
/// count on the group item, and so in both group indexes), replayed on the same model.
async fn units() {
    use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
    let limits = Limits::new(Latency::default());
    let (store, model) = groups_testkit::model_store(&limits, CallCounter::new()).await;
    let account = fixtures::account();
    seed_departments(&store, &account).await;
    store
        .put_user(&account, &fixtures::user(1, None))
        .await
        .expect("user");
    store
        .put_user(&account, &fixtures::user(2, None))
        .await
        .expect("user");
    let rule = groups_tests::generated::narrow_rule(3);
    let id = smart_group(&store, &account, "Sized like a real smart group", rule).await;
    let membership = |n| Membership {
        group_id: id.clone(),
        user_id: fixtures::user_id(n),
        added_at: now(),
        added_by: None,
        source: MembershipSource::Rule,
    };
    limits.reset();
    store
        .insert_memberships(
            &account,
            &id,
            GroupKind::Smart,
            &[membership(1)],
            &groups_tests::fixtures::stamp(),
        )
        .await
        .expect("join");
    let now_units = limits.report(0).write_units;
    limits.reset();
    let client = model.client();
    let group_key = |pk: String, sk: String| {
        [("PK", pk), ("SK", sk)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), aws_sdk_dynamodb::types::AttributeValue::S(v)))
            .collect::<std::collections::HashMap<_, _>>()
    };
    let update = Update::builder()
        .table_name("groups")
        .set_key(Some(group_key(format!("A#{account}"), format!("G#{id}"))))
        .update_expression("ADD memberCount :one")
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_values(
            ":one",
            aws_sdk_dynamodb::types::AttributeValue::N("1".into()),
        )
        .build()
        .expect("update");
    let mut item = group_key(
        format!("A#{account}#G#{id}"),
        format!("M#{}", fixtures::user_id(2)),
    );
    let text = |v: String| aws_sdk_dynamodb::types::AttributeValue::S(v);
    item.insert("entity".into(), text("membership".into()));
    item.insert("groupId".into(), text(id.to_string()));
    item.insert("userId".into(), text(fixtures::user_id(2).to_string()));
    item.insert("addedAt".into(), text("2024-10-05T00:00:00Z".into()));
    item.insert("source".into(), text("rule".into()));
    item.insert(
        "GSI1PK".into(),
        aws_sdk_dynamodb::types::AttributeValue::S(format!(
            "A#{account}#U#{}",
            fixtures::user_id(2)
        )),
    );
    item.insert(
        "GSI1SK".into(),
        aws_sdk_dynamodb::types::AttributeValue::S(format!("G#{id}")),
    );
    let put = Put::builder()
        .table_name("groups")
        .set_item(Some(item))
        .build()
        .expect("put");
    client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(update).build())
        .transact_items(TransactWriteItem::builder().put(put).build())
        .send()
        .await
        .expect("the write of before");
    let before_units = limits.report(0).write_units;
    println!("\n### Write units per membership change (one member joins a smart group)\n");
    println!("| design | write units |");
    println!("|---|---|");
    println!(
        "| before: the count on the group item (its copies in GSI2 and GSI3 rewritten) | {before_units:.0} |"
    );
    println!("| now: the count in the member shard's count item | {now_units:.0} |");
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if wanted("units") {
        units().await;
    }
    if wanted("list") {
        list(size("SCALE_ACCOUNTS", 100)).await;
    }
    if wanted("evaluation") {
        evaluation(size("SCALE_MEMBERS", 1_000_000)).await;
    }
    if wanted("changes") {
        changes(
            size("SCALE_USERS", 100_000),
            size("SCALE_SMART", 2_000),
            size("SCALE_CHANGES", 100_000),
            size("SCALE_WINDOW", 600) as f64,
            size("SCALE_LANES", 1),
        )
        .await;
    }
}
