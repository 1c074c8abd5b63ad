//! Groups and memberships.

use crate::department::DepartmentPath;
use crate::error::{Error, Result};
use crate::ids::{GroupId, UserId};
use crate::text::{MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, clean_line, clean_text};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupKind {
    Static,
    Smart,
}

impl GroupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Static => "static",
            GroupKind::Smart => "smart",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self> {
        match value {
            "static" => Ok(GroupKind::Static),
            "smart" => Ok(GroupKind::Smart),
            _ => Err(Error::validation(field, "must be \"static\" or \"smart\"")),
        }
    }
}

/// Checks a title: trimmed, 1–200 characters, no control characters.
pub fn check_title(value: &str) -> Result<String> {
    clean_line("title", value, MAX_TITLE_CHARS)
}

/// The case-insensitive identity of a title: what must be unique per account, and the order of
/// "Title ↑". Unicode simple lower-casing, no other folding (see the README).
pub fn title_key(title: &str) -> String {
    title.to_lowercase()
}

pub fn check_description(value: &str) -> Result<String> {
    clean_text("description", value, MAX_DESCRIPTION_CHARS)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: GroupId,
    pub title: String,
    pub description: String,
    pub kind: GroupKind,
    /// The smart group's rule in the wire format of DESIGN.md §3 (validated by the rule engine).
    pub rule: Option<serde_json::Value>,
    /// Exact: changed only in the same transaction as the memberships it counts.
    pub member_count: u64,
    /// The owning department's path; `None` for an account-level group.
    pub owner_department: Option<DepartmentPath>,
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub updated_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Bumped by every metadata edit (not by membership changes); `If-Match` compares it.
    pub version: u64,
}

impl Group {
    pub fn title_key(&self) -> String {
        title_key(&self.title)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MembershipSource {
    Manual,
    Rule,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub group_id: GroupId,
    pub user_id: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    /// Who added the member by hand; `None` when a rule did.
    pub added_by: Option<UserId>,
    pub source: MembershipSource,
}

/// The error for a membership write that expected a group of `expected` kind.
pub fn kind_mismatch(group_id: &GroupId, expected: GroupKind) -> Error {
    match expected {
        GroupKind::Static => Error::SmartGroupMembership {
            group_id: group_id.to_string(),
        },
        GroupKind::Smart => Error::Conflict(format!("group {group_id} is not a smart group")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_checked_and_keyed_case_insensitively() {
        assert_eq!(check_title("  Interns ").ok(), Some("Interns".into()));
        assert!(check_title("").is_err());
        assert!(check_title(&"a".repeat(201)).is_err());
        assert!(check_title("a\u{1b}[31m").is_err());
        assert_eq!(title_key("Direct SALES"), title_key("direct sales"));
        assert_ne!(
            title_key("Ａ"),
            title_key("A"),
            "full-width letters stay distinct"
        );
    }

    #[test]
    fn kinds_parse_strictly() {
        assert_eq!(
            GroupKind::parse("kind", "smart").ok(),
            Some(GroupKind::Smart)
        );
        assert!(GroupKind::parse("kind", "Smart").is_err());
    }
}
