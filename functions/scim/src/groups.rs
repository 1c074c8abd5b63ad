//! `/scim/v2/Groups`: static groups an identity provider provisions. They change only through
//! SCIM (the admin API reads them), and SCIM sees no other group. Member changes go through
//! the same batched membership writes as the admin API, 1,000 ids a call.

use crate::json::{GROUP_SCHEMA, get_ci, key_ci, text};
use crate::list::{Listing, Shape, every_page, project, wants};
use crate::patch::{self, Kind, Op};
use crate::{Answer, etag};
use groups_domain::group::Provisioning;
use groups_domain::ports::GroupQuery;
use groups_domain::service::{GroupPatch, NewGroup};
use groups_domain::service_members::{MAX_MEMBER_IDS, add_read_members, remove_members};
use groups_domain::{Caller, Group, GroupId, GroupKind, Store, User, UserId, service};
use groups_http::scim::ScimError;
use http::StatusCode;
use scim_v2::filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn version_tag(group: &Group) -> String {
    etag::of(&json!([
        group.id.as_str(),
        group.version,
        group.member_count
    ]))
}

pub fn to_scim(group: &Group, members: Option<&[UserId]>) -> Value {
    let at = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let mut v = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.as_str(),
        "displayName": group.title,
        "meta": {
            "resourceType": "Group",
            "created": at(group.created_at),
            "lastModified": at(group.updated_at),
            "location": format!("/scim/v2/Groups/{}", group.id),
            "version": version_tag(group),
        },
    });
    if let Some(m) = v.as_object_mut() {
        if let Some(external) = group
            .provisioning
            .as_ref()
            .and_then(|p| p.external_id.clone())
        {
            m.insert("externalId".into(), Value::from(external));
        }
        if let Some(members) = members {
            let list: Vec<Value> = members
                .iter()
                .map(|id| json!({"value": id.as_str(), "type": "User", "$ref": format!("/scim/v2/Users/{id}")}))
                .collect();
            m.insert("members".into(), Value::Array(list));
        }
    }
    v
}

async fn member_ids<S: Store>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
) -> Result<Vec<UserId>, ScimError> {
    let members =
        every_page(
            |page| async move { store.list_members(&caller.account_id, group, &page).await },
        )
        .await?;
    Ok(members.into_iter().map(|m| m.user_id).collect())
}

async fn stored<S: Store>(store: &S, caller: &Caller, id: &str) -> Result<Group, ScimError> {
    let not_found = || ScimError::not_found("Group", id);
    let id = GroupId::parse("id", id).map_err(|_| not_found())?;
    // `get_group` hides every group SCIM did not provision, as unknown ids.
    service::get_group(store, caller, &id)
        .await
        .map_err(|e| match e {
            groups_domain::Error::NotFound { .. } => not_found(),
            other => other.into(),
        })
}

fn check_version(if_match: Option<&str>, group: &Group) -> Result<(), ScimError> {
    if etag::admits(if_match, &version_tag(group)) {
        Ok(())
    } else {
        Err(ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            "the group changed since that version (If-Match)",
        ))
    }
}

fn filter_names_members(listing: &Listing) -> bool {
    listing
        .filter
        .as_ref()
        .is_some_and(|f| f.to_string().to_ascii_lowercase().contains("members"))
}

pub async fn list<S: Store>(
    store: &S,
    caller: &Caller,
    listing: &Listing,
) -> Result<Answer, ScimError> {
    let resources = resources(store, caller, listing).await?;
    Ok(Answer::ok(crate::list::respond(listing, resources)?))
}

/// Every provisioned group, with members when the listing shows or filters on them.
pub async fn resources<S: Store>(
    store: &S,
    caller: &Caller,
    listing: &Listing,
) -> Result<Vec<Value>, ScimError> {
    let with_members = wants(&listing.shape, "members") || filter_names_members(listing);
    let groups = every_page(|page| async move {
        let query = GroupQuery {
            kind: Some(GroupKind::Static),
            page,
            ..GroupQuery::default()
        };
        service::list_groups(store, caller, &query).await
    })
    .await?;
    let groups: Vec<Group> = groups
        .into_iter()
        .filter(|g| g.provisioning.is_some())
        .collect();
    let mut resources = Vec::with_capacity(groups.len());
    for g in &groups {
        let members = match with_members {
            true => Some(member_ids(store, caller, &g.id).await?),
            false => None,
        };
        resources.push(to_scim(g, members.as_deref()));
    }
    Ok(resources)
}

