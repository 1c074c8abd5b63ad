//! `DELETE /groups/{groupId}` and the bulk `DELETE /groups {groupIds}` of the console's
//! checkbox column: groups and their memberships.

use groups_domain::service::{self, MAX_BULK_DELETE};
use groups_domain::{GroupId, Permission, Store};
use groups_http::wire::{GroupIdsBody, parse_ids};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, body, caller, json,
    no_content, query, respond,
};
use http::StatusCode;
use lambda_http::RequestExt;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "delete-group",
    trigger: Trigger::Http(&[
        Route {
            method: "DELETE",
            path: "/groups/{groupId}",
        },
        Route {
            method: "DELETE",
            path: "/groups",
        },
    ]),
    access: Access::All(&[Permission::GroupsDelete]),
    publishes: false,
    table: &[
        "GetItem",
        "DeleteItem",
        "Query",
        "BatchWriteItem",
        "ConditionCheckItem",
        "BatchGetItem",
        "PutItem",
    ],
};

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        query::allow_only(&req, &[])?;
        let single = req
            .path_parameters_ref()
            .is_some_and(|p| p.first("groupId").is_some());
        if single {
            let id = query::path_id(&req, "groupId", "group", GroupId::parse)?;
            service::delete_group(&ctx.store, &caller, &id, ctx.now()).await?;
            return no_content();
        }
        let input: GroupIdsBody = body::json_body(&req)?;
        let ids = parse_ids("groupIds", input.group_ids, MAX_BULK_DELETE, GroupId::parse)?;
        let outcome = service::delete_groups(&ctx.store, &caller, &ids, ctx.now()).await?;
        json(StatusCode::OK, &outcome)
    })
    .await
}
