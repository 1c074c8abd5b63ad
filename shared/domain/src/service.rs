//! Use cases over the ports: permission and scope checks, validation, and the choreography of
//! store calls. Written once here so that every adapter and every function shares it.

use crate::caller::{Caller, Scope};
use crate::error::{Error, Result};
use crate::group::{Group, GroupKind, Membership, check_description, check_title};
use crate::ids::{DepartmentId, GroupId, UserId};
use crate::page::{Page, PageRequest};
use crate::ports::{GroupQuery, Store, UserQuery};
use crate::role::Permission;
use crate::text::check_list_len;
use crate::user::User;
use serde::Serialize;
use std::collections::HashSet;
use time::OffsetDateTime;

pub use crate::service_members::{
    AddMembersOutcome, MAX_MEMBER_IDS, MemberView, RemoveMembersOutcome, add_members, list_members,
    remove_members,
};

#[derive(Debug, Clone, PartialEq)]
pub struct NewGroup {
    pub title: String,
    pub description: String,
    pub kind: GroupKind,
    pub rule: Option<serde_json::Value>,
    pub owner_department_id: Option<DepartmentId>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub rule: Option<serde_json::Value>,
    pub mode: Option<crate::group::GroupMode>,
    /// With `rule`: schedules it to take effect at this future instant instead of now.
    pub effective_at: Option<OffsetDateTime>,
    /// Cancels the scheduled rule change.
    pub cancel_scheduled: bool,
    /// A provisioned group's new SCIM `externalId` (`Some(None)` clears it); SCIM only.
    pub external_id: Option<Option<String>>,
}

/// How far ahead a rule change may be scheduled.
pub const MAX_SCHEDULE_AHEAD: time::Duration = time::Duration::days(731);

/// A group the caller may see, or `NotFound` (never `Forbidden`: no existence leak).
pub async fn get_group<S: Store>(store: &S, caller: &Caller, id: &GroupId) -> Result<Group> {
    caller.require(Permission::GroupsView)?;
    visible(caller, store.get_group(&caller.account_id, id).await?, id)
}

pub(crate) fn visible(caller: &Caller, group: Option<Group>, id: &GroupId) -> Result<Group> {
    group
        .filter(|g| caller.scope.covers(g.owner_department.as_ref()))
        // SCIM sees only the groups it provisions: others answer as unknown ids.
        .filter(|g| !caller.is_provisioner() || g.provisioning.is_some())
        .ok_or_else(|| Error::not_found("group", id.as_str()))
}

/// [`visible`], and changeable through this caller's channel: a provisioned group belongs to
/// the identity provider, so the admin API reads it but never changes it.
pub(crate) fn writable(caller: &Caller, group: Option<Group>, id: &GroupId) -> Result<Group> {
    let group = visible(caller, group, id)?;
    if group.provisioning.is_some() && !caller.is_provisioner() {
        return Err(Error::Conflict(format!(
            "group {id} is provisioned by your identity provider (SCIM): change it there"
        )));
    }
    Ok(group)
}

pub async fn list_groups<S: Store>(
    store: &S,
    caller: &Caller,
    query: &GroupQuery,
) -> Result<Page<Group>> {
    caller.require(Permission::GroupsView)?;
    store
        .list_groups(&caller.account_id, &caller.scope, query)
        .await
}

pub async fn create_group<S: Store>(
    store: &S,
    caller: &Caller,
    new: NewGroup,
    now: OffsetDateTime,
) -> Result<Group> {
    create_group_with_members(store, caller, new, None, now)
        .await
        .map(|(group, _)| group)
}

