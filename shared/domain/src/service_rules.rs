//! Use cases of smart groups: validating rules on save, requesting evaluations, previewing a
//! rule over the directory, explaining a rule for one user, and the rule's history.

use crate::caller::Caller;
use crate::caller::Scope;
use crate::error::{Error, Result};
use crate::group::{Evaluation, EvaluationStatus, Group, GroupKind, RuleVersion};
use crate::ids::AccountId;
use crate::ids::{GroupId, UserId};
use crate::page::{Page, PageRequest};
use crate::ports::Store;
use crate::role::Permission;
use crate::rule::Reference;
use crate::rule::Rule;
use crate::smart::{Members, SetFacts, UserFacts, UserScan, user_group_ids};
use crate::user::User;
use serde::Serialize;
use std::collections::HashMap;
use std::collections::HashSet;
use time::OffsetDateTime;

/// Compiles a rule for saving on `group`: errors name the node (`rule/all/1/op`), referenced
/// groups must exist and must not lead back to `group`.
pub async fn validate_rule<S: Store>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    json: &serde_json::Value,
) -> Result<Rule> {
    let rule = Rule::compile(json).map_err(|e| match e {
        Error::Validation { field, message } => Error::validation(format!("rule{field}"), message),
        other => other,
    })?;
    check_references(store, &caller.account_id, &caller.scope, group, &rule).await?;
    Ok(rule)
}

/// Rejects a rule that names a department or a group that does not exist or lies outside
/// `scope` (answered alike, so a rule cannot probe what exists elsewhere), or whose group
/// membership conditions would form a cycle. Errors point at the condition (`rule/all/1/value`).
pub async fn check_references<S: Store>(
    store: &S,
    account: &AccountId,
    scope: &Scope,
    group: &GroupId,
    rule: &Rule,
) -> Result<()> {
    let references = rule.references();
    if references
        .iter()
        .any(|r| matches!(r, Reference::Department { .. }))
    {
        let tree = store.departments(account).await?;
        for r in references {
            if let Reference::Department { id, pointer } = r {
                let visible = tree
                    .path_of(id)
                    .ok()
                    .flatten()
                    .is_some_and(|p| scope.covers(Some(&p)));
                if !visible {
                    return Err(Error::validation(
                        format!("rule{pointer}"),
                        format!("department {id} does not exist"),
                    ));
                }
            }
        }
    }
    let referenced = rule.referenced_groups();
    if referenced.is_empty() {
        return Ok(());
    }
    let found = store.get_groups(account, referenced).await?;
    for r in references {
        if let Reference::Group { id, pointer } = r {
            if id == group {
                return Err(Error::validation(
                    format!("rule{pointer}"),
                    "a group's rule cannot reference the group itself",
                ));
            }
            let visible = found
                .iter()
                .any(|g| &g.id == id && scope.covers(g.owner_department.as_ref()));
            if !visible {
                return Err(Error::validation(
                    format!("rule{pointer}"),
                    format!("group {id} does not exist"),
                ));
            }
        }
    }
    // Follow references from the referenced smart groups; reaching `group` closes a cycle.
    let smart: HashMap<GroupId, Vec<GroupId>> = store
        .account_smart_groups(account)
        .await?
        .into_iter()
        .filter_map(|g| {
            let refs = g
                .rule
                .as_ref()
                .and_then(|r| Rule::compile(r).ok())?
                .referenced_groups()
                .to_vec();
            Some((g.id, refs))
        })
        .collect();
    let mut stack: Vec<GroupId> = referenced.to_vec();
    let mut seen = HashSet::new();
    while let Some(next) = stack.pop() {
        if &next == group {
            return Err(Error::validation(
                "rule",
                "group membership conditions would form a cycle through this group",
            ));
        }
        if seen.insert(next.clone()) {
            stack.extend(smart.get(&next).into_iter().flatten().cloned());
        }
    }
    Ok(())
}

fn visible_smart(caller: &Caller, group: Option<Group>, id: &GroupId) -> Result<Group> {
    group
        .filter(|g| g.kind == GroupKind::Smart && caller.scope.covers(g.owner_department.as_ref()))
        .ok_or_else(|| Error::not_found("smart group", id.as_str()))
}

