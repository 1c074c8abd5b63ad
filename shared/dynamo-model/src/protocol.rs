//! The SDK side: an HTTP client whose every request is answered by the model, in DynamoDB's
//! JSON 1.0 protocol (`X-Amz-Target: DynamoDB_20120810.<Operation>`, JSON bodies).

use crate::Model;
use crate::error::ApiError;
use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_sdk_dynamodb::error::ConnectorError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

const TARGET_PREFIX: &str = "DynamoDB_20120810.";

#[derive(Debug, Clone)]
pub struct ModelHttp {
    model: Model,
}

impl ModelHttp {
    pub fn new(model: Model) -> ModelHttp {
        ModelHttp { model }
    }

    fn respond(&self, request: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let (status, body) = match self.answer(request) {
            Ok(body) => (200, body),
            Err(e) => (e.status, e.body()),
        };
        let status =
            StatusCode::try_from(status).map_err(|e| ConnectorError::other(Box::new(e), None))?;
        let mut response = HttpResponse::new(status, SdkBody::from(body.to_string()));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        response
            .headers_mut()
            .insert("x-amzn-requestid", "00000000-model-request");
        Ok(response)
    }

    fn answer(&self, request: &HttpRequest) -> Result<serde_json::Value, ApiError> {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let op = target
            .strip_prefix(TARGET_PREFIX)
            .ok_or_else(|| ApiError::unknown_operation(target))?;
        let bytes = request
            .body()
            .bytes()
            .ok_or_else(|| ApiError::serialization("The request body is not in memory"))?;
        let body: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| ApiError::serialization(format!("Malformed JSON: {e}")))?;
        if !body.is_object() {
            return Err(ApiError::serialization(
                "The request body must be an object",
            ));
        }
        crate::ops::handle(&self.model, op, &body)
    }
}

impl HttpConnector for ModelHttp {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::ready(self.respond(&request))
    }
}

impl HttpClient for ModelHttp {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}
