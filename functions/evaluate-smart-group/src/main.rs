#![recursion_limit = "256"]
//! Lambda entry point: one function for the HTTP route, the table's stream and the schedule.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let guard = evaluate_smart_group::guard_from_env();
    // One SDK configuration for both clients.
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let events = std::sync::Arc::new(groups_events::EventBridgeSink::from_config(&config)?);
    let ctx =
        groups_http::Ctx::with_events(groups_store::DynamoStore::from_config(&config)?, events);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let ctx = &ctx;
        async move {
            let deadline = event.context.deadline;
            Ok::<_, Error>(
                evaluate_smart_group::handle_event(ctx, guard, event.payload, deadline).await?,
            )
        }
    }))
    .await
}
