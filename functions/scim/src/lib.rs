//! `/scim/v2` (RFC 7643/7644): identity providers (Entra ID, Okta) provision the directory's
//! users and static groups with an Account Owner's SCIM token. One function serves every SCIM
//! route; its access admits SCIM tokens only, and a revoked token stops at once (the token is
//! read on every request, whatever the authorizer's cache holds).

mod discovery;
mod etag;
mod filter;
mod groups;
mod json;
mod list;
mod patch;
mod user;
mod users;

use groups_domain::{Error, Store};
use groups_http::scim::{ScimError, respond};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, HttpError, Request, Response, Route, Trigger,
};
use http::StatusCode;
use serde_json::Value;

macro_rules! routes {
    ($($method:literal $path:literal),* $(,)?) => {
        &[$(Route { method: $method, path: $path }),*]
    };
}

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "scim",
    // One greedy route a method: SCIM's own routing (and its 404 and 405) answers in SCIM's
    // shape, which API Gateway's unmatched-route answer is not.
    trigger: Trigger::Http(routes![
        "GET" "/scim/v2/{proxy+}",
        "POST" "/scim/v2/{proxy+}",
        "PUT" "/scim/v2/{proxy+}",
        "PATCH" "/scim/v2/{proxy+}",
        "DELETE" "/scim/v2/{proxy+}",
    ]),
    access: Access::Provisioning,
    publishes: false,
    // What the services it calls need: users, departments, groups and memberships.
    table: &[
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "BatchGetItem",
        "BatchWriteItem",
        "ConditionCheckItem",
        "Query GSI1",
        "Query GSI2",
        "Query GSI3",
    ],
};

/// A SCIM answer before it becomes a response.
pub struct Answer {
    status: StatusCode,
    body: Option<Value>,
    etag: Option<String>,
    location: Option<String>,
}

impl Answer {
    fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
            etag: None,
            location: None,
        }
    }

    /// A resource: its ETag from `meta.version`, and for a creation its `Location`.
    fn resource(status: StatusCode, body: Value) -> Self {
        let meta = |k: &str| {
            json::get_ci(&body, "meta")
                .and_then(|m| json::get_ci(m, k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let etag = meta("version");
        let location = (status == StatusCode::CREATED)
            .then(|| meta("location"))
            .flatten();
        Self {
            status,
            body: Some(body),
            etag,
            location,
        }
    }

    fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            etag: None,
            location: None,
        }
    }

    fn into_response(self) -> Response<Body> {
        let Some(body) = self.body else {
            return Response::builder()
                .status(self.status)
                .body(Body::Empty)
                .unwrap_or_else(|_| Response::new(Body::Empty));
        };
        let mut response = respond(self.status, &body, self.etag.as_deref());
        if let Some(location) = self.location.and_then(|l| l.parse().ok()) {
            response
                .headers_mut()
                .insert(http::header::LOCATION, location);
        }
        response
    }
}

fn body_error(e: HttpError) -> ScimError {
    match e {
        HttpError::PayloadTooLarge { limit } => ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("the body is over the {limit}-byte limit"),
        ),
        HttpError::UnsupportedMediaType => ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "send the body as application/scim+json",
        ),
        HttpError::Domain(Error::Validation { message, .. }) => {
            ScimError::bad("invalidSyntax", message)
        }
        HttpError::Domain(e) => e.into(),
        _ => ScimError::bad("invalidSyntax", "the body is not a JSON object"),
    }
}

