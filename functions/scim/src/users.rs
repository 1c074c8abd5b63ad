//! `/scim/v2/Users`: the directory's users as an identity provider sees and changes them,
//! through the same services as the admin API, so a SCIM change is a user change like any
//! other (smart groups follow through the table's stream).

use crate::json::get_ci;
use crate::list::{Listing, Shape, every_page, project};
use crate::patch::{self, Op};
use crate::user::{DELETED_AT, Placement, from_scim, is_deleted, to_scim};
use crate::{Answer, etag};
use groups_domain::DepartmentId;
use groups_domain::scim_token::OnDelete;
use groups_domain::service_departments::{self, NewDepartment};
use groups_domain::user::{ProfileValue, login_key};
use groups_domain::{
    Caller, DepartmentTree, Store, User, UserId, UserStatus, service, service_users,
};
use groups_http::scim::ScimError;
use http::StatusCode;
use serde_json::Value;
use time::OffsetDateTime;

/// Every user SCIM may see: all of the account's, but those a `DELETE` deactivated.
async fn all_users<S: Store>(store: &S, caller: &Caller) -> Result<Vec<User>, ScimError> {
    let users = every_page(|page| service::list_users(store, caller, None, None, page)).await?;
    Ok(users.into_iter().filter(|u| !is_deleted(u)).collect())
}

async fn stored<S: Store>(store: &S, caller: &Caller, id: &str) -> Result<User, ScimError> {
    let not_found = || ScimError::not_found("User", id);
    let id = UserId::parse("id", id).map_err(|_| not_found())?;
    store
        .get_user(&caller.account_id, &id)
        .await?
        .filter(|u| !is_deleted(u))
        .ok_or_else(not_found)
}

