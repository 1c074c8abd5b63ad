//! Custom roles (DESIGN §10): list, read, create, change and delete with `roles:manage`.
//! A manager hands out nothing it does not hold itself: a role's permissions are a subset of
//! the manager's, an account-wide role needs an account-wide manager, and nobody changes the
//! role they hold. Holders resolve their role on every request, so a change applies to their
//! next one.

use crate::caller::{Caller, Scope};
use crate::error::{Error, Result};
use crate::group::title_key;
use crate::ids::RoleId;
use crate::page::{Page, PageRequest};
use crate::ports::{Store, UserQuery};
use crate::role::{BuiltinRole, CustomRole, Permission, PermissionSet, RoleRef, RoleScope};
use std::collections::HashMap;

/// A custom role and how many users hold it (within the caller's scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleView {
    pub role: CustomRole,
    pub holders: u64,
}

fn require_view(caller: &Caller) -> Result<()> {
    if caller.require(Permission::RolesManage).is_ok() {
        return Ok(());
    }
    // Those who assign roles to users pick them from this list.
    caller.require(Permission::UsersManage)
}

/// Users per custom role, among the users `scope` reaches (one pass over them).
async fn holders<S: Store>(
    store: &S,
    caller: &Caller,
    scope: &Scope,
) -> Result<HashMap<RoleId, u64>> {
    let mut query = UserQuery {
        page: PageRequest::first(crate::page::MAX_LIMIT),
        ..UserQuery::default()
    };
    let mut counts: HashMap<RoleId, u64> = HashMap::new();
    loop {
        let page = store.list_users(&caller.account_id, scope, &query).await?;
        for user in &page.items {
            if let RoleRef::Custom(id) = &user.role {
                *counts.entry(id.clone()).or_default() += 1;
            }
        }
        match page.next_cursor {
            Some(c) => query.page.cursor = Some(c),
            None => return Ok(counts),
        }
    }
}

pub async fn list_roles<S: Store>(
    store: &S,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<RoleView>> {
    require_view(caller)?;
    let roles = store.list_roles(&caller.account_id, page).await?;
    let counts = holders(store, caller, &caller.scope).await?;
    Ok(roles.map(|role| RoleView {
        holders: counts.get(&role.id).copied().unwrap_or(0),
        role,
    }))
}

async fn stored<S: Store>(store: &S, caller: &Caller, id: &RoleId) -> Result<CustomRole> {
    store
        .get_role(&caller.account_id, id)
        .await?
        .ok_or_else(|| Error::not_found("role", id.as_str()))
}

pub async fn get_role<S: Store>(store: &S, caller: &Caller, id: &RoleId) -> Result<RoleView> {
    require_view(caller)?;
    let role = stored(store, caller, id).await?;
    let counts = holders(store, caller, &caller.scope).await?;
    Ok(RoleView {
        holders: counts.get(id).copied().unwrap_or(0),
        role,
    })
}

/// Whether the caller may define or hold sway over a role with these grants.
fn check_within(caller: &Caller, permissions: PermissionSet, scope: RoleScope) -> Result<()> {
    if let Some(missing) = permissions
        .iter()
        .find(|p| !caller.permissions.contains(*p))
    {
        return Err(Error::NotPermitted(format!(
            "the role would hold {missing}, which you do not hold"
        )));
    }
    if !permissions.is_empty()
        && scope == RoleScope::Account
        && matches!(caller.scope, Scope::Departments(_))
    {
        return Err(Error::NotPermitted(
            "the role would apply to the whole account, beyond the departments you manage".into(),
        ));
    }
    Ok(())
}

/// Refuses a name another role has (any case): admins pick roles by name.
async fn check_name_free<S: Store>(store: &S, caller: &Caller, role: &CustomRole) -> Result<()> {
    let key = title_key(&role.name);
    let mut page = PageRequest::first(crate::page::MAX_LIMIT);
    loop {
        let roles = store.list_roles(&caller.account_id, &page).await?;
        if roles
            .items
            .iter()
            .any(|r| r.id != role.id && title_key(&r.name) == key)
        {
            return Err(Error::Conflict(format!(
                "a role named \"{}\" already exists",
                role.name
            )));
        }
        match roles.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return Ok(()),
        }
    }
}

