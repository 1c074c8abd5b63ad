//! Listing (RFC 7644 §3.4.2): filter, sort, `startIndex`/`count` paging and the
//! `attributes`/`excludedAttributes` projection, over resources as SCIM shows them.

use crate::filter;
use crate::json::{LIST_RESPONSE, attr_values, container, get_ci, key_ci};
use groups_http::scim::ScimError;
use scim_v2::filter::{AttrPath, Filter};
use serde_json::{Map, Value, json};

pub const DEFAULT_COUNT: usize = 100;
pub const MAX_COUNT: usize = 200;

/// What a list or get request asks of the resources it answers.
#[derive(Debug, Default)]
pub struct Shape {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

#[derive(Debug)]
pub struct Listing {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    /// 1-based.
    pub start_index: usize,
    pub count: usize,
    pub shape: Shape,
}

fn path(text: &str) -> Result<AttrPath, ScimError> {
    // An attribute path is a presence filter's subject: the grammar checks it.
    match filter::parse(&format!("{} pr", text.trim()))? {
        Filter::Attr(scim_v2::filter::AttrExp::Present(p)) => Ok(p),
        _ => Err(ScimError::bad(
            "invalidValue",
            format!("{text:?} is not an attribute path"),
        )),
    }
}

fn paths(text: Option<&str>) -> Result<Vec<AttrPath>, ScimError> {
    text.map(|t| {
        t.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(path)
            .collect()
    })
    .transpose()
    .map(Option::unwrap_or_default)
}

pub fn shape(attributes: Option<&str>, excluded: Option<&str>) -> Result<Shape, ScimError> {
    Ok(Shape {
        attributes: paths(attributes)?,
        excluded: paths(excluded)?,
    })
}

/// Reads the list parameters; `param` answers a query parameter by name.
pub fn listing(param: impl Fn(&str) -> Option<String>) -> Result<Listing, ScimError> {
    let number = |name: &str| -> Result<Option<i64>, ScimError> {
        param(name)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ScimError::bad("invalidValue", format!("{name} is an integer")))
            })
            .transpose()
    };
    let descending = match param("sortOrder").as_deref().map(str::to_ascii_lowercase) {
        None => false,
        Some(o) if o == "ascending" => false,
        Some(o) if o == "descending" => true,
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "sortOrder is ascending or descending",
            ));
        }
    };
    Ok(Listing {
        filter: param("filter")
            .filter(|f| !f.trim().is_empty())
            .map(|f| filter::parse(&f))
            .transpose()?,
        sort_by: param("sortBy").map(|s| path(&s)).transpose()?,
        descending,
        // Below 1 reads as 1, and a negative count as 0 (RFC 7644 §3.4.2.4).
        start_index: number("startIndex")?.map_or(1, |n| n.max(1) as usize),
        count: number("count")?.map_or(DEFAULT_COUNT, |n| (n.max(0) as usize).min(MAX_COUNT)),
        shape: shape(
            param("attributes").as_deref(),
            param("excludedAttributes").as_deref(),
        )?,
    })
}

fn sort_key(resource: &Value, path: &AttrPath) -> String {
    attr_values(resource, path, true)
        .into_iter()
        .find_map(|v| match v {
            Value::String(s) => Some(s.to_lowercase()),
            Value::Object(_) => get_ci(v, "value").map(|x| x.to_string().to_lowercase()),
            Value::Null => None,
            other => Some(other.to_string()),
        })
        .unwrap_or_default()
}

/// Filters, sorts and pages resources into a ListResponse.
pub fn respond(listing: &Listing, resources: Vec<Value>) -> Result<Value, ScimError> {
    let mut kept = Vec::new();
    for r in resources {
        if listing
            .filter
            .as_ref()
            .map_or(Ok(true), |f| filter::matches(f, &r))?
        {
            kept.push(r);
        }
    }
    if let Some(by) = &listing.sort_by {
        // Resources without the attribute sort last either way (RFC 7644 §3.4.2.3).
        kept.sort_by_cached_key(|r| {
            let key = sort_key(r, by);
            (key.is_empty(), key)
        });
        if listing.descending {
            let (mut with, without): (Vec<Value>, Vec<Value>) =
                kept.into_iter().partition(|r| !sort_key(r, by).is_empty());
            with.reverse();
            with.extend(without);
            kept = with;
        }
    }
    let total = kept.len();
    let page: Vec<Value> = kept
        .into_iter()
        .skip(listing.start_index - 1)
        .take(listing.count)
        .map(|r| project(r, &listing.shape))
        .collect();
    Ok(json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": listing.start_index,
        "itemsPerPage": page.len(),
        "Resources": page,
    }))
}

