//! The API Gateway Lambda authorizer: verifies the JWT and resolves the caller.
//!
//! Shell crate: the handler arrives with the HTTP API issue.
