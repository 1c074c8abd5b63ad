//! Users of the directory, synced from the platform's user service.

use crate::department::DepartmentPath;
use crate::error::{Error, Result};
use crate::ids::{DepartmentId, UserId};
use crate::role::RoleRef;
use crate::text::{MAX_NAME_CHARS, clean_line};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const MAX_PROFILE_FIELDS: usize = 50;
pub const MAX_PROFILE_TEXT_CHARS: usize = 1000;
pub const MAX_PROFILE_LIST_ITEMS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UserStatus {
    Active,
    Inactive,
}

/// A typed profile value. On the wire a date is a string: `YYYY-MM-DD` or an RFC 3339 instant
/// becomes a date (kept in UTC), any other string is text.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileValue {
    Text(String),
    Number(f64),
    Date(OffsetDateTime),
    List(Vec<String>),
}

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant (converted to UTC).
pub fn parse_date(value: &str) -> Option<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(at.to_offset(time::UtcOffset::UTC));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, format)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

impl ProfileValue {
    fn check(&self, field: &str) -> Result<()> {
        match self {
            ProfileValue::Text(s) if s.chars().count() > MAX_PROFILE_TEXT_CHARS => {
                Err(Error::validation(
                    field,
                    format!("must be at most {MAX_PROFILE_TEXT_CHARS} characters"),
                ))
            }
            ProfileValue::Number(n) if !n.is_finite() => {
                Err(Error::validation(field, "must be a finite number"))
            }
            // What DynamoDB stores: zero, or a magnitude from 1e-130 below 1e126.
            ProfileValue::Number(n) if *n != 0.0 && !(1e-130..1e126).contains(&n.abs()) => {
                Err(Error::validation(
                    field,
                    "must be 0 or of a magnitude from 1e-130 to below 1e126",
                ))
            }
            ProfileValue::List(items) if items.len() > MAX_PROFILE_LIST_ITEMS => {
                Err(Error::validation(
                    field,
                    format!("must hold at most {MAX_PROFILE_LIST_ITEMS} items"),
                ))
            }
            ProfileValue::List(items) => items.iter().enumerate().try_for_each(|(i, s)| {
                if s.chars().count() > MAX_NAME_CHARS {
                    Err(Error::validation(
                        format!("{field}/{i}"),
                        format!("must be at most {MAX_NAME_CHARS} characters"),
                    ))
                } else {
                    Ok(())
                }
            }),
            _ => Ok(()),
        }
    }
}

impl Serialize for ProfileValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            ProfileValue::Text(t) => s.serialize_str(t),
            ProfileValue::Number(n) => s.serialize_f64(*n),
            ProfileValue::Date(d) => {
                let text = d.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
                s.serialize_str(&text)
            }
            ProfileValue::List(items) => s.collect_seq(items),
        }
    }
}

impl<'de> Deserialize<'de> for ProfileValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
            List(Vec<String>),
        }
        Ok(
            match Raw::deserialize(d).map_err(|_| {
                serde::de::Error::custom(
                    "a profile value is a string, a number, a date string or a list of strings",
                )
            })? {
                Raw::Number(n) => ProfileValue::Number(n),
                Raw::Text(t) => match parse_date(&t) {
                    Some(at) => ProfileValue::Date(at),
                    None => ProfileValue::Text(t),
                },
                Raw::List(items) => ProfileValue::List(items),
            },
        )
    }
}

