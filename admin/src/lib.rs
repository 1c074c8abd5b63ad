//! groups-admin: the operator's tool for an account's directory (DESIGN §10 "Account
//! bootstrap"). The logic is generic over the domain's storage ports, so it runs on the
//! in-memory store in tests and on DynamoDB for real.

pub mod batch;
pub mod bootstrap;
pub mod export;
pub mod import;
pub mod input;
pub mod progress;
pub mod report;
pub mod rows;
pub mod sample;

pub use batch::UserBatches;

/// Who the import records as the creator of groups and the adder of members.
pub const ACTOR: &str = "groups-admin";

/// Why a command stopped: a message for the operator, nothing to retry by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

impl From<groups_domain::Error> for Failure {
    fn from(e: groups_domain::Error) -> Self {
        Failure(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure(e.to_string())
    }
}
