//! POST /groups — a static group (optionally with initial members) or a smart group.
//!
//! Shell crate: the handler arrives with the HTTP API issue; the permission it checks is fixed here.

use groups_domain::Permission;

/// The permission this function re-checks on every call.
pub const REQUIRED_PERMISSION: Permission = Permission::GroupsCreate;
