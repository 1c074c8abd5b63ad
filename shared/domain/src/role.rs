//! Roles and permissions: the matrix of DESIGN.md §2 as code.

use crate::error::{Error, Result};
use crate::ids::RoleId;
use crate::text::{MAX_NAME_CHARS, clean_line};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "groups:view")]
    GroupsView,
    #[serde(rename = "groups:create")]
    GroupsCreate,
    #[serde(rename = "groups:edit")]
    GroupsEdit,
    #[serde(rename = "groups:delete")]
    GroupsDelete,
    #[serde(rename = "groups:members")]
    GroupsMembers,
    #[serde(rename = "users:view")]
    UsersView,
    #[serde(rename = "users:manage")]
    UsersManage,
    #[serde(rename = "roles:manage")]
    RolesManage,
    #[serde(rename = "departments:manage")]
    DepartmentsManage,
    /// Changing the Account Owner: the one thing an Administrator may not do.
    #[serde(rename = "owner:manage")]
    OwnerManage,
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::GroupsView,
        Permission::GroupsCreate,
        Permission::GroupsEdit,
        Permission::GroupsDelete,
        Permission::GroupsMembers,
        Permission::UsersView,
        Permission::UsersManage,
        Permission::RolesManage,
        Permission::DepartmentsManage,
        Permission::OwnerManage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::GroupsView => "groups:view",
            Permission::GroupsCreate => "groups:create",
            Permission::GroupsEdit => "groups:edit",
            Permission::GroupsDelete => "groups:delete",
            Permission::GroupsMembers => "groups:members",
            Permission::UsersView => "users:view",
            Permission::UsersManage => "users:manage",
            Permission::RolesManage => "roles:manage",
            Permission::DepartmentsManage => "departments:manage",
            Permission::OwnerManage => "owner:manage",
        }
    }

    pub fn parse(field: &str, name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| Error::validation(field, format!("unknown permission {name:?}")))
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of permissions, cheap to copy and to pass in an authorizer context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermissionSet(u16);

impl PermissionSet {
    pub fn of(permissions: &[Permission]) -> Self {
        Self(permissions.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn all() -> Self {
        Self::of(&Permission::ALL)
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn without(self, permission: Permission) -> Self {
        Self(self.0 & !permission.bit())
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Vec::<Permission>::deserialize(d).map(|list| Self::of(&list))
    }
}

/// Where a role's permissions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RoleScope {
    /// The whole account.
    Account,
    /// The departments the user manages, nested included.
    ManagedDepartments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BuiltinRole {
    Owner,
    Admin,
    DepartmentAdmin,
    Learner,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 4] = [
        BuiltinRole::Owner,
        BuiltinRole::Admin,
        BuiltinRole::DepartmentAdmin,
        BuiltinRole::Learner,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "owner",
            BuiltinRole::Admin => "admin",
            BuiltinRole::DepartmentAdmin => "departmentAdmin",
            BuiltinRole::Learner => "learner",
        }
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            BuiltinRole::Owner => PermissionSet::all(),
            BuiltinRole::Admin => PermissionSet::all().without(OwnerManage),
            BuiltinRole::DepartmentAdmin => PermissionSet::of(&[
                GroupsView,
                GroupsCreate,
                GroupsEdit,
                GroupsDelete,
                GroupsMembers,
                UsersView,
            ]),
            BuiltinRole::Learner => PermissionSet::default(),
        }
    }

    pub fn scope(self) -> RoleScope {
        match self {
            BuiltinRole::DepartmentAdmin => RoleScope::ManagedDepartments,
            _ => RoleScope::Account,
        }
    }
}

/// A user's role: a built-in name, or the id of a custom role stored in the account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoleRef {
    Builtin(BuiltinRole),
    Custom(RoleId),
}