/// "Re-evaluate now", or (with `confirm`) apply an evaluation the guard held.
pub async fn request_evaluation<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    confirm: bool,
    now: OffsetDateTime,
) -> Result<Evaluation> {
    caller.require(Permission::GroupsEdit)?;
    let group = visible_smart(
        caller,
        store.get_group(&caller.account_id, group_id).await?,
        group_id,
    )?;
    let held = group
        .evaluation
        .as_ref()
        .is_some_and(|e| e.status == EvaluationStatus::Held);
    if group.mode == crate::group::GroupMode::Paused {
        return Err(Error::Conflict(format!(
            "group {group_id} is paused; resume it to evaluate"
        )));
    }
    if confirm && !held {
        return Err(Error::Conflict(format!(
            "group {group_id} has no held evaluation to confirm"
        )));
    }
    let queued = Evaluation::queued(now, confirm);
    store
        .record_evaluation(
            &caller.account_id,
            group_id,
            &queued,
            crate::ports::RecordIf::Always,
        )
        .await?;
    Ok(queued)
}

/// What a rule would do, before saving it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Users matching, within the caller's scope (and the group's department, given a group).
    pub matching: u64,
    pub sample: Vec<UserId>,
    /// Against the group's current members (given a group).
    pub joins: u64,
    pub join_sample: Vec<UserId>,
    pub leaves: u64,
    pub leave_sample: Vec<UserId>,
    pub evaluated: u64,
    /// Given a group: whether the guard would hold this change.
    pub held: bool,
    /// Given a group: how the change ripples into the smart groups that follow it.
    pub impact: Vec<crate::impact::Impact>,
    /// False when more users change than impact analysis follows (its list is then empty).
    pub impact_complete: bool,
}

/// A rule as the previewing paths take it: the group it is compared against (if any) visible
/// to the caller (any group: for a static one, what converting it would do), and the rule
/// validated as on save.
pub(crate) async fn draft_rule<S: Store>(
    store: &S,
    caller: &Caller,
    json: &serde_json::Value,
    group_id: Option<&GroupId>,
) -> Result<(Option<Group>, Rule)> {
    let group = match group_id {
        None => None,
        Some(id) => Some(crate::service::visible(
            caller,
            store.get_group(&caller.account_id, id).await?,
            id,
        )?),
    };
    let rule = validate_rule(
        store,
        caller,
        group_id.unwrap_or(&GroupId::generate()),
        json,
    )
    .await?;
    Ok((group, rule))
}

/// The caller's users, page by page, with their memberships of the groups `rule` names.
pub(crate) fn rule_scan<'a, S: Store>(
    store: &'a S,
    caller: &'a Caller,
    rule: &Rule,
) -> UserScan<'a, S> {
    UserScan::new(
        store,
        &caller.account_id,
        &caller.scope,
        rule.referenced_groups().iter().cloned(),
        None,
    )
}

const SAMPLE: usize = 20;