fn header(req: &Request, name: http::header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    match serve(ctx, &req).await {
        Ok(answer) => {
            // A GET whose resource still has the tag the client holds: nothing new to send.
            let unchanged = req.method() == http::Method::GET
                && answer.etag.as_deref().is_some_and(|tag| {
                    header(&req, http::header::IF_NONE_MATCH)
                        .is_some_and(|h| etag::admits(Some(h), tag))
                });
            if unchanged {
                return Answer {
                    status: StatusCode::NOT_MODIFIED,
                    body: None,
                    ..answer
                }
                .into_response();
            }
            answer.into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn serve<S: Store>(ctx: &Deps<S>, req: &Request) -> Result<Answer, ScimError> {
    let caller = groups_http::caller(req)?;
    // Revocation takes effect at once: the token must still exist.
    let token = ctx
        .store
        .get_scim_token(&caller.account_id, caller.user_id.as_str())
        .await?
        .ok_or(Error::Unauthenticated)?;
    let store = &ctx.store;
    let now = ctx.now();
    let param = |name: &str| groups_http::query::param(req, name);
    let if_match = header(req, http::header::IF_MATCH);
    let path = req.uri().path();
    let rest = path
        .split_once("/scim/v2/")
        .map(|(_, r)| r.trim_end_matches('/'))
        .unwrap_or_default();
    let (resource, id) = match rest.split_once('/') {
        Some((r, id)) => (r, Some(id)),
        None => (rest, None),
    };
    let body = || groups_http::json_body::<Value>(req).map_err(body_error);
    let shape = || {
        list::shape(
            param("attributes").as_deref(),
            param("excludedAttributes").as_deref(),
        )
    };
    let method = req.method().as_str();
    match (resource, id, method) {
        ("Users", Some(".search"), "POST") => users::list(store, &caller, &search(&body()?)?).await,
        ("Groups", Some(".search"), "POST") => {
            let listing = search(&body()?)?;
            Ok(Answer::ok(list::respond(
                &listing,
                groups::resources(store, &caller, &listing).await?,
            )?))
        }
        (".search", None, "POST") => {
            let listing = search(&body()?)?;
            let user_name = listing.filter.as_ref().and_then(filter::user_name_eq);
            let mut all = users::resources(store, &caller, user_name.as_deref()).await?;
            all.extend(groups::resources(store, &caller, &listing).await?);
            Ok(Answer::ok(list::respond(&listing, all)?))
        }
        ("Users", None, "GET") => users::list(store, &caller, &list::listing(param)?).await,
        ("Users", None, "POST") => users::create(store, &caller, &body()?, now).await,
        ("Users", Some(id), "GET") => users::get(store, &caller, id, &shape()?).await,
        ("Users", Some(id), "PUT") => {
            users::replace(store, &caller, id, &body()?, if_match, now).await
        }
        ("Users", Some(id), "PATCH") => {
            users::patch(store, &caller, id, &body()?, if_match, now).await
        }
        ("Users", Some(id), "DELETE") => {
            users::delete(store, &caller, id, if_match, token.on_delete, now).await
        }
        ("Groups", None, "GET") => groups::list(store, &caller, &list::listing(param)?).await,
        ("Groups", None, "POST") => groups::create(store, &caller, &body()?, now).await,
        ("Groups", Some(id), "GET") => groups::get(store, &caller, id, &shape()?).await,
        ("Groups", Some(id), "PUT") => {
            groups::replace(store, &caller, id, &body()?, if_match, now).await
        }
        ("Groups", Some(id), "PATCH") => {
            groups::patch(store, &caller, id, &body()?, if_match, now).await
        }
        ("Groups", Some(id), "DELETE") => groups::delete(store, &caller, id, if_match, now).await,
        ("ServiceProviderConfig", None, "GET") => {
            Ok(Answer::ok(discovery::service_provider_config()))
        }
        ("ResourceTypes", None, "GET") => {
            Ok(Answer::ok(discovery::list(discovery::resource_types())))
        }
        ("Schemas", None, "GET") => Ok(Answer::ok(discovery::list(discovery::schemas()))),
        ("ResourceTypes", Some(id), "GET") => one(discovery::resource_types(), "ResourceType", id),
        ("Schemas", Some(id), "GET") => one(discovery::schemas(), "Schema", id),
        (
            "Users" | "Groups" | "ServiceProviderConfig" | "ResourceTypes" | "Schemas" | ".search",
            _,
            _,
        ) => Err(ScimError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            format!("{method} is not supported here"),
        )),
        _ => Err(ScimError::new(
            StatusCode::NOT_FOUND,
            None,
            "no such SCIM endpoint",
        )),
    }
}

const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A search body (RFC 7644 §3.4.3) read as the list parameters it stands for.
fn search(body: &Value) -> Result<list::Listing, ScimError> {
    let listed = json::get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(SEARCH_REQUEST)));
    if !listed {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("schemas must list {SEARCH_REQUEST}"),
        ));
    }
    list::listing(|name| match json::get_ci(body, name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    })
}

fn one(all: Vec<Value>, what: &str, id: &str) -> Result<Answer, ScimError> {
    all.into_iter()
        .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
        .map(Answer::ok)
        .ok_or_else(|| ScimError::not_found(what, id))
}
