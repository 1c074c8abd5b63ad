//! Path and query parameters.

use crate::cursor;
use groups_domain::{Error, PageRequest, Result};
use lambda_http::{Request, RequestExt};

/// A path parameter parsed as an id. A malformed id cannot name anything, so it answers
/// "not found" like any unknown id (and leaks nothing about what exists).
pub fn path_id<T>(
    req: &Request,
    name: &str,
    resource: &'static str,
    parse: impl Fn(&str, String) -> Result<T>,
) -> Result<T> {
    let raw = req
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .unwrap_or_default()
        .to_owned();
    parse(name, raw.clone())
        .map_err(|_| Error::not_found(resource, raw.chars().take(64).collect::<String>()))
}

/// A path parameter as sent, when the matched route has it (routes sharing one handler).
pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_owned)
}

/// Refuses query parameters the route does not take, naming the first one.
pub fn allow_only(req: &Request, allowed: &[&str]) -> Result<()> {
    if let Some(params) = req.query_string_parameters_ref() {
        for (name, _) in params.iter() {
            if !allowed.contains(&name) {
                return Err(Error::validation(name, "is not a parameter of this route"));
            }
        }
    }
    Ok(())
}

pub fn param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_owned)
}

/// An instant parameter in RFC 3339 (`2026-03-01T00:00:00Z`), if given.
pub fn instant(req: &Request, name: &str) -> Result<Option<time::OffsetDateTime>> {
    param(req, name)
        .map(|text| {
            time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| Error::validation(name, "must be an RFC 3339 date-time"))
        })
        .transpose()
}

/// `limit` (1–200, default 50) and `cursor` (decoded for `listing`).
pub fn page(req: &Request, listing: &str) -> Result<PageRequest> {
    let limit = match param(req, "limit") {
        None => None,
        Some(text) => Some(
            text.parse::<u32>()
                .map_err(|_| Error::validation("limit", "must be an integer 1..=200"))?,
        ),
    };
    let cursor = param(req, "cursor")
        .map(|c| cursor::decode(listing, &c))
        .transpose()?;
    PageRequest::new(limit, cursor)
}

/// A free-text search parameter: trimmed, absent when blank, at most `max` characters.
pub fn search(req: &Request, name: &str, max: usize) -> Result<Option<String>> {
    let text = param(req, name)
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if text.as_ref().is_some_and(|q| q.chars().count() > max) {
        return Err(Error::validation(
            name,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(text)
}

/// A boolean query parameter: `true` or `false`.
pub fn flag(req: &Request, name: &str) -> Result<Option<bool>> {
    match param(req, name).as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(Error::validation(name, "must be true or false")),
    }
}
