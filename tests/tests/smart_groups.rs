//! Smart groups end to end, through the HTTP functions and the stream: on the in-memory store
//! (its change feed) and on DynamoDB Local (its real stream, through the Lambda handler).

use evaluate_smart_group::handle_schedule;
use groups_domain::smart::Guard;
use groups_domain::{PageRequest, Scope, Store, UserQuery};
use groups_http::event::HttpCall;
use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::api::{ADMIN, Api};
use groups_tests::expect::{expected, members};
use groups_tests::feed::{Feeder, MemoryFeed, StreamFeed};
use groups_tests::reference::{World, evaluate};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};

async fn group<S: Store + 'static>(api: &Api<S>, id: &str) -> Value {
    let reply = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{id}")))
        .await;
    assert_eq!(reply.status, 200);
    reply.body
}

/// Members and count agree, and match the reference.
async fn check<S: Store + 'static>(api: &Api<S>, id: &str, rule: &Value) -> BTreeSet<String> {
    let stored = members(api, id).await;
    assert_eq!(
        group(api, id).await["memberCount"].as_u64(),
        Some(stored.len() as u64),
        "exact count"
    );
    assert_eq!(
        stored,
        expected(api, rule, None).await,
        "membership follows the rule"
    );
    stored
}

async fn scenario<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard::default();
    // A smart group is evaluated once saved.
    let rule = json!({"all": [
        {"attr": "department", "op": "inSubtree", "value": "sales"},
        {"attr": "profile.country", "op": "in", "value": ["de", "fr"]}
    ]});
    let sales = api.create_smart("EU sales", &rule).await;
    feed.settle(api, guard).await;
    let first = check(api, &sales, &rule).await;
    assert!(!first.is_empty());
    let state = &group(api, &sales).await["evaluation"];
    assert_eq!(state["status"], "done");
    assert_eq!(state["joined"].as_u64(), Some(first.len() as u64));
    assert_eq!(state["evaluated"].as_u64(), Some(45));

    // A user created, updated and deleted joins and leaves through the stream.
    let put = |country: &str| {
        HttpCall::new("PUT", "/users/newbie").json(&json!({
            "email": "newbie@acme.example", "firstName": "New", "lastName": "Hire",
            "departmentId": "sales-emea", "profile": {"country": country}
        }))
    };
    assert_eq!(api.as_user(ADMIN, put("DE")).await.status, 200);
    feed.settle(api, guard).await;
    assert!(check(api, &sales, &rule).await.contains("newbie"));
    let why = api
        .as_user(
            ADMIN,
            HttpCall::new("GET", &format!("/groups/{sales}/members/newbie/explain")),
        )
        .await;
    assert_eq!(why.body["matches"], true);
    assert_eq!(why.body["rule"]["all"][1]["actual"], "DE");
    assert_eq!(api.as_user(ADMIN, put("US")).await.status, 200);
    feed.settle(api, guard).await;
    assert!(!check(api, &sales, &rule).await.contains("newbie"));
    let why = api
        .as_user(
            ADMIN,
            HttpCall::new("GET", &format!("/groups/{sales}/members/newbie/explain")),
        )
        .await;
    assert_eq!(
        (
            why.body["matches"].clone(),
            why.body["rule"]["all"][1]["result"].clone()
        ),
        (json!(false), json!(false))
    );
    assert_eq!(api.as_user(ADMIN, put("FR")).await.status, 200);
    let interns = api.group_id("Interns").await;
    let add = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{interns}/members"))
                .json(&json!({"userIds": ["newbie"]})),
        )
        .await;
    assert_eq!(add.body["added"], json!(["newbie"]));
    feed.settle(api, guard).await;
    assert!(check(api, &sales, &rule).await.contains("newbie"));
    assert_eq!(
        api.as_user(ADMIN, HttpCall::new("DELETE", "/users/newbie"))
            .await
            .status,
        204
    );
    feed.settle(api, guard).await;
    assert!(!check(api, &sales, &rule).await.contains("newbie"));
    let interns_members = members(api, &interns).await;
    assert!(
        !interns_members.contains("newbie"),
        "a deleted user leaves static groups too"
    );
    assert_eq!(
        group(api, &interns).await["memberCount"].as_u64(),
        Some(interns_members.len() as u64)
    );

    // Dependants follow the groups their rules reference.
    let mirror_rule = json!({"attr": "group", "op": "memberOf", "value": interns});
    let mirror = api.create_smart("Interns mirror", &mirror_rule).await;
    feed.settle(api, guard).await;
    assert_eq!(
        check(api, &mirror, &mirror_rule).await,
        members(api, &interns).await
    );
    let add = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{interns}/members"))
                .json(&json!({"userIds": ["u05"]})),
        )
        .await;
    assert_eq!(add.body["added"], json!(["u05"]));
    feed.settle(api, guard).await;
    assert!(check(api, &mirror, &mirror_rule).await.contains("u05"));

    // Cycles are refused on save, naming the rule.
    let outer_rule = json!({"attr": "group", "op": "memberOf", "value": mirror});
    let outer = api.create_smart("Mirror of mirror", &outer_rule).await;
    let version = group(api, &mirror).await["version"]
        .as_u64()
        .expect("version");
    let cycle = api
        .as_user(
            ADMIN,
            HttpCall::new("PATCH", &format!("/groups/{mirror}"))
                .header("if-match", &format!("\"{version}\""))
                .json(&json!({"rule": {"attr": "group", "op": "memberOf", "value": outer}})),
        )
        .await;
    assert_eq!(cycle.status, 400, "{}", cycle.body);
    assert_eq!(cycle.body["field"], "rule");
    let bad = api
        .as_user(
            ADMIN,
            HttpCall::new("PATCH", &format!("/groups/{mirror}"))
                .header("if-match", &format!("\"{version}\""))
                .json(&json!({"rule": {"any": [{"attr": "email", "op": "gt", "value": 1}]}})),
        )
        .await;
    assert_eq!(bad.body["field"], "rule/any/0/op");
    feed.settle(api, guard).await;

    // Preview before saving: matches, joins and leaves against the current members.
    let narrower = json!({"all": [{"attr": "department", "op": "inSubtree", "value": "sales"}, {"attr": "profile.country", "op": "eq", "value": "de"}]});
    let preview = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/smart-groups/preview")
                .json(&json!({"rule": narrower, "groupId": sales})),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    let now_members = members(api, &sales).await;
    let would = expected(api, &narrower, None).await;
    assert_eq!(preview.body["matching"].as_u64(), Some(would.len() as u64));
    assert_eq!(
        preview.body["joins"].as_u64(),
        Some(would.difference(&now_members).count() as u64)
    );
    assert_eq!(
        preview.body["leaves"].as_u64(),
        Some(now_members.difference(&would).count() as u64)
    );

    // Rule history: each saved rule with its author, newest first.
    let version = group(api, &sales).await["version"]
        .as_u64()
        .expect("version");
    let saved = api
        .as_user(
            ADMIN,
            HttpCall::new("PATCH", &format!("/groups/{sales}"))
                .header("if-match", &format!("\"{version}\""))
                .json(&json!({"rule": narrower})),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    feed.settle(api, guard).await;
    check(api, &sales, &narrower).await;
    let history = api
        .as_user(
            ADMIN,
            HttpCall::new("GET", &format!("/groups/{sales}/rule-versions")),
        )
        .await;
    let versions = history.body["items"].as_array().expect("items").clone();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["rule"], narrower);
    assert_eq!(versions[1]["rule"], rule);
    assert_eq!(versions[0]["savedBy"], ADMIN);

    // Relative dates move with the clock; the scheduled refresh catches up.
    let recent = json!({"attr": "createdAt", "op": "withinLastDays", "value": 200});
    let joiners = api.create_smart("Recent joiners", &recent).await;
    feed.settle(api, guard).await;
    let before = check(api, &joiners, &recent).await;
    assert!(!before.is_empty());
    api.travel(150);
    let summary = handle_schedule(&api.ctx, guard, &|| false)
        .await
        .expect("refresh");
    assert_eq!(summary.accounts, 1);
    feed.settle(api, guard).await;
    let after = check(api, &joiners, &recent).await;
    assert!(
        after.len() < before.len(),
        "{} then {}",
        before.len(),
        after.len()
    );
    api.travel(0);
    handle_schedule(&api.ctx, guard, &|| false)
        .await
        .expect("refresh");
    feed.settle(api, guard).await;
    assert_eq!(check(api, &joiners, &recent).await, before);

    // The guard holds a mass removal until it is confirmed.
    let strict = Guard {
        share: 0.5,
        min_users: 5,
    };
    let everyone = json!({"attr": "status", "op": "eq", "value": "active"});
    let all = api.create_smart("Everyone active", &everyone).await;
    feed.settle(api, strict).await;
    let full = check(api, &all, &everyone).await;
    assert!(full.len() > 10);
    let version = group(api, &all).await["version"].as_u64().expect("version");
    let nobody = json!({"attr": "email", "op": "eq", "value": "nobody@nowhere.example"});
    api.as_user(
        ADMIN,
        HttpCall::new("PATCH", &format!("/groups/{all}"))
            .header("if-match", &format!("\"{version}\""))
            .json(&json!({"rule": nobody})),
    )
    .await;
    feed.settle(api, strict).await;
    let held = group(api, &all).await;
    assert_eq!(held["evaluation"]["status"], "held", "{held}");
    assert_eq!(held["evaluation"]["held"].as_u64(), Some(full.len() as u64));
    assert_eq!(members(api, &all).await, full, "nothing removed while held");
    let confirm = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{all}/evaluate"))
                .json(&json!({"confirm": true})),
        )
        .await;
    assert_eq!(confirm.status, 202, "{}", confirm.body);
    feed.settle(api, strict).await;
    assert!(check(api, &all, &nobody).await.is_empty());
    assert_eq!(group(api, &all).await["evaluation"]["status"], "done");
    let again = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{all}/evaluate"))
                .json(&json!({"confirm": true})),
        )
        .await;
    assert_eq!(again.status, 409, "nothing held to confirm");
    // Re-evaluate now: nothing changes when nothing should.
    let now = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{sales}/evaluate")),
        )
        .await;
    assert_eq!(now.status, 202);
    feed.settle(api, guard).await;
    assert_eq!(group(api, &sales).await["evaluation"]["joined"], 0);
    assert_eq!(group(api, &sales).await["evaluation"]["left"], 0);
    check(api, &outer, &outer_rule).await;

    // Smart groups refuse manual members; membership changes were published as events.
    let manual = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{sales}/members"))
                .json(&json!({"userIds": ["u01"]})),
        )
        .await;
    assert_eq!(manual.status, 409);
    let events = api.events.take();
    assert!(events.iter().any(|e| e.group_id.as_str() == sales
        && e.user_id.as_str() == "newbie"
        && e.change == groups_domain::events::MembershipChange::Joined));
    assert!(events.iter().any(|e| e.group_id.as_str() == all
        && e.change == groups_domain::events::MembershipChange::Left
        && e.source == groups_domain::MembershipSource::Rule));
    assert!(
        events.iter().any(|e| e.group_id.as_str() == interns
            && e.source == groups_domain::MembershipSource::Manual)
    );
}

