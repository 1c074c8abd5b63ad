//! `POST /groups`: a static group (optionally with initial members) or a smart group.

use groups_domain::service::{self, MAX_MEMBER_IDS, NewGroup};
use groups_domain::{DepartmentId, GroupKind, Permission, Store, UserId};
use groups_http::wire::{CreateGroupBody, GroupDto, parse_ids};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, body, caller,
    created, respond,
};
use serde::Serialize;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "create-group",
    trigger: Trigger::Http(&[Route {
        method: "POST",
        path: "/groups",
    }]),
    access: Access::All(&[Permission::GroupsCreate]),
    publishes: false,
    table: &[
        "PutItem",
        "UpdateItem",
        "Query",
        "BatchGetItem",
        "ConditionCheckItem",
        "Query GSI3",
    ],
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    #[serde(flatten)]
    group: GroupDto,
    /// What happened to the initial `userIds`, when there were any.
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<service::AddMembersOutcome>,
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let input: CreateGroupBody = body::json_body(&req)?;
        let user_ids = input
            .user_ids
            .map(|ids| parse_ids("userIds", ids, MAX_MEMBER_IDS, UserId::parse))
            .transpose()?;
        let new = NewGroup {
            title: input.title,
            description: input.description,
            kind: input.kind.unwrap_or(GroupKind::Static),
            rule: input.rule,
            owner_department_id: input
                .owner_department_id
                .map(|id| DepartmentId::parse("ownerDepartmentId", id))
                .transpose()?,
        };
        let (group, members) = service::create_group_with_members(
            &ctx.store,
            &caller,
            new,
            user_ids.as_deref(),
            ctx.now(),
        )
        .await?;
        let location = format!("/groups/{}", group.id);
        let version = group.version;
        let response = created(
            &location,
            &Created {
                group: group.into(),
                members,
            },
        )?;
        Ok(groups_http::respond::with_etag(response, version))
    })
    .await
}
