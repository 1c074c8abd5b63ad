//! `GET /groups/{groupId}/members`: a page of members with their directory entries.

use groups_domain::{GroupId, Permission, Store, service};
use groups_http::wire::{ListDto, MemberDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "list-members",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/groups/{groupId}/members",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "Query", "BatchGetItem"],
};

const LISTING: &str = "members";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        query::allow_only(&req, &["limit", "cursor"])?;
        let page = query::page(&req, LISTING)?;
        let members = service::list_members(&ctx.store, &caller, &id, &page).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(members, LISTING, MemberDto::from),
        )
    })
    .await
}
