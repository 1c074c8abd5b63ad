//! `POST /smart-groups/preview {rule, groupId?}`: what a rule would do before it is saved:
//! how many users match (with a sample), and who would join and leave the group.

use groups_domain::{GroupId, Permission, Store, service_rules};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, body, caller, json,
    query, respond,
};
use http::StatusCode;
use serde::Deserialize;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "preview-rule",
    trigger: Trigger::Http(&[Route {
        method: "POST",
        path: "/smart-groups/preview",
    }]),
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &[
        "GetItem",
        "Query",
        "BatchGetItem",
        "Query GSI1",
        "Query GSI3",
    ],
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PreviewBody {
    rule: serde_json::Value,
    #[serde(default)]
    group_id: Option<String>,
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        query::allow_only(&req, &[])?;
        let input: PreviewBody = body::json_body(&req)?;
        let group = input
            .group_id
            .map(|g| GroupId::parse("groupId", g))
            .transpose()?;
        let preview =
            service_rules::preview(&ctx.store, &caller, &input.rule, group.as_ref(), ctx.now())
                .await?;
        json(StatusCode::OK, &preview)
    })
    .await
}
