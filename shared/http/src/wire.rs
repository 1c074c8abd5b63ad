//! The JSON shapes of the API (camelCase). Request bodies deny unknown fields.

use groups_domain::{
    Group, GroupKind, MembershipSource, Page, PermissionSet, ProfileValue, Result, User, UserStatus,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDto {
    pub id: String,
    pub title: String,
    pub description: String,
    pub kind: GroupKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<serde_json::Value>,
    pub member_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_department_id: Option<String>,
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
    /// A smart group's last (or pending) evaluation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<groups_domain::Evaluation>,
    /// A smart group's mode (`active`, `paused`, `addOnly`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<groups_domain::GroupMode>,
    /// A rule change waiting for its instant (applied by the schedule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<groups_domain::group::ScheduledRule>,
    /// Set when an identity provider owns the group through SCIM: read-only here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned: Option<ProvisionedDto>,
}

/// Which SCIM connection provisions a group, and the identity provider's id for it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedDto {
    pub token_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl From<Group> for GroupDto {
    fn from(g: Group) -> Self {
        Self {
            owner_department_id: g
                .owner_department
                .as_ref()
                .map(|p| p.department_id().to_string()),
            id: g.id.into(),
            title: g.title,
            description: g.description,
            kind: g.kind,
            rule: g.rule,
            member_count: g.member_count,
            version: g.version,
            created_at: g.created_at,
            created_by: g.created_by.into(),
            updated_at: g.updated_at,
            updated_by: g.updated_by.into(),
            evaluation: g.evaluation,
            mode: (g.kind == GroupKind::Smart).then_some(g.mode),
            scheduled: g.scheduled,
            provisioned: g.provisioning.map(|p| ProvisionedDto {
                token_id: p.by,
                external_id: p.external_id,
            }),
        }
    }
}

/// `GET /me`: the caller, their role and what it allows where.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeDto {
    pub account_id: String,
    pub user_id: String,
    /// A built-in role's name, or a custom role's id.
    pub role: String,
    pub permissions: PermissionSet,
    /// The departments the permissions are limited to (with their subtrees); absent when they
    /// apply to the whole account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_ids: Option<Vec<String>>,
    /// The caller's directory record, when they have one.
    pub user: Option<UserDto>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    /// Departments the user administers (for department-scoped roles).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_department_ids: Vec<String>,
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    pub role: String,
    pub status: UserStatus,
    pub job_title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub profile: BTreeMap<String, ProfileValue>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            department_id: u.department_id().map(ToString::to_string),
            role: u.role.as_str().to_owned(),
            id: u.id.into(),
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            status: u.status,
            job_title: u.job_title,
            created_at: u.created_at,
            profile: u.profile,
            managed_department_ids: u
                .managed_department_ids
                .into_iter()
                .map(Into::into)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberDto {
    pub user_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_by: Option<String>,
    pub source: MembershipSource,
    /// The member's directory entry: only for callers with `users:view` whose scope includes
    /// the member (absent too when the user was deleted since).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserDto>,
    /// Present and true when the member lies outside the caller's scope (shown by id only,
    /// so that counts and pages still add up).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub out_of_scope: bool,
}

impl From<groups_domain::service::MemberView> for MemberDto {
    fn from(v: groups_domain::service::MemberView) -> Self {
        let m = v.membership;
        Self {
            user_id: m.user_id.into(),
            added_at: m.added_at,
            added_by: m.added_by.map(Into::into),
            source: m.source,
            user: v.user.map(UserDto::from),
            out_of_scope: v.out_of_scope,
        }
    }
}

/// A member as of a past instant; `addedAt` and `source` are absent for someone who has left
/// since (their joining lies before the history read).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AsOfMemberDto {
    pub user_id: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub added_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<MembershipSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserDto>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub out_of_scope: bool,
}

impl From<groups_domain::service_history::AsOfMember> for AsOfMemberDto {
    fn from(v: groups_domain::service_history::AsOfMember) -> Self {
        let m = v.membership;
        Self {
            user_id: v.user_id.into(),
            added_at: m.as_ref().map(|m| m.added_at),
            added_by: m.as_ref().and_then(|m| m.added_by.clone()).map(Into::into),
            source: m.map(|m| m.source),
            user: v.user.map(UserDto::from),
            out_of_scope: v.out_of_scope,
        }
    }
}

/// An import job: its progress, and one slice of its rows' outcomes (`items`, paged).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportJobDto {
    pub id: String,
    pub group_id: String,
    pub status: groups_domain::import_job::JobStatus,
    pub total: usize,
    pub processed: usize,
    pub added: usize,
    pub already_members: usize,
    pub not_found: usize,
    pub invalid: usize,
    pub duplicates: usize,
    pub requested_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub finished_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub items: Vec<groups_domain::service_csv::RowResult>,
    pub next_cursor: Option<String>,
}

impl ImportJobDto {
    pub fn new(
        job: groups_domain::import_job::ImportJob,
        items: Vec<groups_domain::service_csv::RowResult>,
        next_cursor: Option<String>,
    ) -> Self {
        Self {
            processed: job.processed(),
            id: job.id,
            group_id: job.group_id.into(),
            status: job.status,
            total: job.total,
            added: job.outcome.added,
            already_members: job.outcome.already_members,
            not_found: job.outcome.not_found,
            invalid: job.outcome.invalid,
            duplicates: job.outcome.duplicates,
            requested_by: job.requested_by.into(),
            created_at: job.created_at,
            finished_at: job.finished_at,
            error: job.error,
            items,
            next_cursor,
        }
    }
}

