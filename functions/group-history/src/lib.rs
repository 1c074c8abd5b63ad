//! `GET /groups/{groupId}/history`: the group's joins and leaves with their causes, newest
//! first (one Query a page), with each member's directory entry as the member list shows it.

use groups_domain::{GroupId, Permission, Store, service_history};
use groups_http::wire::{HistoryDto, ListDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "group-history",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/groups/{groupId}/history",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "Query", "BatchGetItem"],
};

const LISTING: &str = "group-history";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let group = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        query::allow_only(&req, &["limit", "cursor"])?;
        let page = query::page(&req, LISTING)?;
        let entries =
            service_history::group_history(&ctx.store, &caller, &group, &page, ctx.now()).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(entries, LISTING, HistoryDto::from),
        )
    })
    .await
}
