//! The axum server: API Gateway's part (CORS, the authorizer, routing to functions), plus the
//! local-only `/dev/tokens` and the OpenAPI document.

use crate::registry::{Function, dispatch, functions};
use crate::stream::Feed;
use authorizer::config::AuthConfig;
use axum::body::{Body as AxumBody, to_bytes};
use axum::extract::{Request as AxumRequest, State};
use axum::response::{IntoResponse, Response as AxumResponse};
use groups_domain::Store;
use groups_domain::events::RecordedEvents;
use groups_domain::smart::Guard;
use groups_http::body::MAX_BODY_BYTES;
use groups_http::descriptor::{
    CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECONDS,
};
use groups_http::event::HttpCall;
use groups_http::{Body, Deps, HttpError};
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::Instrument;

pub struct App<S> {
    pub ctx: Deps<S>,
    pub functions: Vec<Function<S>>,
    pub auth: AuthConfig,
    /// Role name (or custom-role user id) → bearer token, served at `/dev/tokens`.
    pub tokens: Map<String, Value>,
    /// Origins allowed to call from a browser; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Where the admin console's files come from.
    pub console: crate::console::Source,
    /// The membership events "published" (the latest ones), served at `/dev/events`.
    pub events: Arc<RecordedEvents>,
}

impl<S: Store + 'static> App<S> {
    /// The server over `store`, keeping the membership events it publishes.
    pub fn new(
        store: S,
        auth: AuthConfig,
        tokens: Map<String, Value>,
        allowed_origins: Vec<String>,
    ) -> Self {
        let events = Arc::new(RecordedEvents::default());
        Self {
            ctx: Deps::with_events(store, events.clone()),
            functions: functions(),
            auth,
            tokens,
            allowed_origins,
            console: crate::console::Source::default(),
            events,
        }
    }
}

/// Emulates the table's stream: every change reaches the evaluator, in order.
pub fn spawn_stream<S: Store + 'static>(
    app: Arc<App<S>>,
    mut feed: mpsc::Receiver<Feed>,
    guard: Guard,
) {
    tokio::spawn(async move {
        while let Some(item) = feed.recv().await {
            match item {
                Feed::Change(change) => {
                    // Both consumers of the stream: the events, then the evaluation.
                    let events = app.ctx.events.as_ref();
                    let change = std::slice::from_ref(&change);
                    if let Err(error) =
                        publish_events::publish_changes(&app.ctx.store, events, change).await
                    {
                        tracing::error!(%error, ?change, "publishing a change failed");
                    }
                    if let Err(error) =
                        evaluate_smart_group::process(&app.ctx, guard, &change[0]).await
                    {
                        tracing::error!(%error, ?change, "evaluating a change failed");
                    }
                }
                Feed::Batch(event) => {
                    let published = publish_events::handle_stream(
                        &app.ctx.store,
                        app.ctx.events.as_ref(),
                        event.clone(),
                    )
                    .await;
                    if !published.batch_item_failures.is_empty() {
                        tracing::error!(
                            failures = published.batch_item_failures.len(),
                            "publishing stream records failed"
                        );
                    }
                    let response =
                        evaluate_smart_group::handle_stream(&app.ctx, guard, event).await;
                    if !response.batch_item_failures.is_empty() {
                        tracing::error!(
                            failures = response.batch_item_failures.len(),
                            "stream records failed"
                        );
                    }
                }
            }
        }
    });
}

/// Emulates the EventBridge schedule of refreshes.
pub fn spawn_schedule<S: Store + 'static>(app: Arc<App<S>>, every: Duration, guard: Guard) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            match evaluate_smart_group::handle_schedule(&app.ctx, guard, &|| false).await {
                Ok(summary) => {
                    tracing::info!(accounts = summary.accounts, "scheduled refresh done")
                }
                Err(error) => tracing::error!(%error, "scheduled refresh failed"),
            }
        }
    });
}

pub fn router<S: Store + 'static>(app: Arc<App<S>>) -> axum::Router {
    axum::Router::new().fallback(handle::<S>).with_state(app)
}

fn to_axum(response: lambda_http::Response<Body>) -> AxumResponse {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    AxumResponse::from_parts(parts, AxumBody::from(bytes))
}

