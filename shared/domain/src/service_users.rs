//! User sync from the platform's user service: the writes that drive smart groups.
//!
//! `users:manage` is bounded by the caller's own authority (DESIGN §2): it creates, changes or
//! deletes only users whose stored record *and* new values lie in the caller's scope; it grants
//! only roles whose permissions are a subset of the caller's own and whose scope lies inside
//! the caller's; the managed departments it sets lie in its scope; nobody changes their own
//! role, status or managed departments, or deletes themself; only an Owner manages Owners, and
//! an account always keeps an active Owner. Every check runs before anything is written, and
//! the write is conditioned on the record it was decided on.

use crate::caller::{Caller, Scope};
use crate::department::DepartmentTree;
use crate::error::{Error, Result};
use crate::ids::{DepartmentId, UserId};
use crate::ports::{Store, UserGuard, is_active_owner};
use crate::role::{Permission, RoleRef, RoleScope};
use crate::user::User;
use time::OffsetDateTime;

/// What a role grants: its permissions and where they apply. `None` for a custom role that
/// does not exist.
async fn grant_of<S: Store>(
    store: &S,
    caller: &Caller,
    role: &RoleRef,
) -> Result<Option<(crate::role::PermissionSet, RoleScope)>> {
    Ok(match role {
        RoleRef::Builtin(b) => Some((b.permissions(), b.scope())),
        RoleRef::Custom(id) => store
            .get_role(&caller.account_id, id)
            .await?
            .map(|r| (r.permissions, r.scope)),
    })
}

/// Whether the caller may hand out `role`: its permissions are a subset of the caller's and
/// its scope lies inside the caller's (an account-wide role needs an account-wide caller).
fn check_grantable(
    caller: &Caller,
    role: &RoleRef,
    grant: (crate::role::PermissionSet, RoleScope),
) -> Result<()> {
    let (permissions, scope) = grant;
    if let Some(missing) = permissions
        .iter()
        .find(|p| !caller.permissions.contains(*p))
    {
        return Err(Error::NotPermitted(format!(
            "role {} holds {missing}, which you do not hold",
            role.as_str()
        )));
    }
    // A role without permissions (Learner) reaches nothing, wherever it applies.
    if !permissions.is_empty()
        && scope == RoleScope::Account
        && matches!(caller.scope, Scope::Departments(_))
    {
        return Err(Error::NotPermitted(format!(
            "role {} applies to the whole account, beyond the departments you manage",
            role.as_str()
        )));
    }
    Ok(())
}

/// A department id the caller may name: it exists and lies in their scope. Anything else
/// answers exactly like an unknown id.
fn visible_department(
    tree: &DepartmentTree,
    caller: &Caller,
    field: &str,
    id: &DepartmentId,
) -> Result<crate::department::DepartmentPath> {
    tree.path_of(id)?
        .filter(|p| caller.scope.covers(Some(p)))
        .ok_or_else(|| Error::validation(field, format!("unknown department {id}")))
}

/// The stored user, if the caller may manage them: in scope (else `NotFound`, as an unknown id)
/// and holding nothing the caller could not grant (else `NotPermitted`).
async fn managed_user<S: Store>(
    store: &S,
    caller: &Caller,
    tree: &DepartmentTree,
    stored: Option<User>,
    id: &UserId,
) -> Result<Option<User>> {
    let Some(stored) = stored else {
        return Ok(None);
    };
    if !caller.scope.covers(stored.department.as_ref()) {
        return Err(Error::not_found("user", id.as_str()));
    }
    if let Some(grant) = grant_of(store, caller, &stored.role).await? {
        check_grantable(caller, &stored.role, grant)?;
    }
    if stored
        .managed_department_ids
        .iter()
        .any(|d| visible_department(tree, caller, "managedDepartmentIds", d).is_err())
    {
        return Err(Error::NotPermitted(format!(
            "user {id} manages departments beyond yours"
        )));
    }
    Ok(Some(stored))
}