/// Creates a group and adds its initial members. Everything the request needs is authorized
/// before the group is written: without `groups:members`, initial members are a 403 and no
/// group is created.
pub async fn create_group_with_members<S: Store>(
    store: &S,
    caller: &Caller,
    new: NewGroup,
    user_ids: Option<&[UserId]>,
    now: OffsetDateTime,
) -> Result<(Group, Option<AddMembersOutcome>)> {
    caller.require(Permission::GroupsCreate)?;
    if let Some(ids) = user_ids {
        caller.require(Permission::GroupsMembers)?;
        if new.kind == GroupKind::Smart {
            return Err(Error::validation(
                "userIds",
                "a smart group's members follow its rule; omit userIds",
            ));
        }
        check_list_len("userIds", ids, 0, MAX_MEMBER_IDS)?;
    }
    let group = create_checked(store, caller, new, None, now).await?;
    match user_ids {
        Some(ids) if !ids.is_empty() => {
            let outcome = add_members(store, caller, &group.id, ids, now).await?;
            let group = Group {
                member_count: group.member_count + outcome.added.len() as u64,
                ..group
            };
            Ok((group, Some(outcome)))
        }
        Some(_) => Ok((group, Some(AddMembersOutcome::default()))),
        None => Ok((group, None)),
    }
}

/// Creates a static group for an identity provider (SCIM `POST /Groups`): provisioned, so it
/// changes only through SCIM from then on.
pub async fn create_provisioned_group<S: Store>(
    store: &S,
    caller: &Caller,
    new: NewGroup,
    provisioning: crate::group::Provisioning,
    now: OffsetDateTime,
) -> Result<Group> {
    caller.require(Permission::GroupsCreate)?;
    if !caller.is_provisioner() || new.kind != GroupKind::Static {
        return Err(Error::NotPermitted(
            "only an identity provider creates provisioned groups, and they are static".into(),
        ));
    }
    let external_id = provisioning
        .external_id
        .as_deref()
        .map(crate::group::check_external_id)
        .transpose()?;
    let provisioning = crate::group::Provisioning {
        external_id,
        ..provisioning
    };
    create_checked(store, caller, new, Some(provisioning), now).await
}

async fn create_checked<S: Store>(
    store: &S,
    caller: &Caller,
    new: NewGroup,
    provisioning: Option<crate::group::Provisioning>,
    now: OffsetDateTime,
) -> Result<Group> {
    let title = check_title(&new.title)?;
    let description = check_description(&new.description)?;
    match (new.kind, &new.rule) {
        (GroupKind::Smart, None) => {
            return Err(Error::validation("rule", "a smart group needs a rule"));
        }
        (GroupKind::Static, Some(_)) => {
            return Err(Error::validation("rule", "only smart groups have a rule"));
        }
        _ => {}
    }
    let owner_department = match &new.owner_department_id {
        None if matches!(caller.scope, Scope::Departments(_)) => {
            return Err(Error::validation(
                "ownerDepartmentId",
                "department-scoped callers must name a department they manage",
            ));
        }
        None => None,
        Some(id) => {
            let tree = store.departments(&caller.account_id).await?;
            let path = tree.path_of(id)?.filter(|p| caller.scope.covers(Some(p)));
            Some(path.ok_or_else(|| {
                Error::validation("ownerDepartmentId", format!("unknown department {id}"))
            })?)
        }
    };
    let id = GroupId::generate();
    if let Some(rule) = &new.rule {
        crate::service_rules::validate_rule(store, caller, &id, rule).await?;
    }
    let evaluation =
        (new.kind == GroupKind::Smart).then(|| crate::group::Evaluation::queued(now, false));
    let group = Group {
        id,
        title,
        description,
        kind: new.kind,
        rule: new.rule,
        member_count: 0,
        owner_department,
        created_by: caller.user_id.clone(),
        created_at: now,
        updated_by: caller.user_id.clone(),
        updated_at: now,
        version: 1,
        evaluation,
        mode: crate::group::GroupMode::Active,
        overrides: Vec::new(),
        scheduled: None,
        provisioning,
    };
    store.create_group(&caller.account_id, &group).await?;
    Ok(group)
}

