//! `GET /users/{userId}/history`: the user's joins and leaves of groups with their causes,
//! newest first (one Query a page on GSI1), each with the group's title.

use groups_domain::{Permission, Store, UserId, service_history};
use groups_http::wire::{HistoryDto, ListDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "user-history",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/users/{userId}/history",
    }]),
    access: Access::All(&[Permission::UsersView, Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "Query GSI1", "BatchGetItem"],
};

const LISTING: &str = "user-history";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let user = query::path_id(&req, "userId", "user", UserId::parse)?;
        query::allow_only(&req, &["limit", "cursor"])?;
        let page = query::page(&req, LISTING)?;
        let entries =
            service_history::user_history(&ctx.store, &caller, &user, &page, ctx.now()).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(entries, LISTING, HistoryDto::from),
        )
    })
    .await
}
