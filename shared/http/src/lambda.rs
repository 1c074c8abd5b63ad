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
    Ok(Deps::with_events(store, events))
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
                        match $crate::descriptor::refuse(&$krate::DESCRIPTOR, &req) {
                            Some(refusal) => refusal,
                            None => $krate::handle(ctx, req).await,
                        },
                    )
                },
            ))
            .await
        }
    };
}
