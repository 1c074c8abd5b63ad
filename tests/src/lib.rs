//! Shared fixtures and the storage conformance suite, generic over the ports so that the
//! in-memory store and the DynamoDB adapter are held to the same behaviour.

pub mod api;
pub mod conformance;
pub mod expect;
pub mod feed;
pub mod fixtures;
pub mod generated;
pub mod reference;
