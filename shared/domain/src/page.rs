//! Paging. A cursor here is the raw sort key of the last item returned; the HTTP glue wraps it
//! in an opaque token. Stores resume strictly after it.

use crate::error::{Error, Result};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;
/// Raw cursors are sort keys: bounded like DynamoDB's 1 KiB sort keys.
pub const MAX_CURSOR_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

impl PageRequest {
    pub fn new(limit: Option<u32>, cursor: Option<String>) -> Result<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::validation(
                "limit",
                format!("must be 1..={MAX_LIMIT}"),
            ));
        }
        if cursor
            .as_ref()
            .is_some_and(|c| c.is_empty() || c.len() > MAX_CURSOR_LEN)
        {
            return Err(Error::validation(
                "cursor",
                "is not a cursor this API issued",
            ));
        }
        Ok(Self { limit, cursor })
    }

    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more items may follow.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` items in order: the extra item only proves that
    /// more follow, and the cursor is the key of the last item kept.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Self {
        let limit = limit as usize;
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more { items.last().map(key) } else { None };
        Self { items, next_cursor }
    }

    /// The same page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        assert_eq!(PageRequest::new(None, None).ok().map(|p| p.limit), Some(50));
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(201), None).is_err());
        assert!(PageRequest::new(Some(200), Some(String::new())).is_err());
    }

    #[test]
    fn overfetch_yields_a_cursor_only_when_more_follow() {
        let p = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!((p.items, p.next_cursor), (vec![1, 2], Some("2".into())));
        let p = Page::from_overfetch(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(p.next_cursor, None);
    }
}
