//! `POST /groups/{groupId}/members {userIds}`: add up to 1,000 users at once. Answers which
//! were added, already members, not found and out of the caller's scope; repeating a call
//! changes nothing.

use groups_domain::Permission;
use groups_http::{Access, FunctionDescriptor, Route, Trigger};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "add-members",
    trigger: Trigger::Http(&[Route {
        method: "POST",
        path: "/groups/{groupId}/members",
    }]),
    access: Access::All(&[Permission::GroupsMembers]),
    publishes: false,
    table: &[
        "BatchGetItem",
        "UpdateItem",
        "PutItem",
        "ConditionCheckItem",
    ],
};

groups_http::member_edit_handler!(groups_domain::service::add_members, now);
