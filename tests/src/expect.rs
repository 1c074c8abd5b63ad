//! What a group's membership is and what the reference evaluator says it should be, read
//! straight from the store (for end-to-end tests of smart groups).

use crate::api::Api;
use crate::reference::{World, evaluate};
use groups_domain::{GroupId, GroupQuery, PageRequest, Scope, Store, UserQuery};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

pub async fn members<S: Store + 'static>(api: &Api<S>, group: &str) -> BTreeSet<String> {
    let id = GroupId::parse("id", group).expect("id");
    let mut out = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = api
            .store()
            .list_members(
                &api.account,
                &id,
                &PageRequest::new(Some(200), cursor).expect("page"),
            )
            .await
            .expect("members");
        out.extend(page.items.into_iter().map(|m| m.user_id.to_string()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Who the reference evaluator says belongs, over every user of the account (within the
/// subtree of `owner`, given one).
pub async fn expected<S: Store + 'static>(
    api: &Api<S>,
    rule: &Value,
    owner: Option<&str>,
) -> BTreeSet<String> {
    let groups = api
        .store()
        .list_groups(
            &api.account,
            &Scope::Account,
            &GroupQuery {
                page: PageRequest::first(200),
                ..GroupQuery::default()
            },
        )
        .await
        .expect("groups");
    assert!(
        groups.next_cursor.is_none(),
        "the test's groups fit one page"
    );
    let mut memberships = HashSet::new();
    for g in &groups.items {
        for u in members(api, g.id.as_str()).await {
            memberships.insert((g.id.to_string(), u));
        }
    }
    let world = World {
        now: api.ctx.now(),
        memberships: &memberships,
    };
    let mut users = Vec::new();
    let mut query = UserQuery {
        page: PageRequest::first(200),
        ..UserQuery::default()
    };
    loop {
        let page = api
            .store()
            .list_users(&api.account, &Scope::Account, &query)
            .await
            .expect("users");
        users.extend(page.items);
        match page.next_cursor {
            Some(c) => query.page.cursor = Some(c),
            None => break,
        }
    }
    users
        .iter()
        .filter(|u| {
            owner.is_none_or(|o| {
                u.department
                    .as_ref()
                    .is_some_and(|p| p.ids().iter().any(|d| d.as_str() == o))
            })
        })
        .filter(|u| evaluate(u, rule, &world))
        .map(|u| u.id.to_string())
        .collect()
}