pub async fn get<S: Store>(
    store: &S,
    caller: &Caller,
    id: &str,
    shape: &Shape,
) -> Result<Answer, ScimError> {
    let group = stored(store, caller, id).await?;
    let members = match wants(shape, "members") {
        true => Some(member_ids(store, caller, &group.id).await?),
        false => None,
    };
    Ok(Answer::resource(
        StatusCode::OK,
        project(to_scim(&group, members.as_deref()), shape),
    ))
}

fn check_schemas(body: &Value) -> Result<(), ScimError> {
    let ok = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .any(|s| s.eq_ignore_ascii_case(GROUP_SCHEMA))
        });
    if ok {
        Ok(())
    } else {
        Err(ScimError::bad(
            "invalidSyntax",
            format!("schemas must list {GROUP_SCHEMA}"),
        ))
    }
}

/// Member ids of a `members` value: `[{"value": "<user id>"}, …]`.
fn ids_of(value: &Value) -> Result<Vec<UserId>, ScimError> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![value],
        Value::Null => Vec::new(),
        _ => {
            return Err(ScimError::bad(
                "invalidValue",
                "members is a list of {\"value\": user id}",
            ));
        }
    };
    items
        .into_iter()
        .map(|m| {
            let id = text(get_ci(m, "value")).ok_or_else(|| {
                ScimError::bad("invalidValue", "each member has a value (a user id)")
            })?;
            UserId::parse("members", id.clone())
                .map_err(|_| ScimError::bad("invalidValue", format!("no user {id}")))
        })
        .collect()
}

/// The users a request adds, read once by [`check_users`].
type Known = BTreeMap<UserId, User>;

/// Every id names a user of the account: checked before anything is written.
async fn check_users<S: Store>(
    store: &S,
    caller: &Caller,
    ids: &BTreeSet<UserId>,
) -> Result<Known, ScimError> {
    let ids: Vec<UserId> = ids.iter().cloned().collect();
    let mut known = Known::new();
    for chunk in ids.chunks(MAX_MEMBER_IDS) {
        let found = store.get_users(&caller.account_id, chunk).await?;
        known.extend(found.into_iter().map(|u| (u.id.clone(), u)));
        if let Some(missing) = chunk.iter().find(|id| !known.contains_key(*id)) {
            return Err(ScimError::bad("invalidValue", format!("no user {missing}")));
        }
    }
    Ok(known)
}

/// Adds users [`check_users`] has read, without reading them again.
async fn add<S: Store>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    ids: &[UserId],
    known: &Known,
    now: OffsetDateTime,
) -> Result<usize, ScimError> {
    let users = ids
        .iter()
        .map(|id| {
            known
                .get(id)
                .cloned()
                .ok_or_else(|| ScimError::bad("invalidValue", format!("no user {id}")))
        })
        .collect::<Result<Vec<User>, ScimError>>()?;
    let mut added = 0;
    for chunk in users.chunks(MAX_MEMBER_IDS) {
        added += add_read_members(store, caller, group, chunk, now)
            .await?
            .added
            .len();
    }
    Ok(added)
}

async fn remove<S: Store>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    ids: &[UserId],
    now: OffsetDateTime,
) -> Result<usize, ScimError> {
    let mut removed = 0;
    for chunk in ids.chunks(MAX_MEMBER_IDS) {
        removed += remove_members(store, caller, group, chunk, now)
            .await?
            .removed
            .len();
    }
    Ok(removed)
}

fn title_of(body: &Value) -> Result<String, ScimError> {
    text(get_ci(body, "displayName"))
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required"))
}

