//! `PATCH /groups/{groupId}`: rename, describe, or change a smart group's rule or mode,
//! guarded by `If-Match` so that a lost update answers 412.

use groups_domain::service::{self, GroupPatch};
use groups_domain::{Error, GroupId, Permission, Store};
use groups_http::respond::with_etag;
use groups_http::wire::{GroupDto, UpdateGroupBody};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, HttpError, Request, Response, Route, Trigger, body,
    caller, json, query, respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "update-group",
    trigger: Trigger::Http(&[Route {
        method: "PATCH",
        path: "/groups/{groupId}",
    }]),
    access: Access::All(&[Permission::GroupsEdit]),
    publishes: false,
    table: &[
        "GetItem",
        "UpdateItem",
        "PutItem",
        "DeleteItem",
        "BatchGetItem",
        "ConditionCheckItem",
        "Query GSI3",
        "Query",
    ],
};

/// The version in `If-Match`: `"3"`, `W/"3"` or `3`.
fn expected_version(req: &Request) -> Result<u64, HttpError> {
    let raw = req
        .headers()
        .get(http::header::IF_MATCH)
        .ok_or(HttpError::PreconditionRequired)?
        .to_str()
        .map_err(|_| Error::validation("If-Match", "must be the group's ETag"))?;
    raw.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map_err(|_| Error::validation("If-Match", "must be the group's ETag, e.g. \"3\"").into())
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        query::allow_only(&req, &[])?;
        let input: UpdateGroupBody = body::json_body(&req)?;
        let version = expected_version(&req)?;
        let patch = GroupPatch {
            title: input.title,
            description: input.description,
            rule: input.rule,
            mode: input.mode,
            effective_at: input.effective_at,
            cancel_scheduled: match input.scheduled {
                None => false,
                Some(None) => true,
                Some(Some(_)) => {
                    return Err(Error::validation(
                        "scheduled",
                        "send null to cancel; schedule a rule with rule and effectiveAt",
                    )
                    .into());
                }
            },
            external_id: None,
        };
        let group =
            service::update_group(&ctx.store, &caller, &id, version, patch, ctx.now()).await?;
        let version = group.version;
        Ok(with_etag(
            json(StatusCode::OK, &GroupDto::from(group))?,
            version,
        ))
    })
    .await
}
