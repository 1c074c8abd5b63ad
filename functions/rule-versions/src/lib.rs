//! `GET /groups/{groupId}/rule-versions`: a smart group's saved rules, newest first, with
//! who saved each and when.

use groups_domain::{GroupId, Permission, Store, service_rules};
use groups_http::wire::ListDto;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "rule-versions",
    trigger: Trigger::Http(&[Route {
        method: "GET",
        path: "/groups/{groupId}/rule-versions",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &["GetItem", "Query", "BatchGetItem"],
};

const LISTING: &str = "rule-versions";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let group = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        query::allow_only(&req, &["limit", "cursor"])?;
        let page = query::page(&req, LISTING)?;
        let versions = service_rules::rule_versions(&ctx.store, &caller, &group, &page).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(versions, LISTING, |v| v),
        )
    })
    .await
}
