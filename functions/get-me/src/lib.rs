//! `GET /me`: who the caller is and what they may do (role, permissions, scope), so a client
//! can show only the actions that will be allowed, custom roles included.

use groups_domain::{Scope, Store};
use groups_http::wire::MeDto;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "get-me",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/me",
    }]),
    // Every signed-in caller may ask who they are.
    access: Access::SignedIn,
    publishes: false,
    table: &["GetItem"],
};

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        query::allow_only(&req, &[])?;
        let user = ctx
            .store
            .get_user(&caller.account_id, &caller.user_id)
            .await?;
        let department_ids = match &caller.scope {
            Scope::Account => None,
            Scope::Departments(ids) => Some(ids.iter().map(ToString::to_string).collect()),
        };
        json(
            StatusCode::OK,
            &MeDto {
                account_id: caller.account_id.to_string(),
                user_id: caller.user_id.to_string(),
                role: caller.role.as_str().to_owned(),
                permissions: caller.permissions,
                department_ids,
                user: user.map(Into::into),
            },
        )
    })
    .await
}
