#![recursion_limit = "256"]
//! Lambda entry point: one function for the HTTP route, the table's stream and the schedule,
//! on the shared dependencies (`groups_http::lambda::deps`).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let guard = evaluate_smart_group::guard_from_env();
    let ctx = groups_http::lambda::deps().await?;
    let ctx = &ctx;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = event.context.deadline;
        Ok::<_, Error>(
            evaluate_smart_group::handle_event(ctx, guard, event.payload, deadline).await?,
        )
    }))
    .await
}