#[tokio::test]
async fn smart_groups_follow_the_directory_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    scenario(&api, &mut feed).await;
}

#[tokio::test]
async fn smart_groups_follow_the_directory_on_dynamodb_local_through_the_stream() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    scenario(&api, &mut feed).await;
}

/// While a group's evaluation is held for confirmation, its membership changes by no path: a
/// user change, the schedule, or a referenced group. Confirming applies what arrived meanwhile.
async fn held<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard {
        share: 0.5,
        min_users: 5,
    };
    let specialists = json!({"attr": "jobTitle", "op": "eq", "value": "Specialist"});
    let id = api.create_smart("Held specialists", &specialists).await;
    feed.settle(api, guard).await;
    let before = check(api, &id, &specialists).await;
    assert!(before.len() > 20, "{before:?}");
    let dependent_rule = json!({"attr": "group", "op": "memberOf", "value": id});
    let dependent = api.create_smart("Follows held", &dependent_rule).await;
    feed.settle(api, guard).await;
    // A rule that would remove almost everyone is held.
    let interns = json!({"attr": "jobTitle", "op": "eq", "value": "Intern"});
    let current = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{id}")))
        .await;
    let etag = current.header("etag").expect("etag").to_owned();
    let patched = api
        .as_user(
            ADMIN,
            HttpCall::new("PATCH", &format!("/groups/{id}"))
                .header("if-match", &etag)
                .json(&json!({"rule": interns})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    feed.settle(api, guard).await;
    assert_eq!(group(api, &id).await["evaluation"]["status"], "held");
    assert_eq!(members(api, &id).await, before);
    // A member's change, and the schedule, leave the held group alone.
    let member = before.iter().next().expect("a member").clone();
    let mut user = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/users?q={member}")))
        .await
        .body["items"][0]
        .clone();
    user["jobTitle"] = json!("Analyst");
    for key in ["id", "createdAt"] {
        user.as_object_mut().expect("user").remove(key);
    }
    let put = api
        .as_user(
            ADMIN,
            HttpCall::new("PUT", &format!("/users/{member}")).json(&user),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    feed.settle(api, guard).await;
    handle_schedule(&api.ctx, guard, &|| false)
        .await
        .expect("refresh");
    feed.settle(api, guard).await;
    assert_eq!(members(api, &id).await, before, "frozen while held");
    assert_eq!(group(api, &id).await["memberCount"], before.len());
    assert_eq!(group(api, &id).await["evaluation"]["status"], "held");
    // Confirmed: the rule applies, with the change that arrived meanwhile, and the group
    // that follows it follows.
    let confirmed = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", &format!("/groups/{id}/evaluate"))
                .json(&json!({"confirm": true})),
        )
        .await;
    assert_eq!(confirmed.status, 202, "{}", confirmed.body);
    feed.settle(api, guard).await;
    let after = check(api, &id, &interns).await;
    assert!(!after.contains(&member));
    assert_eq!(members(api, &dependent).await, after);
    // A referenced group changing does not move a held group either.
    let club = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups").json(&json!({"title": "Held club",
                "userIds": ["u01", "u02", "u03", "u04", "u05", "u06", "u07", "u08"]})),
        )
        .await;
    let club = club.body["id"].as_str().expect("id").to_owned();
    let mirror_rule = json!({"attr": "group", "op": "memberOf", "value": club});
    let mirror = api.create_smart("Held mirror", &mirror_rule).await;
    feed.settle(api, guard).await;
    let mirrored = members(api, &mirror).await;
    assert_eq!(mirrored.len(), 8);
    let etag = api
        .as_user(ADMIN, HttpCall::new("GET", &format!("/groups/{mirror}")))
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let narrowed =
        json!({"all": [mirror_rule, {"attr": "jobTitle", "op": "eq", "value": "Nobody"}]});
    let patched = api
        .as_user(
            ADMIN,
            HttpCall::new("PATCH", &format!("/groups/{mirror}"))
                .header("if-match", &etag)
                .json(&json!({"rule": narrowed})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    feed.settle(api, guard).await;
    assert_eq!(group(api, &mirror).await["evaluation"]["status"], "held");
    let removed = api
        .as_user(
            ADMIN,
            HttpCall::new("DELETE", &format!("/groups/{club}/members"))
                .json(&json!({"userIds": ["u01"]})),
        )
        .await;
    assert_eq!(removed.body["removed"], json!(["u01"]));
    feed.settle(api, guard).await;
    assert_eq!(members(api, &mirror).await, mirrored, "frozen while held");
}

#[tokio::test]
async fn a_held_group_is_frozen_until_confirmed_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    held(&api, &mut feed).await;
}

