//! Request bodies: bounded in size, JSON only, parsed strictly (DTOs deny unknown fields), with
//! errors that name the offending field.

use crate::problem::HttpError;
use groups_domain::Error;
use lambda_http::{Body, Request};
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::collections::HashSet;

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
    // A body without a Content-Type is not declared JSON: 415, as for any other type.
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
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
    // Every body is an object; serde would otherwise fill a struct from an array's items.
    if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::validation("", "the body must be a JSON object").into());
    }
    parse(raw).map_err(HttpError::from)
}

/// Strict JSON parsing with a field path in the error (`userIds/3`, `rule/all/0`). A key
/// repeated in any object, however deep, is refused: parsers disagree on which one wins, so
/// two readers of one body could otherwise read two different rules.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, Error> {
    unique_keys(raw)?;
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

/// Walks the JSON once, refusing the first key an object repeats (naming it by its path).
fn unique_keys(raw: &[u8]) -> Result<(), Error> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(raw);
    let walked = UniqueKeys {
        path: String::new(),
        found: &found,
    }
    .deserialize(&mut de);
    // Malformed JSON is not this walk's to report: the typed parse that follows names it.
    match (walked, found.into_inner()) {
        (Err(_), Some(field)) => Err(Error::validation(field, "this key appears twice")),
        _ => Ok(()),
    }
}

struct UniqueKeys<'a> {
    path: String,
    found: &'a RefCell<Option<String>>,
}

impl UniqueKeys<'_> {
    fn child(&self, name: &str) -> Self {
        let path = if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.path)
        };
        UniqueKeys {
            path,
            found: self.found,
        }
    }
}

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while seq
            .next_element_seed(self.child(&index.to_string()))?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(&key);
            if !seen.insert(key) {
                *self.found.borrow_mut() = Some(child.path);
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }
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
        assert_eq!(field(r#"{"title":"a","title":"b"}"#), "title");
        assert_eq!(
            field(r#"{"title":"a","userIds":[{"x":1,"y":{"k":1,"\u006b":2}}]}"#),
            "userIds/0/y/k"
        );
    }
}
