//! Who is calling: resolved once by the authorizer, re-checked by every function.

use crate::department::DepartmentPath;
use crate::error::{Error, Result};
use crate::ids::{AccountId, DepartmentId, UserId};
use crate::role::{BuiltinRole, CustomRole, Permission, PermissionSet, RoleRef, RoleScope};
use serde::{Deserialize, Serialize};

/// The part of the account a caller may see and manage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "departmentIds")]
pub enum Scope {
    Account,
    /// These departments and everything nested under them.
    Departments(Vec<DepartmentId>),
}

impl Scope {
    /// Does the scope reach something located at `path` (`None`: account level)?
    pub fn covers(&self, path: Option<&DepartmentPath>) -> bool {
        match (self, path) {
            (Scope::Account, _) => true,
            (Scope::Departments(_), None) => false,
            (Scope::Departments(ids), Some(path)) => ids.iter().any(|id| path.is_within(id)),
        }
    }
}

/// Which door a request came through. A SCIM token reaches only `/scim/v2`, and a person's
/// token never does: each door's functions refuse the other's callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    /// A person signed in to the admin API or the console.
    #[default]
    Admin,
    /// An identity provider through SCIM, with an Account Owner's token.
    Provisioning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub role: RoleRef,
    pub permissions: PermissionSet,
    pub scope: Scope,
    pub channel: Channel,
}

impl Caller {
    /// Resolves a caller from their role. `custom` is the stored custom role when `role` names
    /// one (a missing custom role grants nothing); `managed` are the departments they manage.
    pub fn resolve(
        account_id: AccountId,
        user_id: UserId,
        role: RoleRef,
        custom: Option<&CustomRole>,
        managed: Vec<DepartmentId>,
    ) -> Self {
        let (permissions, scope_kind) = match (&role, custom) {
            (RoleRef::Builtin(b), _) => (b.permissions(), b.scope()),
            (RoleRef::Custom(id), Some(c)) if &c.id == id => (c.permissions, c.scope),
            (RoleRef::Custom(_), _) => (PermissionSet::default(), RoleScope::Account),
        };
        let scope = match scope_kind {
            RoleScope::Account => Scope::Account,
            RoleScope::ManagedDepartments => Scope::Departments(managed),
        };
        Self {
            account_id,
            user_id,
            role,
            permissions,
            scope,
            channel: Channel::Admin,
        }
    }

    /// The caller behind a SCIM token: the account's directory and groups with an
    /// Administrator's permissions (never an Owner's, so it cannot touch an Owner). `token_id`
    /// stands where a person's id would, so history names the token as the actor.
    pub fn provisioner(account_id: AccountId, token_id: UserId) -> Self {
        Self {
            channel: Channel::Provisioning,
            ..Self::resolve(
                account_id,
                token_id,
                RoleRef::Builtin(BuiltinRole::Admin),
                None,
                Vec::new(),
            )
        }
    }

    pub fn is_provisioner(&self) -> bool {
        self.channel == Channel::Provisioning
    }

    /// What a change this caller makes says set it in motion.
    pub fn trigger(&self) -> crate::history::Trigger {
        match self.channel {
            Channel::Admin => crate::history::Trigger::Api,
            Channel::Provisioning => crate::history::Trigger::Provisioning,
        }
    }

    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden(permission))
        }
    }

    pub fn is_owner(&self) -> bool {
        self.role == RoleRef::Builtin(BuiltinRole::Owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RoleId;

    fn dep(s: &str) -> DepartmentId {
        DepartmentId::parse("d", s).expect("id")
    }

    fn caller(role: RoleRef, custom: Option<&CustomRole>) -> Caller {
        Caller::resolve(
            AccountId::parse("a", "acme").expect("id"),
            UserId::parse("u", "u1").expect("id"),
            role,
            custom,
            vec![dep("sales")],
        )
    }

    #[test]
    fn department_admins_are_scoped_to_their_subtrees() {
        let c = caller(RoleRef::Builtin(BuiltinRole::DepartmentAdmin), None);
        let inside = DepartmentPath::new(vec![dep("root"), dep("sales"), dep("emea")]).expect("p");
        let outside = DepartmentPath::new(vec![dep("root"), dep("hr")]).expect("p");
        assert!(c.scope.covers(Some(&inside)));
        assert!(!c.scope.covers(Some(&outside)));
        assert!(
            !c.scope.covers(None),
            "account-level groups are outside any department scope"
        );
        assert!(c.require(Permission::GroupsMembers).is_ok());
        assert!(matches!(
            c.require(Permission::UsersManage),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn admins_see_the_whole_account() {
        let c = caller(RoleRef::Builtin(BuiltinRole::Admin), None);
        assert!(c.scope.covers(None));
        assert!(c.require(Permission::UsersManage).is_ok());
        assert!(c.require(Permission::OwnerManage).is_err());
    }

    #[test]
    fn custom_roles_grant_only_their_permissions_and_a_missing_one_grants_nothing() {
        let id = RoleId::parse("r", "trainer").expect("id");
        let role = CustomRole::new(
            id.clone(),
            "Trainer",
            PermissionSet::of(&[Permission::GroupsView]),
            RoleScope::Account,
        )
        .expect("role");
        let with = caller(RoleRef::Custom(id.clone()), Some(&role));
        assert!(with.require(Permission::GroupsView).is_ok());
        assert!(with.require(Permission::GroupsCreate).is_err());
        let missing = caller(RoleRef::Custom(id), None);
        assert!(missing.permissions.is_empty());
    }
}