#[tokio::test]
async fn a_held_group_is_frozen_until_confirmed_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    held(&api, &mut feed).await;
}

/// Deleting a group is a membership change for each of its members: the groups whose rules
/// reference it follow, on both stores.
async fn deleted_reference<S: Store + 'static, F: Feeder<S>>(api: &Api<S>, feed: &mut F) {
    let guard = Guard::default();
    let club = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups")
                .json(&json!({"title": "Book club", "userIds": ["u01", "u02", "u03"]})),
        )
        .await;
    assert_eq!(club.status, 201, "{}", club.body);
    let club = club.body["id"].as_str().expect("id").to_owned();
    let rule = json!({"attr": "group", "op": "memberOf", "value": club});
    let followers = api.create_smart("Book club followers", &rule).await;
    feed.settle(api, guard).await;
    assert_eq!(members(api, &followers).await.len(), 3);
    api.events.take();
    let deleted = api
        .as_user(ADMIN, HttpCall::new("DELETE", &format!("/groups/{club}")))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    feed.settle(api, guard).await;
    // Deleting a group removes each membership item: a Left for each member, from the
    // table's change records.
    let left: BTreeSet<String> = api
        .events
        .take()
        .into_iter()
        .filter(|e| {
            e.group_id.as_str() == club && e.change == groups_domain::events::MembershipChange::Left
        })
        .map(|e| e.user_id.to_string())
        .collect();
    assert_eq!(left, ["u01", "u02", "u03"].map(String::from).into());
    assert_eq!(members(api, &followers).await, BTreeSet::new());
    assert_eq!(group(api, &followers).await["memberCount"], 0);
}

