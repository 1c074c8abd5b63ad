//! Lambda entry point: builds the DynamoDB client once, then serves API Gateway requests.

use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let ctx = groups_http::Ctx::new(groups_store::DynamoStore::from_env().await?);
    lambda_http::run(service_fn(|req| async {
        Ok::<_, Error>(get_me::handle(&ctx, req).await)
    }))
    .await
}
