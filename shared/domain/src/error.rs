//! The one error type of the domain. Adapters map their failures into it and the HTTP glue
//! maps it to problem+json, so every layer speaks the same vocabulary.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// Input that breaks a rule; `field` names the offending field (a JSON Pointer-ish path).
    #[error("{field}: {message}")]
    Validation { field: String, message: String },

    /// The thing does not exist, or exists in another account or outside the caller's scope
    /// (never distinguished, so ids of other tenants leak nothing).
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: String },

    #[error("a group titled \"{title}\" already exists")]
    TitleTaken { title: String },

    #[error("{resource} {id} already exists")]
    AlreadyExists { resource: &'static str, id: String },

    /// Members of a smart group follow its rule and cannot be edited by hand.
    #[error(
        "group {group_id} is a smart group: its members follow its rule; to make an exception for a person, \
         add an override (POST /groups/{group_id}/overrides with effect include or exclude and a reason)"
    )]
    SmartGroupMembership { group_id: String },

    /// Optimistic concurrency: the caller's version is not the stored one.
    #[error("version mismatch: expected {expected}, found {actual}")]
    VersionMismatch { expected: u64, actual: u64 },

    /// Something is still used (a department with users, a role with holders): deleting it is
    /// refused, with the counts that stand in the way.
    #[error("{message}")]
    InUse {
        message: String,
        counts: Vec<(&'static str, u64)>,
    },

    /// A state conflict that is not one of the above (e.g. a move already running).
    #[error("{0}")]
    Conflict(String),

    #[error("missing permission {0}")]
    Forbidden(crate::role::Permission),

    /// The caller holds the permission, but not the authority this request needs (granting a
    /// role above their own, changing their own role, managing an Owner).
    #[error("{0}")]
    NotPermitted(String),

    #[error("authentication required")]
    Unauthenticated,

    /// Storage stayed unavailable after retries (throttling, timeouts): the client may retry.
    #[error("storage temporarily unavailable: {0}")]
    Unavailable(String),

    /// A bug or an unexpected storage answer; details go to the logs, not to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(resource: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            resource,
            id: id.into(),
        }
    }
}