fn json_response(value: &Value) -> AxumResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn allowed_origin<S>(app: &App<S>, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
    let origin = origin?.to_str().ok()?;
    app.allowed_origins
        .iter()
        .any(|o| o == "*" || o == origin)
        .then(|| HeaderValue::from_str(origin).ok())
        .flatten()
}

async fn handle<S: Store + 'static>(
    State(app): State<Arc<App<S>>>,
    request: AxumRequest,
) -> AxumResponse {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %request.method(), path = %request.uri().path());
    async move {
        let origin = allowed_origin(&app, request.headers().get(header::ORIGIN));
        let mut response = route(&app, request).await;
        if let Some(origin) = origin {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
            if let Ok(v) = HeaderValue::from_str(&CORS_EXPOSE_HEADERS.join(", ")) {
                headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
            }
        }
        tracing::info!(status = response.status().as_u16(), "served");
        response
    }
    .instrument(span)
    .await
}

async fn route<S: Store + 'static>(app: &App<S>, request: AxumRequest) -> AxumResponse {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    match (&method, path.as_str()) {
        (&Method::GET, "/openapi.json") => {
            let spec: Value = serde_json::from_str(groups_http::OPENAPI).unwrap_or(Value::Null);
            return json_response(&spec);
        }
        (&Method::GET, "/dev/tokens") => {
            // `?account=A&user=U`: a token for any user of any account (one that
            // groups-admin bootstrapped), signed by the same local dev key.
            let query = request.uri().query().unwrap_or("");
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|p| p.strip_prefix(&format!("{name}=")))
                    .map(str::to_owned)
            };
            if let (Some(account), Some(user)) = (param("account"), param("user")) {
                let claims = authorizer::dev::Claims::new(&account, &user, 12 * 3600);
                return match authorizer::dev::token(&claims) {
                    Ok(token) => json_response(&serde_json::json!({ "token": token })),
                    Err(_) => to_axum(
                        HttpError::from(groups_domain::Error::validation(
                            "account",
                            "not a token this server can sign",
                        ))
                        .into_response(),
                    ),
                };
            }
            return json_response(&Value::Object(app.tokens.clone()));
        }
        (&Method::GET, "/dev/events") => {
            let events = serde_json::to_value(app.events.recent()).unwrap_or(Value::Null);
            return json_response(&serde_json::json!({ "items": events }));
        }
        (&Method::OPTIONS, _) => return preflight(),
        (&Method::GET, path) => {
            if let Some(page) = crate::console::serve(&app.console, path) {
                return page;
            }
        }
        _ => {}
    }
    let mut call = HttpCall::new(method.as_str(), &path);
    call.query = request.uri().query().unwrap_or("").to_owned();
    for (name, value) in request.headers() {
        if let Ok(value) = value.to_str() {
            call.headers
                .push((name.as_str().to_owned(), value.to_owned()));
        }
    }
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Read one byte past the limit, so an oversized body is refused whole (API Gateway's own
    // limit is 10 MB; ours is lower).
    let bytes = match to_bytes(request.into_body(), MAX_BODY_BYTES + 1).await {
        Ok(bytes) if bytes.len() <= MAX_BODY_BYTES => bytes,
        _ => {
            return to_axum(
                HttpError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                }
                .into_response(),
            );
        }
    };
    if !bytes.is_empty() {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => call.body = Some(text),
            // API Gateway would pass it base64-encoded, and JSON parsing would refuse it.
            Err(_) => return to_axum(HttpError::BodyNotText.into_response()),
        }
    }
    // An authorizer that cannot read the directory decides nothing: a server-side failure,
    // never "not signed in".
    let Ok(context) =
        authorizer::context(&app.ctx.store, &app.auth, authorization.as_deref()).await
    else {
        return to_axum(
            HttpError::from(groups_domain::Error::Unavailable("authorizer".into())).into_response(),
        );
    };
    to_axum(dispatch(&app.functions, &app.ctx, &call, context).await)
}

/// CORS preflight, answered like the HTTP API's CORS configuration.
fn preflight() -> AxumResponse {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    let list = |items: &[&str]| HeaderValue::from_str(&items.join(", ")).ok();
    if let Some(v) = list(&CORS_ALLOW_METHODS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    if let Some(v) = list(&CORS_ALLOW_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(CORS_MAX_AGE_SECONDS),
    );
    response
}
