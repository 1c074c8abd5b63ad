//! Identifier newtypes. Every id is 1–64 ASCII letters, digits, `-` or `_`: safe inside storage
//! keys (which use `#`, `/`, `!` and `\u{1}` as separators) and in URLs without escaping.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_ID_LEN: usize = 64;

/// Checks an id and names `field` when it is wrong.
pub fn check_id(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::validation(field, "must not be empty"));
    }
    if value.len() > MAX_ID_LEN {
        return Err(Error::validation(
            field,
            format!("must be at most {MAX_ID_LEN} characters"),
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::validation(
            field,
            "may contain only letters, digits, '-' and '_'",
        ));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id, naming `field` in the error.
            pub fn parse(field: &str, value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                check_id(field, &value)?;
                Ok(Self(value))
            }

            /// A fresh random id with a readable prefix.
            pub fn generate() -> Self {
                Self(format!("{}-{}", $prefix, uuid::Uuid::new_v4().simple()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(value: String) -> Result<Self> {
                Self::parse(stringify!($name), value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A tenant.
    AccountId, "acc"
);
id_type!(UserId, "usr");
id_type!(GroupId, "grp");
id_type!(DepartmentId, "dep");
id_type!(
    /// A custom role's id (built-in roles have fixed names, see [`crate::role::BuiltinRole`]).
    RoleId, "role"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids() {
        assert!(GroupId::parse("id", "grp-Interns_2").is_ok());
        assert_eq!(GroupId::generate().as_str().len(), 4 + 32);
    }

    #[test]
    fn rejects_bad_ids_naming_the_field() {
        for bad in ["", "a b", "a#b", "a/b", "ü", &"x".repeat(65)] {
            match UserId::parse("userIds/3", bad) {
                Err(Error::Validation { field, .. }) => assert_eq!(field, "userIds/3"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn deserializing_checks_too() {
        assert!(serde_json::from_str::<UserId>("\"ok-1\"").is_ok());
        assert!(serde_json::from_str::<UserId>("\"not ok\"").is_err());
    }
}