/// Edits metadata if `expected_version` is still current (`VersionMismatch` otherwise).
pub async fn update_group<S: Store>(
    store: &S,
    caller: &Caller,
    id: &GroupId,
    expected_version: u64,
    patch: GroupPatch,
    now: OffsetDateTime,
) -> Result<Group> {
    caller.require(Permission::GroupsEdit)?;
    let current = writable(caller, store.get_group(&caller.account_id, id).await?, id)?;
    if current.version != expected_version {
        return Err(Error::VersionMismatch {
            expected: expected_version,
            actual: current.version,
        });
    }
    let mut next = current.clone();
    if let Some(title) = patch.title {
        next.title = check_title(&title)?;
    }
    if let Some(description) = patch.description {
        next.description = check_description(&description)?;
    }
    let mut rule_now = patch.rule;
    if let Some(at) = patch.effective_at {
        let Some(rule) = rule_now.take() else {
            return Err(Error::validation(
                "effectiveAt",
                "schedules a rule change: send it with the rule",
            ));
        };
        if current.kind != GroupKind::Smart {
            return Err(Error::validation("rule", "only smart groups have a rule"));
        }
        if patch.cancel_scheduled {
            return Err(Error::validation(
                "scheduled",
                "either schedule a rule or cancel the scheduled one",
            ));
        }
        if at <= now || at > now + MAX_SCHEDULE_AHEAD {
            return Err(Error::validation(
                "effectiveAt",
                "must be in the future, within two years",
            ));
        }
        crate::service_rules::validate_rule(store, caller, id, &rule).await?;
        next.scheduled = Some(crate::group::ScheduledRule {
            rule,
            effective_at: at,
            saved_by: caller.user_id.clone(),
            saved_at: now,
        });
    }
    if patch.cancel_scheduled {
        if current.kind != GroupKind::Smart {
            return Err(Error::validation(
                "scheduled",
                "only smart groups schedule rules",
            ));
        }
        next.scheduled = None;
    }
    if let Some(rule) = rule_now {
        if current.kind != GroupKind::Smart {
            return Err(Error::validation("rule", "only smart groups have a rule"));
        }
        crate::service_rules::validate_rule(store, caller, id, &rule).await?;
        if current.rule.as_ref() != Some(&rule) {
            next.evaluation = Some(crate::group::Evaluation::queued(now, false));
        }
        next.rule = Some(rule);
    }
    if let Some(mode) = patch.mode {
        if current.kind != GroupKind::Smart {
            return Err(Error::validation("mode", "only smart groups have a mode"));
        }
        // Leaving a pause, or returning to active, catches up in full, under the guard.
        let catches_up = mode != current.mode
            && (current.mode == crate::group::GroupMode::Paused || mode.is_active());
        if catches_up {
            next.evaluation = Some(crate::group::Evaluation::queued(now, false));
        }
        next.mode = mode;
    }
    if let Some(external_id) = patch.external_id {
        let Some(provisioning) = next.provisioning.as_mut() else {
            return Err(Error::validation(
                "externalId",
                "only provisioned groups have an externalId",
            ));
        };
        provisioning.external_id = external_id
            .as_deref()
            .map(crate::group::check_external_id)
            .transpose()?;
    }
    next.updated_by = caller.user_id.clone();
    next.updated_at = now;
    next.version = current.version + 1;
    store
        .update_group(&caller.account_id, &current, &next)
        .await?;
    Ok(next)
}

/// Deletes a group and its memberships; every member leaves (each deleted membership is a
/// change record, and so an event).
pub async fn delete_group<S: Store>(
    store: &S,
    caller: &Caller,
    id: &GroupId,
    now: time::OffsetDateTime,
) -> Result<()> {
    caller.require(Permission::GroupsDelete)?;
    let group = writable(caller, store.get_group(&caller.account_id, id).await?, id)?;
    store
        .delete_group(
            &caller.account_id,
            &group,
            &crate::history::Cause::group_deleted(&caller.user_id).at(now),
        )
        .await?;
    Ok(())
}

