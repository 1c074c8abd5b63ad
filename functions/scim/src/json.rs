//! Reading SCIM JSON the way RFC 7643 §2.1 reads it: attribute names are case-insensitive, and
//! an attribute path may start with its schema's URN.

use scim_v2::filter::AttrPath;
use serde_json::{Map, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub fn get_ci<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The key as stored, for a name in any case.
pub fn key_ci(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

pub fn is_core(uri: &str) -> bool {
    uri.eq_ignore_ascii_case(USER_SCHEMA) || uri.eq_ignore_ascii_case(GROUP_SCHEMA)
}

/// Where an attribute path's name lives: the resource itself, or its extension object.
pub fn container<'a>(root: &'a Value, uri: Option<&str>) -> Option<&'a Value> {
    match uri {
        None => Some(root),
        Some(u) if is_core(u) => Some(root),
        Some(u) => get_ci(root, u),
    }
}

/// The values an attribute path names (one per element for a sub-attribute of a multi-valued
/// attribute). With `sub` false the sub-attribute is ignored (value paths filter elements).
pub fn attr_values<'a>(root: &'a Value, path: &AttrPath, sub: bool) -> Vec<&'a Value> {
    if let Some(urn) = whole_extension(path) {
        return get_ci(root, urn).into_iter().collect();
    }
    let Some(attr) = container(root, path.uri.as_deref()).and_then(|c| get_ci(c, &path.name))
    else {
        return Vec::new();
    };
    match (&path.sub_attr, sub) {
        (Some(s), true) => match attr {
            Value::Array(items) => items.iter().filter_map(|i| get_ci(i, s)).collect(),
            other => get_ci(other, s).into_iter().collect(),
        },
        _ => match attr {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        },
    }
}

/// A string attribute, trimmed; `None` when absent, null or empty.
pub fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A boolean as identity providers send it: `true`, or Entra ID's `"True"`.
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A path naming an extension itself (`urn:…:enterprise:2.0:User`), which the grammar reads as
/// attribute `User` of schema `urn:…:enterprise:2.0`: the extension's URN, when it is one.
pub fn whole_extension(path: &AttrPath) -> Option<&'static str> {
    let uri = path.uri.as_deref()?;
    let joined = format!("{uri}:{}", path.name);
    (path.sub_attr.is_none() && joined.eq_ignore_ascii_case(ENTERPRISE)).then_some(ENTERPRISE)
}
