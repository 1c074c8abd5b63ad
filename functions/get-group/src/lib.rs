//! `GET /groups/{groupId}`: one group, with its version as the ETag.

use groups_domain::{GroupId, Permission, Store, service};
use groups_http::respond::with_etag;
use groups_http::wire::GroupDto;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "get-group",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/groups/{groupId}",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "BatchGetItem"],
};

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        query::allow_only(&req, &[])?;
        let group = service::get_group(&ctx.store, &caller, &id).await?;
        let version = group.version;
        Ok(with_etag(
            json(StatusCode::OK, &GroupDto::from(group))?,
            version,
        ))
    })
    .await
}
