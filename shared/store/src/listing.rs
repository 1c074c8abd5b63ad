//! Listing helpers both adapters share, so their pages and cursors agree.

use groups_domain::ports::sort_keys;
use groups_domain::{DepartmentPath, Error, PageRequest, Result};

/// The sort-key prefix of a department's users: `/a/b/!` for only, `/a/b/` for nested.
pub fn department_prefix(department: &DepartmentPath, nested: bool) -> String {
    let mut prefix = department.key();
    if !nested {
        prefix.push(sort_keys::USER_SEPARATOR);
    }
    prefix
}

/// A cursor from another listing cannot resume this one.
pub fn check_cursor_prefix(page: &PageRequest, prefix: &str) -> Result<()> {
    match &page.cursor {
        Some(c) if !c.starts_with(prefix) => Err(Error::validation(
            "cursor",
            "is not a cursor of this listing",
        )),
        _ => Ok(()),
    }
}
