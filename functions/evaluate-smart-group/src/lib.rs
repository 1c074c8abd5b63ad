//! POST /groups/{groupId}/evaluate, the user stream and the refresh schedule — smart-group evaluation.
//!
//! Shell crate: the handler arrives with the HTTP API issue; the permission it checks is fixed here.

use groups_domain::Permission;

/// The permission this function re-checks on every call.
pub const REQUIRED_PERMISSION: Permission = Permission::GroupsEdit;