pub async fn create<S: Store>(
    store: &S,
    caller: &Caller,
    body: &Value,
    now: OffsetDateTime,
) -> Result<Answer, ScimError> {
    check_schemas(body)?;
    let title = title_of(body)?;
    let members = get_ci(body, "members")
        .map(ids_of)
        .transpose()?
        .unwrap_or_default();
    let unique: BTreeSet<UserId> = members.iter().cloned().collect();
    let known = check_users(store, caller, &unique).await?;
    let new = NewGroup {
        title,
        description: String::new(),
        kind: GroupKind::Static,
        rule: None,
        owner_department_id: None,
    };
    let provisioning = Provisioning {
        by: caller.user_id.to_string(),
        external_id: text(get_ci(body, "externalId")),
    };
    let group = service::create_provisioned_group(store, caller, new, provisioning, now).await?;
    let ids: Vec<UserId> = unique.into_iter().collect();
    add(store, caller, &group.id, &ids, &known, now).await?;
    let group = stored(store, caller, group.id.as_str()).await?;
    Ok(Answer::resource(
        StatusCode::CREATED,
        to_scim(&group, Some(&ids)),
    ))
}

/// The members after a change, from the current ones.
enum Members {
    Add(Vec<UserId>),
    Remove(Vec<UserId>),
    /// Those a value filter picks (`members[value eq "…"]`).
    RemoveWhere(ValFilter),
    Replace(Vec<UserId>),
}

fn is_members(name: &str, uri: Option<&str>) -> bool {
    name.eq_ignore_ascii_case("members") && uri.is_none_or(crate::json::is_core)
}

/// Splits a PATCH into member changes and changes of the group's other attributes.
fn split(ops: Vec<Op>) -> Result<(Vec<Members>, Vec<Op>), ScimError> {
    let mut members = Vec::new();
    let mut others = Vec::new();
    for op in ops {
        match &op.path {
            Some(PatchPath::Attr(p)) if is_members(&p.name, p.uri.as_deref()) => {
                if p.sub_attr.is_some() {
                    return Err(ScimError::bad(
                        "invalidPath",
                        "a member's attributes do not change",
                    ));
                }
                let ids = op.value.as_ref().map(ids_of).transpose()?;
                members.push(match (op.kind, ids) {
                    (Kind::Add, Some(ids)) => Members::Add(ids),
                    (Kind::Replace, Some(ids)) => Members::Replace(ids),
                    (Kind::Remove, Some(ids)) if !ids.is_empty() => Members::Remove(ids),
                    (Kind::Remove, _) => Members::Replace(Vec::new()),
                    (_, None) => {
                        return Err(ScimError::bad(
                            "invalidSyntax",
                            "add and replace need a value",
                        ));
                    }
                });
            }
            Some(PatchPath::Value(vp)) if is_members(&vp.attr.name, vp.attr.uri.as_deref()) => {
                if op.kind != Kind::Remove || vp.sub_attr.is_some() {
                    return Err(ScimError::bad(
                        "invalidPath",
                        "members[...] paths only remove members",
                    ));
                }
                members.push(Members::RemoveWhere(vp.filter.clone()));
            }
            None => {
                let Some(Value::Object(values)) = &op.value else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        "without a path, the value is an object of attributes",
                    ));
                };
                let mut rest = Map::new();
                for (k, v) in values {
                    if is_members(k, None) {
                        let ids = ids_of(v)?;
                        members.push(match op.kind {
                            Kind::Add => Members::Add(ids),
                            _ => Members::Replace(ids),
                        });
                    } else {
                        rest.insert(k.clone(), v.clone());
                    }
                }
                if !rest.is_empty() {
                    others.push(Op {
                        value: Some(Value::Object(rest)),
                        ..op
                    });
                }
            }
            _ => others.push(op),
        }
    }
    Ok((members, others))
}

