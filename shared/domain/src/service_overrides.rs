//! Use cases of a smart group's overrides (DESIGN §11): list them, put one (include or exclude a
//! person, with a reason and an optional expiry) and take one away. The override and the one
//! membership it changes are written together, and the membership follows the group's mode: a
//! paused or held group changes no one now (its next evaluation applies the override), and an
//! add-only group holds the leave an exclusion asks for.

use crate::caller::{Caller, Scope};
use crate::error::{Error, Result};
use crate::group::{EvaluationStatus, Group, GroupKind, GroupMode, Membership, MembershipSource};
use crate::history::Cause;
use crate::ids::{GroupId, UserId};
use crate::overrides::{MAX_OVERRIDES, MAX_REASON_CHARS, Override, OverrideEffect};
use crate::page::{Page, PageRequest};
use crate::ports::{MemberChange, Store};
use crate::role::Permission;
use crate::rule::Rule;
use crate::smart::{UserFacts, user_group_ids};
use crate::text::clean_line;
use crate::user::User;
use serde::Serialize;
use time::OffsetDateTime;

/// Attempts at a write that loses to a concurrent edit of the same group before answering 409.
const ATTEMPTS: usize = 3;

/// What a caller asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOverride {
    pub user_id: UserId,
    pub effect: OverrideEffect,
    pub reason: String,
    pub expires_at: Option<OffsetDateTime>,
}

/// The override as written and where its user stands now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OverrideOutcome {
    #[serde(rename = "override")]
    pub saved: Option<Override>,
    /// Whether this replaced (or, on delete, removed) an override of the same user.
    pub replaced: bool,
    /// Whether the user is a member after the write.
    pub member: bool,
    /// Whether the membership already follows; `false` while the group is paused or held, or
    /// when an add-only group holds the leave (its return to active applies it).
    pub applied: bool,
}

fn smart_in_scope(caller: &Caller, group: Option<Group>, id: &GroupId) -> Result<Group> {
    group
        .filter(|g| g.kind == GroupKind::Smart && caller.scope.covers(g.owner_department.as_ref()))
        .ok_or_else(|| Error::not_found("smart group", id.as_str()))
}

async fn load_smart<S: Store>(store: &S, caller: &Caller, id: &GroupId) -> Result<Group> {
    smart_in_scope(caller, store.get_group(&caller.account_id, id).await?, id)
}

fn kept_changing() -> Error {
    Error::Conflict("the group kept changing while the override was written; retry".into())
}

/// A group's overrides in force, by user id, as the caller may see them: a scoped caller sees
/// only those of users within their scope.
pub async fn list_overrides<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    page: &PageRequest,
    now: OffsetDateTime,
) -> Result<Page<Override>> {
    caller.require(Permission::GroupsView)?;
    let group = load_smart(store, caller, group_id).await?;
    let mut overrides: Vec<Override> = group
        .overrides
        .into_iter()
        .filter(|o| o.in_force(now))
        .filter(|o| {
            page.cursor
                .as_deref()
                .is_none_or(|c| o.user_id.as_str() > c)
        })
        .collect();
    overrides.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    if !matches!(caller.scope, Scope::Account) {
        let ids: Vec<UserId> = overrides.iter().map(|o| o.user_id.clone()).collect();
        let users = store.get_users(&caller.account_id, &ids).await?;
        overrides.retain(|o| {
            users
                .iter()
                .any(|u| u.id == o.user_id && caller.scope.covers(u.department.as_ref()))
        });
    }
    overrides.truncate(page.limit as usize + 1);
    Ok(Page::from_overfetch(overrides, page.limit, |o| {
        o.user_id.to_string()
    }))
}

/// Includes or excludes one person, replacing an override they already have.
pub async fn put_override<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    new: NewOverride,
    now: OffsetDateTime,
) -> Result<OverrideOutcome> {
    caller.require(Permission::GroupsMembers)?;
    let reason = clean_line("reason", &new.reason, MAX_REASON_CHARS)?;
    if new.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::validation("expiresAt", "must be in the future"));
    }
    let (group, users) = store
        .get_group_and_users(
            &caller.account_id,
            group_id,
            std::slice::from_ref(&new.user_id),
        )
        .await?;
    let mut group = smart_in_scope(caller, group, group_id)?;
    // A user outside the caller's scope answers exactly as an unknown one.
    let user = users
        .into_iter()
        .find(|u| u.id == new.user_id && caller.scope.covers(u.department.as_ref()))
        .ok_or_else(|| Error::not_found("user", new.user_id.as_str()))?;
    if !group.covers_user(&user) {
        return Err(Error::validation(
            "userId",
            "is outside the department that owns this group",
        ));
    }
    let saved = Override {
        user_id: new.user_id.clone(),
        effect: new.effect,
        reason,
        created_by: caller.user_id.clone(),
        created_at: now,
        expires_at: new.expires_at,
    };
    for attempt in 1..=ATTEMPTS {
        let mut overrides: Vec<Override> = group
            .overrides
            .iter()
            .filter(|o| o.user_id != new.user_id && o.in_force(now))
            .cloned()
            .collect();
        let replaced = group.override_in_force(&new.user_id, now).is_some();
        if overrides.len() >= MAX_OVERRIDES {
            return Err(Error::validation(
                "userId",
                format!("a group keeps at most {MAX_OVERRIDES} overrides; remove one first"),
            ));
        }
        overrides.push(saved.clone());
        overrides.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        match write(store, caller, &group, overrides, Some(&user), now).await {
            Ok((member, applied)) => {
                return Ok(OverrideOutcome {
                    saved: Some(saved),
                    replaced,
                    member,
                    applied,
                });
            }
            Err(Error::VersionMismatch { .. }) if attempt < ATTEMPTS => {
                group = load_smart(store, caller, group_id).await?;
            }
            Err(e) => return Err(e),
        }
    }
    Err(kept_changing())
}