/// What `POST /roles` carries.
#[derive(Debug, Clone)]
pub struct NewRole {
    pub id: Option<RoleId>,
    pub name: String,
    pub permissions: PermissionSet,
    pub scope: RoleScope,
}

pub async fn create_role<S: Store>(store: &S, caller: &Caller, input: NewRole) -> Result<RoleView> {
    caller.require(Permission::RolesManage)?;
    let id = input.id.unwrap_or_else(RoleId::generate);
    if BuiltinRole::ALL.iter().any(|b| b.name() == id.as_str()) {
        return Err(Error::validation(
            "id",
            format!("{id} is a built-in role's name"),
        ));
    }
    let role = CustomRole::new(id, &input.name, input.permissions, input.scope)?;
    check_within(caller, role.permissions, role.scope)?;
    if store
        .get_role(&caller.account_id, &role.id)
        .await?
        .is_some()
    {
        return Err(Error::AlreadyExists {
            resource: "role",
            id: role.id.to_string(),
        });
    }
    check_name_free(store, caller, &role).await?;
    store.put_role(&caller.account_id, &role).await?;
    Ok(RoleView { role, holders: 0 })
}

/// What `PATCH /roles/{id}` carries.
#[derive(Debug, Clone, Default)]
pub struct RoleChange {
    pub name: Option<String>,
    pub permissions: Option<PermissionSet>,
    pub scope: Option<RoleScope>,
}

/// The stored role, if the caller may change or delete it: it holds nothing beyond the caller,
/// is not the caller's own role, and (for a department-scoped caller) nobody outside the
/// caller's departments holds it, since changing it would change them.
async fn managed<S: Store>(store: &S, caller: &Caller, id: &RoleId) -> Result<CustomRole> {
    let role = stored(store, caller, id).await?;
    check_within(caller, role.permissions, role.scope)?;
    if caller.role == RoleRef::Custom(id.clone()) {
        return Err(Error::NotPermitted(
            "you hold this role; another manager changes it".into(),
        ));
    }
    if matches!(caller.scope, Scope::Departments(_)) {
        let count = |m: HashMap<RoleId, u64>| m.get(id).copied().unwrap_or(0);
        let everywhere = count(holders(store, caller, &Scope::Account).await?);
        let inside = count(holders(store, caller, &caller.scope).await?);
        if everywhere > inside {
            return Err(Error::NotPermitted(format!(
                "role {id} is held by users outside the departments you manage"
            )));
        }
    }
    Ok(role)
}

pub async fn update_role<S: Store>(
    store: &S,
    caller: &Caller,
    id: &RoleId,
    change: RoleChange,
) -> Result<RoleView> {
    caller.require(Permission::RolesManage)?;
    let current = managed(store, caller, id).await?;
    let next = CustomRole::new(
        current.id.clone(),
        change.name.as_deref().unwrap_or(&current.name),
        change.permissions.unwrap_or(current.permissions),
        change.scope.unwrap_or(current.scope),
    )?;
    check_within(caller, next.permissions, next.scope)?;
    check_name_free(store, caller, &next).await?;
    store.put_role(&caller.account_id, &next).await?;
    let counts = holders(store, caller, &caller.scope).await?;
    Ok(RoleView {
        holders: counts.get(id).copied().unwrap_or(0),
        role: next,
    })
}

/// Deletes a role nobody holds (else `InUse` with the number of holders in the account).
pub async fn delete_role<S: Store>(store: &S, caller: &Caller, id: &RoleId) -> Result<()> {
    caller.require(Permission::RolesManage)?;
    managed(store, caller, id).await?;
    let held = holders(store, caller, &Scope::Account)
        .await?
        .get(id)
        .copied()
        .unwrap_or(0);
    if held > 0 {
        return Err(Error::InUse {
            message: format!("role {id} is held by {held} users; give them another role first"),
            counts: vec![("holders", held)],
        });
    }
    store.delete_role(&caller.account_id, id).await
}
