//! Maps SDK failures to the domain's error. Transient failures (throttling, timeouts, 5xx)
//! have already been retried by the SDK's standard retry policy when they get here.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use groups_domain::Error;

const TRANSIENT_CODES: [&str; 6] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
];

pub fn is_transient_code(code: Option<&str>) -> bool {
    code.is_some_and(|c| TRANSIENT_CODES.contains(&c))
}

/// Maps any SDK error of operation `op`.
pub fn sdk<E, R>(op: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            tracing::warn!(op, error = %aws_sdk_dynamodb::error::DisplayErrorContext(&err), "dynamodb unavailable");
            Error::Unavailable(format!("{op} failed to reach DynamoDB"))
        }
        SdkError::ServiceError(service) if is_transient_code(service.err().code()) => {
            Error::Unavailable(format!(
                "{op}: {}",
                service.err().code().unwrap_or("transient")
            ))
        }
        _ => {
            tracing::error!(op, error = %aws_sdk_dynamodb::error::DisplayErrorContext(&err), "dynamodb error");
            Error::Internal(format!(
                "{op}: {}",
                err.code().unwrap_or("unexpected error")
            ))
        }
    }
}

pub fn serde(context: &str, err: serde_dynamo::Error) -> Error {
    Error::Internal(format!("{context}: {err}"))
}