#[tokio::test]
async fn deleting_a_referenced_group_empties_its_followers_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    deleted_reference(&api, &mut feed).await;
}

#[tokio::test]
async fn deleting_a_referenced_group_empties_its_followers_on_dynamodb_local() {
    let (store, counter) = fresh_dynamo_store().await;
    let api = Api::seeded_checked(store, counter).await;
    let mut feed = StreamFeed::new(&api).await;
    deleted_reference(&api, &mut feed).await;
}

/// The embedded store's change feed never drops a change: 300 user syncs in a burst into an
/// account with 100 smart groups, delivered only afterwards, leave every group exact.
#[tokio::test]
async fn a_burst_of_user_changes_loses_nothing_in_memory() {
    let api = Api::seeded(MemoryStore::new()).await;
    let mut feed = MemoryFeed::new(&api);
    let mut rules = Vec::new();
    for n in 0..100 {
        let rule = match n % 4 {
            0 => json!({"attr": "profile.level", "op": "gte", "value": n % 5}),
            1 => json!({"attr": "jobTitle", "op": "contains", "value": format!("{}", n % 10)}),
            2 => json!({"attr": "profile.country", "op": "in", "value": ["DE", "JP"]}),
            _ => json!({"attr": "email", "op": "startsWith", "value": format!("user{}", n % 9)}),
        };
        let id = api.create_smart(&format!("Burst {n}"), &rule).await;
        rules.push((id, rule));
    }
    feed.settle(&api, Guard::default()).await;
    for i in 0..300 {
        let country = ["DE", "FR", "JP"][i % 3];
        let body = json!({"email": format!("user{i}@acme.example"), "firstName": "B",
            "lastName": "U", "departmentId": "sales", "jobTitle": format!("Role {}", i % 13),
            "profile": {"level": i % 6, "country": country}});
        let reply = api
            .as_user(
                ADMIN,
                HttpCall::new("PUT", &format!("/users/b{i:03}")).json(&body),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let delivered = feed.settle(&api, Guard::default()).await;
    assert!(delivered >= 300, "every user change arrived: {delivered}");
    for (id, rule) in &rules {
        let stored = members(&api, id).await;
        assert_eq!(group(&api, id).await["memberCount"], stored.len(), "{rule}");
        let all_users = expected_all(&api, rule).await;
        assert_eq!(stored, all_users, "{rule}");
    }
}

/// Who the reference says belongs, over every page of users.
async fn expected_all<S: Store + 'static>(api: &Api<S>, rule: &Value) -> BTreeSet<String> {
    let world_memberships = HashSet::new();
    let world = World {
        now: api.ctx.now(),
        memberships: &world_memberships,
    };
    let mut out = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = api
            .store()
            .list_users(
                &api.account,
                &Scope::Account,
                &UserQuery {
                    page: PageRequest::new(Some(200), cursor).expect("page"),
                    ..UserQuery::default()
                },
            )
            .await
            .expect("users");
        out.extend(
            page.items
                .iter()
                .filter(|u| evaluate(u, rule, &world))
                .map(|u| u.id.to_string()),
        );
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}
