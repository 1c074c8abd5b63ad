//! Lambda entry point: builds the DynamoDB client once, then serves API Gateway requests.

use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    // One SDK configuration for both clients.
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let events = std::sync::Arc::new(groups_events::EventBridgeSink::from_config(&config)?);
    let ctx =
        groups_http::Ctx::with_events(groups_store::DynamoStore::from_config(&config)?, events);
    lambda_http::run(service_fn(|req| async {
        Ok::<_, Error>(remove_members::handle(&ctx, req).await)
    }))
    .await
}
