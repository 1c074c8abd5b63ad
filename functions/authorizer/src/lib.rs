//! The API Gateway Lambda authorizer (HTTP API, payload 2.0, simple responses).
//!
//! It verifies the bearer JWT (signature by a configured key, the key's own algorithm, `exp`,
//! `nbf`, `iss`, `aud`), then reads the caller's user, role and managed departments (and a
//! custom role's permissions) from the table, and passes account, user, permissions and scope
//! in the authorizer context.
//!
//! A SCIM token (`scim.<account>.<id>.<secret>`) is checked against the SHA-256 stored when an
//! Owner issued it, and answers a SCIM context, which only `/scim/v2` accepts; a person's
//! context is refused there. So neither token is valid at the other door, whatever route it is
//! sent to, and the cache cannot change that.
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
use groups_http::{Access, FunctionDescriptor, Trigger};
use jsonwebtoken::Validation;
use serde::Deserialize;
use serde_json::{Map, Value};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "authorizer",
    trigger: Trigger::Authorizer,
    access: Access::Identity,
    publishes: false,
    table: &["GetItem"],
};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
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
    /// Issued before the user's record was created: a token of an earlier user of this id.
    StaleToken,
    Storage,
}

/// The authorizer could not decide (storage unavailable): never cached, never read as "not
/// signed in". Lambda reports it as a failed invocation, which API Gateway answers with a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable;

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the directory could not be read to authorize the request")
    }
}

impl std::error::Error for Unavailable {}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    acc: String,
    iat: i64,
    exp: i64,
}

/// A verified token: who it names, and when it was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub account: AccountId,
    pub user: UserId,
    pub issued_at: i64,
}

fn bearer(header: Option<&str>) -> Result<&str, Refusal> {
    let value = header.ok_or(Refusal::MissingToken)?.trim();
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let (scheme, token) = value.split_once([' ', '\t']).ok_or(Refusal::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refusal::Malformed);
    }
    let token = token.trim();
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Oversized);
    }
    if token.is_empty() {
        return Err(Refusal::MissingToken);
    }
    Ok(token)
}

/// Refuses a header with `crit`: it names extensions a verifier must understand, and this one
/// understands none (RFC 7515 §4.1.11).
fn check_no_critical_extensions(token: &str) -> Result<(), Refusal> {
    use base64::Engine;
    let encoded = token.split('.').next().ok_or(Refusal::Malformed)?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| Refusal::Malformed)?;
    let header: Map<String, Value> =
        serde_json::from_slice(&raw).map_err(|_| Refusal::Malformed)?;
    if header.contains_key("crit") {
        return Err(Refusal::Invalid("unsupported critical header".into()));
    }
    Ok(())
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Verifies the token's signature and claims, answering the account and user it names.
pub fn verify(config: &AuthConfig, authorization: Option<&str>) -> Result<Verified, Refusal> {
    let token = bearer(authorization)?;
    check_no_critical_extensions(token)?;
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
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS;
    let data = jsonwebtoken::decode::<Claims>(token, &trusted.key, &validation)
        .map_err(|e| Refusal::Invalid(format!("{:?}", e.kind())))?;
    let claims = data.claims;
    let leeway = LEEWAY_SECONDS as i64;
    if claims.iat > now_seconds() + leeway {
        return Err(Refusal::Invalid("issued in the future".into()));
    }
    if claims.exp - claims.iat > config.max_lifetime_seconds {
        return Err(Refusal::Invalid(
            "lifetime over the configured maximum".into(),
        ));
    }
    let account = AccountId::parse("acc", claims.acc).map_err(|_| Refusal::Malformed)?;
    let user = UserId::parse("sub", claims.sub).map_err(|_| Refusal::Malformed)?;
    Ok(Verified {
        account,
        user,
        issued_at: claims.iat,
    })
}

/// Verifies the token and resolves the caller from the directory: an active user, their role's
/// permissions (a custom role's from the table) and their managed departments.
pub async fn authenticate<S: Store>(
    store: &S,
    config: &AuthConfig,
    authorization: Option<&str>,
) -> Result<Caller, Refusal> {
    let Verified {
        account,
        user: user_id,
        issued_at,
    } = verify(config, authorization)?;
    let user = store
        .get_user(&account, &user_id)
        .await
        .map_err(|_| Refusal::Storage)?
        .ok_or(Refusal::UnknownUser)?;
    if user.status != UserStatus::Active {
        return Err(Refusal::InactiveUser);
    }
    // A deleted id recreated later is another person: tokens issued before do not revive.
    if user
        .registered_at
        .is_some_and(|at| issued_at < at.unix_timestamp())
    {
        return Err(Refusal::StaleToken);
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
/// identity (which every function answers with 401). A storage failure is no answer at all.
pub async fn context<S: Store>(
    store: &S,
    config: &AuthConfig,
    authorization: Option<&str>,
) -> Result<Map<String, Value>, Unavailable> {
    // A SCIM token has its own shape: checked against its stored hash, and answered with a
    // context that only the SCIM function reads.
    if let Some(raw) = authorization.and_then(|h| bearer(Some(h)).ok())
        && groups_domain::scim_token::parse(raw).is_some()
    {
        return match groups_domain::scim_token::verify(store, raw).await {
            Ok(Some((account, token))) => {
                tracing::info!(account = %account, token = %token.id, "SCIM token");
                Ok(groups_http::context::encode_provisioner(
                    &account, &token.id,
                ))
            }
            Ok(None) => {
                tracing::info!("SCIM token refused");
                Ok(Map::new())
            }
            Err(_) => Err(Unavailable),
        };
    }
    match authenticate(store, config, authorization).await {
        Ok(caller) => {
            tracing::info!(account = %caller.account_id, user = %caller.user_id, "authenticated");
            Ok(groups_http::context::encode(&caller))
        }
        Err(Refusal::Storage) => {
            tracing::error!("the directory could not be read; no decision");
            Err(Unavailable)
        }
        Err(refusal) => {
            tracing::info!(?refusal, "token refused");
            Ok(Map::new())
        }
    }
}

/// The Lambda handler: one answer per token, whatever the route. A storage failure fails the
/// invocation, so API Gateway answers 500 and caches nothing.
pub async fn handle<S: Store>(
    store: &S,
    config: &AuthConfig,
    event: ApiGatewayV2CustomAuthorizerV2Request,
) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, Unavailable> {
    let authorization = event
        .headers
        .get(http_header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    response.is_authorized = true;
    response.context = Value::Object(context(store, config, authorization).await?);
    Ok(response)
}

mod http_header {
    pub const AUTHORIZATION: &str = "authorization";
}
