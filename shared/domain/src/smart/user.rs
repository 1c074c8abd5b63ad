//! One user against every smart group of the account: a user changed, or a group a rule
//! references did.

use crate::Result;
use crate::group::GroupKind;
use crate::history::Cause;
use crate::ids::{AccountId, GroupId, UserId};
use crate::page::PageRequest;
use crate::ports::Store;
use crate::rule::Facts;
use std::collections::HashSet;
use time::OffsetDateTime;

use super::layers::layers;
use super::pass::Tally;
use super::{Evaluator, PAGE, Smart};

/// What changed for one user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserOutcome {
    pub joined: Vec<GroupId>,
    pub left: Vec<GroupId>,
}

pub(crate) struct UserFacts<'a> {
    pub(crate) now: OffsetDateTime,
    pub(crate) user: &'a UserId,
    pub(crate) groups: &'a HashSet<GroupId>,
}

impl Facts for UserFacts<'_> {
    fn now(&self) -> OffsetDateTime {
        self.now
    }
    fn is_member(&self, group: &GroupId, user: &UserId) -> bool {
        user == self.user && self.groups.contains(group)
    }
}

/// Every group a user belongs to (one query per 200 groups).
pub async fn user_group_ids<S: Store>(
    store: &S,
    account: &AccountId,
    user: &UserId,
) -> Result<HashSet<GroupId>> {
    let mut groups = HashSet::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_user_groups(
                account,
                user,
                &PageRequest {
                    limit: PAGE,
                    cursor,
                },
            )
            .await?;
        groups.extend(page.items.into_iter().map(|m| m.group_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(groups),
        }
    }
}

/// An account's smart groups, compiled once and put in dependency order, for evaluating many
/// users (a batch of stream records) with one read of the rules.
pub struct AccountRules {
    layers: Vec<Vec<Smart>>,
    ids: HashSet<GroupId>,
    referenced: HashSet<GroupId>,
}

impl AccountRules {
    /// Reads and compiles the account's rules (one query); a rule that doesn't compile is
    /// skipped and logged.
    pub async fn load<S: Store>(store: &S, account: &AccountId) -> Result<Self> {
        let smart: Vec<Smart> = store
            .account_smart_groups(account)
            .await?
            .into_iter()
            .filter_map(|g| match Smart::new(g) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::error!(error = %e, "skipping a smart group whose rule does not compile");
                    None
                }
            })
            .collect();
        let ids = smart.iter().map(|s| s.group.id.clone()).collect();
        let referenced = smart
            .iter()
            .flat_map(|s| s.rule.referenced_groups())
            .cloned()
            .collect();
        Ok(Self {
            layers: layers(smart),
            ids,
            referenced,
        })
    }

    /// Whether some rule of the account names `group` (else its membership changes move no
    /// smart group).
    pub fn references(&self, group: &GroupId) -> bool {
        self.referenced.contains(group)
    }
}

/// Brings one user's smart-group memberships in line with the rules (and removes a deleted
/// user from every group). Reads the account's rules in one query and the user's groups in
/// one; writes only the memberships that change, in dependency order.
pub async fn evaluate_user<S: Store>(
    ev: &Evaluator<'_, S>,
    user_id: &UserId,
) -> Result<UserOutcome> {
    let rules = AccountRules::load(ev.store, ev.account).await?;
    evaluate_user_with(ev, &rules, user_id).await
}

/// [`evaluate_user`] with the account's rules already loaded.
pub async fn evaluate_user_with<S: Store>(
    ev: &Evaluator<'_, S>,
    rules: &AccountRules,
    user_id: &UserId,
) -> Result<UserOutcome> {
    let user = ev.store.get_user(ev.account, user_id).await?;
    let mut groups = user_group_ids(ev.store, ev.account, user_id).await?;
    let mut outcome = UserOutcome::default();
    for layer in &rules.layers {
        for s in layer {
            // A held evaluation freezes the group's membership on every path until someone
            // confirms it or changes the rule; the full evaluation then catches up.
            // A paused group changes for no one, not even a deleted user (DESIGN §11: no
            // membership change at all); resuming evaluates it in full.
            if s.is_held() || s.is_paused() {
                continue;
            }
            let should = user.as_ref().is_some_and(|u| {
                let facts = UserFacts {
                    now: ev.now,
                    user: user_id,
                    groups: &groups,
                };
                s.group.decides(u, ev.now, || s.rule.matches(u, &facts))
            });
            let is_member = groups.contains(&s.group.id);
            let mut tally = Tally::default();
            match (should, is_member) {
                (true, false) => {
                    let cause = s.cause(ev.trigger);
                    ev.apply(
                        &s.group.id,
                        vec![user_id.clone()],
                        vec![],
                        &mut tally,
                        &cause,
                    )
                    .await?;
                    groups.insert(s.group.id.clone());
                    outcome.joined.push(s.group.id.clone());
                }
                // Add only: leaves, a deleted user's too, wait for the return to active.
                (false, true) if s.adds_only() => {}
                (false, true) => {
                    let cause = match user {
                        None => Cause::user_deleted(ev.trigger),
                        Some(_) => s.cause(ev.trigger),
                    };
                    ev.apply(
                        &s.group.id,
                        vec![],
                        vec![user_id.clone()],
                        &mut tally,
                        &cause,
                    )
                    .await?;
                    groups.remove(&s.group.id);
                    outcome.left.push(s.group.id.clone());
                }
                _ => {}
            }
        }
    }
    if user.is_none() {
        // A deleted user leaves their static groups too.
        for group in groups.iter().filter(|g| !rules.ids.contains(*g)) {
            let left = ev
                .store
                .delete_memberships(
                    ev.account,
                    group,
                    GroupKind::Static,
                    std::slice::from_ref(user_id),
                    &Cause::user_deleted(ev.trigger).at(ev.now),
                )
                .await?;
            if !left.is_empty() {
                outcome.left.push(group.clone());
            }
        }
    }
    Ok(outcome)
}