/// Takes away a person's override; the rule decides for them again.
pub async fn delete_override<S: Store>(
    store: &S,
    caller: &Caller,
    group_id: &GroupId,
    user_id: &UserId,
    now: OffsetDateTime,
) -> Result<OverrideOutcome> {
    caller.require(Permission::GroupsMembers)?;
    let (group, users) = store
        .get_group_and_users(&caller.account_id, group_id, std::slice::from_ref(user_id))
        .await?;
    let mut group = smart_in_scope(caller, group, group_id)?;
    let user = users.into_iter().find(|u| &u.id == user_id);
    // A scoped caller needs the user (in scope) to decide; an account-wide one may also clear
    // the override of a user deleted since.
    let in_scope = match (&caller.scope, &user) {
        (Scope::Account, _) => true,
        (scope, Some(u)) => scope.covers(u.department.as_ref()),
        (_, None) => false,
    };
    for attempt in 1..=ATTEMPTS {
        if !in_scope || group.override_in_force(user_id, now).is_none() {
            return Err(Error::not_found("override", user_id.as_str()));
        }
        let overrides: Vec<Override> = group
            .overrides
            .iter()
            .filter(|o| &o.user_id != user_id && o.in_force(now))
            .cloned()
            .collect();
        match write(store, caller, &group, overrides, user.as_ref(), now).await {
            Ok((member, applied)) => {
                return Ok(OverrideOutcome {
                    saved: None,
                    replaced: true,
                    member,
                    applied,
                });
            }
            Err(Error::VersionMismatch { .. }) if attempt < ATTEMPTS => {
                group = load_smart(store, caller, group_id).await?;
            }
            Err(e) => return Err(e),
        }
    }
    Err(kept_changing())
}

/// Saves `overrides` on `group` with the membership change they decide for `user` (`None`: a
/// deleted user, who belongs nowhere). Answers (member after, change applied or not needed).
async fn write<S: Store>(
    store: &S,
    caller: &Caller,
    group: &Group,
    overrides: Vec<Override>,
    user: Option<&User>,
    now: OffsetDateTime,
) -> Result<(bool, bool)> {
    let next = Group {
        overrides,
        version: group.version + 1,
        updated_by: caller.user_id.clone(),
        updated_at: now,
        ..group.clone()
    };
    let (change, member, applied) = match user {
        Some(user) => decide(store, caller, &next, user, now).await?,
        None => (None, false, true),
    };
    store
        .save_overrides(
            &caller.account_id,
            group,
            &next,
            change.as_ref(),
            &Cause::of_override(&caller.user_id).at(now),
        )
        .await?;
    Ok((member, applied))
}

/// The membership change `next` asks for `user`, given the group's mode and guard: (change,
/// member after, applied).
async fn decide<S: Store>(
    store: &S,
    caller: &Caller,
    next: &Group,
    user: &User,
    now: OffsetDateTime,
) -> Result<(Option<MemberChange>, bool, bool)> {
    let json = next
        .rule
        .as_ref()
        .ok_or_else(|| Error::Internal(format!("smart group {} has no rule", next.id)))?;
    let rule = Rule::compile(json)?;
    let groups = user_group_ids(store, &caller.account_id, &user.id).await?;
    let facts = UserFacts {
        now,
        user: &user.id,
        groups: &groups,
    };
    let is_member = groups.contains(&next.id);
    let should = next.decides(user, now, || rule.matches(user, &facts));
    let frozen = next.mode == GroupMode::Paused
        || next
            .evaluation
            .as_ref()
            .is_some_and(|e| e.status == EvaluationStatus::Held);
    Ok(match (should, is_member) {
        (true, true) | (false, false) => (None, is_member, true),
        _ if frozen => (None, is_member, false),
        (true, false) => {
            let by_override = next.override_in_force(&user.id, now).is_some();
            let membership = Membership {
                group_id: next.id.clone(),
                user_id: user.id.clone(),
                added_at: now,
                added_by: by_override.then(|| caller.user_id.clone()),
                source: if by_override {
                    MembershipSource::Override
                } else {
                    MembershipSource::Rule
                },
            };
            (Some(MemberChange::Join(membership)), true, true)
        }
        (false, true) if next.mode == GroupMode::AddOnly => (None, true, false),
        (false, true) => (Some(MemberChange::Leave(user.id.clone())), false, true),
    })
}