/// `value eq "a" or value eq "b"`: the ids it names, without reading the members.
fn named_ids(filter: &ValFilter) -> Option<Vec<UserId>> {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, CompValue::Str(id)))
            if p.name.eq_ignore_ascii_case("value") && p.sub_attr.is_none() =>
        {
            Some(UserId::parse("members", id.clone()).map_or_else(|_| Vec::new(), |id| vec![id]))
        }
        ValFilter::Or(items) => {
            let mut out = Vec::new();
            for item in items.as_slice() {
                out.extend(named_ids(item)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// The group's title and externalId after the non-member operations.
fn apply_others(group: &Group, ops: &[Op]) -> Result<GroupPatch, ScimError> {
    let mut resource = json!({"displayName": group.title});
    let before_external = group
        .provisioning
        .as_ref()
        .and_then(|p| p.external_id.clone());
    if let (Some(e), Some(m)) = (&before_external, resource.as_object_mut()) {
        m.insert("externalId".into(), Value::from(e.clone()));
    }
    for op in ops {
        if let Some(PatchPath::Attr(p)) = &op.path
            && !["displayName", "externalId"]
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&p.name))
        {
            return Err(ScimError::bad(
                "invalidPath",
                format!("{} cannot change", p.name),
            ));
        }
        if let (None, Some(Value::Object(m))) = (&op.path, &op.value) {
            for k in m.keys() {
                let allowed = ["displayName", "externalId", "id", "schemas"]
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(k));
                let same_id = k.eq_ignore_ascii_case("id")
                    && m.get(k).and_then(Value::as_str) == Some(group.id.as_str());
                if !allowed || (k.eq_ignore_ascii_case("id") && !same_id) {
                    return Err(ScimError::bad("mutability", format!("{k} cannot change")));
                }
            }
        }
        patch::apply(&mut resource, op)?;
    }
    if let Some(m) = resource.as_object_mut() {
        for k in ["id", "schemas"] {
            if let Some(key) = key_ci(m, k) {
                m.remove(&key);
            }
        }
    }
    let title = text(get_ci(&resource, "displayName"))
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required"))?;
    let external = text(get_ci(&resource, "externalId"));
    Ok(GroupPatch {
        title: (title != group.title).then_some(title),
        external_id: (external != before_external).then_some(external),
        ..GroupPatch::default()
    })
}

/// Writes the metadata before any member. With `If-Match` it writes even without metadata:
/// that claims the version the client saw in one conditional write, so a change made since
/// answers 412 (not a check, then a write). Answers the version now stored.
async fn write_metadata<S: Store>(
    store: &S,
    caller: &Caller,
    group: &Group,
    patch: GroupPatch,
    if_match: Option<&str>,
    now: OffsetDateTime,
) -> Result<u64, ScimError> {
    if patch.title.is_none() && patch.external_id.is_none() && if_match.is_none() {
        return Ok(group.version);
    }
    let retry = if_match.is_none();
    write_at(store, caller, &group.id, group.version, patch, retry, now).await
}

/// Moves the group's version on after its members changed, so its ETag does too (members
/// live beside the group item, and a one-for-one swap keeps the count).
async fn mark_members_changed<S: Store>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    version: u64,
    now: OffsetDateTime,
) -> Result<(), ScimError> {
    let patch = GroupPatch::default();
    write_at(store, caller, group, version, patch, true, now).await?;
    Ok(())
}

