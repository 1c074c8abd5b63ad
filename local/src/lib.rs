//! The local server `groups-local`: every HTTP function behind one axum server, called with the
//! same API Gateway v2 events and the real authorizer; a seeded demo account; dev tokens.

pub mod console;
pub mod registry;
pub mod seed;
pub mod server;
pub mod stream;

use authorizer::dev;
use serde_json::{Map, Value};

/// A token per demo role, signed by the local dev key, valid for `ttl_seconds`.
pub fn demo_tokens(ttl_seconds: i64) -> Result<Map<String, Value>, String> {
    let mut tokens = Map::new();
    for (role, user) in seed::ROLE_USERS {
        let token = dev::token(&dev::Claims::new(seed::ACCOUNT, user, ttl_seconds))?;
        tokens.insert(role.to_owned(), Value::String(token));
    }
    // Valid on /scim/v2 only, as every SCIM token.
    tokens.insert("scim".to_owned(), Value::String(seed::scim_token()));
    Ok(tokens)
}
