//! The single table's definition, as data: the code creates the table from it, and the SAM
//! template is checked against it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use groups_domain::{Error, Result};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
pub const GSI2: &str = "GSI2";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";
pub const GSI3: &str = "GSI3";
pub const GSI3PK: &str = "GSI3PK";
pub const GSI3SK: &str = "GSI3SK";

/// A global secondary index: name, partition key, sort key (all projected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub indexes: Vec<IndexDefinition>,
    /// Every key attribute is a string.
    pub stream_view: &'static str,
}

pub fn table_definition() -> TableDefinition {
    TableDefinition {
        partition_key: PK,
        sort_key: SK,
        indexes: vec![
            // Overloaded: users by department path, and a user's groups.
            IndexDefinition {
                name: GSI1,
                partition_key: GSI1PK,
                sort_key: GSI1SK,
            },
            // Groups of an account in title order.
            IndexDefinition {
                name: GSI2,
                partition_key: GSI2PK,
                sort_key: GSI2SK,
            },
            // Sparse: smart groups only, by account (the evaluator's work list).
            IndexDefinition {
                name: GSI3,
                partition_key: GSI3PK,
                sort_key: GSI3SK,
            },
        ],
        stream_view: "NEW_AND_OLD_IMAGES",
    }
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| Error::Internal(e.to_string()))
}

fn string_attribute(name: &str) -> Result<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Creates the table (on-demand, with a stream) and waits until it is active.
pub async fn create_table(client: &Client, table: &str) -> Result<()> {
    let def = table_definition();
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(def.partition_key, KeyType::Hash)?)
        .key_schema(key(def.sort_key, KeyType::Range)?)
        .attribute_definitions(string_attribute(def.partition_key)?)
        .attribute_definitions(string_attribute(def.sort_key)?)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(def.stream_view))
                .build()
                .map_err(|e| Error::Internal(e.to_string()))?,
        );
    for index in &def.indexes {
        request = request
            .attribute_definitions(string_attribute(index.partition_key)?)
            .attribute_definitions(string_attribute(index.sort_key)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .key_schema(key(index.partition_key, KeyType::Hash)?)
                    .key_schema(key(index.sort_key, KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(|e| Error::Internal(e.to_string()))?,
            );
    }
    request
        .send()
        .await
        .map_err(|e| super::errors::sdk("CreateTable", e))?;
    for _ in 0..100 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| super::errors::sdk("DescribeTable", e))?;
        let status = described.table().and_then(|t| t.table_status());
        if status.is_some_and(|s| s.as_str() == "ACTIVE") {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(Error::Unavailable(format!(
        "table {table} did not become active"
    )))
}