/// Writes `patch` if the group is still at `version`. With `retry` (no If-Match: the values
/// are absolute), a version another request moved on meanwhile is written over, a few times
/// at most. Answers the version now stored.
async fn write_at<S: Store>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    mut version: u64,
    patch: GroupPatch,
    retry: bool,
    now: OffsetDateTime,
) -> Result<u64, ScimError> {
    for _ in 0..3 {
        match service::update_group(store, caller, group, version, patch.clone(), now).await {
            Ok(written) => return Ok(written.version),
            Err(groups_domain::Error::VersionMismatch { actual, .. }) if retry => version = actual,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ScimError::new(
        StatusCode::CONFLICT,
        None,
        "the group kept changing meanwhile: retry",
    ))
}

async fn apply_members<S: Store>(
    store: &S,
    caller: &Caller,
    group: &GroupId,
    changes: Vec<Members>,
    known: &Known,
    now: OffsetDateTime,
) -> Result<usize, ScimError> {
    let mut changed = 0;
    for change in changes {
        changed += match change {
            Members::Add(ids) => add(store, caller, group, &dedup(ids), known, now).await?,
            Members::Remove(ids) => remove(store, caller, group, &dedup(ids), now).await?,
            Members::RemoveWhere(filter) => {
                let ids = match named_ids(&filter) {
                    Some(ids) => ids,
                    None => {
                        let attr = scim_v2::filter::AttrPath::with_name("members");
                        let mut picked = Vec::new();
                        for id in member_ids(store, caller, group).await? {
                            let element = json!({"value": id.as_str(), "type": "User"});
                            if crate::filter::val_filter(&filter, &element, &attr)? {
                                picked.push(id);
                            }
                        }
                        picked
                    }
                };
                remove(store, caller, group, &dedup(ids), now).await?
            }
            Members::Replace(ids) => {
                let wanted: BTreeSet<UserId> = ids.into_iter().collect();
                let current: BTreeSet<UserId> = member_ids(store, caller, group)
                    .await?
                    .into_iter()
                    .collect();
                let gone: Vec<UserId> = current.difference(&wanted).cloned().collect();
                let new: Vec<UserId> = wanted.difference(&current).cloned().collect();
                remove(store, caller, group, &gone, now).await?
                    + add(store, caller, group, &new, known, now).await?
            }
        };
    }
    Ok(changed)
}

fn dedup(ids: Vec<UserId>) -> Vec<UserId> {
    let mut seen = BTreeSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

fn added_ids(changes: &[Members]) -> BTreeSet<UserId> {
    changes
        .iter()
        .flat_map(|c| match c {
            Members::Add(ids) | Members::Replace(ids) => ids.clone(),
            _ => Vec::new(),
        })
        .collect()
}

pub async fn patch<S: Store>(
    store: &S,
    caller: &Caller,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    now: OffsetDateTime,
) -> Result<Answer, ScimError> {
    let (members, others) = split(patch::parse_ops(body)?)?;
    let group = stored(store, caller, id).await?;
    check_version(if_match, &group)?;
    let metadata = apply_others(&group, &others)?;
    let known = check_users(store, caller, &added_ids(&members)).await?;
    let version = write_metadata(store, caller, &group, metadata, if_match, now).await?;
    if apply_members(store, caller, &group.id, members, &known, now).await? > 0 {
        mark_members_changed(store, caller, &group.id, version, now).await?;
    }
    Ok(Answer::no_content())
}

pub async fn replace<S: Store>(
    store: &S,
    caller: &Caller,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    now: OffsetDateTime,
) -> Result<Answer, ScimError> {
    check_schemas(body)?;
    let group = stored(store, caller, id).await?;
    check_version(if_match, &group)?;
    let title = title_of(body)?;
    let external = text(get_ci(body, "externalId"));
    let before_external = group
        .provisioning
        .as_ref()
        .and_then(|p| p.external_id.clone());
    let members = get_ci(body, "members")
        .map(ids_of)
        .transpose()?
        .unwrap_or_default();
    let changes = vec![Members::Replace(members.clone())];
    let known = check_users(store, caller, &added_ids(&changes)).await?;
    let metadata = GroupPatch {
        title: (title != group.title).then_some(title),
        external_id: (external != before_external).then_some(external),
        ..GroupPatch::default()
    };
    let version = write_metadata(store, caller, &group, metadata, if_match, now).await?;
    if apply_members(store, caller, &group.id, changes, &known, now).await? > 0 {
        mark_members_changed(store, caller, &group.id, version, now).await?;
    }
    let group = stored(store, caller, id).await?;
    let ids = member_ids(store, caller, &group.id).await?;
    Ok(Answer::resource(
        StatusCode::OK,
        to_scim(&group, Some(&ids)),
    ))
}

pub async fn delete<S: Store>(
    store: &S,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
    now: OffsetDateTime,
) -> Result<Answer, ScimError> {
    let group = stored(store, caller, id).await?;
    check_version(if_match, &group)?;
    service::delete_group(store, caller, &group.id, now).await?;
    Ok(Answer::no_content())
}