/// Runs `rule` over the whole directory within the caller's scope, page by page.
pub async fn preview<S: Store>(
    store: &S,
    caller: &Caller,
    json: &serde_json::Value,
    group_id: Option<&GroupId>,
    guard: crate::smart::Guard,
    now: OffsetDateTime,
) -> Result<Preview> {
    caller.require(Permission::GroupsView)?;
    let (group, rule) = draft_rule(store, caller, json, group_id).await?;
    let mut out = Preview {
        matching: 0,
        sample: Vec::new(),
        joins: 0,
        join_sample: Vec::new(),
        leaves: 0,
        leave_sample: Vec::new(),
        evaluated: 0,
        held: false,
        impact: Vec::new(),
        impact_complete: true,
    };
    // Who changes, for impact analysis (up to its limit).
    let mut changes: Vec<(UserId, bool)> = Vec::new();
    let mut members = Members::new();
    let mut scan = rule_scan(store, caller, &rule);
    while let Some(page) = scan.next().await? {
        let facts = SetFacts {
            now,
            members: &page.memberships,
        };
        if let (Some(g), Some(last)) = (&group, page.users.last()) {
            members
                .fill_through(store, &caller.account_id, &g.id, &last.id)
                .await?;
        }
        for user in &page.users {
            out.evaluated += 1;
            // Against a group, its overrides apply as they would once saved.
            let matches = match &group {
                Some(g) => g.decides(user, now, || rule.matches(user, &facts)),
                None => rule.matches(user, &facts),
            };
            if matches {
                out.matching += 1;
                if out.sample.len() < SAMPLE {
                    out.sample.push(user.id.clone());
                }
            }
            if group.is_some() {
                // Members outside the caller's scope are skipped, as the listing skips them.
                while members.buffer.front().is_some_and(|m| m < &user.id) {
                    members.buffer.pop_front();
                }
                let is_member = members.buffer.front() == Some(&user.id);
                if is_member {
                    members.buffer.pop_front();
                }
                match (matches, is_member) {
                    (true, false) => {
                        out.joins += 1;
                        if changes.len() <= crate::impact::MAX_IMPACT_USERS {
                            changes.push((user.id.clone(), true));
                        }
                        if out.join_sample.len() < SAMPLE {
                            out.join_sample.push(user.id.clone());
                        }
                    }
                    (false, true) => {
                        out.leaves += 1;
                        if changes.len() <= crate::impact::MAX_IMPACT_USERS {
                            changes.push((user.id.clone(), false));
                        }
                        if out.leave_sample.len() < SAMPLE {
                            out.leave_sample.push(user.id.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(g) = &group {
        out.held = guard.holds(g.member_count, out.leaves);
        if changes.len() > crate::impact::MAX_IMPACT_USERS {
            out.impact_complete = false;
        } else {
            // Also when held: what confirming it would ripple into.
            out.impact = crate::impact::ripple(store, caller, &g.id, &changes, guard, now).await?;
        }
    }
    Ok(out)
}

/// Why a user is (or is not) in a smart group: the rule tree with each node's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub group_id: GroupId,
    pub user_id: UserId,
    pub matches: bool,
    pub member: bool,
    /// Outside the group's department, the rule is not consulted.
    pub in_group_scope: bool,
    /// The group's mode: a paused group changes for no one, an add-only group keeps a member
    /// who no longer matches.
    pub mode: crate::group::GroupMode,
    /// The override that decides for this user whatever the rule says (include or exclude).
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub by_override: Option<crate::overrides::Override>,
    pub rule: serde_json::Value,
}

pub async fn explain<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    user_id: &UserId,
    now: OffsetDateTime,
) -> Result<Explanation> {
    caller.require(Permission::GroupsView)?;
    let group = visible_smart(
        caller,
        store.get_group(&caller.account_id, group_id).await?,
        group_id,
    )?;
    let user: User = store
        .get_user(&caller.account_id, user_id)
        .await?
        .filter(|u| caller.scope.covers(u.department.as_ref()))
        .ok_or_else(|| Error::not_found("user", user_id.as_str()))?;
    let json = group
        .rule
        .as_ref()
        .ok_or_else(|| Error::Internal(format!("smart group {group_id} has no rule")))?;
    let rule = Rule::compile(json)?;
    let groups = user_group_ids(store, &caller.account_id, user_id).await?;
    let facts = UserFacts {
        now,
        user: user_id,
        groups: &groups,
    };
    let in_group_scope = group.covers_user(&user);
    let mut explained = rule.explain(&user, &facts);
    let hidden = hidden_groups(store, caller, &rule).await?;
    redact(
        &mut explained,
        caller.permissions.contains(Permission::UsersView),
        &hidden,
    );
    Ok(Explanation {
        group_id: group_id.clone(),
        user_id: user_id.clone(),
        matches: in_group_scope && explained["result"] == true,
        member: groups.contains(group_id),
        in_group_scope,
        mode: group.mode,
        by_override: group.override_in_force(user_id, now).cloned(),
        rule: explained,
    })
}

/// The groups a rule names that the caller may not see: an explanation shows neither their
/// condition's result nor its value. Attribute values are personal data (only with
/// `users:view`), handled by [`redact`].
async fn hidden_groups<S: Store>(
    store: &S,
    caller: &Caller,
    rule: &Rule,
) -> Result<HashSet<GroupId>> {
    Ok(match &caller.scope {
        crate::caller::Scope::Account => HashSet::new(),
        scope => {
            let visible: HashSet<GroupId> = store
                .get_groups(&caller.account_id, rule.referenced_groups())
                .await?
                .into_iter()
                .filter(|g| scope.covers(g.owner_department.as_ref()))
                .map(|g| g.id)
                .collect();
            rule.referenced_groups()
                .iter()
                .filter(|g| !visible.contains(*g))
                .cloned()
                .collect()
        }
    })
}

/// Removes from an explanation tree what the caller may not see: attribute values without
/// `users:view`, and both value and result of a condition on a group outside their scope.
fn redact(node: &mut serde_json::Value, may_view_users: bool, hidden: &HashSet<GroupId>) {
    let Some(map) = node.as_object_mut() else {
        return;
    };
    if map.contains_key("attr") {
        let group_condition = map.get("attr").and_then(|a| a.as_str()) == Some("group");
        let hidden_group = group_condition
            && map
                .get("value")
                .and_then(|v| v.as_str())
                .is_some_and(|id| hidden.iter().any(|g| g.as_str() == id));
        if hidden_group {
            map.insert("result".into(), serde_json::Value::Null);
            map.insert("actual".into(), serde_json::Value::Null);
            map.insert("hidden".into(), serde_json::Value::Bool(true));
        } else if !group_condition && !may_view_users {
            map.insert("actual".into(), serde_json::Value::Null);
        }
        return;
    }
    for child in map.values_mut() {
        match child {
            serde_json::Value::Array(items) => items
                .iter_mut()
                .for_each(|i| redact(i, may_view_users, hidden)),
            serde_json::Value::Object(_) => redact(child, may_view_users, hidden),
            _ => {}
        }
    }
}

pub async fn rule_versions<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    page: &PageRequest,
) -> Result<Page<RuleVersion>> {
    caller.require(Permission::GroupsView)?;
    visible_smart(
        caller,
        store.get_group(&caller.account_id, group_id).await?,
        group_id,
    )?;
    store
        .list_rule_versions(&caller.account_id, group_id, page)
        .await
}

/// Most users one draft test explains.
pub const MAX_TEST_USERS: usize = 100;

/// A rule, saved or not, explained for chosen users (draft testing, DESIGN §11).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftTest {
    /// In the order asked, each user once.
    pub items: Vec<DraftResult>,
    /// Ids that name no user the caller may see.
    pub not_found: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftResult {
    pub user_id: UserId,
    pub matches: bool,
    /// A member of the group now (given a group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<bool>,
    /// Outside the group's department (given a group), the rule is not consulted.
    pub in_group_scope: bool,
    pub rule: serde_json::Value,
}

/// Explains `json` (validated as on save) for each of `user_ids` (1 to 100), against the
/// group's current membership when `group_id` is given.
pub async fn test_rule<S: Store>(
    store: &S,
    caller: &Caller,
    json: &serde_json::Value,
    group_id: Option<&GroupId>,
    user_ids: &[UserId],
    now: OffsetDateTime,
) -> Result<DraftTest> {
    caller.require(Permission::GroupsView)?;
    crate::text::check_list_len("userIds", user_ids, 1, MAX_TEST_USERS)?;
    let (group, rule) = draft_rule(store, caller, json, group_id).await?;
    let mut seen = HashSet::new();
    let wanted: Vec<UserId> = user_ids
        .iter()
        .filter(|id| seen.insert(*id))
        .cloned()
        .collect();
    let found: HashMap<UserId, User> = store
        .get_users(&caller.account_id, &wanted)
        .await?
        .into_iter()
        .filter(|u| caller.scope.covers(u.department.as_ref()))
        .map(|u| (u.id.clone(), u))
        .collect();
    let hidden = hidden_groups(store, caller, &rule).await?;
    let may_view_users = caller.permissions.contains(Permission::UsersView);
    let mut out = DraftTest {
        items: Vec::new(),
        not_found: Vec::new(),
    };
    for id in wanted {
        let Some(user) = found.get(&id) else {
            out.not_found.push(id);
            continue;
        };
        let groups = user_group_ids(store, &caller.account_id, &id).await?;
        let facts = UserFacts {
            now,
            user: &id,
            groups: &groups,
        };
        let in_group_scope = group.as_ref().is_none_or(|g| g.covers_user(user));
        let mut explained = rule.explain(user, &facts);
        redact(&mut explained, may_view_users, &hidden);
        out.items.push(DraftResult {
            matches: in_group_scope && explained["result"] == true,
            member: group.as_ref().map(|g| groups.contains(&g.id)),
            in_group_scope,
            user_id: id,
            rule: explained,
        });
    }
    Ok(out)
}
