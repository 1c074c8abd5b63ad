//! `POST /smart-groups/preview {rule, groupId?}`: what a rule would do before it is saved:
//! how many users match (with a sample), and who would join and leave the group.
//! `POST /smart-groups/test {rule, groupId?, userIds}`: the rule explained for up to 100
//! chosen users (draft testing). `POST /smart-groups/health {rule, groupId?}`: how the rule
//! meets the directory (rule health).

use groups_domain::{GroupId, Permission, Store, UserId, service_rules};
use groups_http::wire::parse_ids;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, body, caller, json,
    query, respond,
};
use http::StatusCode;
use serde::Deserialize;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "preview-rule",
    trigger: Trigger::Http(&[
        Route {
            method: "POST",
            path: "/smart-groups/preview",
        },
        Route {
            method: "POST",
            path: TEST_PATH,
        },
        Route {
            method: "POST",
            path: HEALTH_PATH,
        },
    ]),
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

const TEST_PATH: &str = "/smart-groups/test";
const HEALTH_PATH: &str = "/smart-groups/health";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PreviewBody {
    rule: serde_json::Value,
    #[serde(default)]
    group_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TestBody {
    rule: serde_json::Value,
    #[serde(default)]
    group_id: Option<String>,
    user_ids: Vec<String>,
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        query::allow_only(&req, &[])?;
        if req.uri().path().ends_with(TEST_PATH) {
            let input: TestBody = body::json_body(&req)?;
            let group = input
                .group_id
                .map(|g| GroupId::parse("groupId", g))
                .transpose()?;
            let users = parse_ids(
                "userIds",
                input.user_ids,
                service_rules::MAX_TEST_USERS,
                UserId::parse,
            )?;
            let tested = service_rules::test_rule(
                &ctx.store,
                &caller,
                &input.rule,
                group.as_ref(),
                &users,
                ctx.now(),
            )
            .await?;
            return json(StatusCode::OK, &tested);
        }
        let input: PreviewBody = body::json_body(&req)?;
        let group = input
            .group_id
            .map(|g| GroupId::parse("groupId", g))
            .transpose()?;
        if req.uri().path().ends_with(HEALTH_PATH) {
            let health = groups_domain::rule_health::rule_health(
                &ctx.store,
                &caller,
                &input.rule,
                group.as_ref(),
                ctx.now(),
            )
            .await?;
            return json(StatusCode::OK, &health);
        }
        let preview = service_rules::preview(
            &ctx.store,
            &caller,
            &input.rule,
            group.as_ref(),
            groups_http::guard_from_env(),
            ctx.now(),
        )
        .await?;
        json(StatusCode::OK, &preview)
    })
    .await
}
