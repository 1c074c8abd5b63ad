//! Impact analysis (DESIGN §11): the joins and leaves a previewed change of one group ripples
//! into the smart groups whose rules name it, transitively, with the guard's verdict for each.
//! Only users whose membership of a named group changes can change a follower's result, so
//! only they are read (their record and their groups).

use crate::caller::Caller;
use crate::error::Result;
use crate::group::{EvaluationStatus, Group, GroupMode};
use crate::ids::{GroupId, UserId};
use crate::ports::Store;
use crate::rule::Rule;
use crate::smart::{Guard, UserFacts, user_group_ids};
use crate::user::User;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// Most changed users of the previewed group that impact analysis follows.
pub const MAX_IMPACT_USERS: usize = 1_000;

/// One follower's share of the ripple.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Impact {
    pub group_id: GroupId,
    pub title: String,
    pub joins: u64,
    pub leaves: u64,
    /// The guard would hold this change (nothing applied; its followers do not move).
    pub held: bool,
    /// Paused, or held already: it would not change now.
    pub frozen: bool,
    /// The longest chain of references from the previewed group (1: its rule names it).
    pub depth: u32,
}

struct Follower {
    group: Group,
    rule: Rule,
    depth: u32,
}

/// The followers' changes when `origin` gains `joins` and loses `leaves`, in order of depth.
/// Followers outside the caller's scope move others but are not reported.
pub async fn ripple<S: Store>(
    store: &S,
    caller: &Caller,
    origin: &GroupId,
    changes: &[(UserId, bool)],
    guard: Guard,
    now: OffsetDateTime,
) -> Result<Vec<Impact>> {
    let account = &caller.account_id;
    let mut followers = followers(store, caller, origin).await?;
    if followers.is_empty() || changes.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<GroupId> = followers.iter().map(|f| f.group.id.clone()).collect();
    let sizes: HashMap<GroupId, u64> = ids
        .iter()
        .cloned()
        .zip(store.member_counts(account, &ids).await?)
        .collect();
    // The changes applied so far, per user; a held or frozen follower's own are kept apart.
    let mut applied: HashMap<UserId, HashMap<GroupId, bool>> = HashMap::new();
    for (user, joins) in changes {
        applied
            .entry(user.clone())
            .or_default()
            .insert(origin.clone(), *joins);
    }
    let mut users: HashMap<UserId, (Option<User>, HashSet<GroupId>)> = HashMap::new();
    let mut found: HashMap<GroupId, (u64, u64)> = HashMap::new();
    followers.sort_by_key(|f| f.depth);
    // In depth order, each follower sees every change upstream of it.
    for f in &followers {
        let named = f.rule.referenced_groups();
        let affected: Vec<UserId> = applied
            .iter()
            .filter(|(_, groups)| named.iter().any(|g| groups.contains_key(g)))
            .map(|(u, _)| u.clone())
            .collect();
        load(store, account, &affected, &mut users).await?;
        let mut moves = Vec::new();
        for user_id in &affected {
            let Some((user, current)) = users.get(user_id) else {
                continue;
            };
            let was = current.contains(&f.group.id);
            let mut groups = current.clone();
            for (g, member) in applied.get(user_id).into_iter().flatten() {
                if *member {
                    groups.insert(g.clone());
                } else {
                    groups.remove(g);
                }
            }
            let facts = UserFacts {
                now,
                user: user_id,
                groups: &groups,
            };
            let will = user
                .as_ref()
                .is_some_and(|u| f.group.decides(u, now, || f.rule.matches(u, &facts)));
            if will != was {
                moves.push((user_id.clone(), will));
            }
        }
        let joins = moves.iter().filter(|(_, j)| *j).count() as u64;
        let leaves = moves.len() as u64 - joins;
        found.insert(f.group.id.clone(), (joins, leaves));
        let size = sizes.get(&f.group.id).copied().unwrap_or(0);
        if frozen(&f.group) || guard.holds(size, leaves) {
            continue;
        }
        for (user, joins) in moves {
            if joins || f.group.mode != GroupMode::AddOnly {
                applied
                    .entry(user)
                    .or_default()
                    .insert(f.group.id.clone(), joins);
            }
        }
    }
    let mut report: Vec<Impact> = followers
        .iter()
        .filter(|f| caller.scope.covers(f.group.owner_department.as_ref()))
        .filter_map(|f| {
            let (joins, leaves) = found.get(&f.group.id).copied()?;
            (joins + leaves > 0).then(|| Impact {
                group_id: f.group.id.clone(),
                title: f.group.title.clone(),
                joins,
                leaves,
                held: guard.holds(sizes.get(&f.group.id).copied().unwrap_or(0), leaves),
                frozen: frozen(&f.group),
                depth: f.depth,
            })
        })
        .collect();
    report.sort_by(|x, y| (x.depth, &x.title).cmp(&(y.depth, &y.title)));
    Ok(report)
}

/// Paused, or waiting for a held evaluation's confirmation: such a group does not move.
fn frozen(group: &Group) -> bool {
    group.mode == GroupMode::Paused
        || group
            .evaluation
            .as_ref()
            .is_some_and(|e| e.status == EvaluationStatus::Held)
}

/// The smart groups that follow `origin`, directly or through others, with their depth.
async fn followers<S: Store>(
    store: &S,
    caller: &Caller,
    origin: &GroupId,
) -> Result<Vec<Follower>> {
    let compiled: Vec<(Group, Rule)> = store
        .account_smart_groups(&caller.account_id)
        .await?
        .into_iter()
        .filter(|g| &g.id != origin)
        .filter_map(|g| {
            let rule = Rule::compile(g.rule.as_ref()?).ok()?;
            Some((g, rule))
        })
        .collect();
    // A group's depth is one more than the deepest group it names (rules form no cycles), so
    // in depth order every group comes after all it names.
    let mut depth: HashMap<GroupId, u32> = HashMap::from([(origin.clone(), 0)]);
    for _ in 0..=compiled.len() {
        let mut changed = false;
        for (g, r) in &compiled {
            let deepest = r
                .referenced_groups()
                .iter()
                .filter_map(|n| depth.get(n))
                .max()
                .map(|d| d + 1);
            if let Some(d) = deepest.filter(|d| depth.get(&g.id) != Some(d)) {
                depth.insert(g.id.clone(), d);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(compiled
        .into_iter()
        .filter_map(|(group, rule)| {
            let d = *depth.get(&group.id)?;
            Some(Follower {
                group,
                rule,
                depth: d,
            })
        })
        .collect())
}

/// Reads the users not read yet: their records (one batch) and their groups (a query each).
async fn load<S: Store>(
    store: &S,
    account: &crate::ids::AccountId,
    ids: &[UserId],
    users: &mut HashMap<UserId, (Option<User>, HashSet<GroupId>)>,
) -> Result<()> {
    let missing: Vec<UserId> = ids
        .iter()
        .filter(|u| !users.contains_key(*u))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut records: HashMap<UserId, User> = HashMap::new();
    for chunk in missing.chunks(100) {
        records.extend(
            store
                .get_users(account, chunk)
                .await?
                .into_iter()
                .map(|u| (u.id.clone(), u)),
        );
    }
    for id in missing {
        let groups = user_group_ids(store, account, &id).await?;
        users.insert(id.clone(), (records.remove(&id), groups));
    }
    Ok(())
}
