//! The conformance suite: every case runs against both adapters (see tests/store_conformance.rs).

use crate::fixtures::*;
use groups_domain::ports::{GroupQuery, UserQuery};
use groups_domain::service::{self, GroupPatch, NewGroup};
use groups_domain::{
    BuiltinRole, CustomRole, Department, Error, GroupKind, Page, PageRequest, Permission,
    PermissionSet, RoleId, RoleScope, Scope, SortOrder, Store, UserId,
};
use std::collections::HashSet;
use std::sync::Arc;

/// Follows cursors to the end, collecting every title.
async fn all_titles<S: Store>(
    store: &S,
    account: &groups_domain::AccountId,
    order: SortOrder,
    limit: u32,
) -> (Vec<String>, usize) {
    let mut titles = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let query = GroupQuery {
            order,
            page: PageRequest::new(Some(limit), cursor).expect("page"),
            ..GroupQuery::default()
        };
        let page = store
            .list_groups(account, &Scope::Account, &query)
            .await
            .expect("list");
        pages += 1;
        assert!(page.items.len() <= limit as usize);
        titles.extend(page.items.into_iter().map(|g| g.title));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (titles, pages),
        }
    }
}

pub async fn pages_250_groups_in_both_directions<S: Store>(store: Arc<S>) {
    let acc = account();
    let admin = admin(&acc);
    // Created out of order, with mixed case, so the order comes from the store.
    for i in (0..250).rev() {
        let title = if i % 2 == 0 {
            format!("group {i:03}")
        } else {
            format!("Group {i:03}")
        };
        create(&*store, &admin, &title).await;
    }
    let (asc, pages) = all_titles(&*store, &acc, SortOrder::Ascending, 40).await;
    assert_eq!(pages, 7, "250 groups in pages of 40");
    assert_eq!(asc.len(), 250);
    let keys: Vec<String> = asc.iter().map(|t| t.to_lowercase()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ascending title order, case-insensitively");
    assert_eq!(
        asc.iter().collect::<HashSet<_>>().len(),
        250,
        "each exactly once"
    );

    let (desc, _) = all_titles(&*store, &acc, SortOrder::Descending, 33).await;
    let mut reversed = asc.clone();
    reversed.reverse();
    assert_eq!(desc, reversed);

    // A page that ends exactly at the end has no cursor.
    let (_, pages) = all_titles(&*store, &acc, SortOrder::Ascending, 50).await;
    assert_eq!(pages, 5);
}

pub async fn titles_differing_only_in_case_are_rejected<S: Store>(store: Arc<S>) {
    let acc = account();
    let admin = admin(&acc);
    create(&*store, &admin, "Direct Sales").await;
    let err = service::create_group(&*store, &admin, new_group("  direct SALES "), now()).await;
    assert!(matches!(err, Err(Error::TitleTaken { .. })), "{err:?}");
    // Another account may use it.
    let other = crate::fixtures::admin(&account());
    create(&*store, &other, "Direct Sales").await;
    // Renaming onto a taken title fails too, and leaves the group unchanged.
    let smm = create(&*store, &admin, "SMM").await;
    let patch = GroupPatch {
        title: Some("DIRECT sales".into()),
        ..GroupPatch::default()
    };
    let err = service::update_group(&*store, &admin, &smm.id, smm.version, patch, now()).await;
    assert!(matches!(err, Err(Error::TitleTaken { .. })), "{err:?}");
    let stored = store
        .get_group(&acc, &smm.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((stored.title.as_str(), stored.version), ("SMM", 1));
}

pub async fn rename_moves_the_title_claim_and_versions_guard_lost_updates<S: Store>(store: Arc<S>) {
    let acc = account();
    let admin = admin(&acc);
    let g = create(&*store, &admin, "Interns").await;
    let rename = |t: &str| GroupPatch {
        title: Some(t.into()),
        description: Some("Summer intake".into()),
        ..GroupPatch::default()
    };
    let renamed = service::update_group(&*store, &admin, &g.id, 1, rename("Interns 2026"), now())
        .await
        .expect("rename");
    assert_eq!(renamed.version, 2);
    // The old title is free again, the new one is taken.
    create(&*store, &admin, "interns").await;
    let err = service::create_group(&*store, &admin, new_group("INTERNS 2026"), now()).await;
    assert!(matches!(err, Err(Error::TitleTaken { .. })));
    // A writer holding version 1 loses.
    let err = service::update_group(&*store, &admin, &g.id, 1, rename("Other"), now()).await;
    assert!(
        matches!(
            err,
            Err(Error::VersionMismatch {
                expected: 1,
                actual: 2
            })
        ),
        "{err:?}"
    );
    // The store itself refuses a stale version even if the service's check raced.
    let stale = g.clone();
    let mut next = renamed.clone();
    next.title = "Raced".into();
    next.version = 3;
    let err = store.update_group(&acc, &stale, &next).await;
    assert!(
        matches!(
            err,
            Err(Error::VersionMismatch {
                expected: 1,
                actual: 2
            })
        ),
        "{err:?}"
    );
    // A case-only rename keeps the claim and works.
    let recased = service::update_group(&*store, &admin, &g.id, 2, rename("INTERNS 2026"), now())
        .await
        .expect("recase");
    let stored = store
        .get_group(&acc, &g.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored, recased);
    assert_eq!(stored.description, "Summer intake");
}

pub async fn concurrent_adds_keep_an_exact_count<S: Store + 'static>(store: Arc<S>) {
    let acc = account();
    let admin = admin(&acc);
    seed_users(&*store, &acc, 60, None).await;
    let group = create(&*store, &admin, "Business Services").await;
    let mut tasks = tokio::task::JoinSet::new();
    for caller_no in 0..20 {
        let (store, admin, id) = (store.clone(), admin.clone(), group.id.clone());
        // Overlapping windows of 15 users over 60.
        let ids: Vec<UserId> = (0..15).map(|k| user_id((caller_no * 3 + k) % 60)).collect();
        tasks.spawn(async move { service::add_members(&*store, &admin, &id, &ids, now()).await });
    }
    let mut added = 0;
    while let Some(result) = tasks.join_next().await {
        let outcome = result.expect("task").expect("add members");
        assert_eq!(outcome.added.len() + outcome.already_members.len(), 15);
        added += outcome.added.len();
    }
    let members = all_members(&*store, &acc, &group.id).await;
    let distinct: HashSet<_> = members.iter().cloned().collect();
    assert_eq!(distinct.len(), members.len(), "no duplicate membership");
    assert_eq!(
        members.len(),
        60,
        "every user is in exactly one window or more"
    );
    assert_eq!(added, 60, "each membership was reported added exactly once");
    let stored = store
        .get_group(&acc, &group.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.member_count, 60);
}

pub async fn concurrent_creates_of_one_title_let_exactly_one_win<S: Store + 'static>(
    store: Arc<S>,
) {
    let acc = account();
    let admin = admin(&acc);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2 {
        let (store, admin) = (store.clone(), admin.clone());
        let title = if i == 0 { "Onboarding" } else { "ONBOARDING" };
        tasks.spawn(async move {
            service::create_group(&*store, &admin, new_group(title), now()).await
        });
    }
    let mut wins = 0;
    let mut taken = 0;
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(_) => wins += 1,
            Err(Error::TitleTaken { .. }) => taken += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((wins, taken), (1, 1));
    let page = store
        .list_groups(&acc, &Scope::Account, &GroupQuery::default())
        .await
        .expect("list");
    assert_eq!(page.items.len(), 1);
}