/// Field names are identifiers so that `profile.<field>` in rules is unambiguous.
pub fn check_profile_key(field: &str, key: &str) -> Result<()> {
    let mut chars = key.chars();
    let starts_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_ok || key.len() > 64 || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::validation(
            field,
            "profile field names are 1-64 letters, digits or '_', starting with a letter",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Where the user sits, from the root department down; `None` when in no department.
    pub department: Option<DepartmentPath>,
    pub role: RoleRef,
    pub status: UserStatus,
    pub job_title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Omitted when empty: DynamoDB Local's stream garbles empty maps.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profile: BTreeMap<String, ProfileValue>,
    /// Departments this user administers (for department-scoped roles).
    #[serde(default)]
    pub managed_department_ids: Vec<DepartmentId>,
    /// When this record was first created in the directory (set by the service, kept on
    /// replace): tokens issued before it belong to an earlier user of the same id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub registered_at: Option<OffsetDateTime>,
    /// When the record last changed (set by the service on every write; SCIM's
    /// `meta.lastModified`). `None` for records written before it was kept.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub updated_at: Option<OffsetDateTime>,
}

impl User {
    /// The profile field an identity provider's `userName` is kept in when it is not the email.
    pub const USER_NAME_FIELD: &'static str = "userName";

    /// The name identity providers look a user up by (SCIM `userName`): the profile's
    /// `userName` when set, else the email. Compare [`Self::login_key`]s, not these.
    pub fn login_name(&self) -> String {
        match self.profile.get(Self::USER_NAME_FIELD) {
            Some(ProfileValue::Text(t)) => t.clone(),
            Some(ProfileValue::Number(n)) => n.to_string(),
            _ => self.email.clone(),
        }
    }

    /// [`Self::login_name`] as looked up: case-insensitive (and trimmed).
    pub fn login_key(&self) -> String {
        login_key(&self.login_name())
    }

    pub fn department_id(&self) -> Option<&DepartmentId> {
        self.department.as_ref().map(DepartmentPath::department_id)
    }

    /// Checks and normalises every field, naming the offending one.
    pub fn validate(mut self) -> Result<Self> {
        self.email = check_email(&self.email)?;
        self.first_name = clean_line("firstName", &self.first_name, MAX_NAME_CHARS)?;
        self.last_name = clean_line("lastName", &self.last_name, MAX_NAME_CHARS)?;
        self.job_title = crate::text::clean_text("jobTitle", &self.job_title, MAX_NAME_CHARS)?;
        if self.profile.len() > MAX_PROFILE_FIELDS {
            return Err(Error::validation(
                "profile",
                format!("must hold at most {MAX_PROFILE_FIELDS} fields"),
            ));
        }
        for (key, value) in &self.profile {
            let field = format!("profile/{key}");
            check_profile_key(&field, key)?;
            value.check(&field)?;
        }
        crate::text::check_list_len("managedDepartmentIds", &self.managed_department_ids, 0, 50)?;
        Ok(self)
    }
}

pub fn check_email(value: &str) -> Result<String> {
    let email = value.trim();
    let valid = email.chars().count() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
               && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid {
        Ok(email.to_owned())
    } else {
        Err(Error::validation(
            "email",
            "must be an email address like name@example.com",
        ))
    }
}

/// A login name as the store indexes it: trimmed and lower-cased.
pub fn login_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_values_are_typed_from_json() {
        let v: BTreeMap<String, ProfileValue> = serde_json::from_str(
            r#"{"country":"DE","level":3,"hired":"2024-03-01","badges":["a","b"],"seen":"2024-03-01T10:00:00+02:00"}"#,
        )
        .expect("json");
        assert_eq!(v["country"], ProfileValue::Text("DE".into()));
        assert_eq!(v["level"], ProfileValue::Number(3.0));
        assert!(matches!(v["hired"], ProfileValue::Date(_)));
        assert_eq!(
            v["badges"],
            ProfileValue::List(vec!["a".into(), "b".into()])
        );
        let ProfileValue::Date(seen) = v["seen"] else {
            panic!("date expected")
        };
        assert_eq!(seen.hour(), 8, "dates are kept in UTC");
        assert!(serde_json::from_str::<ProfileValue>("{\"x\":1}").is_err());
        assert!(serde_json::from_str::<ProfileValue>("true").is_err());
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            check_email(" ann@acme.io ").ok(),
            Some("ann@acme.io".into())
        );
        for bad in [
            "ann",
            "@acme.io",
            "ann@acme",
            "a b@acme.io",
            "ann@acme.io.",
            "a@b@c.io",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn profile_keys_are_identifiers() {
        assert!(check_profile_key("p", "country_code").is_ok());
        assert!(check_profile_key("p", "1abc").is_err());
        assert!(check_profile_key("p", "a.b").is_err());
        assert!(ProfileValue::Number(f64::NAN).check("p").is_err());
        assert!(
            ProfileValue::List(vec!["x".into(); 101])
                .check("p")
                .is_err()
        );
    }
}
