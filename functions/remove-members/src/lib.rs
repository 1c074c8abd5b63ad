//! `DELETE /groups/{groupId}/members {userIds}`: remove up to 1,000 users at once, never
//! touching members outside the caller's scope.

use groups_domain::Permission;
use groups_http::{Access, FunctionDescriptor, Route, Trigger};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "remove-members",
    trigger: Trigger::Http(&[Route {
        method: "DELETE",
        path: "/groups/{groupId}/members",
    }]),
    access: Access::All(&[Permission::GroupsMembers]),
    publishes: false,
    table: &[
        "BatchGetItem",
        "UpdateItem",
        "DeleteItem",
        "ConditionCheckItem",
    ],
};

groups_http::member_edit_handler!(groups_domain::service::remove_members, now);
