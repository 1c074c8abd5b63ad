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

/// The identity of a title: what must be unique per account, and the order of "Title ↑".
/// Compatibility-normalised (NFKC: full-width `Ａ` is `A`, `ﬁ` is `fi`) and lower-cased, so
/// titles that read the same are the same. The title itself is kept as typed.
pub fn title_key(title: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    title.nfkc().collect::<String>().to_lowercase()
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
    /// A smart group's last (or pending) evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<Evaluation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EvaluationStatus {
    /// Requested; the evaluator picks it up from the table's stream.
    Queued,
    Running,
    Done,
    /// Would remove more members than the guard allows; waits for a confirmation.
    Held,
    Failed,
}

/// Progress and result of a smart group's evaluation, shown on the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub status: EvaluationStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// Apply even if the guard would hold (a confirmation).
    #[serde(default)]
    pub confirmed: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub evaluated: u64,
    #[serde(default)]
    pub joined: u64,
    #[serde(default)]
    pub left: u64,
    /// Removals held back by the guard.
    #[serde(default)]
    pub held: u64,
}

impl Evaluation {
    pub fn queued(at: OffsetDateTime, confirmed: bool) -> Self {
        Self {
            status: EvaluationStatus::Queued,
            requested_at: at,
            confirmed,
            started_at: None,
            finished_at: None,
            evaluated: 0,
            joined: 0,
            left: 0,
            held: 0,
        }
    }
}

/// One saved version of a smart group's rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleVersion {
    /// The group's version when this rule was saved.
    pub version: u64,
    pub rule: serde_json::Value,
    pub saved_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub saved_at: OffsetDateTime,
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
        assert_eq!(
            title_key("Ａdmins"),
            title_key("admins"),
            "full-width letters are their plain forms"
        );
        assert_eq!(title_key("Ofﬁce"), title_key("OFFICE"), "ligatures unfold");
        assert_eq!(
            title_key("Cafe\u{301}"),
            title_key("Café"),
            "combining accents compose"
        );
        assert_ne!(title_key("Cafe"), title_key("Café"), "accents still count");
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
