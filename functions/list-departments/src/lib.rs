//! `GET /departments`: the department tree (as a flat, paged list with parent ids) within the
//! caller's scope, for pickers.

use groups_domain::{Permission, Store, service};
use groups_http::wire::{DepartmentDto, ListDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "list-departments",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/departments",
    }]),
    // users:view, or groups:view for callers who only pick owning departments.
    access: Access::Any(&[Permission::UsersView, Permission::GroupsView]),
    publishes: false,
    table: &["Query"],
};

const LISTING: &str = "departments";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        query::allow_only(&req, &["limit", "cursor"])?;
        let page = query::page(&req, LISTING)?;
        let departments = service::list_departments(&ctx.store, &caller, &page).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(departments, LISTING, DepartmentDto::from),
        )
    })
    .await
}
