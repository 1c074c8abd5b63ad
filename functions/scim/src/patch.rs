//! PATCH (RFC 7644 §3.5.2) on a resource's JSON: `add`, `replace` and `remove`, with or without
//! a path, including value-filtered paths (`emails[type eq "work"].value`). The path grammar is
//! `scim_v2`'s. Identity providers' forms are taken as they send them: Entra ID's capitalised
//! ops and `"False"` strings, Okta's path-less `replace` with a map of attributes.

use crate::filter::val_filter;
use crate::json::{ENTERPRISE, PATCH_OP, get_ci, is_core, key_ci};
use groups_http::scim::ScimError;
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value};

/// Operations per request: enough for Entra ID's and Okta's batches, bounded for the store.
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Add,
    Remove,
    Replace,
}

#[derive(Debug, Clone)]
pub struct Op {
    pub kind: Kind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

pub fn parse_ops(body: &Value) -> Result<Vec<Op>, ScimError> {
    let schemas_ok = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(PATCH_OP)));
    if !schemas_ok {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("schemas must list {PATCH_OP}"),
        ));
    }
    let ops = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| ScimError::bad("invalidSyntax", "Operations is a non-empty list"))?;
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::bad(
            "tooMany",
            format!("at most {MAX_OPERATIONS} operations a request"),
        ));
    }
    ops.iter()
        .map(|op| {
            let kind = match get_ci(op, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(k) if k == "add" => Kind::Add,
                Some(k) if k == "remove" => Kind::Remove,
                Some(k) if k == "replace" => Kind::Replace,
                _ => {
                    return Err(ScimError::bad(
                        "invalidSyntax",
                        "op is add, remove or replace",
                    ));
                }
            };
            let path = match get_ci(op, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if !p.trim().is_empty() => {
                    Some(p.parse::<PatchPath>().map_err(|e| {
                        ScimError::bad("invalidPath", format!("path {p:?} does not parse: {e}"))
                    })?)
                }
                Some(_) => return Err(ScimError::bad("invalidPath", "path is a string")),
            };
            let value = get_ci(op, "value").cloned();
            if kind != Kind::Remove && value.is_none() {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    "add and replace need a value",
                ));
            }
            if kind == Kind::Remove && path.is_none() {
                return Err(ScimError::bad("noTarget", "remove needs a path"));
            }
            Ok(Op { kind, path, value })
        })
        .collect()
}

/// The object an attribute lives in, created for `add`/`replace` when absent.
fn container_mut<'a>(
    root: &'a mut Value,
    uri: Option<&str>,
    create: bool,
) -> Result<Option<&'a mut Map<String, Value>>, ScimError> {
    let Some(map) = root.as_object_mut() else {
        return Ok(None);
    };
    match uri {
        None => Ok(Some(map)),
        Some(u) if is_core(u) => Ok(Some(map)),
        Some(u) if u.eq_ignore_ascii_case(ENTERPRISE) => {
            let key = key_ci(map, u).unwrap_or_else(|| ENTERPRISE.to_owned());
            if !map.contains_key(&key) {
                if !create {
                    return Ok(None);
                }
                map.insert(key.clone(), Value::Object(Map::new()));
            }
            Ok(map.get_mut(&key).and_then(Value::as_object_mut))
        }
        Some(u) => Err(ScimError::bad("invalidPath", format!("unknown schema {u}"))),
    }
}

/// Sets `name` in `map` (any case), merging objects and appending to lists for `add`.
fn set(map: &mut Map<String, Value>, name: &str, value: Value, kind: Kind) {
    let key = key_ci(map, name).unwrap_or_else(|| name.to_owned());
    match (map.get_mut(&key), value, kind) {
        (Some(Value::Array(existing)), Value::Array(more), Kind::Add) => {
            for item in more {
                if !existing.contains(&item) {
                    existing.push(item);
                }
            }
        }
        (Some(Value::Object(existing)), Value::Object(more), _) => {
            for (k, v) in more {
                set(existing, &k, v, kind);
            }
        }
        (_, value, _) => {
            map.insert(key, value);
        }
    }
}

fn remove(map: &mut Map<String, Value>, name: &str) {
    if let Some(key) = key_ci(map, name) {
        map.remove(&key);
    }
}

