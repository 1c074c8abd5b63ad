//! SCIM filters (RFC 7644 §3.4.2.2) over a resource's JSON. The grammar is `scim_v2`'s; what
//! an expression means for our resources is here: attribute names are case-insensitive,
//! strings compare case-insensitively except `id`, `externalId` and `meta.version`, and
//! `gt`/`ge`/`lt`/`le` compare instants when both sides are RFC 3339 dates.

use crate::json::{attr_values, get_ci};
use groups_http::scim::ScimError;
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};
use serde_json::Value;
use std::cmp::Ordering;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Filters longer than this are refused before parsing.
pub const MAX_FILTER_CHARS: usize = 4096;

pub fn parse(text: &str) -> Result<Filter, ScimError> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(ScimError::bad(
            "invalidFilter",
            format!("a filter is at most {MAX_FILTER_CHARS} characters"),
        ));
    }
    text.parse::<Filter>()
        .map_err(|e| ScimError::bad("invalidFilter", format!("the filter does not parse: {e}")))
}

/// The userName a filter requires (`userName eq "x"`, alone or a term of an `and`): then the
/// users to filter are those of that login name, found by index instead of read in full.
pub fn user_name_eq(filter: &Filter) -> Option<String> {
    match filter {
        Filter::Attr(AttrExp::Comparison(p, CompareOp::Eq, CompValue::Str(name)))
            if p.name.eq_ignore_ascii_case("userName")
                && p.sub_attr.is_none()
                && p.uri.as_deref().is_none_or(|u| {
                    u.eq_ignore_ascii_case("urn:ietf:params:scim:schemas:core:2.0:User")
                }) =>
        {
            Some(name.clone())
        }
        Filter::And(items) => items.as_slice().iter().find_map(user_name_eq),
        _ => None,
    }
}

pub fn matches(filter: &Filter, resource: &Value) -> Result<bool, ScimError> {
    Ok(match filter {
        Filter::Attr(exp) => attr_exp(exp, resource, None)?,
        Filter::ValuePath(vp) => {
            let elements = attr_values(resource, &vp.attr, false);
            let mut any = false;
            for element in elements {
                if val_filter(&vp.filter, element, &vp.attr)? {
                    any = true;
                    break;
                }
            }
            any
        }
        Filter::Not(inner) => !matches(inner, resource)?,
        Filter::And(items) => {
            for item in items.as_slice() {
                if !matches(item, resource)? {
                    return Ok(false);
                }
            }
            true
        }
        Filter::Or(items) => {
            for item in items.as_slice() {
                if matches(item, resource)? {
                    return Ok(true);
                }
            }
            false
        }
    })
}

/// A value filter inside `attr[...]`, over one element of that attribute.
pub fn val_filter(
    filter: &ValFilter,
    element: &Value,
    parent: &AttrPath,
) -> Result<bool, ScimError> {
    Ok(match filter {
        ValFilter::Attr(exp) => attr_exp(exp, element, Some(parent))?,
        ValFilter::Not(inner) => !val_filter(inner, element, parent)?,
        ValFilter::And(items) => {
            for item in items.as_slice() {
                if !val_filter(item, element, parent)? {
                    return Ok(false);
                }
            }
            true
        }
        ValFilter::Or(items) => {
            for item in items.as_slice() {
                if val_filter(item, element, parent)? {
                    return Ok(true);
                }
            }
            false
        }
    })
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// The leaf values an expression compares: a complex value compares by its `value`.
fn leaves<'a>(root: &'a Value, path: &AttrPath, inside: Option<&AttrPath>) -> Vec<&'a Value> {
    let found = match inside {
        // Inside a value path the expression names a sub-attribute of the element.
        Some(_) => get_ci(root, &path.name)
            .map(|v| match &path.sub_attr {
                Some(sub) => get_ci(v, sub).into_iter().collect(),
                None => vec![v],
            })
            .unwrap_or_default(),
        None => attr_values(root, path, true),
    };
    found
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        })
        .map(|v| match v {
            Value::Object(_) => get_ci(v, "value").unwrap_or(&Value::Null),
            other => other,
        })
        .collect()
}

fn case_exact(path: &AttrPath, inside: Option<&AttrPath>) -> bool {
    let name = path.name.to_ascii_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
    match (inside, name.as_str(), sub.as_deref()) {
        (None, "id" | "externalid", None) => true,
        (None, "meta", Some("version")) => true,
        // Members and managers are named by id.
        (Some(parent), "value", None) => {
            matches!(
                parent.name.to_ascii_lowercase().as_str(),
                "members" | "manager"
            )
        }
        (None, "members" | "manager", Some("value")) => true,
        _ => false,
    }
}

fn attr_exp(exp: &AttrExp, root: &Value, inside: Option<&AttrPath>) -> Result<bool, ScimError> {
    match exp {
        AttrExp::Present(path) => Ok(leaves(root, path, inside).into_iter().any(present)),
        AttrExp::Comparison(path, op, value) => {
            let exact = case_exact(path, inside);
            let values = leaves(root, path, inside);
            if *op == CompareOp::Ne {
                let eq = any(&values, &CompareOp::Eq, value, exact)?;
                return Ok(!eq);
            }
            if let CompValue::Null = value {
                return match op {
                    CompareOp::Eq => Ok(!values.into_iter().any(present)),
                    _ => Err(ScimError::bad(
                        "invalidFilter",
                        format!("{op} does not take null"),
                    )),
                };
            }
            any(&values, op, value, exact)
        }
    }
}

fn any(
    values: &[&Value],
    op: &CompareOp,
    wanted: &CompValue,
    exact: bool,
) -> Result<bool, ScimError> {
    for v in values {
        if compare(v, op, wanted, exact)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

fn compare(
    value: &Value,
    op: &CompareOp,
    wanted: &CompValue,
    exact: bool,
) -> Result<bool, ScimError> {
    let ordering = |o: Ordering| match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        _ => false,
    };
    Ok(match (value, wanted) {
        (Value::Bool(b), CompValue::True | CompValue::False) => {
            let w = matches!(wanted, CompValue::True);
            match op {
                CompareOp::Eq => *b == w,
                _ => {
                    return Err(ScimError::bad(
                        "invalidFilter",
                        format!("{op} does not apply to booleans"),
                    ));
                }
            }
        }
        (Value::Number(n), CompValue::Number(w)) => match (n.as_f64(), w.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(ordering),
            _ => false,
        },
        (Value::String(s), CompValue::Str(w)) => {
            let (a, b) = if exact {
                (s.clone(), w.clone())
            } else {
                (s.to_lowercase(), w.to_lowercase())
            };
            match op {
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                CompareOp::Eq => a == b,
                _ => match (instant(s), instant(w)) {
                    (Some(x), Some(y)) => ordering(x.cmp(&y)),
                    _ => ordering(a.cmp(&b)),
                },
            }
        }
        _ => false,
    })
}
