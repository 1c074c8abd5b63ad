//! The one Lambda entry point of the HTTP functions. [`deps`] builds the SDK configuration, the
//! DynamoDB store and the event sink once; [`crate::lambda_main!`] serves API Gateway requests
//! through a function crate's `handle`, after its descriptor's access check. A main is a line:
//! `groups_http::lambda_main!(list_groups);`.

use crate::Deps;
use groups_domain::events::{EventSink, NoEvents};
use groups_store::DynamoStore;
use std::sync::Arc;

pub use lambda_http;

/// The store (`TABLE_NAME`, `DYNAMODB_ENDPOINT`) and, for functions given `EVENT_BUS_NAME`, the
/// EventBridge sink; others get a sink that refuses events, so a function publishing without
/// a bus fails loudly instead of dropping them.
pub async fn deps() -> Result<Deps<DynamoStore>, lambda_http::Error> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = DynamoStore::from_config(&config)?;
    let events: Arc<dyn EventSink> = if std::env::var("EVENT_BUS_NAME").is_ok() {
        Arc::new(groups_events::EventBridgeSink::from_config(&config)?)
    } else {
        Arc::new(NoEvents)
    };
    let mut deps = Deps::with_events(store, events);
    deps.metrics = Arc::new(crate::metrics::Stdout);
    Ok(deps)
}

/// One HTTP request through a function: refused by its descriptor or handled, with its EMF
/// line (latency and status class by route) written.
pub async fn serve<S, F>(
    ctx: &Deps<S>,
    descriptor: &crate::FunctionDescriptor,
    req: crate::Request,
    handle: impl FnOnce(crate::Request) -> F,
) -> crate::Response<crate::Body>
where
    F: std::future::Future<Output = crate::Response<crate::Body>>,
{
    use lambda_http::RequestExt;
    let started = std::time::Instant::now();
    let route = match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => c.route_key.clone(),
        _ => None,
    }
    .unwrap_or_else(|| format!("{} {}", req.method(), req.uri().path()));
    let response = match crate::descriptor::refuse(descriptor, &req) {
        Some(refusal) => refusal,
        None => handle(req).await,
    };
    ctx.metrics.emit(crate::metrics::http_request(
        descriptor.name,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    ));
    response
}

/// The `main` of an HTTP function crate whose lib exports `DESCRIPTOR` and `handle`.
#[macro_export]
macro_rules! lambda_main {
    ($krate:ident) => {
        #[tokio::main]
        async fn main() -> Result<(), $crate::lambda::lambda_http::Error> {
            $crate::lambda::lambda_http::tracing::init_default_subscriber();
            let ctx = $crate::lambda::deps().await?;
            let ctx = &ctx;
            $crate::lambda::lambda_http::run($crate::lambda::lambda_http::service_fn(
                move |req| async move {
                    Ok::<_, $crate::lambda::lambda_http::Error>(
                        $crate::lambda::serve(ctx, &$krate::DESCRIPTOR, req, |req| {
                            $krate::handle(ctx, req)
                        })
                        .await,
                    )
                },
            ))
            .await
        }
    };
}
