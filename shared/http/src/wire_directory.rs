//! Wire shapes of the directory routes: departments (with counts and moves) and custom roles.

use groups_domain::department::{DepartmentMove, MoveStatus};
use groups_domain::service_departments::{DepartmentCounts, Located};
use groups_domain::service_roles::RoleView;
use groups_domain::{DepartmentId, PermissionSet, RoleId, RoleScope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepartmentDto {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Ids from the root down to this department.
    pub path: Vec<String>,
    /// 0 for the root.
    pub depth: usize,
}

impl From<Located> for DepartmentDto {
    fn from(l: Located) -> Self {
        let path: Vec<String> = l.path.ids().iter().map(ToString::to_string).collect();
        Self {
            id: l.department.id.into(),
            name: l.department.name,
            parent_id: l.department.parent_id.map(Into::into),
            depth: path.len().saturating_sub(1),
            path,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountsDto {
    pub users: u64,
    pub nested_users: u64,
    pub sub_departments: u64,
    pub groups: u64,
    pub rules: u64,
}

impl From<DepartmentCounts> for CountsDto {
    fn from(c: DepartmentCounts) -> Self {
        Self {
            users: c.users,
            nested_users: c.nested_users,
            sub_departments: c.sub_departments,
            groups: c.groups,
            rules: c.rules,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveDto {
    pub status: MoveStatus,
    pub from_path: Vec<String>,
    pub to_path: Vec<String>,
    pub users_moved: u64,
    pub groups_moved: u64,
    pub groups_reevaluated: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub finished_at: Option<OffsetDateTime>,
}

impl From<DepartmentMove> for MoveDto {
    fn from(m: DepartmentMove) -> Self {
        let ids = |p: &groups_domain::DepartmentPath| {
            p.ids().iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        Self {
            status: m.status,
            from_path: ids(&m.from_path),
            to_path: ids(&m.to_path),
            users_moved: m.users_moved,
            groups_moved: m.groups_moved,
            groups_reevaluated: m.groups_reevaluated,
            started_at: m.started_at,
            finished_at: m.finished_at,
        }
    }
}

/// One department as `GET /departments/{id}` and the writes answer it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepartmentDetailDto {
    #[serde(flatten)]
    pub department: DepartmentDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<CountsDto>,
    #[serde(rename = "move", skip_serializing_if = "Option::is_none")]
    pub move_job: Option<MoveDto>,
}

impl DepartmentDetailDto {
    pub fn new(located: Located, counts: Option<DepartmentCounts>) -> Self {
        let move_job = located.department.move_job.clone().map(MoveDto::from);
        Self {
            department: DepartmentDto::from(located),
            counts: counts.map(CountsDto::from),
            move_job,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewDepartmentBody {
    #[serde(default)]
    pub id: Option<DepartmentId>,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<DepartmentId>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DepartmentChangeBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub parent_id: Option<DepartmentId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDto {
    pub id: String,
    pub name: String,
    pub permissions: PermissionSet,
    pub scope: RoleScope,
    /// Users holding it (within the caller's scope).
    pub holders: u64,
}

impl From<RoleView> for RoleDto {
    fn from(v: RoleView) -> Self {
        Self {
            id: v.role.id.into(),
            name: v.role.name,
            permissions: v.role.permissions,
            scope: v.role.scope,
            holders: v.holders,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewRoleBody {
    #[serde(default)]
    pub id: Option<RoleId>,
    pub name: String,
    pub permissions: Vec<String>,
    pub scope: RoleScope,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleChangeBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub scope: Option<RoleScope>,
}

/// Most permission names one role body lists (repeats included), as the OpenAPI document says.
pub const MAX_PERMISSION_NAMES: usize = 20;

/// Parses permission names, naming the offending item (`permissions/2`); duplicates collapse.
pub fn permissions(names: &[String]) -> groups_domain::Result<PermissionSet> {
    groups_domain::text::check_list_len("permissions", names, 0, MAX_PERMISSION_NAMES)?;
    let mut list = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        list.push(groups_domain::Permission::parse(
            &format!("permissions/{i}"),
            name,
        )?);
    }
    Ok(PermissionSet::of(&list))
}
