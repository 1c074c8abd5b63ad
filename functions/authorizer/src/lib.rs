//! The API Gateway Lambda authorizer (HTTP API, payload 2.0, simple responses).
//!
//! It verifies the bearer JWT (signature by a configured key, the key's own algorithm, `exp`,
//! `nbf`, `iss`, `aud`), then reads the caller's user, role and managed departments (and a
//! custom role's permissions) from the table, and passes account, user, permissions and scope
//! in the authorizer context.
//!
//! **Why a cached answer cannot leak across routes.** The answer depends only on the token:
//! it never looks at the route, and it never grants a route. Functions re-check the
//! permission they need and the scope of every id. API Gateway caches answers by the identity
//! source (the `Authorization` header), so a cached answer is reused only for the same token,
//! and it carries the same identity to every route, where each function decides for itself.
//!
//! **Why it authorizes requests with a bad token.** HTTP APIs turn a denial into a bare 403 and
//! cannot be taught otherwise. A bad token is passed on with an empty identity instead, and
//! every function answers it with a 401 problem response without touching data. A request
//! with no `Authorization` header at all never reaches the authorizer: API Gateway answers 401.

pub mod config;
pub mod dev;

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use config::AuthConfig;
use groups_domain::{AccountId, Caller, RoleRef, Store, UserId, UserStatus};
use groups_http::{FunctionDescriptor, Trigger};
use jsonwebtoken::Validation;
use serde::Deserialize;
use serde_json::{Map, Value};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "authorizer",
    trigger: Trigger::Authorizer,
    permission: None,
};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;

/// Why a token was refused. Logged, never returned to the client in detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    MissingToken,
    Oversized,
    Malformed,
    UnknownKey,
    AlgorithmMismatch,
    Invalid(String),
    UnknownUser,
    InactiveUser,
    Storage,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    acc: String,
}

fn bearer(header: Option<&str>) -> Result<&str, Refusal> {
    let value = header.ok_or(Refusal::MissingToken)?.trim();
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(Refusal::Malformed)?
        .trim();
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Oversized);
    }
    if token.is_empty() {
        return Err(Refusal::MissingToken);
    }
    Ok(token)
}

/// Verifies the token's signature and claims, answering the account and user it names.
pub fn verify(
    config: &AuthConfig,
    authorization: Option<&str>,
) -> Result<(AccountId, UserId), Refusal> {
    let token = bearer(authorization)?;
    // `alg: none` and unknown algorithms fail here: they are not in jsonwebtoken's enum.
    let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Malformed)?;
    let kid = header.kid.as_deref().ok_or(Refusal::UnknownKey)?;
    let trusted = config.keys.get(kid).ok_or(Refusal::UnknownKey)?;
    // The key decides the algorithm, never the token (no RS256/HS256 confusion).
    if header.alg != trusted.algorithm {
        return Err(Refusal::AlgorithmMismatch);
    }
    let mut validation = Validation::new(trusted.algorithm);
    validation.set_issuer(&[&config.issuer]);
    validation.set_audience(&[&config.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS;
    let data = jsonwebtoken::decode::<Claims>(token, &trusted.key, &validation)
        .map_err(|e| Refusal::Invalid(format!("{:?}", e.kind())))?;
    let account = AccountId::parse("acc", data.claims.acc).map_err(|_| Refusal::Malformed)?;
    let user = UserId::parse("sub", data.claims.sub).map_err(|_| Refusal::Malformed)?;
    Ok((account, user))
}

/// Verifies the token and resolves the caller from the directory: an active user, their role's
/// permissions (a custom role's from the table) and their managed departments.
pub async fn authenticate<S: Store>(
    store: &S,
    config: &AuthConfig,
    authorization: Option<&str>,
) -> Result<Caller, Refusal> {
    let (account, user_id) = verify(config, authorization)?;
    let user = store
        .get_user(&account, &user_id)
        .await
        .map_err(|_| Refusal::Storage)?
        .ok_or(Refusal::UnknownUser)?;
    if user.status != UserStatus::Active {
        return Err(Refusal::InactiveUser);
    }
    let custom = match &user.role {
        RoleRef::Custom(id) => store
            .get_role(&account, id)
            .await
            .map_err(|_| Refusal::Storage)?,
        RoleRef::Builtin(_) => None,
    };
    Ok(Caller::resolve(
        account,
        user_id,
        user.role.clone(),
        custom.as_ref(),
        user.managed_department_ids.clone(),
    ))
}

/// The authorizer context for an `Authorization` header: the caller's identity, or an empty
/// identity (which every function answers with 401).
pub async fn context<S: Store>(
    store: &S,
    config: &AuthConfig,
    authorization: Option<&str>,
) -> Map<String, Value> {
    match authenticate(store, config, authorization).await {
        Ok(caller) => {
            tracing::info!(account = %caller.account_id, user = %caller.user_id, "authenticated");
            groups_http::context::encode(&caller)
        }
        Err(refusal) => {
            tracing::info!(?refusal, "token refused");
            Map::new()
        }
    }
}

/// The Lambda handler: one answer per token, whatever the route.
pub async fn handle<S: Store>(
    store: &S,
    config: &AuthConfig,
    event: ApiGatewayV2CustomAuthorizerV2Request,
) -> ApiGatewayV2CustomAuthorizerSimpleResponse {
    let authorization = event
        .headers
        .get(http_header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    response.is_authorized = true;
    response.context = Value::Object(context(store, config, authorization).await);
    response
}

mod http_header {
    pub const AUTHORIZATION: &str = "authorization";
}
