//! `/groups/{groupId}/overrides`: a smart group's overrides (DESIGN §11). `GET` lists those in
//! force by user id; `POST {userId, effect, reason, expiresAt?}` includes or excludes one person
//! (replacing their override); `DELETE .../{userId}` hands them back to the rule. A write and
//! the membership it changes are one transaction.

use groups_domain::service_overrides::{self, NewOverride};
use groups_domain::{GroupId, OverrideEffect, Permission, Store, UserId};
use groups_http::wire::ListDto;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json,
    json_body, query, respond,
};
use http::{Method, StatusCode};
use serde::Deserialize;
use time::OffsetDateTime;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "group-overrides",
    trigger: Trigger::Http(&[
        Route {
            method: "GET",
            path: "/groups/{groupId}/overrides",
        },
        Route {
            method: "POST",
            path: "/groups/{groupId}/overrides",
        },
        Route {
            method: "DELETE",
            path: "/groups/{groupId}/overrides/{userId}",
        },
    ]),
    // Writes also need groups:members, which the use cases check.
    access: Access::All(&[Permission::GroupsView]),
    publishes: false,
    table: &[
        "BatchGetItem",
        "Query GSI1",
        "UpdateItem",
        "PutItem",
        "DeleteItem",
    ],
};

const LISTING: &str = "overrides";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OverrideBody {
    user_id: String,
    effect: OverrideEffect,
    reason: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let group = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        if query::path_param(&req, "userId").is_some() {
            // The router sends only DELETE here.
            let user = query::path_id(&req, "userId", "override", UserId::parse)?;
            query::allow_only(&req, &[])?;
            let now = ctx.now();
            let outcome =
                service_overrides::delete_override(&ctx.store, &caller, &group, &user, now).await?;
            return json(StatusCode::OK, &outcome);
        }
        if *req.method() == Method::POST {
            query::allow_only(&req, &[])?;
            let body: OverrideBody = json_body(&req)?;
            let new = NewOverride {
                user_id: UserId::parse("userId", body.user_id)?,
                effect: body.effect,
                reason: body.reason,
                expires_at: body.expires_at,
            };
            let now = ctx.now();
            let outcome =
                service_overrides::put_override(&ctx.store, &caller, &group, new, now).await?;
            let status = if outcome.replaced {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            return json(status, &outcome);
        }
        query::allow_only(&req, &["limit", "cursor"])?;
        let page = query::page(&req, LISTING)?;
        let now = ctx.now();
        let overrides =
            service_overrides::list_overrides(&ctx.store, &caller, &group, &page, now).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(overrides, LISTING, |o| o),
        )
    })
    .await
}
