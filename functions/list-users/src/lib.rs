//! `GET /users?departmentId=&nested=&q=`: users the caller may see, for the member picker.

use groups_domain::{DepartmentId, Permission, Store, service};
use groups_http::wire::{ListDto, UserDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "list-users",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/users",
    }]),
    access: Access::All(&[Permission::UsersView]),
    publishes: false,
    table: &["Query", "Query GSI1"],
};

const MAX_SEARCH_CHARS: usize = 200;

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        query::allow_only(&req, &["departmentId", "nested", "q", "limit", "cursor"])?;
        let department = query::param(&req, "departmentId")
            .map(|d| DepartmentId::parse("departmentId", d))
            .transpose()?;
        let nested = query::flag(&req, "nested")?.unwrap_or(true);
        let text = query::search(&req, "q", MAX_SEARCH_CHARS)?;
        // Cursors of one department's listing differ from the account-wide ones.
        let listing = match &department {
            Some(d) => format!("users:{d}:{nested}"),
            None => "users".to_owned(),
        };
        let page = query::page(&req, &listing)?;
        let users = service::list_users(
            &ctx.store,
            &caller,
            department.as_ref().map(|d| (d, nested)),
            text,
            page,
        )
        .await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(users, &listing, UserDto::from),
        )
    })
    .await
}
