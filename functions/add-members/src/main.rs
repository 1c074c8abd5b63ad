//! Lambda entry point: builds the DynamoDB client once, then serves API Gateway requests.

use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let events = std::sync::Arc::new(groups_events::EventBridgeSink::from_env().await?);
    let ctx = groups_http::Ctx::with_events(groups_store::DynamoStore::from_env().await?, events);
    lambda_http::run(service_fn(|req| async {
        Ok::<_, Error>(add_members::handle(&ctx, req).await)
    }))
    .await
}
