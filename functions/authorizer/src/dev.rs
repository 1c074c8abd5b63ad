//! The local issuer: the checked-in dev keys (see dev-keys/README.md) and token minting, for
//! the local server and tests. Never trusted by a deployment.

use crate::config::{AuthConfig, KeySpec};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

pub const ISSUER: &str = "groups-local";
pub const AUDIENCE: &str = "groups-api";
pub const ES256_KID: &str = "local-es256";
pub const RS256_KID: &str = "local-rs256";

pub const ES256_PRIVATE: &str = include_str!("../dev-keys/es256-private.pem");
pub const ES256_PUBLIC: &str = include_str!("../dev-keys/es256-public.pem");
pub const RS256_PRIVATE: &str = include_str!("../dev-keys/rs256-private.pem");
pub const RS256_PUBLIC: &str = include_str!("../dev-keys/rs256-public.pem");
pub const ATTACKER_ES256_PRIVATE: &str = include_str!("../dev-keys/attacker-es256-private.pem");

/// The key specs the local server trusts, in `JWT_KEYS` form.
pub fn key_specs() -> Vec<KeySpec> {
    vec![
        KeySpec {
            kid: ES256_KID.into(),
            alg: "ES256".into(),
            pem: ES256_PUBLIC.into(),
        },
        KeySpec {
            kid: RS256_KID.into(),
            alg: "RS256".into(),
            pem: RS256_PUBLIC.into(),
        },
    ]
}

pub fn config() -> Result<AuthConfig, String> {
    AuthConfig::new(ISSUER, AUDIENCE, key_specs())
}

#[derive(Debug, Clone, Serialize)]
pub struct Claims {
    pub sub: String,
    pub acc: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

impl Claims {
    /// Valid for `ttl_seconds` from now.
    pub fn new(account: &str, user: &str, ttl_seconds: i64) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        Self {
            sub: user.into(),
            acc: account.into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            nbf: now,
            exp: now + ttl_seconds,
        }
    }
}

/// Signs claims with the local ES256 key.
pub fn token(claims: &Claims) -> Result<String, String> {
    sign(claims, Algorithm::ES256, ES256_KID, ES256_PRIVATE)
}

/// Signs claims with any PEM key (tests use it for forged and confused tokens).
pub fn sign<T: Serialize>(
    claims: &T,
    algorithm: Algorithm,
    kid: &str,
    private_pem: &str,
) -> Result<String, String> {
    let key = match algorithm {
        Algorithm::ES256 => EncodingKey::from_ec_pem(private_pem.as_bytes()),
        Algorithm::RS256 => EncodingKey::from_rsa_pem(private_pem.as_bytes()),
        _ => Ok(EncodingKey::from_secret(private_pem.as_bytes())),
    }
    .map_err(|e| e.to_string())?;
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| e.to_string())
}