/// One join or leave of a group's or a user's history.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryDto {
    pub group_id: String,
    pub user_id: String,
    pub change: groups_domain::events::MembershipChange,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub cause: groups_domain::history::Cause,
    /// The member's directory entry (a group's history), as the member list shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserDto>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub out_of_scope: bool,
    /// The group's title (a user's history); absent when the group is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_title: Option<String>,
}

impl HistoryDto {
    fn of(entry: groups_domain::HistoryEntry) -> Self {
        Self {
            group_id: entry.group_id.into(),
            user_id: entry.user_id.into(),
            change: entry.change,
            at: entry.at,
            cause: entry.cause,
            user: None,
            out_of_scope: false,
            group_title: None,
        }
    }
}

impl From<groups_domain::service_history::GroupHistoryView> for HistoryDto {
    fn from(v: groups_domain::service_history::GroupHistoryView) -> Self {
        Self {
            user: v.user.map(UserDto::from),
            out_of_scope: v.out_of_scope,
            ..Self::of(v.entry)
        }
    }
}

impl From<groups_domain::service_history::UserHistoryView> for HistoryDto {
    fn from(v: groups_domain::service_history::UserHistoryView) -> Self {
        Self {
            group_title: v.group_title,
            ..Self::of(v.entry)
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserGroupDto {
    pub group_id: String,
    pub title: String,
    pub kind: GroupKind,
    pub source: MembershipSource,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// A page of a listing.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDto<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> ListDto<T> {
    /// Wraps a store page, making its cursor opaque for `listing`.
    pub fn from_page<U>(page: Page<U>, listing: &str, map: impl FnMut(U) -> T) -> Self {
        Self {
            items: page.items.into_iter().map(map).collect(),
            next_cursor: page.next_cursor.map(|c| crate::cursor::encode(listing, &c)),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateGroupBody {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub kind: Option<GroupKind>,
    #[serde(default)]
    pub rule: Option<serde_json::Value>,
    #[serde(default)]
    pub owner_department_id: Option<String>,
    #[serde(default)]
    pub user_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateGroupBody {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub rule: Option<serde_json::Value>,
    #[serde(default)]
    pub mode: Option<groups_domain::GroupMode>,
    /// With `rule`: the future instant it takes effect.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub effective_at: Option<OffsetDateTime>,
    /// `null` cancels the scheduled rule change (nothing else is taken).
    #[serde(default, deserialize_with = "present")]
    pub scheduled: Option<Option<serde_json::Value>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`, by `default`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserIdsBody {
    pub user_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupIdsBody {
    pub group_ids: Vec<String>,
}

/// Parses a list of `1..=max` ids, naming `field/<index>` on the first bad one.
pub fn parse_ids<T>(
    field: &str,
    raw: Vec<String>,
    max: usize,
    parse: impl Fn(&str, String) -> Result<T>,
) -> Result<Vec<T>> {
    groups_domain::text::check_list_len(field, &raw, 1, max)?;
    raw.into_iter()
        .enumerate()
        .map(|(i, id)| parse(&format!("{field}/{i}"), id))
        .collect()
}

/// Like [`parse_ids`], for an optional list that may be empty.
pub fn parse_ids_allow_empty<T>(
    field: &str,
    raw: Vec<String>,
    max: usize,
    parse: impl Fn(&str, String) -> Result<T>,
) -> Result<Vec<T>> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    parse_ids(field, raw, max, parse)
}

/// A membership edit as both member routes take it: `/groups/{groupId}/members` with
/// `{"userIds": [...]}` (1 to 1,000 ids), no query parameters.
pub struct MemberEdit {
    pub group: groups_domain::GroupId,
    pub users: Vec<groups_domain::UserId>,
}

impl MemberEdit {
    pub fn parse(req: &lambda_http::Request) -> std::result::Result<Self, crate::HttpError> {
        let group = crate::query::path_id(req, "groupId", "group", groups_domain::GroupId::parse)?;
        crate::query::allow_only(req, &[])?;
        let input: UserIdsBody = crate::body::json_body(req)?;
        let users = parse_ids(
            "userIds",
            input.user_ids,
            groups_domain::service::MAX_MEMBER_IDS,
            groups_domain::UserId::parse,
        )?;
        Ok(Self { group, users })
    }
}

/// The `handle` of a member route: parse the group and the user ids, call `$service` (one of
/// the member use cases, given the clock when `now` follows), answer its outcome. Written once
/// for add-members and remove-members.
#[macro_export]
macro_rules! member_edit_handler {
    ($service:path $(, $now:ident)?) => {
        pub async fn handle<S: groups_domain::Store>(
            ctx: &$crate::Deps<S>,
            req: $crate::Request,
        ) -> $crate::Response<$crate::Body> {
            $crate::respond(async {
                let caller = $crate::caller(&req)?;
                let edit = $crate::wire::MemberEdit::parse(&req)?;
                let (group, users) = (&edit.group, &edit.users);
                let outcome =
                    $service(&ctx.store, &caller, group, users $(, ctx.$now())?).await?;
                $crate::json($crate::StatusCode::OK, &outcome)
            })
            .await
        }
    };
}