impl RoleRef {
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        match BuiltinRole::ALL.into_iter().find(|r| r.name() == value) {
            Some(builtin) => Ok(RoleRef::Builtin(builtin)),
            None => RoleId::parse(field, value).map(RoleRef::Custom),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RoleRef::Builtin(b) => b.name(),
            RoleRef::Custom(id) => id.as_str(),
        }
    }
}

impl Serialize for RoleRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RoleRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RoleRef::parse("role", &s).map_err(serde::de::Error::custom)
    }
}

/// A role an account defines: any subset of the permissions, over the account or the
/// departments its holders manage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomRole {
    pub id: RoleId,
    pub name: String,
    pub permissions: PermissionSet,
    pub scope: RoleScope,
}

impl CustomRole {
    pub fn new(
        id: RoleId,
        name: &str,
        permissions: PermissionSet,
        scope: RoleScope,
    ) -> Result<Self> {
        if permissions.contains(Permission::OwnerManage) {
            return Err(Error::validation(
                "permissions",
                "owner:manage belongs to the Account Owner only",
            ));
        }
        Ok(Self {
            id,
            name: clean_line("name", name, MAX_NAME_CHARS)?,
            permissions,
            scope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Permission::*;
    use super::*;

    fn perms(role: BuiltinRole) -> Vec<Permission> {
        role.permissions().iter().collect()
    }

    #[test]
    fn owner_has_everything_over_the_account() {
        assert_eq!(perms(BuiltinRole::Owner), Permission::ALL.to_vec());
        assert_eq!(BuiltinRole::Owner.scope(), RoleScope::Account);
    }

    #[test]
    fn admin_has_everything_but_managing_the_owner() {
        let p = BuiltinRole::Admin.permissions();
        assert!(!p.contains(OwnerManage));
        assert_eq!(p.iter().count(), Permission::ALL.len() - 1);
        assert_eq!(BuiltinRole::Admin.scope(), RoleScope::Account);
    }

    #[test]
    fn department_admin_manages_groups_and_views_users_in_their_departments() {
        assert_eq!(
            perms(BuiltinRole::DepartmentAdmin),
            vec![
                GroupsView,
                GroupsCreate,
                GroupsEdit,
                GroupsDelete,
                GroupsMembers,
                UsersView
            ]
        );
        assert_eq!(
            BuiltinRole::DepartmentAdmin.scope(),
            RoleScope::ManagedDepartments
        );
    }

    #[test]
    fn learner_has_nothing_on_this_api() {
        assert!(BuiltinRole::Learner.permissions().is_empty());
    }

    #[test]
    fn custom_roles_hold_any_subset_but_never_owner_manage() {
        let set = PermissionSet::of(&[GroupsView, UsersView]);
        let role = CustomRole::new(
            RoleId::parse("id", "viewer").expect("id"),
            "Viewer",
            set,
            RoleScope::ManagedDepartments,
        )
        .expect("valid role");
        assert!(role.permissions.contains(GroupsView));
        assert!(!role.permissions.contains(GroupsEdit));
        let json = serde_json::to_string(&role).expect("json");
        assert!(
            json.contains("\"permissions\":[\"groups:view\",\"users:view\"]"),
            "{json}"
        );
        assert!(
            CustomRole::new(
                role.id.clone(),
                "x",
                PermissionSet::of(&[OwnerManage]),
                RoleScope::Account
            )
            .is_err()
        );
    }

    #[test]
    fn role_refs_parse_builtins_first() {
        assert_eq!(
            RoleRef::parse("role", "departmentAdmin").ok(),
            Some(RoleRef::Builtin(BuiltinRole::DepartmentAdmin))
        );
        assert!(matches!(
            RoleRef::parse("role", "trainer"),
            Ok(RoleRef::Custom(_))
        ));
        assert!(RoleRef::parse("role", "bad role").is_err());
        assert_eq!(Permission::parse("p", "groups:edit").ok(), Some(GroupsEdit));
        assert!(Permission::parse("p", "groups:fly").is_err());
    }
}
