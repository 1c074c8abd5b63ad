//! Weak ETags (RFC 7232): a hash of what SCIM shows of a resource, so any change to it changes
//! the tag, and `If-Match` refuses a write decided on an older copy.

use serde_json::Value;
use sha2::{Digest, Sha256};

pub fn of(resource: &Value) -> String {
    let digest = Sha256::digest(resource.to_string().as_bytes());
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// Whether an `If-Match` header admits a resource at `current` (`*` admits any).
pub fn admits(if_match: Option<&str>, current: &str) -> bool {
    match if_match {
        None => true,
        Some(header) => header.split(',').map(str::trim).any(|t| {
            t == "*"
                || t == current
                || t.trim_start_matches("W/") == current.trim_start_matches("W/")
        }),
    }
}