pub async fn delete_removes_the_group_and_its_memberships<S: Store>(store: Arc<S>) {
    let acc = account();
    let admin = admin(&acc);
    seed_users(&*store, &acc, 130, None).await;
    let doomed = create(&*store, &admin, "Doomed").await;
    let kept = create(&*store, &admin, "Kept").await;
    let ids: Vec<UserId> = (0..130).map(user_id).collect();
    service::add_members(&*store, &admin, &doomed.id, &ids, now())
        .await
        .expect("add");
    service::add_members(&*store, &admin, &kept.id, &ids[..3], now())
        .await
        .expect("add");
    service::delete_group(&*store, &admin, &doomed.id, time::OffsetDateTime::now_utc())
        .await
        .expect("delete");
    assert_eq!(store.get_group(&acc, &doomed.id).await.expect("get"), None);
    assert!(all_members(&*store, &acc, &doomed.id).await.is_empty());
    let found = store
        .get_groups(&acc, &[doomed.id.clone(), kept.id.clone()])
        .await
        .expect("get");
    assert_eq!(
        found.into_iter().map(|g| g.id).collect::<Vec<_>>(),
        vec![kept.id.clone()]
    );
    let groups = store
        .list_user_groups(&acc, &user_id(0), &PageRequest::default())
        .await
        .expect("groups");
    assert_eq!(
        groups.items.iter().map(|m| &m.group_id).collect::<Vec<_>>(),
        vec![&kept.id]
    );
    // Deleted: 404 to the service, and the title is free again.
    let err =
        service::delete_group(&*store, &admin, &doomed.id, time::OffsetDateTime::now_utc()).await;
    assert!(matches!(err, Err(Error::NotFound { .. })));
    create(&*store, &admin, "doomed").await;
    let err = service::add_members(&*store, &admin, &doomed.id, &ids[..1], now()).await;
    assert!(matches!(err, Err(Error::NotFound { .. })));
}

