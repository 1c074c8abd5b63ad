//! No membership event is ever lost: events come from the table's change records, so a write
//! whose process died before anything was published still yields its event, and a failed
//! publication is retried from the same records. With a fifth of publications failing (half
//! before anything is delivered, half after, so retries deliver twice), every membership
//! change yields exactly one event id, on both stores.

use groups_domain::events::{EventSink, MembershipChange, MembershipEvent, Publishing};
use groups_domain::ports::Change;
use groups_domain::service::{self, NewGroup};
use groups_domain::{GroupId, Membership, Store, UserId};
use groups_local::stream::lambda_event;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::Api;
use groups_tests::feed::StreamFeed;
use groups_tests::fixtures::{self, admin};
use groups_tests::generated::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// An event bus that fails a fifth of publications: half before delivering anything, half
/// after delivering everything (the answer is lost, as on a timeout).
struct FlakyBus {
    rng: Mutex<Rng>,
    delivered: Mutex<Vec<MembershipEvent>>,
    failures: Mutex<u32>,
}

impl FlakyBus {
    fn new(seed: u64) -> Self {
        Self {
            rng: Mutex::new(Rng(seed)),
            delivered: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    fn delivered(&self) -> Vec<MembershipEvent> {
        self.delivered.lock().expect("lock").clone()
    }
}

impl EventSink for FlakyBus {
    fn publish<'a>(&'a self, events: &'a [MembershipEvent]) -> Publishing<'a> {
        let fails = self.rng.lock().expect("lock").below(5) == 0;
        Box::pin(async move {
            if !fails {
                self.delivered
                    .lock()
                    .expect("lock")
                    .extend_from_slice(events);
                return Ok(());
            }
            // Failures alternate: nothing delivered, then everything delivered but unanswered.
            let mut failures = self.failures.lock().expect("lock");
            if *failures % 2 == 1 {
                self.delivered
                    .lock()
                    .expect("lock")
                    .extend_from_slice(events);
            }
            *failures += 1;
            Err(groups_domain::Error::Unavailable("injected".into()))
        })
    }
}

/// Membership writes of every kind, made while no publisher runs (as if each request's
/// process died right after its write): adds, removes, a smart group's evaluation, a deleted
/// group. Answers the (group, user, change) triples that happened.
async fn write_memberships<S: Store + 'static>(
    api: &Api<S>,
) -> BTreeSet<(String, String, &'static str)> {
    let acc = &api.account;
    let caller = admin(acc);
    let mut happened = BTreeSet::new();
    let users: Vec<UserId> = (1..=30)
        .map(|n| UserId::parse("id", format!("u{n:02}")).expect("id"))
        .collect();
    let mut note = |group: &GroupId, users: &[UserId], change: &'static str| {
        for u in users {
            happened.insert((group.to_string(), u.to_string(), change));
        }
    };
    let kept = fixtures::create(api.store(), &caller, "Events kept").await;
    let gone = fixtures::create(api.store(), &caller, "Events gone").await;
    for (group, ids) in [(&kept.id, &users[..]), (&gone.id, &users[..12])] {
        let out = service::add_members(api.store(), &caller, group, ids, fixtures::now())
            .await
            .expect("add");
        note(group, &out.added, "joined");
    }
    let out = service::remove_members(
        api.store(),
        &caller,
        &kept.id,
        &users[..10],
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("remove");
    note(&kept.id, &out.removed, "left");
    service::delete_group(
        api.store(),
        &caller,
        &gone.id,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("delete");
    note(&gone.id, &users[..12], "left");
    // A smart group's evaluation joins every active user.
    let smart = service::create_group(
        api.store(),
        &caller,
        NewGroup {
            kind: groups_domain::GroupKind::Smart,
            rule: Some(
                serde_json::json!({"attr": "email", "op": "endsWith", "value": "acme.example"}),
            ),
            ..fixtures::new_group("Events smart")
        },
        fixtures::now(),
    )
    .await
    .expect("smart");
    let ev = groups_domain::smart::Evaluator::new(
        api.store(),
        acc,
        fixtures::now(),
        groups_domain::smart::Guard::default(),
    );
    groups_domain::smart::evaluate_group(&ev, &smart.id)
        .await
        .expect("evaluate");
    let mut cursor = None;
    loop {
        let page = api
            .store()
            .list_members(
                acc,
                &smart.id,
                &groups_domain::PageRequest::new(Some(200), cursor).expect("page"),
            )
            .await
            .expect("members");
        let joined: Vec<UserId> = page
            .items
            .iter()
            .map(|m: &Membership| m.user_id.clone())
            .collect();
        note(&smart.id, &joined, "joined");
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    happened
}

/// Exactly one event id per change that happened, however often it was delivered.
fn check(bus: &FlakyBus, happened: &BTreeSet<(String, String, &'static str)>) {
    let delivered = bus.delivered();
    let mut ids_by_change: BTreeMap<(String, String, &'static str), BTreeSet<String>> =
        BTreeMap::new();
    for e in &delivered {
        let change = match e.change {
            MembershipChange::Joined => "joined",
            MembershipChange::Left => "left",
        };
        ids_by_change
            .entry((e.group_id.to_string(), e.user_id.to_string(), change))
            .or_default()
            .insert(e.event_id.clone());
    }
    let seen: BTreeSet<_> = ids_by_change.keys().cloned().collect();
    assert_eq!(
        &seen, happened,
        "every change, and nothing else, has an event"
    );
    for (change, ids) in &ids_by_change {
        assert_eq!(ids.len(), 1, "{change:?} has one event id: {ids:?}");
    }
    let distinct: BTreeSet<&str> = delivered.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(distinct.len(), happened.len());
    assert!(
        *bus.failures.lock().expect("lock") >= 2,
        "publications failed, both ways"
    );
    assert!(
        delivered.len() > distinct.len(),
        "some events were delivered twice (consumers de-duplicate on the id)"
    );
}

#[tokio::test]
async fn every_membership_change_yields_exactly_one_event_id_in_memory() {
    let store = MemoryStore::new();
    let mut feed = store.subscribe();
    let api = Api::seeded(store).await;
    while feed.try_recv().is_ok() {} // the seed's own changes
    let happened = write_memberships(&api).await;
    // The publisher starts afterwards, and retries each failed chunk.
    let mut changes: Vec<Change> = Vec::new();
    while let Ok(change) = feed.try_recv() {
        changes.push(change);
    }
    let bus = FlakyBus::new(0xE7E7_0001);
    for chunk in changes.chunks(4) {
        let mut attempts = 0;
        while publish_events::publish_changes(api.store(), &bus, chunk)
            .await
            .is_err()
        {
            attempts += 1;
            assert!(attempts < 50, "a chunk keeps failing");
        }
    }
    check(&bus, &happened);
}

#[tokio::test]
async fn every_membership_change_yields_exactly_one_event_id_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    let happened = write_memberships(&api).await;
    // The publisher reads the stream afterwards; Lambda redelivers the records it reports.
    let mut pending = feed.read_all().await;
    assert!(!pending.is_empty());
    let bus = FlakyBus::new(0xE7E7_0002);
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds < 100, "records keep failing");
        let response =
            publish_events::handle_stream(api.store(), &bus, lambda_event(pending.clone())).await;
        let failed: BTreeSet<String> = response
            .batch_item_failures
            .iter()
            .filter_map(|f| f.item_identifier.clone())
            .collect();
        pending.retain(|r| {
            r.dynamodb
                .as_ref()
                .and_then(|d| d.sequence_number.as_ref())
                .is_some_and(|s| failed.contains(s))
        });
    }
    assert!(rounds > 1, "failed records were redelivered");
    check(&bus, &happened);
}
