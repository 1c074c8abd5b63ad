//! SCIM's error shape (RFC 7644 §3.12) and media type, for `/scim/v2`: what the SCIM function
//! answers, and what a refused SCIM request gets before it runs.

use groups_domain::Error;
use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::{Value, json};

pub const SCIM_JSON: &str = "application/scim+json";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM error: an HTTP status, an optional `scimType` keyword and a detail for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            None,
            format!("{what} {id} not found"),
        )
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(map)) = (self.scim_type, body.as_object_mut()) {
            map.insert("scimType".into(), Value::from(t));
        }
        body
    }

    pub fn into_response(self) -> Response<Body> {
        respond(self.status, &self.body(), None)
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        let detail = e.to_string();
        let (status, scim_type) = match &e {
            Error::Validation { .. } => (StatusCode::BAD_REQUEST, Some("invalidValue")),
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, None),
            Error::TitleTaken { .. } | Error::AlreadyExists { .. } => {
                (StatusCode::CONFLICT, Some("uniqueness"))
            }
            Error::SmartGroupMembership { .. } => (StatusCode::BAD_REQUEST, Some("mutability")),
            Error::VersionMismatch { .. } => (StatusCode::PRECONDITION_FAILED, None),
            Error::InUse { .. } | Error::Conflict(_) => (StatusCode::CONFLICT, None),
            Error::Forbidden(_) | Error::NotPermitted(_) => (StatusCode::FORBIDDEN, None),
            Error::Unauthenticated => (StatusCode::UNAUTHORIZED, None),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, None),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        let detail = match &e {
            Error::Unauthenticated => "a valid SCIM bearer token is required".to_owned(),
            // Details of a failure inside stay in the logs.
            Error::Internal(_) => {
                tracing::error!(error = %e, "SCIM request failed");
                "internal error".to_owned()
            }
            _ => detail,
        };
        Self::new(status, scim_type, detail)
    }
}

/// The SCIM error response for a domain error.
pub fn error_response(e: &Error) -> Response<Body> {
    ScimError::from(e.clone()).into_response()
}

/// A SCIM JSON response, with an `ETag` when given.
pub fn respond(status: StatusCode, body: &Value, etag: Option<&str>) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, SCIM_JSON);
    if let Some(etag) = etag {
        builder = builder.header(http::header::ETAG, etag);
    }
    builder
        .body(Body::Text(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}