/// Whether the projection keeps `name` (of the core schema or of `uri`'s extension).
pub fn wants(shape: &Shape, name: &str) -> bool {
    let named = |p: &AttrPath| p.name.eq_ignore_ascii_case(name) && p.uri.is_none();
    if shape
        .excluded
        .iter()
        .any(|p| named(p) && p.sub_attr.is_none())
    {
        return false;
    }
    shape.attributes.is_empty() || shape.attributes.iter().any(named)
}

const ALWAYS: [&str; 2] = ["schemas", "id"];

/// Keeps what `attributes` names (plus `id` and `schemas`, always returned), else drops what
/// `excludedAttributes` names.
pub fn project(resource: Value, shape: &Shape) -> Value {
    let Value::Object(all) = resource else {
        return resource;
    };
    let mut out = if shape.attributes.is_empty() {
        all.clone()
    } else {
        let mut out = Map::new();
        for key in ALWAYS {
            if let Some(v) = all.get(key) {
                out.insert(key.into(), v.clone());
            }
        }
        let whole = Value::Object(all.clone());
        for p in &shape.attributes {
            copy(&whole, &mut out, p);
        }
        out
    };
    for p in &shape.excluded {
        if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(&p.name)) && p.uri.is_none() {
            continue;
        }
        drop_path(&mut out, p);
    }
    Value::Object(out)
}

fn copy(whole: &Value, out: &mut Map<String, Value>, p: &AttrPath) {
    if let Some(urn) = crate::json::whole_extension(p) {
        if let Some(ext) = get_ci(whole, urn) {
            out.insert(urn.to_owned(), ext.clone());
        }
        return;
    }
    let Some(source) = container(whole, p.uri.as_deref()) else {
        return;
    };
    let Some(src_map) = source.as_object() else {
        return;
    };
    let Some(key) = key_ci(src_map, &p.name) else {
        return;
    };
    let value = &src_map[&key];
    let picked = match (&p.sub_attr, value) {
        (None, v) => v.clone(),
        (Some(sub), Value::Object(m)) => {
            let mut keep = out
                .get(&key)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if let Some(k) = key_ci(m, sub) {
                keep.insert(k.clone(), m[&k].clone());
            }
            Value::Object(keep)
        }
        (Some(sub), Value::Array(items)) => Value::Array(
            items
                .iter()
                .filter_map(|i| {
                    let m = i.as_object()?;
                    let k = key_ci(m, sub)?;
                    Some(json!({ k.clone(): m[&k].clone() }))
                })
                .collect(),
        ),
        (Some(_), _) => return,
    };
    match p.uri.as_deref() {
        Some(u) if !crate::json::is_core(u) => {
            let ext_key =
                key_ci(whole.as_object().unwrap_or(&Map::new()), u).unwrap_or(u.to_owned());
            let ext = out
                .entry(ext_key)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(m) = ext.as_object_mut() {
                m.insert(key, picked);
            }
        }
        _ => {
            out.insert(key, picked);
        }
    }
}

fn drop_path(out: &mut Map<String, Value>, p: &AttrPath) {
    if let Some(urn) = crate::json::whole_extension(p) {
        if let Some(k) = key_ci(out, urn) {
            out.remove(&k);
        }
        return;
    }
    let target = match p.uri.as_deref() {
        Some(u) if !crate::json::is_core(u) => match key_ci(out, u).and_then(|k| out.get_mut(&k)) {
            Some(Value::Object(m)) => m,
            _ => return,
        },
        _ => out,
    };
    let Some(key) = key_ci(target, &p.name) else {
        return;
    };
    match &p.sub_attr {
        None => {
            target.remove(&key);
        }
        Some(sub) => match target.get_mut(&key) {
            Some(Value::Object(m)) => {
                if let Some(k) = key_ci(m, sub) {
                    m.remove(&k);
                }
            }
            Some(Value::Array(items)) => {
                for m in items.iter_mut().filter_map(Value::as_object_mut) {
                    if let Some(k) = key_ci(m, sub) {
                        m.remove(&k);
                    }
                }
            }
            _ => {}
        },
    }
}

/// Every item of a paged store listing, 200 a page: SCIM filters, sorts and pages in the
/// function (RFC 7644 `startIndex` is an offset, not a cursor). `read` answers one page.
pub async fn every_page<T, F, Fut>(mut read: F) -> Result<Vec<T>, ScimError>
where
    F: FnMut(groups_domain::PageRequest) -> Fut,
    Fut: std::future::Future<Output = groups_domain::Result<groups_domain::Page<T>>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = read(groups_domain::PageRequest::new(Some(200), cursor)?).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}
