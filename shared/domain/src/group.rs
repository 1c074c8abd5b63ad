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

/// Longest title key in UTF-8 bytes: keys become DynamoDB sort keys (at most 1,024 bytes with
/// their prefix and the group id), and normalisation can make a 200-character title far longer.
pub const MAX_TITLE_KEY_BYTES: usize = 800;

/// Characters a title may not hold although they are not control characters: bidirectional
/// embeddings, overrides, isolates and marks (they make a title read differently from how it
/// sorts), the byte-order mark, and line and paragraph separators.
fn forbidden_in_title(c: char) -> bool {
    matches!(c,
        '\u{200E}' | '\u{200F}' | '\u{061C}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' | '\u{2028}' | '\u{2029}')
}

/// Checks a title: trimmed, 1–200 characters, no control, bidirectional-override or separator
/// characters, something visible, and a key that fits a storage key.
pub fn check_title(value: &str) -> Result<String> {
    let title = clean_line("title", value, MAX_TITLE_CHARS)?;
    if title.chars().any(forbidden_in_title) {
        return Err(Error::validation(
            "title",
            "must not contain bidirectional controls, a byte-order mark or line separators",
        ));
    }
    let key = title_key(&title);
    if key.trim().is_empty() {
        return Err(Error::validation(
            "title",
            "must contain a visible character",
        ));
    }
    if key.len() > MAX_TITLE_KEY_BYTES || title_claim_key(&title).len() > MAX_TITLE_KEY_BYTES {
        return Err(Error::validation(
            "title",
            format!("is too long once normalised (at most {MAX_TITLE_KEY_BYTES} bytes)"),
        ));
    }
    Ok(title)
}

/// Invisible format characters (zero-width spaces and joiners, soft hyphens, ...): a title
/// that differs from another only by them reads the same.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{E0000}'..='\u{E0FFF}')
}

/// The order of "Title ↑" and what `q` searches: invisible format characters dropped,
/// compatibility-normalised (NFKC: full-width `Ａ` is `A`, `ﬁ` is `fi`) and case-folded, so
/// titles that read the same sort the same. The title itself is kept as typed.
pub fn title_key(title: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let visible: String = title.chars().filter(|c| !invisible(*c)).collect();
    crate::rule::text::fold(&visible.nfkc().collect::<String>())
        .nfc()
        .collect()
}

/// What must be unique per account: the [`title_key`] reduced to its UTS #39 skeleton, so
/// titles confusable with each other (Latin `I` and Cyrillic `І`) are one title.
pub fn title_claim_key(title: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let skeleton: String =
        unicode_security::confusable_detection::skeleton(&title_key(title)).collect();
    crate::rule::text::fold(&skeleton).nfc().collect()
}

/// An identity provider's id for a group: one line, at most 256 characters.
pub fn check_external_id(value: &str) -> Result<String> {
    clean_line("externalId", value, MAX_EXTERNAL_ID_CHARS)
}

pub const MAX_EXTERNAL_ID_CHARS: usize = 256;

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
    /// Exact: changed only in the same transaction as the memberships it counts. Not read by
    /// [`crate::GroupStore::account_smart_groups`] (0 there).
    #[serde(default)]
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
    /// How a smart group's rule applies; stored only when not `active`.
    #[serde(default, skip_serializing_if = "GroupMode::is_active")]
    pub mode: GroupMode,
    /// A smart group's overrides, by user id (DESIGN §11); stored only when there are some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<crate::overrides::Override>,
    /// A smart group's rule change that takes effect later, applied by the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<ScheduledRule>,
    /// Set on a static group an identity provider created through SCIM: it changes only
    /// through SCIM, and SCIM sees no other group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning: Option<Provisioning>,
}

/// What SCIM keeps of a provisioned group besides its title and members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provisioning {
    /// The SCIM token that created it (never empty, so the stored map never is either:
    /// DynamoDB Local's stream garbles empty maps).
    pub by: String,
    /// The identity provider's own id for the group (SCIM `externalId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// A rule saved to take effect at a future instant (DESIGN §11, scheduled rule versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRule {
    pub rule: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub effective_at: OffsetDateTime,
    pub saved_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub saved_at: OffsetDateTime,
}

/// How a smart group's rule applies (DESIGN §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupMode {
    /// The rule adds and removes members.
    #[default]
    Active,
    /// No membership change at all, a deleted user's leave included; evaluations wait.
    Paused,
    /// Joins are applied; leaves (a deleted user's too) wait for the return to active.
    AddOnly,
}

impl GroupMode {
    pub fn is_active(&self) -> bool {
        *self == Self::Active
    }
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
    /// What asked for the evaluation (the history's trigger); a request through the API when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<crate::history::Trigger>,
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
            trigger: None,
        }
    }

    /// The same request, asked for by `trigger`.
    pub fn because(self, trigger: crate::history::Trigger) -> Self {
        Self {
            trigger: Some(trigger),
            ..self
        }
    }
}

/// Whether a group's evaluation turned, from `before` to `after`, into a new request: the one
/// change that starts an evaluation. A write that leaves a queued request as it was (a count
/// changing while it waits) requests nothing more.
pub fn newly_requested(before: Option<&Evaluation>, after: Option<&Evaluation>) -> bool {
    match (before, after) {
        (_, None) => false,
        (_, Some(a)) if a.status != EvaluationStatus::Queued => false,
        (Some(b), Some(a)) => {
            b.status != EvaluationStatus::Queued
                || b.requested_at != a.requested_at
                || b.confirmed != a.confirmed
        }
        (None, Some(_)) => true,
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
    /// Whether `user` lies where the group reaches: a department-owned group evaluates only
    /// over that department's subtree.
    pub fn covers_user(&self, user: &crate::user::User) -> bool {
        self.owner_department.as_ref().is_none_or(|owner| {
            user.department
                .as_ref()
                .is_some_and(|p| p.is_within(owner.department_id()))
        })
    }

    pub fn title_key(&self) -> String {
        title_key(&self.title)
    }

    pub fn title_claim_key(&self) -> String {
        title_claim_key(&self.title)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MembershipSource {
    Manual,
    Rule,
    /// An include override of a smart group.
    Override,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
        assert_ne!(
            title_claim_key("Cafe"),
            title_claim_key("Café"),
            "accents still count"
        );
        assert_eq!(
            title_claim_key("Interns"),
            title_claim_key("\u{406}nterns"),
            "Latin I and Cyrillic I are one title"
        );
        assert_eq!(
            title_claim_key("Sales\u{200B}Team"),
            title_claim_key("SalesTeam"),
            "zero-width characters are invisible"
        );
        assert_eq!(title_key("Sales\u{200D}Team"), title_key("SalesTeam"));
        for bad in [
            "a\u{202E}b",
            "\u{FEFF}a",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{2066}b",
        ] {
            assert!(check_title(bad).is_err(), "{bad:?}");
        }
        assert!(check_title("\u{200B}").is_err(), "nothing visible");
        // NFKC makes U+FDFA 18 characters: 200 of them do not fit a storage key.
        assert!(check_title(&"\u{FDFA}".repeat(200)).is_err());
        assert!(check_title(&"é".repeat(200)).is_ok());
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