fn version(resource: &Value) -> String {
    get_ci(resource, "meta")
        .and_then(|m| get_ci(m, "version"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn check_version(if_match: Option<&str>, current: &Value) -> Result<(), ScimError> {
    if etag::admits(if_match, &version(current)) {
        Ok(())
    } else {
        Err(ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            "the user changed since that version (If-Match)",
        ))
    }
}

/// userName is unique among the users SCIM sees (case-insensitively): one index Query.
async fn check_unique<S: Store>(
    store: &S,
    caller: &Caller,
    body: &Value,
    except: Option<&UserId>,
) -> Result<(), ScimError> {
    let Some(wanted) = get_ci(body, "userName")
        .and_then(Value::as_str)
        .map(str::trim)
    else {
        return Ok(());
    };
    let taken = store
        .users_by_login(&caller.account_id, &login_key(wanted))
        .await?
        .iter()
        .any(|u| Some(&u.id) != except && !is_deleted(u));
    if taken {
        return Err(ScimError::new(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!("userName {wanted} is taken"),
        ));
    }
    Ok(())
}

/// Every user SCIM sees, as it shows them; with `userName` the ones of that login name only
/// (one index Query instead of every user: identity providers look users up so before each
/// create).
pub async fn resources<S: Store>(
    store: &S,
    caller: &Caller,
    user_name: Option<&str>,
) -> Result<Vec<Value>, ScimError> {
    let tree = store.departments(&caller.account_id).await?;
    let users = match user_name {
        None => all_users(store, caller).await?,
        Some(name) => store
            .users_by_login(&caller.account_id, &login_key(name))
            .await?
            .into_iter()
            .filter(|u| !is_deleted(u))
            .collect(),
    };
    Ok(users.iter().map(|u| to_scim(u, &tree)).collect())
}

pub async fn list<S: Store>(
    store: &S,
    caller: &Caller,
    listing: &Listing,
) -> Result<Answer, ScimError> {
    let user_name = listing
        .filter
        .as_ref()
        .and_then(crate::filter::user_name_eq);
    let resources = resources(store, caller, user_name.as_deref()).await?;
    Ok(Answer::ok(crate::list::respond(listing, resources)?))
}

pub async fn get<S: Store>(
    store: &S,
    caller: &Caller,
    id: &str,
    shape: &Shape,
) -> Result<Answer, ScimError> {
    let tree = store.departments(&caller.account_id).await?;
    let user = stored(store, caller, id).await?;
    Ok(Answer::resource(
        StatusCode::OK,
        project(to_scim(&user, &tree), shape),
    ))
}

/// The department id of a placement, creating a department the identity provider named
/// under the root (after the user's own fields have been checked, so a bad body creates none).
async fn place<S: Store>(
    store: &S,
    caller: &Caller,
    tree: &DepartmentTree,
    placement: Option<Placement>,
) -> Result<Option<DepartmentId>, ScimError> {
    let name = match placement {
        None => return Ok(None),
        Some(Placement::At(id)) => return Ok(Some(id)),
        Some(Placement::Create(name)) => name,
    };
    let root = tree
        .departments()
        .find(|d| d.parent_id.is_none())
        .map(|d| d.id.clone())
        .ok_or_else(|| ScimError::bad("invalidValue", "the account has no root department"))?;
    let new = NewDepartment {
        id: None,
        name: name.clone(),
        parent_id: Some(root),
    };
    match service_departments::create_department(store, caller, new).await {
        Ok(located) => Ok(Some(located.department.id)),
        // Another request created it first: use theirs.
        Err(e) => {
            match crate::user::department(&store.departments(&caller.account_id).await?, &name)? {
                Placement::At(id) => Ok(Some(id)),
                Placement::Create(_) => Err(e.into()),
            }
        }
    }
}

async fn write<S: Store>(
    store: &S,
    caller: &Caller,
    (user, placement): (User, Option<Placement>),
    tree: &DepartmentTree,
    now: OffsetDateTime,
) -> Result<Value, ScimError> {
    let creates = matches!(placement, Some(Placement::Create(_)));
    // Everything the write could be refused for, before a department is created.
    if creates {
        service_users::check_put_user(store, caller, &user).await?;
    } else {
        user.clone().validate()?;
    }
    let department = place(store, caller, tree, placement).await?;
    let written = service_users::put_user(store, caller, user, department, now).await?;
    // The tree read at the start names the department, unless this write added one.
    if creates {
        let tree = store.departments(&caller.account_id).await?;
        return Ok(to_scim(&written, &tree));
    }
    Ok(to_scim(&written, tree))
}

pub async fn create<S: Store>(
    store: &S,
    caller: &Caller,
    body: &Value,
    now: OffsetDateTime,
) -> Result<Answer, ScimError> {
    check_unique(store, caller, body, None).await?;
    let tree = store.departments(&caller.account_id).await?;
    let asked = from_scim(body, None, UserId::generate(), &tree, now)?;
    let resource = write(store, caller, asked, &tree, now).await?;
    Ok(Answer::resource(StatusCode::CREATED, resource))
}

pub async fn replace<S: Store>(
    store: &S,
    caller: &Caller,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    now: OffsetDateTime,
) -> Result<Answer, ScimError> {
    let tree = store.departments(&caller.account_id).await?;
    let current = stored(store, caller, id).await?;
    check_version(if_match, &to_scim(&current, &tree))?;
    check_unique(store, caller, body, Some(&current.id)).await?;
    let asked = from_scim(body, Some(&current), current.id.clone(), &tree, now)?;
    let resource = write(store, caller, asked, &tree, now).await?;
    Ok(Answer::resource(StatusCode::OK, resource))
}

/// Attributes a PATCH may not change: the server sets them.
const READ_ONLY: [&str; 3] = ["id", "meta", "schemas"];

fn check_writable(op: &Op, current: &Value) -> Result<(), ScimError> {
    use scim_v2::filter::PatchPath;
    let named = match (&op.path, &op.value) {
        (Some(PatchPath::Attr(p)), _) if p.uri.is_none() => {
            vec![(p.name.clone(), op.value.clone())]
        }
        (None, Some(Value::Object(m))) => m
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect(),
        _ => Vec::new(),
    };
    for (name, value) in named {
        if let Some(ro) = READ_ONLY.iter().find(|r| r.eq_ignore_ascii_case(&name)) {
            // Okta repeats the id in a path-less replace: the same value changes nothing.
            if *ro == "id" && value.as_ref() == get_ci(current, "id") {
                continue;
            }
            if *ro == "schemas" && op.path.is_none() {
                continue;
            }
            return Err(ScimError::bad("mutability", format!("{name} is read-only")));
        }
    }
    Ok(())
}

pub async fn patch<S: Store>(
    store: &S,
    caller: &Caller,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    now: OffsetDateTime,
) -> Result<Answer, ScimError> {
    let ops = patch::parse_ops(body)?;
    let tree = store.departments(&caller.account_id).await?;
    let current = stored(store, caller, id).await?;
    let shown = to_scim(&current, &tree);
    check_version(if_match, &shown)?;
    let mut resource = shown.clone();
    if let Some(m) = resource.as_object_mut() {
        m.remove("meta");
    }
    // The department is shown by name; a PATCH that leaves it alone keeps the stored one
    // (even when its name is ambiguous), so it is resolved only when an operation sets it.
    if let Some(ext) = resource
        .get_mut(crate::json::ENTERPRISE)
        .and_then(Value::as_object_mut)
    {
        ext.remove("department");
    }
    for op in &ops {
        check_writable(op, &shown)?;
        patch::apply(&mut resource, op)?;
    }
    if get_ci(&resource, "userName") != get_ci(&shown, "userName") {
        check_unique(store, caller, &resource, Some(&current.id)).await?;
    }
    let asked = from_scim(&resource, Some(&current), current.id.clone(), &tree, now)?;
    // A department the PATCH left alone stays where it is, even one SCIM cannot name.
    let placement = match asked.1 {
        Some(p) => Some(p),
        None if ops.iter().any(removes_department) => None,
        None => current.department_id().cloned().map(Placement::At),
    };
    let resource = write(store, caller, (asked.0, placement), &tree, now).await?;
    Ok(Answer::resource(StatusCode::OK, resource))
}

/// `remove` of the enterprise department or of the whole extension, a `replace` of the whole
/// extension, or one that sets the department to null or "".
fn removes_department(op: &Op) -> bool {
    use scim_v2::filter::PatchPath;
    let Some(PatchPath::Attr(p)) = &op.path else {
        return false;
    };
    if crate::json::whole_extension(p).is_some() {
        return op.kind != patch::Kind::Add;
    }
    let names_it = p.name.eq_ignore_ascii_case("department")
        && p.uri
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(crate::json::ENTERPRISE));
    let clears = match &op.value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    };
    names_it && (op.kind == patch::Kind::Remove || clears)
}

pub async fn delete<S: Store>(
    store: &S,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
    on_delete: OnDelete,
    now: OffsetDateTime,
) -> Result<Answer, ScimError> {
    let tree = store.departments(&caller.account_id).await?;
    let current = stored(store, caller, id).await?;
    check_version(if_match, &to_scim(&current, &tree))?;
    match on_delete {
        OnDelete::Remove => service_users::delete_user(store, caller, &current.id).await?,
        OnDelete::Deactivate => {
            let department = current.department_id().cloned();
            let mut user = current;
            user.status = UserStatus::Inactive;
            user.profile
                .insert(DELETED_AT.into(), ProfileValue::Date(now));
            service_users::put_user(store, caller, user, department, now).await?;
        }
    }
    Ok(Answer::no_content())
}
