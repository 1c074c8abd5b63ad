//! Opaque cursors: the store's raw resume key, tagged with the listing it belongs to and
//! base64url-encoded. A cursor from another listing (or a forged one) is a 400, never a
//! wrong page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use groups_domain::{Error, Result};

fn invalid() -> Error {
    Error::validation("cursor", "is not a cursor this listing issued")
}

pub fn encode(listing: &str, raw: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{listing}\n{raw}"))
}

pub fn decode(listing: &str, token: &str) -> Result<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    match text.split_once('\n') {
        Some((tag, raw)) if tag == listing && !raw.is_empty() => Ok(raw.to_owned()),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_within_one_listing_only() {
        let token = encode("groups:asc", "interns\u{1}grp-1");
        assert!(!token.contains("interns"), "opaque");
        assert_eq!(
            decode("groups:asc", &token).ok().as_deref(),
            Some("interns\u{1}grp-1")
        );
        assert!(decode("groups:desc", &token).is_err());
        assert!(decode("groups:asc", "not base64!").is_err());
        assert!(decode("groups:asc", &encode("groups:asc", "")).is_err());
    }
}
