//! The directory's file formats: one row type per kind, shared by import and export. Fields
//! are raw strings here; the import checks them with the domain's own validators so that a
//! refusal names the field as the API would.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a row describes, in the order an import applies them (each may name earlier kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Department,
    Role,
    User,
    Group,
    Membership,
}

impl Kind {
    pub const ORDER: [Kind; 5] = [
        Kind::Department,
        Kind::Role,
        Kind::User,
        Kind::Group,
        Kind::Membership,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Department => "department",
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Membership => "membership",
        }
    }

    /// Accepts the singular (`"type"` of a JSON line) or the plural (a CSV file's name).
    pub fn parse(value: &str) -> Option<Kind> {
        let singular = value.strip_suffix('s').unwrap_or(value);
        Kind::ORDER.into_iter().find(|k| k.name() == singular)
    }

    /// The CSV file that holds this kind.
    pub fn csv_file(self) -> String {
        format!("{}s.csv", self.name())
    }

    /// CSV columns, in the order export writes them.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Department => &["id", "name", "parentId"],
            Kind::Role => &["id", "name", "permissions", "scope"],
            Kind::User => &[
                "id",
                "email",
                "firstName",
                "lastName",
                "departmentId",
                "role",
                "status",
                "jobTitle",
                "managedDepartmentIds",
                "profile",
                "createdAt",
            ],
            Kind::Group => &["id", "title", "description", "ownerDepartmentId"],
            Kind::Membership => &["groupId", "userId"],
        }
    }
}

/// CSV columns holding lists, their items separated by `;` (ids and permissions never hold one).
pub const LIST_COLUMNS: [&str; 2] = ["permissions", "managedDepartmentIds"];
/// CSV columns holding a JSON object.
pub const JSON_COLUMNS: [&str; 1] = ["profile"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DepartmentRow {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleRow {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_department_ids: Vec<String>,
    /// Checked value by value on import, so a refusal names `profile/<field>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Map<String, Value>>,
    /// Kept so that an export re-imported elsewhere keeps the dates rules read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupRow {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_department_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembershipRow {
    pub group_id: String,
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Department(DepartmentRow),
    Role(RoleRow),
    User(UserRow),
    Group(GroupRow),
    Membership(MembershipRow),
}

impl Row {
    pub fn kind(&self) -> Kind {
        match self {
            Row::Department(_) => Kind::Department,
            Row::Role(_) => Kind::Role,
            Row::User(_) => Kind::User,
            Row::Group(_) => Kind::Group,
            Row::Membership(_) => Kind::Membership,
        }
    }

    /// What the report calls the row: its id, or `group/user` for a membership.
    pub fn id(&self) -> String {
        match self {
            Row::Department(r) => r.id.clone(),
            Row::Role(r) => r.id.clone(),
            Row::User(r) => r.id.clone(),
            Row::Group(r) => r.id.clone(),
            Row::Membership(r) => format!("{}/{}", r.group_id, r.user_id),
        }
    }

    /// Reads a row of `kind` from a JSON object (without its `"type"`).
    pub fn from_value(kind: Kind, value: Value) -> Result<Row, serde_json::Error> {
        Ok(match kind {
            Kind::Department => Row::Department(serde_json::from_value(value)?),
            Kind::Role => Row::Role(serde_json::from_value(value)?),
            Kind::User => Row::User(serde_json::from_value(value)?),
            Kind::Group => Row::Group(serde_json::from_value(value)?),
            Kind::Membership => Row::Membership(serde_json::from_value(value)?),
        })
    }

    /// The row's fields as a JSON object, in declaration order.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            Row::Department(r) => serde_json::to_value(r),
            Row::Role(r) => serde_json::to_value(r),
            Row::User(r) => serde_json::to_value(r),
            Row::Group(r) => serde_json::to_value(r),
            Row::Membership(r) => serde_json::to_value(r),
        }
    }

    /// One JSON line, `"type"` first so a reader sees the kind at once.
    pub fn to_json_line(&self) -> Result<String, serde_json::Error> {
        let fields = match self {
            Row::Department(r) => serde_json::to_string(r)?,
            Row::Role(r) => serde_json::to_string(r)?,
            Row::User(r) => serde_json::to_string(r)?,
            Row::Group(r) => serde_json::to_string(r)?,
            Row::Membership(r) => serde_json::to_string(r)?,
        };
        let head = format!("{{\"type\":\"{}\"", self.kind().name());
        Ok(match fields.strip_prefix('{') {
            Some("}") | None => format!("{head}}}"),
            Some(rest) => format!("{head},{rest}"),
        })
    }

    /// The row as CSV cells in [`Kind::columns`] order: lists joined by `;`, objects as JSON.
    pub fn to_csv_record(&self) -> Result<Vec<String>, serde_json::Error> {
        let value = self.to_value()?;
        let cell = |column: &str| -> Result<String, serde_json::Error> {
            Ok(match value.get(column) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(";"),
                Some(other) => serde_json::to_string(other)?,
            })
        };
        self.kind().columns().iter().map(|c| cell(c)).collect()
    }
}

/// A CSV record as the JSON object of its row: empty cells are absent, list cells split on
/// `;`, JSON cells parsed. An unparsable JSON cell answers `(column, message)`.
pub fn csv_object(headers: &[String], cells: &[String]) -> Result<Value, (String, String)> {
    let mut object = Map::new();
    for (column, cell) in headers.iter().zip(cells) {
        if cell.trim().is_empty() {
            continue;
        }
        let value = if LIST_COLUMNS.contains(&column.as_str()) {
            Value::Array(
                cell.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            )
        } else if JSON_COLUMNS.contains(&column.as_str()) {
            serde_json::from_str(cell)
                .map_err(|e| (column.clone(), format!("is not valid JSON: {e}")))?
        } else {
            Value::String(cell.clone())
        };
        object.insert(column.clone(), value);
    }
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_singular_and_plural() {
        assert_eq!(Kind::parse("users"), Some(Kind::User));
        assert_eq!(Kind::parse("membership"), Some(Kind::Membership));
        assert_eq!(Kind::parse("people"), None);
    }

    #[test]
    fn json_lines_start_with_the_type() {
        let row = Row::Membership(MembershipRow {
            group_id: "g".into(),
            user_id: "u".into(),
        });
        assert_eq!(
            row.to_json_line().ok().as_deref(),
            Some(r#"{"type":"membership","groupId":"g","userId":"u"}"#)
        );
    }

    #[test]
    fn csv_cells_round_trip_lists_and_objects() {
        let headers: Vec<String> = Kind::Role.columns().iter().map(|s| s.to_string()).collect();
        let cells = vec![
            "r1".to_string(),
            "Trainer".into(),
            "groups:view; users:view".into(),
            "account".into(),
        ];
        let value = csv_object(&headers, &cells).ok();
        let row = value.and_then(|v| Row::from_value(Kind::Role, v).ok());
        let record = row.as_ref().and_then(|r| r.to_csv_record().ok());
        assert_eq!(
            record,
            Some(vec![
                "r1".to_string(),
                "Trainer".into(),
                "groups:view;users:view".into(),
                "account".into()
            ])
        );
    }
}
