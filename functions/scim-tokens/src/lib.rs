//! SCIM tokens, the Account Owner's alone: `POST /scim-tokens` issues one (its secret is in
//! this answer only), `GET /scim-tokens` lists them without secrets, and
//! `DELETE /scim-tokens/{tokenId}` revokes one at once.

use groups_domain::scim_token::{self, OnDelete, ScimToken};
use groups_domain::{Permission, Store};
use groups_http::wire::ListDto;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, body, caller,
    created, json, no_content, query, respond,
};
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "scim-tokens",
    trigger: Trigger::Http(&[
        Route {
            method: "GET",
            path: "/scim-tokens",
        },
        Route {
            method: "POST",
            path: "/scim-tokens",
        },
        Route {
            method: "DELETE",
            path: "/scim-tokens/{tokenId}",
        },
    ]),
    access: Access::All(&[Permission::OwnerManage]),
    publishes: false,
    table: &["PutItem", "DeleteItem", "Query"],
};

const LISTING: &str = "scim-tokens";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewToken {
    name: String,
    #[serde(default)]
    on_delete: OnDelete,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenDto {
    id: String,
    name: String,
    on_delete: OnDelete,
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// Only in the answer that issues it.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl TokenDto {
    fn of(t: ScimToken, token: Option<String>) -> Self {
        Self {
            id: t.id,
            name: t.name,
            on_delete: t.on_delete,
            created_by: t.created_by.to_string(),
            created_at: t.created_at,
            token,
        }
    }
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        if let Some(id) = query::path_param(&req, "tokenId") {
            query::allow_only(&req, &[])?;
            scim_token::revoke(&ctx.store, &caller, &id).await?;
            return no_content();
        }
        if *req.method() == Method::POST {
            query::allow_only(&req, &[])?;
            let input: NewToken = body::json_body(&req)?;
            let issued =
                scim_token::issue(&ctx.store, &caller, &input.name, input.on_delete, ctx.now())
                    .await?;
            let location = format!("/scim-tokens/{}", issued.token.id);
            return created(&location, &TokenDto::of(issued.token, Some(issued.secret)));
        }
        query::allow_only(&req, &["limit", "cursor"])?;
        let page = query::page(&req, LISTING)?;
        let tokens = scim_token::list(&ctx.store, &caller, &page).await?;
        json(
            StatusCode::OK,
            &ListDto::from_page(tokens, LISTING, |t| TokenDto::of(t, None)),
        )
    })
    .await
}