pub fn apply(resource: &mut Value, op: &Op) -> Result<(), ScimError> {
    match &op.path {
        None => {
            let Some(Value::Object(values)) = &op.value else {
                return Err(ScimError::bad(
                    "invalidValue",
                    "without a path, the value is an object of attributes",
                ));
            };
            for (name, value) in values {
                let path = if name.contains(':') {
                    let (uri, attr) = name.rsplit_once(':').unwrap_or(("", name));
                    if uri.eq_ignore_ascii_case(ENTERPRISE) || is_core(uri) {
                        AttrPath {
                            uri: Some(uri.to_owned()),
                            name: attr.to_owned(),
                            sub_attr: None,
                        }
                    } else if name.eq_ignore_ascii_case(ENTERPRISE) {
                        // The extension object itself: each of its attributes.
                        let Value::Object(inner) = value else {
                            return Err(ScimError::bad(
                                "invalidValue",
                                "an extension is an object",
                            ));
                        };
                        for (k, v) in inner {
                            set_path(
                                resource,
                                &AttrPath {
                                    uri: Some(ENTERPRISE.to_owned()),
                                    name: k.clone(),
                                    sub_attr: None,
                                },
                                v.clone(),
                                op.kind,
                            )?;
                        }
                        continue;
                    } else {
                        return Err(ScimError::bad(
                            "invalidPath",
                            format!("unknown attribute {name}"),
                        ));
                    }
                } else {
                    AttrPath::with_name(name.clone())
                };
                set_path(resource, &path, value.clone(), op.kind)?;
            }
            Ok(())
        }
        Some(PatchPath::Attr(path)) if crate::json::whole_extension(path).is_some() => {
            let Some(map) = resource.as_object_mut() else {
                return Ok(());
            };
            match (op.kind, op.value.clone()) {
                (Kind::Remove, _) => remove(map, ENTERPRISE),
                (kind, Some(Value::Object(values))) => {
                    if kind == Kind::Replace {
                        remove(map, ENTERPRISE);
                    }
                    set(map, ENTERPRISE, Value::Object(values), Kind::Add);
                }
                _ => return Err(ScimError::bad("invalidValue", "an extension is an object")),
            }
            Ok(())
        }
        Some(PatchPath::Attr(path)) => match op.kind {
            Kind::Remove => {
                let Some(map) = container_mut(resource, path.uri.as_deref(), false)? else {
                    return Ok(());
                };
                match &path.sub_attr {
                    None => remove(map, &path.name),
                    Some(sub) => match key_ci(map, &path.name).and_then(|k| map.get_mut(&k)) {
                        Some(Value::Object(inner)) => remove(inner, sub),
                        Some(Value::Array(items)) => items
                            .iter_mut()
                            .filter_map(Value::as_object_mut)
                            .for_each(|i| remove(i, sub)),
                        _ => {}
                    },
                }
                Ok(())
            }
            kind => set_path(
                resource,
                path,
                op.value.clone().unwrap_or(Value::Null),
                kind,
            ),
        },
        Some(PatchPath::Value(vp)) => {
            let Some(map) =
                container_mut(resource, vp.attr.uri.as_deref(), op.kind != Kind::Remove)?
            else {
                return Ok(());
            };
            let key = key_ci(map, &vp.attr.name).unwrap_or_else(|| vp.attr.name.clone());
            let list = map
                .entry(key.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = list else {
                return Err(ScimError::bad(
                    "invalidPath",
                    format!("{} is not multi-valued", vp.attr.name),
                ));
            };
            let mut hits = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if val_filter(&vp.filter, item, &vp.attr)? {
                    hits.push(i);
                }
            }
            match (op.kind, &vp.sub_attr) {
                (Kind::Remove, None) => {
                    for i in hits.into_iter().rev() {
                        items.remove(i);
                    }
                }
                (Kind::Remove, Some(sub)) => {
                    for i in hits {
                        if let Some(m) = items[i].as_object_mut() {
                            remove(m, sub);
                        }
                    }
                }
                (kind, sub) => {
                    let value = op.value.clone().unwrap_or(Value::Null);
                    if hits.is_empty() {
                        // Entra ID adds `emails[type eq "work"].value` to a user without one:
                        // the element the filter describes, with the value.
                        let mut element = equalities(&vp.filter);
                        match sub {
                            Some(s) => {
                                element.insert(s.clone(), value.clone());
                            }
                            None => match value.clone() {
                                Value::Object(m) => element.extend(m),
                                _ => {
                                    return Err(ScimError::bad(
                                        "invalidValue",
                                        "the value is an object",
                                    ));
                                }
                            },
                        }
                        items.push(Value::Object(element));
                    }
                    for i in hits {
                        let Some(m) = items[i].as_object_mut() else {
                            continue;
                        };
                        match (sub, &value) {
                            (Some(s), v) => set(m, s, v.clone(), kind),
                            (None, Value::Object(more)) => {
                                for (k, v) in more {
                                    set(m, k, v.clone(), kind);
                                }
                            }
                            _ => {
                                return Err(ScimError::bad(
                                    "invalidValue",
                                    "the value is an object",
                                ));
                            }
                        }
                    }
                }
            }
            if items.is_empty() {
                map.remove(&key);
            }
            Ok(())
        }
    }
}

fn set_path(
    resource: &mut Value,
    path: &AttrPath,
    value: Value,
    kind: Kind,
) -> Result<(), ScimError> {
    let Some(map) = container_mut(resource, path.uri.as_deref(), true)? else {
        return Err(ScimError::bad(
            "invalidPath",
            "the resource is not an object",
        ));
    };
    match &path.sub_attr {
        None => set(map, &path.name, value, kind),
        Some(sub) => {
            let key = key_ci(map, &path.name).unwrap_or_else(|| path.name.clone());
            let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(inner) => set(inner, sub, value, kind),
                _ => {
                    return Err(ScimError::bad(
                        "invalidPath",
                        format!("{} has no sub-attributes", path.name),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `type eq "work" and ...`: the attributes a new element needs to match its filter.
fn equalities(filter: &ValFilter) -> Map<String, Value> {
    let mut out = Map::new();
    let mut visit = |f: &ValFilter| {
        if let ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, v)) = f {
            let value = match v {
                CompValue::Str(s) => Value::from(s.clone()),
                CompValue::True => Value::Bool(true),
                CompValue::False => Value::Bool(false),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return,
            };
            out.insert(p.name.clone(), value);
        }
    };
    match filter {
        ValFilter::And(items) => items.as_slice().iter().for_each(&mut visit),
        other => visit(other),
    }
    out
}