/// Most group ids one bulk delete takes (the console's checkbox column pages by 200).
pub const MAX_BULK_DELETE: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkDeleteOutcome {
    pub deleted: Vec<GroupId>,
    pub not_found: Vec<GroupId>,
}

/// Deletes each visible group; ids the caller cannot see are reported not found.
pub async fn delete_groups<S: Store>(
    store: &S,
    caller: &Caller,
    ids: &[GroupId],
    now: time::OffsetDateTime,
) -> Result<BulkDeleteOutcome> {
    caller.require(Permission::GroupsDelete)?;
    check_list_len("groupIds", ids, 1, MAX_BULK_DELETE)?;
    let mut seen = HashSet::new();
    let mut outcome = BulkDeleteOutcome::default();
    // Every group is judged before any is deleted: one refused (a provisioned group) refuses
    // the whole request, with nothing written.
    let mut doomed = Vec::new();
    for id in ids.iter().filter(|id| seen.insert(*id)) {
        match writable(caller, store.get_group(&caller.account_id, id).await?, id) {
            Ok(group) => doomed.push(group),
            Err(Error::NotFound { .. }) => outcome.not_found.push(id.clone()),
            Err(e) => return Err(e),
        }
    }
    let cause = crate::history::Cause::group_deleted(&caller.user_id).at(now);
    for group in doomed {
        match store.delete_group(&caller.account_id, &group, &cause).await {
            Ok(_) => outcome.deleted.push(group.id),
            // Deleted by someone else since it was read: gone all the same.
            Err(Error::NotFound { .. }) => outcome.not_found.push(group.id),
            Err(e) => return Err(e),
        }
    }
    Ok(outcome)
}

/// Users the caller may see, optionally of one department (only or nested) and matching text.
pub async fn list_users<S: Store>(
    store: &S,
    caller: &Caller,
    department: Option<(&DepartmentId, bool)>,
    text: Option<String>,
    page: PageRequest,
) -> Result<Page<User>> {
    caller.require(Permission::UsersView)?;
    let department = match department {
        None => None,
        Some((id, nested)) => {
            // Outside the caller's scope reads exactly like unknown.
            let tree = store.departments(&caller.account_id).await?;
            let path = tree
                .path_of(id)?
                .filter(|p| caller.scope.covers(Some(p)))
                .ok_or_else(|| {
                    Error::validation("departmentId", format!("unknown department {id}"))
                })?;
            Some((path, nested))
        }
    };
    let query = UserQuery {
        department,
        text,
        page,
    };
    store
        .list_users(&caller.account_id, &caller.scope, &query)
        .await
}

/// A user's groups that the caller may see, with their titles.
pub async fn user_groups<S: Store>(
    store: &S,
    caller: &Caller,
    user_id: &UserId,
    page: &PageRequest,
) -> Result<Page<(Membership, Group)>> {
    caller.require(Permission::UsersView)?;
    caller.require(Permission::GroupsView)?;
    let user = store.get_user(&caller.account_id, user_id).await?;
    if !user.is_some_and(|u| caller.scope.covers(u.department.as_ref())) {
        return Err(Error::not_found("user", user_id.as_str()));
    }
    let memberships = store
        .list_user_groups(&caller.account_id, user_id, page)
        .await?;
    let ids: Vec<GroupId> = memberships
        .items
        .iter()
        .map(|m| m.group_id.clone())
        .collect();
    let groups = store.get_groups(&caller.account_id, &ids).await?;
    // Groups outside the caller's scope (or deleted a moment ago) are left out of the page.
    let items = memberships
        .items
        .into_iter()
        .filter_map(|m| {
            let group = groups
                .iter()
                .find(|g| g.id == m.group_id && caller.scope.covers(g.owner_department.as_ref()))?;
            Some((m, group.clone()))
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: memberships.next_cursor,
    })
}
