//! Attributes a rule can test. Each is a small type implementing [`Attribute`], listed once in
//! [`ATTRIBUTES`]: adding one is a type and one line.

use super::Value;
use crate::user::{ProfileValue, User};

/// What kind of value an attribute holds, so operators can refuse mismatches on save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// `active` or `inactive`.
    Status,
    Date,
    Department,
    Group,
    /// A profile field: its type is known only per user.
    Dynamic,
}

pub trait Attribute: Sync {
    /// The name in the wire format; a `prefix` attribute matches `name.<field>`.
    fn name(&self) -> &'static str;
    fn kind(&self) -> Kind;
    /// Whether this attribute takes a field after its name (`profile.country`).
    fn prefix(&self) -> bool {
        false
    }
    /// The user's value, borrowed: reading allocates nothing.
    fn read<'u>(&self, user: &'u User, field: &str) -> Value<'u>;
}

/// An empty text counts as missing (a user synced without a job title has none).
fn text(s: &str) -> Value<'_> {
    if s.is_empty() {
        Value::Missing
    } else {
        Value::Text(s)
    }
}

struct Department;
impl Attribute for Department {
    fn name(&self) -> &'static str {
        "department"
    }
    fn kind(&self) -> Kind {
        Kind::Department
    }
    fn read<'u>(&self, user: &'u User, _: &str) -> Value<'u> {
        user.department.as_ref().map_or(Value::Missing, Value::Path)
    }
}

struct Group;
impl Attribute for Group {
    fn name(&self) -> &'static str {
        "group"
    }
    fn kind(&self) -> Kind {
        Kind::Group
    }
    fn read<'u>(&self, user: &'u User, _: &str) -> Value<'u> {
        Value::Member(&user.id)
    }
}

struct Role;
impl Attribute for Role {
    fn name(&self) -> &'static str {
        "role"
    }
    fn kind(&self) -> Kind {
        Kind::Text
    }
    fn read<'u>(&self, user: &'u User, _: &str) -> Value<'u> {
        Value::Text(user.role.as_str())
    }
}

struct Status;
impl Attribute for Status {
    fn name(&self) -> &'static str {
        "status"
    }
    fn kind(&self) -> Kind {
        Kind::Status
    }
    fn read<'u>(&self, user: &'u User, _: &str) -> Value<'u> {
        Value::Text(match user.status {
            crate::user::UserStatus::Active => "active",
            crate::user::UserStatus::Inactive => "inactive",
        })
    }
}

struct Email;
impl Attribute for Email {
    fn name(&self) -> &'static str {
        "email"
    }
    fn kind(&self) -> Kind {
        Kind::Text
    }
    fn read<'u>(&self, user: &'u User, _: &str) -> Value<'u> {
        text(&user.email)
    }
}

struct EmailDomain;
impl Attribute for EmailDomain {
    fn name(&self) -> &'static str {
        "emailDomain"
    }
    fn kind(&self) -> Kind {
        Kind::Text
    }
    fn read<'u>(&self, user: &'u User, _: &str) -> Value<'u> {
        user.email
            .rsplit_once('@')
            .map_or(Value::Missing, |(_, d)| text(d))
    }
}

struct JobTitle;
impl Attribute for JobTitle {
    fn name(&self) -> &'static str {
        "jobTitle"
    }
    fn kind(&self) -> Kind {
        Kind::Text
    }
    fn read<'u>(&self, user: &'u User, _: &str) -> Value<'u> {
        text(&user.job_title)
    }
}

struct CreatedAt;
impl Attribute for CreatedAt {
    fn name(&self) -> &'static str {
        "createdAt"
    }
    fn kind(&self) -> Kind {
        Kind::Date
    }
    fn read<'u>(&self, user: &'u User, _: &str) -> Value<'u> {
        Value::Date(user.created_at)
    }
}

struct Profile;
impl Attribute for Profile {
    fn name(&self) -> &'static str {
        "profile"
    }
    fn kind(&self) -> Kind {
        Kind::Dynamic
    }
    fn prefix(&self) -> bool {
        true
    }
    fn read<'u>(&self, user: &'u User, field: &str) -> Value<'u> {
        match user.profile.get(field) {
            None => Value::Missing,
            Some(ProfileValue::Text(t)) => text(t),
            Some(ProfileValue::Number(n)) => Value::Number(*n),
            Some(ProfileValue::Date(d)) => Value::Date(*d),
            Some(ProfileValue::List(items)) if items.is_empty() => Value::Missing,
            Some(ProfileValue::List(items)) => Value::List(items),
        }
    }
}

/// Every attribute, by wire name.
pub static ATTRIBUTES: &[&dyn Attribute] = &[
    &Department,
    &Group,
    &Role,
    &Status,
    &Email,
    &EmailDomain,
    &JobTitle,
    &CreatedAt,
    &Profile,
];