/// The guard of a write that decided on `stored`: the record must be unchanged, and an owner
/// change needs the calling Owner to still be an active one when it lands.
fn guard(caller: &Caller, stored: Option<&User>, next: Option<&User>) -> UserGuard {
    let touches_owner = stored.is_some_and(is_active_owner) || next.is_some_and(is_active_owner);
    UserGuard {
        unchanged_since: Some(stored.cloned()),
        active_owner: touches_owner.then(|| caller.user_id.clone()),
    }
}

/// Creates or replaces a user. `department_id` places them; the stored path follows the tree.
pub async fn put_user<S: Store>(
    store: &S,
    caller: &Caller,
    mut user: User,
    department_id: Option<DepartmentId>,
    now: OffsetDateTime,
) -> Result<User> {
    caller.require(Permission::UsersManage)?;
    let account = &caller.account_id;
    let tree = store.departments(account).await?;
    let stored = store.get_user(account, &user.id).await?;
    let stored = authorize_put(store, caller, &tree, stored, &user).await?;
    user.department = department_id
        .map(|id| visible_department(&tree, caller, "departmentId", &id))
        .transpose()?;
    // The platform resends users: keep the original creation times.
    if let Some(stored) = &stored {
        user.created_at = stored.created_at;
        user.registered_at = stored.registered_at;
    } else {
        user.registered_at = Some(now);
    }
    user.updated_at = Some(now);
    let user = user.validate()?;
    let guard = guard(caller, stored.as_ref(), Some(&user));
    store.write_user(account, &user, &guard).await?;
    Ok(user)
}

/// Whether [`put_user`] would refuse `user` for anything but its department: SCIM asks
/// before it creates a department the identity provider named, so a refusal creates none.
pub async fn check_put_user<S: Store>(store: &S, caller: &Caller, user: &User) -> Result<()> {
    caller.require(Permission::UsersManage)?;
    let account = &caller.account_id;
    let tree = store.departments(account).await?;
    let stored = store.get_user(account, &user.id).await?;
    authorize_put(store, caller, &tree, stored, user).await?;
    user.clone().validate()?;
    Ok(())
}

/// The stored user `user` replaces, once the caller may write it: a user they manage, a role
/// they may grant, managed departments they see, and not their own role or status.
async fn authorize_put<S: Store>(
    store: &S,
    caller: &Caller,
    tree: &DepartmentTree,
    stored: Option<User>,
    user: &User,
) -> Result<Option<User>> {
    let stored = managed_user(store, caller, tree, stored, &user.id).await?;
    for (i, d) in user.managed_department_ids.iter().enumerate() {
        visible_department(tree, caller, &format!("managedDepartmentIds/{i}"), d)?;
    }
    let grant = grant_of(store, caller, &user.role)
        .await?
        .ok_or_else(|| Error::validation("role", format!("unknown role {}", user.role.as_str())))?;
    check_grantable(caller, &user.role, grant)?;
    if user.id == caller.user_id {
        let unchanged = stored.as_ref().is_some_and(|s| {
            s.role == user.role
                && s.status == user.status
                && sorted(&s.managed_department_ids) == sorted(&user.managed_department_ids)
        });
        if !unchanged {
            return Err(Error::NotPermitted(
                "you cannot change your own role, status or managed departments".into(),
            ));
        }
    }
    Ok(stored)
}

fn sorted(ids: &[DepartmentId]) -> Vec<&DepartmentId> {
    let mut out: Vec<&DepartmentId> = ids.iter().collect();
    out.sort();
    out.dedup();
    out
}

pub async fn delete_user<S: Store>(store: &S, caller: &Caller, id: &UserId) -> Result<()> {
    caller.require(Permission::UsersManage)?;
    let account = &caller.account_id;
    let tree = store.departments(account).await?;
    let stored = store.get_user(account, id).await?;
    let stored = managed_user(store, caller, &tree, stored, id)
        .await?
        .ok_or_else(|| Error::not_found("user", id.as_str()))?;
    if &caller.user_id == id {
        return Err(Error::NotPermitted("you cannot delete yourself".into()));
    }
    let guard = guard(caller, Some(&stored), None);
    store.remove_user(account, id, &guard).await
}
