//! `GET /users/{userId}/groups`: the groups a user belongs to, as the caller may see them.

use groups_domain::{Permission, Store, UserId, service};
use groups_http::wire::{ListDto, UserGroupDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "user-groups",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/users/{userId}/groups",
    }]),
    access: Access::All(&[Permission::UsersView, Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "BatchGetItem", "Query GSI1"],
};

const LISTING: &str = "user-groups";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "userId", "user", UserId::parse)?;
        query::allow_only(&req, &["limit", "cursor"])?;
        let page = query::page(&req, LISTING)?;
        let groups = service::user_groups(&ctx.store, &caller, &id, &page).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(groups, LISTING, |(m, g)| UserGroupDto {
                group_id: g.id.into(),
                title: g.title,
                kind: g.kind,
                source: m.source,
                added_at: m.added_at,
            }),
        )
    })
    .await
}
