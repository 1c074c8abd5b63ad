//! RFC 9457 problem+json responses with a stable `type` per kind of failure.

use groups_domain::Error;
use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a handler can fail with: the domain's errors plus the HTTP-only ones.
#[derive(Debug)]
pub enum HttpError {
    Domain(Error),
    PayloadTooLarge {
        limit: usize,
    },
    UnsupportedMediaType,
    /// A write that needs `If-Match` came without it.
    PreconditionRequired,
    /// No route matched (local server; API Gateway answers this itself).
    RouteNotFound,
    /// The path exists but not with this method; `allow` lists the methods it takes.
    MethodNotAllowed {
        allow: Vec<&'static str>,
    },
    /// A body that is not UTF-8 text cannot be JSON.
    BodyNotText,
}

impl From<Error> for HttpError {
    fn from(err: Error) -> Self {
        HttpError::Domain(err)
    }
}

struct Problem {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
    field: Option<String>,
    /// What stands in the way of a refused delete (`counts`, each also a top-level member).
    counts: Vec<(&'static str, u64)>,
    /// Where to go instead (a smart group's member edit points at its overrides).
    link: Option<(&'static str, String)>,
}

impl HttpError {
    fn problem(&self) -> Problem {
        let p = |status, slug, title, detail: String| Problem {
            status,
            slug,
            title,
            detail,
            field: None,
            counts: Vec::new(),
            link: None,
        };
        match self {
            HttpError::Domain(err) => domain_problem(err),
            HttpError::PayloadTooLarge { limit } => p(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Request body too large",
                format!("the body is over the {limit}-byte limit"),
            ),
            HttpError::UnsupportedMediaType => p(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json".into(),
            ),
            HttpError::PreconditionRequired => Problem {
                field: Some("If-Match".into()),
                ..p(
                    StatusCode::PRECONDITION_REQUIRED,
                    "precondition-required",
                    "If-Match required",
                    "send If-Match with the group's version (its ETag) to avoid lost updates"
                        .into(),
                )
            },
            HttpError::RouteNotFound => p(
                StatusCode::NOT_FOUND,
                "route-not-found",
                "No such route",
                "no route matches this path".into(),
            ),
            HttpError::BodyNotText => p(
                StatusCode::BAD_REQUEST,
                "validation",
                "Invalid input",
                "the body is not valid UTF-8 text".into(),
            ),
            HttpError::MethodNotAllowed { .. } => p(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this path does not take this method".into(),
            ),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let problem = self.problem();
        if problem.status.is_server_error() {
            tracing::error!(status = problem.status.as_u16(), error = ?self, "request failed");
        } else {
            tracing::info!(
                status = problem.status.as_u16(),
                kind = problem.slug,
                "request refused"
            );
        }
        let mut body = json!({
            "type": format!("urn:groups:problem:{}", problem.slug),
            "title": problem.title,
            "status": problem.status.as_u16(),
            "detail": problem.detail,
        });
        if let Some(field) = problem.field {
            body["field"] = json!(field);
        }
        if !problem.counts.is_empty() {
            let counts: serde_json::Map<String, serde_json::Value> = problem
                .counts
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!(v)))
                .collect();
            for (k, v) in &counts {
                body[k] = v.clone();
            }
            body["counts"] = serde_json::Value::Object(counts);
        }
        if let Some((name, href)) = problem.link {
            body[name] = json!(href);
        }
        let mut builder = Response::builder()
            .status(problem.status)
            .header(http::header::CONTENT_TYPE, PROBLEM_JSON);
        if problem.status == StatusCode::SERVICE_UNAVAILABLE {
            builder = builder.header(http::header::RETRY_AFTER, "1");
        }
        if problem.status == StatusCode::UNAUTHORIZED {
            builder = builder.header(http::header::WWW_AUTHENTICATE, "Bearer");
        }
        if let HttpError::MethodNotAllowed { allow } = &self {
            builder = builder.header(http::header::ALLOW, allow.join(", "));
        }
        builder
            .body(Body::Text(body.to_string()))
            .unwrap_or_else(|_| Response::new(Body::Empty))
    }
}

fn domain_problem(err: &Error) -> Problem {
    let p = |status, slug, title, field: Option<String>| Problem {
        status,
        slug,
        title,
        detail: err.to_string(),
        field,
        counts: Vec::new(),
        link: None,
    };
    match err {
        Error::Validation { field, message } => Problem {
            detail: message.clone(),
            ..p(
                StatusCode::BAD_REQUEST,
                "validation",
                "Invalid input",
                Some(field.clone()),
            )
        },
        Error::NotFound { .. } => p(StatusCode::NOT_FOUND, "not-found", "Not found", None),
        Error::TitleTaken { .. } => p(
            StatusCode::CONFLICT,
            "title-taken",
            "Title already used",
            Some("title".into()),
        ),
        Error::AlreadyExists { .. } => p(
            StatusCode::CONFLICT,
            "already-exists",
            "Already exists",
            None,
        ),
        Error::SmartGroupMembership { group_id } => Problem {
            link: Some(("overrides", format!("/groups/{group_id}/overrides"))),
            ..p(
                StatusCode::CONFLICT,
                "smart-group-membership",
                "Members of a smart group follow its rule",
                None,
            )
        },
        Error::VersionMismatch { .. } => p(
            StatusCode::PRECONDITION_FAILED,
            "version-mismatch",
            "The group changed since you read it",
            Some("If-Match".into()),
        ),
        Error::Conflict(_) => p(StatusCode::CONFLICT, "conflict", "Conflict", None),
        Error::InUse { counts, .. } => Problem {
            counts: counts.clone(),
            ..p(StatusCode::CONFLICT, "in-use", "Still in use", None)
        },
        Error::Forbidden(_) | Error::NotPermitted(_) => {
            p(StatusCode::FORBIDDEN, "forbidden", "Forbidden", None)
        }
        Error::Unauthenticated => p(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            None,
        ),
        Error::Unavailable(_) => Problem {
            detail: "storage is temporarily unavailable; retry shortly".into(),
            ..p(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                None,
            )
        },
        Error::Internal(_) => Problem {
            // Details stay in the logs.
            detail: "an unexpected error occurred".into(),
            ..p(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                None,
            )
        },
    }
}
