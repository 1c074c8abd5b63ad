//! Storage adapters of the groups domain's ports: the DynamoDB single table ([`dynamo`]) and an
//! in-memory store ([`memory`]) that behaves the same, proven by one conformance suite.

pub mod dynamo;
pub mod listing;
pub mod memory;

pub use dynamo::{CallCounter, DynamoStore};
pub use memory::MemoryStore;
