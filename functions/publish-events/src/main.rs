//! Lambda entry point: the table's stream in, EventBridge events and membership history out.

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let ctx = groups_http::lambda::deps().await?;
    let (store, sink) = (&ctx.store, ctx.events.as_ref());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, Error>(publish_events::handle_stream(store, sink, event.payload).await)
    }))
    .await
}
