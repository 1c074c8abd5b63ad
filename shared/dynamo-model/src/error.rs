//! DynamoDB's error answers: `{"__type": "com.amazonaws.dynamodb.v20120810#<Name>", …}`.

use serde_json::{Map, Value as Json, json};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: &'static str,
    pub message: String,
    pub status: u16,
    /// Extra members of the body (`Item`, `CancellationReasons`).
    pub extra: Map<String, Json>,
}

impl ApiError {
    fn new(kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
            status: 400,
            extra: Map::new(),
        }
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new("ValidationException", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new("ResourceNotFoundException", message)
    }

    pub fn in_use(message: impl Into<String>) -> ApiError {
        ApiError::new("ResourceInUseException", message)
    }

    pub fn unknown_operation(op: &str) -> ApiError {
        ApiError::new(
            "UnknownOperationException",
            format!("The model does not implement {op}"),
        )
    }

    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new("SerializationException", message)
    }

    /// A failed condition of a single-item write, with the item when asked for (ALL_OLD).
    pub fn conditional(item: Option<Json>) -> ApiError {
        let mut e = ApiError::new(
            "ConditionalCheckFailedException",
            "The conditional request failed",
        );
        if let Some(item) = item {
            e.extra.insert("Item".into(), item);
        }
        e
    }

    pub fn throughput() -> ApiError {
        ApiError::new(
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
        )
    }

    pub fn throttling() -> ApiError {
        ApiError::new(
            "ThrottlingException",
            "Throughput exceeds the current capacity for one or more global secondary indexes.",
        )
    }

    pub fn transaction_conflict() -> ApiError {
        ApiError::new(
            "TransactionConflictException",
            "Transaction is ongoing for the item",
        )
    }

    /// A cancelled transaction: one reason per action, in order.
    pub fn cancelled(reasons: Vec<Json>) -> ApiError {
        let codes: Vec<&str> = reasons
            .iter()
            .map(|r| r.get("Code").and_then(Json::as_str).unwrap_or("None"))
            .collect();
        let message = format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        );
        let mut e = ApiError::new("TransactionCanceledException", message.clone());
        e.extra.insert("Message".into(), Json::String(message));
        e.extra
            .insert("CancellationReasons".into(), Json::Array(reasons));
        e
    }

    pub fn body(&self) -> Json {
        let mut body = Map::new();
        body.insert(
            "__type".into(),
            json!(format!("com.amazonaws.dynamodb.v20120810#{}", self.kind)),
        );
        body.insert("message".into(), json!(self.message));
        for (k, v) in &self.extra {
            body.insert(k.clone(), v.clone());
        }
        Json::Object(body)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
