//! HTTP glue shared by every function crate, written once: the caller's identity from the
//! authorizer context, problem+json errors, opaque cursors, body limits and strict JSON parsing,
//! the wire shapes, and the descriptors that tell what drives each function.

pub mod body;
pub mod context;
pub mod csv_members;
pub mod cursor;
pub mod deps;
pub mod descriptor;
pub mod event;
pub mod guard;
pub mod lambda;
pub mod metrics;
pub mod problem;
pub mod query;
pub mod respond;
pub mod scim;
pub mod wire;
pub mod wire_directory;

pub use body::json_body;
pub use context::caller;
pub use deps::Deps;
pub use descriptor::{Access, EventSource, FunctionDescriptor, Route, Trigger};
pub use guard::guard_from_env;
pub use problem::HttpError;
pub use respond::{created, json, no_content, respond};

pub use http::StatusCode;
pub use lambda_http::{Body, Request, Response};

/// The OpenAPI 3.1 document of the HTTP API.
pub const OPENAPI: &str = include_str!("../openapi.json");
