//! Turning handler results into responses: handlers never return `Err` to lambda_http (which
//! would be a bare 500); every failure becomes problem+json here.

use crate::problem::HttpError;
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use std::future::Future;
use tracing::Instrument;

pub type HandlerResult = Result<Response<Body>, HttpError>;

/// Runs a handler body and maps its error to problem+json. Its log lines carry the caller's
/// account once known (the request id comes from the runtime's or the local server's span).
pub async fn respond(work: impl Future<Output = HandlerResult>) -> Response<Body> {
    let span = tracing::info_span!("handler", account_id = tracing::field::Empty);
    async move {
        match work.await {
            Ok(response) => response,
            Err(err) => err.into_response(),
        }
    }
    .instrument(span)
    .await
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> HandlerResult {
    let body = serde_json::to_string(value)
        .map_err(|e| HttpError::from(groups_domain::Error::Internal(e.to_string())))?;
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .map_err(|e| groups_domain::Error::Internal(e.to_string()).into())
}

/// 201 with `Location` and the created resource.
pub fn created<T: Serialize>(location: &str, value: &T) -> HandlerResult {
    let mut response = json(StatusCode::CREATED, value)?;
    if let Ok(v) = http::HeaderValue::from_str(location) {
        response.headers_mut().insert(http::header::LOCATION, v);
    }
    Ok(response)
}

pub fn no_content() -> HandlerResult {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(|e| groups_domain::Error::Internal(e.to_string()).into())
}

/// Sets the `ETag` of a versioned resource, the value `If-Match` must echo.
pub fn with_etag(mut response: Response<Body>, version: u64) -> Response<Body> {
    if let Ok(v) = http::HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(http::header::ETAG, v);
    }
    response
}

/// The HTTP API (payload 2.0) response for a function that runs on lambda_runtime directly
/// because it has other triggers too.
pub fn v2_response(response: Response<Body>) -> aws_lambda_events::apigw::ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut out = aws_lambda_events::apigw::ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = parts.headers;
    out.body = match body {
        Body::Empty => None,
        other => Some(other),
    };
    out.is_base64_encoded = false;
    out
}
