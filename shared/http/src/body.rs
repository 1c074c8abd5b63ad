//! Request bodies: bounded in size, JSON only, parsed strictly (DTOs deny unknown fields), with
//! errors that name the offending field.

use crate::problem::HttpError;
use groups_domain::Error;
use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

/// Bodies above this are refused whole with 413, never truncated.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

fn bytes(body: &Body) -> &[u8] {
    match body {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Parses the JSON body into `T`.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, HttpError> {
    let raw = bytes(req.body());
    if raw.len() > MAX_BODY_BYTES {
        return Err(HttpError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(HttpError::UnsupportedMediaType);
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::validation("", "a JSON body is required").into());
    }
    parse(raw).map_err(HttpError::from)
}

/// Strict JSON parsing with a field path in the error (`userIds/3`, `rule/all/0`).
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let message = e.inner().to_string();
        let field = field_of(&e.path().to_string(), &message);
        // Drop serde's "at line 1 column 9" suffix: the field says where.
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        Error::validation(field, message)
    })?;
    de.end()
        .map_err(|_| Error::validation("", "trailing characters after the JSON value"))?;
    Ok(value)
}

/// Turns serde_path_to_error's `a.b[3]` into `a/b/3`; a missing field names itself.
fn field_of(path: &str, message: &str) -> String {
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        let parent = field_of(path, "");
        return if parent.is_empty() {
            missing.to_owned()
        } else {
            format!("{parent}/{missing}")
        };
    }
    if path == "." || path == "?" {
        return String::new();
    }
    path.replace('[', "/").replace(']', "").replace('.', "/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Body {
        title: String,
        user_ids: Option<Vec<String>>,
    }

    fn field(raw: &str) -> String {
        match parse::<Body>(raw.as_bytes()) {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field(r#"{"title":"a","bogus":1}"#), "bogus");
        assert_eq!(field(r#"{"title":3}"#), "title");
        assert_eq!(field(r#"{"title":"a","userIds":["a",3]}"#), "userIds/1");
        assert_eq!(field(r#"{"userIds":[]}"#), "title");
        assert_eq!(field(r#"{"title":"a""#), "");
        assert_eq!(field(r#"{"title":"a"} x"#), "");
    }
}
