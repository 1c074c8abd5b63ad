//! Verification settings, read once at start: issuer, audience and the trusted keys.

use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use std::collections::HashMap;

/// One trusted public key, as configured: `{"kid": "...", "alg": "ES256", "pem": "..."}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    pub kid: String,
    pub alg: String,
    pub pem: String,
}

pub struct TrustedKey {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

pub struct AuthConfig {
    pub issuer: String,
    pub audience: String,
    /// By `kid`. Each key verifies exactly one algorithm, so a token cannot pick another.
    pub keys: HashMap<String, TrustedKey>,
    /// Longest lifetime (`exp − iat`) a token may claim.
    pub max_lifetime_seconds: i64,
}

/// Default longest token lifetime: a day.
pub const DEFAULT_MAX_LIFETIME_SECONDS: i64 = 24 * 3600;

impl AuthConfig {
    pub fn new(issuer: &str, audience: &str, keys: Vec<KeySpec>) -> Result<Self, String> {
        let mut trusted = HashMap::new();
        for spec in keys {
            let (algorithm, key) = match spec.alg.as_str() {
                "RS256" => (
                    Algorithm::RS256,
                    DecodingKey::from_rsa_pem(spec.pem.as_bytes()),
                ),
                "ES256" => (
                    Algorithm::ES256,
                    DecodingKey::from_ec_pem(spec.pem.as_bytes()),
                ),
                other => {
                    return Err(format!(
                        "key {}: unsupported alg {other} (RS256 or ES256)",
                        spec.kid
                    ));
                }
            };
            let key = key.map_err(|e| format!("key {}: {e}", spec.kid))?;
            trusted.insert(spec.kid, TrustedKey { algorithm, key });
        }
        if trusted.is_empty() {
            return Err("no verification keys configured".into());
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys: trusted,
            max_lifetime_seconds: DEFAULT_MAX_LIFETIME_SECONDS,
        })
    }

    /// `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_KEYS` (a JSON array of [`KeySpec`]) and optionally
    /// `JWT_MAX_LIFETIME_SECONDS` (default a day).
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let keys: Vec<KeySpec> = serde_json::from_str(&var("JWT_KEYS")?)
            .map_err(|e| format!("JWT_KEYS is not valid: {e}"))?;
        let mut config = Self::new(&var("JWT_ISSUER")?, &var("JWT_AUDIENCE")?, keys)?;
        if let Ok(max) = std::env::var("JWT_MAX_LIFETIME_SECONDS") {
            config.max_lifetime_seconds = max
                .parse()
                .ok()
                .filter(|s: &i64| *s > 0)
                .ok_or("JWT_MAX_LIFETIME_SECONDS is a positive number of seconds")?;
        }
        Ok(config)
    }
}
