//! `GET /groups/{groupId}/members/{userId}/explain`: why a user is, or is not, in a smart
//! group: the rule tree with each condition's result and the user's actual value.

use groups_domain::{GroupId, Permission, Store, UserId, service_rules};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "explain-membership",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/groups/{groupId}/members/{userId}/explain",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "BatchGetItem", "Query GSI1"],
};

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let group = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        let user = query::path_id(&req, "userId", "user", UserId::parse)?;
        query::allow_only(&req, &[])?;
        let explanation =
            service_rules::explain(&ctx.store, &caller, &group, &user, ctx.now()).await?;
        json(StatusCode::OK, &explanation)
    })
    .await
}
