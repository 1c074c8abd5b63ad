//! Lambda entry point: reads the verification keys and builds the DynamoDB client once.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = authorizer::config::AuthConfig::from_env()?;
    let store = groups_store::DynamoStore::from_env().await?;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let (store, config) = (&store, &config);
            async move { Ok::<_, Error>(authorizer::handle(store, config, event.payload).await?) }
        },
    ))
    .await
}
