//! `POST /groups/{groupId}/members {userIds}`: add up to 1,000 users at once. Answers which
//! were added, already members, not found and out of the caller's scope; repeating a call
//! changes nothing.

use groups_domain::service;
use groups_domain::{Permission, Store};
use groups_http::wire::MemberEdit;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "add-members",
    trigger: Trigger::Http(&[Route {
        method: "POST",
        path: "/groups/{groupId}/members",
    }]),
    access: Access::All(&[Permission::GroupsMembers]),
    publishes: true,
    table: &[
        "BatchGetItem",
        "UpdateItem",
        "PutItem",
        "ConditionCheckItem",
    ],
};

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let edit = MemberEdit::parse(&req)?;
        let (store, events) = (&ctx.store, ctx.events.as_ref());
        let outcome =
            service::add_members(store, events, &caller, &edit.group, &edit.users, ctx.now())
                .await?;
        json(StatusCode::OK, &outcome)
    })
    .await
}
