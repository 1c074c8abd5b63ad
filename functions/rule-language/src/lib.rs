//! `GET /smart-groups/rule-language`: the rule language as data, built from the engine's own
//! attribute and operator lists, so the console builds its pickers from what the engine
//! accepts.

use groups_domain::rule::catalog::catalog;
use groups_domain::{Permission, Store};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "rule-language",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/smart-groups/rule-language",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &[],
};

pub async fn handle<S: Store>(_: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        caller.require(Permission::GroupsView)?;
        query::allow_only(&req, &[])?;
        json(StatusCode::OK, &catalog())
    })
    .await
}