pub async fn a_users_groups_follow_adds_and_removes<S: Store>(store: Arc<S>) {
    let acc = account();
    let admin = admin(&acc);
    seed_users(&*store, &acc, 3, None).await;
    let mut groups = Vec::new();
    for t in [
        "SMM",
        "Interns",
        "Direct Sales",
        "Business Services",
        "Alumni",
    ] {
        groups.push(create(&*store, &admin, t).await);
    }
    for g in &groups {
        service::add_members(&*store, &admin, &g.id, &[user_id(1), user_id(2)], now())
            .await
            .expect("add");
    }
    let out = service::remove_members(
        &*store,
        &admin,
        &groups[1].id,
        &[user_id(1), user_id(0)],
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("remove");
    assert_eq!(out.removed, vec![user_id(1)]);
    assert_eq!(out.not_members, vec![user_id(0)]);
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_user_groups(
                &acc,
                &user_id(1),
                &PageRequest::new(Some(2), cursor).expect("page"),
            )
            .await
            .expect("groups");
        seen.extend(page.items.into_iter().map(|m| m.group_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut expected: Vec<_> = groups
        .iter()
        .filter(|g| g.id != groups[1].id)
        .map(|g| g.id.clone())
        .collect();
    expected.sort();
    assert_eq!(seen, expected, "by group id, every page once");
    let user2 = store
        .list_user_groups(&acc, &user_id(2), &PageRequest::default())
        .await
        .expect("groups");
    assert_eq!(user2.items.len(), 5);
    let interns = store
        .get_group(&acc, &groups[1].id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(interns.member_count, 1);
}

pub async fn bulk_adds_answer_added_already_not_found_and_out_of_scope<S: Store>(store: Arc<S>) {
    let acc = account();
    seed_departments(&*store, &acc).await;
    let sales = path(&["root", "sales"]);
    let hr = path(&["root", "hr"]);
    seed_users(&*store, &acc, 250, Some(sales.clone())).await;
    store
        .put_user(&acc, &user(900, Some(hr)))
        .await
        .expect("put");
    let dept_admin = caller(&acc, BuiltinRole::DepartmentAdmin, &["sales"]);
    let mut new = new_group("Sales Team");
    new.owner_department_id = Some(dep("sales"));
    let group = service::create_group(&*store, &dept_admin, new, now())
        .await
        .expect("create");
    assert_eq!(
        group.owner_department.as_ref().map(|p| p.key()),
        Some("/root/sales/".into())
    );

    let mut ids: Vec<UserId> = (0..250).map(user_id).collect();
    ids.push(user_id(900));
    ids.push(user_id(999));
    ids.push(user_id(0)); // repeated in one call: counted once
    let out = service::add_members(&*store, &dept_admin, &group.id, &ids, now())
        .await
        .expect("add");
    assert_eq!(out.added.len(), 250);
    // Outside the caller's scope reads exactly as unknown.
    assert_eq!(out.not_found, vec![user_id(900), user_id(999)]);
    assert!(out.out_of_scope.is_empty());
    assert!(out.already_members.is_empty());
    // Repeating changes nothing.
    let again = service::add_members(&*store, &dept_admin, &group.id, &ids[..120], now())
        .await
        .expect("add");
    assert_eq!((again.added.len(), again.already_members.len()), (0, 120));
    let stored = store
        .get_group(&acc, &group.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.member_count, 250);
    // Removing a mix: exact again.
    let out = service::remove_members(
        &*store,
        &dept_admin,
        &group.id,
        &ids[100..],
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("remove");
    assert_eq!(
        out.removed.len(),
        151,
        "u0100..u0249 and the repeated u0000"
    );
    assert_eq!(out.out_of_scope, vec![user_id(900), user_id(999)]);
    let stored = store
        .get_group(&acc, &group.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.member_count, 99);
    // Too many ids is a validation error that writes nothing.
    let many: Vec<UserId> = (0..1001).map(user_id).collect();
    let err = service::add_members(&*store, &dept_admin, &group.id, &many, now()).await;
    assert!(
        matches!(err, Err(Error::Validation { ref field, .. }) if field == "userIds"),
        "{err:?}"
    );
}

pub async fn smart_groups_refuse_manual_members<S: Store>(store: Arc<S>) {
    let acc = account();
    let admin = admin(&acc);
    seed_users(&*store, &acc, 2, None).await;
    let rule = serde_json::json!({"attr": "status", "op": "eq", "value": "active"});
    let smart = NewGroup {
        kind: GroupKind::Smart,
        rule: Some(rule.clone()),
        ..new_group("Active learners")
    };
    let g = service::create_group(&*store, &admin, smart, now())
        .await
        .expect("create");
    assert_eq!(
        store
            .get_group(&acc, &g.id)
            .await
            .expect("get")
            .and_then(|g| g.rule),
        Some(rule)
    );
    let err = service::add_members(&*store, &admin, &g.id, &[user_id(0)], now()).await;
    assert!(
        matches!(err, Err(Error::SmartGroupMembership { .. })),
        "{err:?}"
    );
    let err = service::remove_members(
        &*store,
        &admin,
        &g.id,
        &[user_id(0)],
        time::OffsetDateTime::now_utc(),
    )
    .await;
    assert!(matches!(err, Err(Error::SmartGroupMembership { .. })));
    // The store's own condition holds too, for writers that skip the service.
    let m = groups_domain::Membership {
        group_id: g.id.clone(),
        user_id: user_id(0),
        added_at: now(),
        added_by: None,
        source: groups_domain::MembershipSource::Manual,
    };
    let err = store
        .insert_memberships(
            &acc,
            &g.id,
            GroupKind::Static,
            std::slice::from_ref(&m),
            &stamp(),
        )
        .await;
    assert!(
        matches!(err, Err(Error::SmartGroupMembership { .. })),
        "{err:?}"
    );
    // A rule writer may insert, exactly once.
    let inserted = store
        .insert_memberships(
            &acc,
            &g.id,
            GroupKind::Smart,
            std::slice::from_ref(&m),
            &stamp(),
        )
        .await
        .expect("insert");
    assert_eq!(inserted, vec![user_id(0)]);
    let again = store
        .insert_memberships(&acc, &g.id, GroupKind::Smart, &[m], &stamp())
        .await
        .expect("insert");
    assert!(again.is_empty());
    assert_eq!(
        store
            .get_group(&acc, &g.id)
            .await
            .expect("get")
            .map(|g| g.member_count),
        Some(1)
    );
    // Static groups may not carry rules and smart ones must.
    let err = service::create_group(
        &*store,
        &admin,
        NewGroup {
            kind: GroupKind::Smart,
            ..new_group("x")
        },
        now(),
    )
    .await;
    assert!(matches!(err, Err(Error::Validation { ref field, .. }) if field == "rule"));
}

pub async fn list_filters_by_kind_title_and_scope<S: Store>(store: Arc<S>) {
    let acc = account();
    seed_departments(&*store, &acc).await;
    let admin = admin(&acc);
    let in_dept = |title: &str, d: &str| NewGroup {
        owner_department_id: Some(dep(d)),
        ..new_group(title)
    };
    for (title, d) in [
        ("EMEA Sales", "emea"),
        ("APAC Sales", "apac"),
        ("Sales Leads", "sales"),
        ("HR Buddies", "hr"),
    ] {
        service::create_group(&*store, &admin, in_dept(title, d), now())
            .await
            .expect("create");
    }
    create(&*store, &admin, "All Hands").await;
    let smart = NewGroup {
        kind: GroupKind::Smart,
        rule: Some(serde_json::json!({"attr": "status", "op": "eq", "value": "active"})),
        ..in_dept("Smart Sales", "emea")
    };
    service::create_group(&*store, &admin, smart, now())
        .await
        .expect("create");

    let titles = |page: Page<groups_domain::Group>| {
        page.items.into_iter().map(|g| g.title).collect::<Vec<_>>()
    };
    let q = |kind, text: Option<&str>, limit| GroupQuery {
        kind,
        title_contains: text.map(str::to_owned),
        page: PageRequest::first(limit),
        ..GroupQuery::default()
    };
    let all = service::list_groups(&*store, &admin, &q(None, None, 50))
        .await
        .expect("list");
    assert_eq!(
        titles(all),
        [
            "All Hands",
            "APAC Sales",
            "EMEA Sales",
            "HR Buddies",
            "Sales Leads",
            "Smart Sales"
        ]
    );
    let smart = service::list_groups(&*store, &admin, &q(Some(GroupKind::Smart), None, 50))
        .await
        .expect("list");
    assert_eq!(titles(smart), ["Smart Sales"]);
    let sales = service::list_groups(&*store, &admin, &q(None, Some("SALES"), 2))
        .await
        .expect("list");
    assert_eq!(sales.items.len(), 2, "a filtered page still fills up");
    let cursor = sales.next_cursor.clone().expect("more follow");
    assert_eq!(titles(sales), ["APAC Sales", "EMEA Sales"]);
    let rest = GroupQuery {
        page: PageRequest::new(Some(2), Some(cursor)).expect("page"),
        ..q(None, Some("sales"), 2)
    };
    let rest = service::list_groups(&*store, &admin, &rest)
        .await
        .expect("list");
    assert_eq!(rest.next_cursor, None);
    assert_eq!(titles(rest), ["Sales Leads", "Smart Sales"]);
    // A department admin of sales sees sales and below, nothing account-level, nothing of HR.
    let scoped = caller(&acc, BuiltinRole::DepartmentAdmin, &["sales"]);
    let mine = service::list_groups(&*store, &scoped, &q(None, None, 50))
        .await
        .expect("list");
    assert_eq!(
        titles(mine),
        ["APAC Sales", "EMEA Sales", "Sales Leads", "Smart Sales"]
    );
    let emea = caller(&acc, BuiltinRole::DepartmentAdmin, &["emea", "hr"]);
    let mine = service::list_groups(&*store, &emea, &q(None, None, 50))
        .await
        .expect("list");
    assert_eq!(titles(mine), ["EMEA Sales", "HR Buddies", "Smart Sales"]);
    // And cannot reach the others by id: 404, not 403.
    let hidden = store
        .list_groups(&acc, &Scope::Account, &q(None, Some("all hands"), 5))
        .await
        .expect("list");
    let err = service::get_group(&*store, &scoped, &hidden.items[0].id).await;
    assert!(matches!(err, Err(Error::NotFound { .. })));
    // A learner has no business here.
    let learner = caller(&acc, BuiltinRole::Learner, &[]);
    let err = service::list_groups(&*store, &learner, &q(None, None, 5)).await;
    assert!(matches!(err, Err(Error::Forbidden(_))));
}

pub async fn users_by_department_only_and_nested<S: Store>(store: Arc<S>) {
    let acc = account();
    seed_departments(&*store, &acc).await;
    let tree = store.departments(&acc).await.expect("tree");
    assert_eq!(tree.len(), 5);
    let sales = tree.path_of(&dep("sales")).expect("path").expect("exists");
    let emea = tree.path_of(&dep("emea")).expect("path").expect("exists");
    let hr = tree.path_of(&dep("hr")).expect("path").expect("exists");
    for (n, p) in [(1, &sales), (2, &emea), (3, &emea), (4, &hr), (5, &sales)] {
        store
            .put_user(&acc, &user(n, Some(p.clone())))
            .await
            .expect("put");
    }
    store.put_user(&acc, &user(6, None)).await.expect("put");
    let ids =
        |page: Page<groups_domain::User>| page.items.into_iter().map(|u| u.id).collect::<Vec<_>>();
    let in_dept = |path: &groups_domain::DepartmentPath, nested, page| UserQuery {
        department: Some((path.clone(), nested)),
        text: None,
        page,
    };
    let all = Scope::Account;
    let only = store
        .list_users(&acc, &all, &in_dept(&sales, false, PageRequest::default()))
        .await
        .expect("list");
    assert_eq!(ids(only), [user_id(1), user_id(5)]);
    let mut nested = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_users(
                &acc,
                &all,
                &in_dept(
                    &sales,
                    true,
                    PageRequest::new(Some(2), cursor).expect("page"),
                ),
            )
            .await
            .expect("list");
        cursor = page.next_cursor.clone();
        nested.extend(ids(page));
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(
        nested,
        [user_id(1), user_id(5), user_id(2), user_id(3)],
        "own users first, then sub-departments'"
    );
    // A cursor of another listing is refused rather than misread.
    let foreign = PageRequest::new(Some(2), Some("/root/hr/!u0004".into())).expect("page");
    let err = store
        .list_users(&acc, &all, &in_dept(&sales, true, foreign))
        .await;
    assert!(matches!(err, Err(Error::Validation { .. })));
    // All users, paged by id.
    let everyone = |page| UserQuery {
        page,
        ..UserQuery::default()
    };
    let first = store
        .list_users(&acc, &all, &everyone(PageRequest::first(4)))
        .await
        .expect("list");
    assert_eq!(
        ids(first.clone()),
        [user_id(1), user_id(2), user_id(3), user_id(4)]
    );
    let rest = PageRequest::new(Some(4), first.next_cursor).expect("p");
    assert_eq!(
        ids(store
            .list_users(&acc, &all, &everyone(rest))
            .await
            .expect("list")),
        [user_id(5), user_id(6)]
    );
    // Text search over names, email and job title; scope limits what a caller sees.
    let search = |text: &str| UserQuery {
        text: Some(text.into()),
        page: PageRequest::first(1),
        ..UserQuery::default()
    };
    let found = store
        .list_users(&acc, &all, &search("USER3@"))
        .await
        .expect("list");
    assert_eq!(ids(found), [user_id(3)]);
    // The id is searchable too (samples and imports name users by id).
    let found = store
        .list_users(&acc, &all, &search("U0004"))
        .await
        .expect("list");
    assert_eq!(ids(found), [user_id(4)]);
    let found = store
        .list_users(&acc, &all, &search("first"))
        .await
        .expect("list");
    assert_eq!(found.items.len(), 1, "a filtered page fills to its limit");
    assert!(found.next_cursor.is_some());
    let emea_only = Scope::Departments(vec![dep("emea")]);
    let scoped = store
        .list_users(&acc, &emea_only, &everyone(PageRequest::default()))
        .await
        .expect("list");
    assert_eq!(ids(scoped), [user_id(2), user_id(3)]);
    // A moved user leaves the old department's listing.
    let mut moved = user(5, Some(hr.clone()));
    moved
        .profile
        .insert("level".into(), groups_domain::ProfileValue::Number(3.0));
    store.put_user(&acc, &moved).await.expect("put");
    let only = store
        .list_users(&acc, &all, &in_dept(&sales, false, PageRequest::default()))
        .await
        .expect("list");
    assert_eq!(ids(only), [user_id(1)]);
    assert_eq!(
        store.get_user(&acc, &user_id(5)).await.expect("get"),
        Some(moved)
    );
    assert_eq!(
        store.get_user(&account(), &user_id(5)).await.expect("get"),
        None,
        "tenants never mix"
    );
    let some = store
        .get_users(&acc, &[user_id(6), user_id(99), user_id(1)])
        .await
        .expect("get");
    let mut got: Vec<_> = some.into_iter().map(|u| u.id).collect();
    got.sort();
    assert_eq!(got, [user_id(1), user_id(6)]);
}

pub async fn departments_and_roles_round_trip<S: Store>(store: Arc<S>) {
    let acc = account();
    seed_departments(&*store, &acc).await;
    let tree = store.departments(&acc).await.expect("tree");
    assert_eq!(
        tree.subtree(&dep("sales")),
        vec![dep("sales"), dep("apac"), dep("emea")]
    );
    // A move is checked against the tree: never under its own subtree.
    let moved = Department::new(dep("emea"), "EMEA", Some(dep("hr"))).expect("valid");
    assert_eq!(
        tree.check_put(&moved).ok(),
        Some(path(&["root", "hr", "emea"]))
    );
    let cycle = Department::new(dep("sales"), "Sales", Some(dep("emea"))).expect("valid");
    assert!(matches!(
        tree.check_put(&cycle),
        Err(Error::Validation { .. })
    ));
    let role = CustomRole::new(
        RoleId::parse("id", "trainer").expect("id"),
        "Trainer",
        PermissionSet::of(&[Permission::GroupsView, Permission::GroupsMembers]),
        RoleScope::ManagedDepartments,
    )
    .expect("role");
    store.put_role(&acc, &role).await.expect("put role");
    assert_eq!(
        store.get_role(&acc, &role.id).await.expect("get"),
        Some(role.clone())
    );
    assert_eq!(
        store.get_role(&account(), &role.id).await.expect("get"),
        None
    );
}

/// Department writes are conditioned on revisions; a moved subtree's paths are rewritten only
/// where they still hold the old path; roles page and delete.
pub async fn directory_writes_are_conditioned<S: Store>(store: Arc<S>) {
    let acc = account();
    seed_departments(&*store, &acc).await;
    let tree = store.departments(&acc).await.expect("tree");
    let hr = tree.get(&dep("hr")).expect("hr").clone();
    // Create: only once.
    let fresh = Department::new(dep("legal"), "Legal", Some(dep("root"))).expect("valid");
    store
        .save_department(&acc, &fresh, None)
        .await
        .expect("create");
    assert!(matches!(
        store.save_department(&acc, &fresh, None).await,
        Err(Error::AlreadyExists { .. })
    ));
    // Replace: only from the revision it was read at.
    let mut renamed = hr.clone();
    renamed.name = "People".into();
    renamed.revision = hr.revision + 1;
    store
        .save_department(&acc, &renamed, Some(hr.revision))
        .await
        .expect("rename");
    let mut stale = hr.clone();
    stale.name = "Stale".into();
    stale.revision = hr.revision + 1;
    assert!(matches!(
        store.save_department(&acc, &stale, Some(hr.revision)).await,
        Err(Error::Conflict(_))
    ));
    let tree = store.departments(&acc).await.expect("tree");
    assert_eq!(
        tree.get(&dep("hr")).map(|d| d.name.as_str()),
        Some("People")
    );
    assert!(matches!(
        store.delete_department(&acc, &hr).await,
        Err(Error::Conflict(_))
    ));
    store.delete_department(&acc, &fresh).await.expect("delete");
    assert!(
        store
            .departments(&acc)
            .await
            .expect("tree")
            .get(&dep("legal"))
            .is_none()
    );
    // Paths move only from where they still are.
    let (from, to) = (
        path(&["root", "sales", "emea"]),
        path(&["root", "hr", "emea"]),
    );
    let mut u = user(1, Some(from.clone()));
    u.job_title = "Kept".into();
    store.put_user(&acc, &u).await.expect("user");
    assert!(
        !store
            .move_user_department(&acc, &u.id, &to, &from)
            .await
            .expect("no-op")
    );
    assert!(
        store
            .move_user_department(&acc, &u.id, &from, &to)
            .await
            .expect("move")
    );
    assert!(
        !store
            .move_user_department(&acc, &u.id, &from, &to)
            .await
            .expect("again")
    );
    let read = store
        .get_user(&acc, &u.id)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(read.department, Some(to.clone()));
    assert_eq!(read.job_title, "Kept");
    let nested = store
        .list_users(
            &acc,
            &Scope::Account,
            &UserQuery {
                department: Some((path(&["root", "hr"]), true)),
                ..UserQuery::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(
        nested.items.len(),
        1,
        "the department index follows the path"
    );
    assert!(
        !store
            .move_user_department(&acc, &user_id(99), &from, &to)
            .await
            .expect("unknown user")
    );
    let admin = admin(&acc);
    let group = service::create_group(
        &*store,
        &admin,
        NewGroup {
            owner_department_id: Some(dep("emea")),
            ..new_group("Owned by EMEA")
        },
        now(),
    )
    .await
    .expect("group");
    assert!(
        !store
            .move_group_department(&acc, &group.id, &to, &from)
            .await
            .expect("no-op")
    );
    assert!(
        store
            .move_group_department(&acc, &group.id, &from, &to)
            .await
            .expect("move")
    );
    let read = store
        .get_group(&acc, &group.id)
        .await
        .expect("read")
        .expect("group");
    assert_eq!(read.owner_department, Some(to.clone()));
    assert_eq!(read.version, group.version, "a move is not an edit");
    let scoped = store
        .list_groups(
            &acc,
            &Scope::Departments(vec![dep("hr")]),
            &GroupQuery::default(),
        )
        .await
        .expect("list");
    assert_eq!(scoped.items.len(), 1, "scope filters follow the path");
    // Roles page by id and delete.
    for n in 0..5 {
        let role = CustomRole::new(
            RoleId::parse("id", format!("role{n}")).expect("id"),
            &format!("Role {n}"),
            PermissionSet::of(&[Permission::GroupsView]),
            RoleScope::Account,
        )
        .expect("role");
        store.put_role(&acc, &role).await.expect("put role");
    }
    let mut ids = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let roles = store.list_roles(&acc, &page).await.expect("roles");
        assert!(roles.items.len() <= 2);
        ids.extend(roles.items.iter().map(|r| r.id.to_string()));
        match roles.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(ids, ["role0", "role1", "role2", "role3", "role4"]);
    store
        .delete_role(&acc, &RoleId::parse("id", "role2").expect("id"))
        .await
        .expect("delete role");
    let roles = store
        .list_roles(&acc, &PageRequest::first(50))
        .await
        .expect("roles");
    assert_eq!(roles.items.len(), 4);
    assert!(
        store
            .list_roles(&account(), &PageRequest::first(50))
            .await
            .expect("roles")
            .items
            .is_empty()
    );
}

pub async fn checkpoints_and_rule_history_round_trip<S: Store>(store: Arc<S>) {
    let state =
        serde_json::json!({"layer": 1, "afterUser": "u0042", "tallies": {"grp-a": {"joined": 3}}});
    assert_eq!(store.load_checkpoint("refresh").await.expect("load"), None);
    store
        .save_checkpoint("refresh", Some(&state))
        .await
        .expect("save");
    assert_eq!(
        store.load_checkpoint("refresh").await.expect("load"),
        Some(state)
    );
    store.save_checkpoint("refresh", None).await.expect("clear");
    assert_eq!(store.load_checkpoint("refresh").await.expect("load"), None);
    // Each saved rule is kept, newest first, across pages.
    let acc = account();
    let admin = admin(&acc);
    let rule = |n: u64| serde_json::json!({"attr": "profile.level", "op": "gte", "value": n});
    let smart = NewGroup {
        kind: GroupKind::Smart,
        rule: Some(rule(1)),
        ..new_group("Levels")
    };
    let g = service::create_group(&*store, &admin, smart, now())
        .await
        .expect("create");
    for n in 2..=4 {
        let current = store
            .get_group(&acc, &g.id)
            .await
            .expect("get")
            .expect("exists");
        let patch = GroupPatch {
            rule: Some(rule(n)),
            ..GroupPatch::default()
        };
        service::update_group(&*store, &admin, &g.id, current.version, patch, now())
            .await
            .expect("update");
    }
    let first = store
        .list_rule_versions(&acc, &g.id, &PageRequest::first(3))
        .await
        .expect("versions");
    assert_eq!(
        first.items.iter().map(|v| v.version).collect::<Vec<_>>(),
        [4, 3, 2]
    );
    let rest = store
        .list_rule_versions(
            &acc,
            &g.id,
            &PageRequest::new(Some(3), first.next_cursor).expect("page"),
        )
        .await
        .expect("versions");
    assert_eq!(
        rest.items
            .iter()
            .map(|v| (v.version, v.rule.clone()))
            .collect::<Vec<_>>(),
        [(1, rule(1))]
    );
    assert_eq!(rest.next_cursor, None);
    // The smart group is listed for its account, and the account among those with smart groups.
    let smart_groups = store.account_smart_groups(&acc).await.expect("smart");
    assert_eq!(
        smart_groups
            .iter()
            .map(|g| g.title.as_str())
            .collect::<Vec<_>>(),
        ["Levels"]
    );
    let accounts = all_smart_group_accounts(&*store).await;
    assert!(accounts.contains(&acc));
    let distinct: HashSet<_> = accounts.iter().collect();
    assert_eq!(distinct.len(), accounts.len(), "each account once");
}

/// An evaluation records its progress only while it still serves the request it read, and the
/// schedule only when no request is pending or running: a request made meanwhile survives.
/// Finished evaluations carry a real finish instant.
pub async fn evaluation_records_never_overwrite_a_newer_request<S: Store>(store: Arc<S>) {
    use groups_domain::ports::RecordIf;
    use groups_domain::smart::{Evaluator, Guard, evaluate_group};
    use groups_domain::{Evaluation, EvaluationStatus, GroupKind};
    let acc = account();
    seed_departments(&*store, &acc).await;
    seed_users(&*store, &acc, 30, Some(path(&["root", "sales"]))).await;
    let admin = admin(&acc);
    let mut new = new_group("Evaluated");
    new.kind = GroupKind::Smart;
    new.rule = Some(serde_json::json!({"attr": "status", "op": "eq", "value": "active"}));
    let group = service::create_group(&*store, &admin, new, now())
        .await
        .expect("create");
    let first = group.evaluation.clone().expect("queued").requested_at;
    let later = first + time::Duration::seconds(5);
    let current = |store: Arc<S>| {
        let (acc, id) = (acc.clone(), group.id.clone());
        async move {
            store
                .get_group(&acc, &id)
                .await
                .expect("get")
                .expect("exists")
                .evaluation
                .expect("evaluation")
        }
    };
    // A newer request arrives: the first run's progress no longer lands.
    let newer = Evaluation::queued(later, false);
    assert!(
        store
            .record_evaluation(&acc, &group.id, &newer, RecordIf::Always)
            .await
            .expect("record")
    );
    let running = Evaluation {
        status: EvaluationStatus::Running,
        ..Evaluation::queued(first, false)
    };
    let landed = store
        .record_evaluation(&acc, &group.id, &running, RecordIf::Serving(first))
        .await
        .expect("record");
    assert!(!landed);
    assert_eq!(current(store.clone()).await, newer);
    // Nor does the schedule's result while it waits.
    let done = Evaluation {
        status: EvaluationStatus::Done,
        ..Evaluation::queued(first, false)
    };
    assert!(
        !store
            .record_evaluation(&acc, &group.id, &done, RecordIf::Idle)
            .await
            .expect("record")
    );
    assert_eq!(current(store.clone()).await, newer);
    // The newer request's run serves it and finishes, after it started.
    let ev = Evaluator::new(&*store, &acc, now(), Guard::default());
    let result = evaluate_group(&ev, &group.id).await.expect("evaluate");
    assert_eq!(result.status, EvaluationStatus::Done);
    let stored = current(store.clone()).await;
    assert_eq!(stored.requested_at, later);
    assert_eq!(stored.status, EvaluationStatus::Done);
    assert!(stored.finished_at > stored.started_at, "{stored:?}");
    assert_eq!(stored.joined, 30);
    // Once idle, the schedule records; a missing group is NotFound.
    assert!(
        store
            .record_evaluation(&acc, &group.id, &done, RecordIf::Idle)
            .await
            .expect("record")
    );
    let missing = groups_domain::GroupId::parse("id", "grp-missing").expect("id");
    assert!(matches!(
        store
            .record_evaluation(&acc, &missing, &done, RecordIf::Always)
            .await,
        Err(Error::NotFound { .. })
    ));
}

/// Every smart group of an account is found, once and in id order, whichever index key holds
/// it; accounts with smart groups are each listed once, and static groups are not listed.
pub async fn every_smart_group_of_an_account_is_found_once<S: Store>(store: Arc<S>) {
    let rule = serde_json::json!({"attr": "profile.level", "op": "gte", "value": 1});
    let (first, second) = (account(), account());
    let mut made = Vec::new();
    for (acc, n) in [(&first, 12), (&second, 3)] {
        let admin = admin(acc);
        let mut ids = Vec::new();
        for i in 0..n {
            let g = service::create_group(
                &*store,
                &admin,
                new_smart_group(&format!("S{i}"), rule.clone()),
                now(),
            )
            .await
            .expect("create");
            ids.push(g.id);
        }
        service::create_group(&*store, &admin, new_group("Static"), now())
            .await
            .expect("create");
        ids.sort();
        made.push(ids);
    }
    for (acc, ids) in [&first, &second].into_iter().zip(&made) {
        let found: Vec<_> = store
            .account_smart_groups(acc)
            .await
            .expect("smart")
            .into_iter()
            .map(|g| g.id)
            .collect();
        assert_eq!(&found, ids);
    }
    let accounts = all_smart_group_accounts(&*store).await;
    assert!(
        accounts.contains(&first) && accounts.contains(&second),
        "{accounts:?}"
    );
    let distinct: HashSet<_> = accounts.iter().collect();
    assert_eq!(
        distinct.len(),
        accounts.len(),
        "each account once: {accounts:?}"
    );
}

/// Every account with a smart group, one per page (to exercise the cursor).
async fn all_smart_group_accounts<S: Store>(store: &S) -> Vec<groups_domain::AccountId> {
    let mut accounts = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .smart_group_accounts(&PageRequest::new(Some(1), cursor).expect("page"))
            .await
            .expect("accounts");
        accounts.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return accounts,
        }
    }
}

/// Users are found by login name (SCIM `userName`: the profile's, else the email), any case,
/// and a rename or deletion moves them out of the old name's answer.
pub async fn users_are_found_by_login_name<S: Store>(store: Arc<S>) {
    use groups_domain::user::ProfileValue;
    let acc = account();
    let other = account();
    let mut named = user(1, None);
    named.profile.insert(
        groups_domain::User::USER_NAME_FIELD.into(),
        ProfileValue::Text("Ada.Lovelace@Example.com".into()),
    );
    let by_email = user(2, None);
    let mut twin = user(3, None);
    twin.email = by_email.email.to_uppercase();
    for u in [&named, &by_email, &twin] {
        store.put_user(&acc, u).await.expect("put");
    }
    store
        .put_user(&other, &by_email)
        .await
        .expect("put elsewhere");
    let found = |key: &'static str| {
        let store = store.clone();
        let acc = acc.clone();
        async move {
            let users = store.users_by_login(&acc, key).await.expect("lookup");
            users.into_iter().map(|u| u.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(found("ada.lovelace@example.com").await, [user_id(1)]);
    assert_eq!(
        found("user1@example.com").await,
        Vec::<UserId>::new(),
        "a userName hides the email"
    );
    assert_eq!(
        found("user2@example.com").await,
        [user_id(2), user_id(3)],
        "any case, by id, one account"
    );
    // A long name is found too (its partition goes by hash).
    let mut long = user(4, None);
    let name = format!("{}@example.com", "x".repeat(700));
    long.profile.insert(
        groups_domain::User::USER_NAME_FIELD.into(),
        ProfileValue::Text(name.clone()),
    );
    store.put_user(&acc, &long).await.expect("put long");
    let hits = store.users_by_login(&acc, &name).await.expect("lookup");
    assert_eq!(
        hits.into_iter().map(|u| u.id).collect::<Vec<_>>(),
        [user_id(4)]
    );
    // Renamed and deleted users leave the old name's answer.
    named.profile.remove(groups_domain::User::USER_NAME_FIELD);
    store.put_user(&acc, &named).await.expect("rename");
    assert_eq!(
        found("ada.lovelace@example.com").await,
        Vec::<UserId>::new()
    );
    assert_eq!(found("user1@example.com").await, [user_id(1)]);
    store.delete_user(&acc, &user_id(3)).await.expect("delete");
    assert_eq!(found("user2@example.com").await, [user_id(2)]);
}
