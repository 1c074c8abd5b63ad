//! User sync from the platform's user service: the writes that drive smart groups.

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::ports::Store;
use crate::role::{BuiltinRole, Permission, RoleRef};
use crate::user::User;

/// Creates or replaces a user. `department_id` places them; the stored path follows the tree.
pub async fn put_user<S: Store>(
    store: &S,
    caller: &Caller,
    mut user: User,
    department_id: Option<crate::ids::DepartmentId>,
) -> Result<User> {
    caller.require(Permission::UsersManage)?;
    if user.role == RoleRef::Builtin(BuiltinRole::Owner) && !caller.is_owner() {
        return Err(Error::Forbidden {
            permission: Permission::OwnerManage.name().to_owned(),
        });
    }
    let existing = store.get_user(&caller.account_id, &user.id).await?;
    if existing
        .as_ref()
        .is_some_and(|u| u.role == RoleRef::Builtin(BuiltinRole::Owner))
        && !caller.is_owner()
    {
        return Err(Error::Forbidden {
            permission: Permission::OwnerManage.name().to_owned(),
        });
    }
    let tree = store.departments(&caller.account_id).await?;
    user.department = match &department_id {
        None => None,
        Some(id) => Some(tree.path_of(id)?.ok_or_else(|| {
            Error::validation("departmentId", format!("unknown department {id}"))
        })?),
    };
    if let Some(bad) = user
        .managed_department_ids
        .iter()
        .find(|d| tree.get(d).is_none())
    {
        return Err(Error::validation(
            "managedDepartmentIds",
            format!("unknown department {bad}"),
        ));
    }
    if !caller.scope.covers(user.department.as_ref()) {
        return Err(Error::validation(
            "departmentId",
            "outside the departments you manage",
        ));
    }
    if let RoleRef::Custom(role) = &user.role
        && store.get_role(&caller.account_id, role).await?.is_none()
    {
        return Err(Error::validation("role", format!("unknown role {role}")));
    }
    // Keep the original creation time when the platform resends a user.
    if let Some(existing) = existing {
        user.created_at = existing.created_at;
    }
    let user = user.validate()?;
    store.put_user(&caller.account_id, &user).await?;
    Ok(user)
}

pub async fn delete_user<S: Store>(store: &S, caller: &Caller, id: &UserId) -> Result<()> {
    caller.require(Permission::UsersManage)?;
    let user = store
        .get_user(&caller.account_id, id)
        .await?
        .filter(|u| caller.scope.covers(u.department.as_ref()))
        .ok_or_else(|| Error::not_found("user", id.as_str()))?;
    if user.role == RoleRef::Builtin(BuiltinRole::Owner) && !caller.is_owner() {
        return Err(Error::Forbidden {
            permission: Permission::OwnerManage.name().to_owned(),
        });
    }
    store.delete_user(&caller.account_id, id).await
}
