//! The DynamoDB single-table adapter. Every port method is one GetItem, one Query or one
//! transaction (chunked only where DynamoDB's per-call limits force it), retried on
//! transient failures.

mod actions;
mod counter;
mod counts;
mod directory;
mod errors;
mod evaluations;
mod groups;
mod history;
pub mod items;
pub mod keys;
mod memberships;
mod overrides;
mod retry;
mod scim_tokens;
pub mod stream;
pub mod table;

pub use counter::{CallCounter, Capacity};
pub use table::{TableDefinition, create_table, table_definition};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, KeysAndAttributes, TransactWriteItem};
use groups_domain::{Error, Result};
use items::RawItem;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

/// A client for a local endpoint (DynamoDB Local) with static credentials. DynamoDB Local keeps
/// data per access key and region, so every client of one run must use these same values.
pub fn local_client(endpoint: &str, counter: Option<&CallCounter>) -> Client {
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "groups-local",
        ));
    if let Some(counter) = counter {
        config = config.interceptor(counter.clone());
    }
    Client::from_conf(config.build())
}

/// Why a transaction was cancelled: one entry per item, in order.
pub(crate) struct Cancelled(pub Vec<CancellationReason>);

impl Cancelled {
    pub fn failed(&self, index: usize) -> bool {
        self.0
            .get(index)
            .and_then(|r| r.code())
            .is_some_and(|c| c == "ConditionalCheckFailed")
    }

    /// The item as it was when its condition failed (asked for with ALL_OLD).
    pub fn old_item(&self, index: usize) -> Option<&RawItem> {
        self.0.get(index).and_then(|r| r.item())
    }
}

impl DynamoStore {
    /// The store a Lambda function uses: credentials and region from the environment, the
    /// table from `TABLE_NAME`, and `DYNAMODB_ENDPOINT` when set (DynamoDB Local).
    pub async fn from_env() -> Result<Self> {
        Self::from_config(&aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
    }

    /// Like [`from_env`](Self::from_env), sharing an already loaded SDK configuration.
    pub fn from_config(shared: &aws_config::SdkConfig) -> Result<Self> {
        let table = std::env::var("TABLE_NAME")
            .map_err(|_| Error::Internal("TABLE_NAME is not set".into()))?;
        let mut config = aws_sdk_dynamodb::config::Builder::from(shared);
        if let Ok(endpoint) = std::env::var("DYNAMODB_ENDPOINT") {
            config = config.endpoint_url(endpoint);
        }
        Ok(Self::new(Client::from_conf(config.build()), table))
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Runs a transaction, retrying conflicts and throttling with backoff. A cancellation for
    /// any other reason (a failed condition) is handed back for the caller to interpret.
    pub(crate) async fn transact(
        &self,
        op: &str,
        items: Vec<TransactWriteItem>,
    ) -> Result<std::result::Result<(), Cancelled>> {
        for attempt in 0..retry::MAX_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Ok(())),
                Err(err) => err,
            };
            if let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
                err.as_service_error()
            {
                let reasons = cancel.cancellation_reasons().to_vec();
                let transient = reasons.iter().any(|r| {
                    errors::is_transient_code(r.code()) || r.code() == Some("TransactionConflict")
                });
                if !transient {
                    return Ok(Err(Cancelled(reasons)));
                }
            } else {
                let mapped = errors::sdk(op, err);
                if !matches!(mapped, Error::Unavailable(_)) {
                    return Err(mapped);
                }
            }
            retry::backoff(attempt).await;
        }
        Err(Error::Unavailable(format!(
            "{op}: transaction kept conflicting"
        )))
    }

    /// Runs a query from `start`, following pages until `want` items are collected or none
    /// remain. Unfiltered queries ask for exactly `want`, so one call serves one page.
    pub(crate) async fn query_collect(
        &self,
        want: usize,
        mut start: Option<RawItem>,
        build: impl Fn(Option<RawItem>) -> QueryFluentBuilder,
    ) -> Result<Vec<RawItem>> {
        let mut items = Vec::new();
        loop {
            let out = build(start.take())
                .send()
                .await
                .map_err(|e| errors::sdk("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            if items.len() >= want {
                items.truncate(want);
                return Ok(items);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// A consistent query of the items of partition `pk` whose sort key starts with `prefix`.
    pub(crate) fn partition_query(&self, pk: &str, prefix: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", items::string(pk))
            .expression_attribute_values(":prefix", items::string(prefix))
            .consistent_read(true)
    }

    /// Reads up to 100 keys in one BatchGetItem, retrying unprocessed keys with backoff.
    /// `Read::Latest` is strongly consistent; `Read::MayLag` costs half, for display.
    pub(crate) async fn batch_get(&self, keys: Vec<RawItem>, read: Read) -> Result<Vec<RawItem>> {
        let mut found = Vec::with_capacity(keys.len());
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(read == Read::Latest)
            .build()
            .map_err(|e| Error::Internal(e.to_string()))?;
        for attempt in 0..retry::MAX_ATTEMPTS {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await
                .map_err(|e| errors::sdk("BatchGetItem", e))?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(&self.table).unwrap_or_default());
            }
            match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                Some(rest) if !rest.keys().is_empty() => {
                    pending = rest;
                    retry::backoff(attempt).await;
                }
                _ => return Ok(found),
            }
        }
        Err(Error::Unavailable(
            "BatchGetItem: keys stayed unprocessed".into(),
        ))
    }

    /// Reads any number of keys, 100 per BatchGetItem.
    pub(crate) async fn batch_get_all(
        &self,
        keys: Vec<RawItem>,
        read: Read,
    ) -> Result<Vec<RawItem>> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            found.extend(self.batch_get(chunk.to_vec(), read).await?);
        }
        Ok(found)
    }

    /// Deletes up to 25 keys in one BatchWriteItem, retrying unprocessed items with backoff.
    pub(crate) async fn batch_delete(&self, keys: Vec<RawItem>) -> Result<()> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        let requests = keys
            .into_iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|d| WriteRequest::builder().delete_request(d).build())
                    .map_err(|e| Error::Internal(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    /// One BatchWriteItem of up to 25 requests, retrying what DynamoDB leaves unprocessed.
    pub(crate) async fn batch_write(
        &self,
        requests: Vec<aws_sdk_dynamodb::types::WriteRequest>,
    ) -> Result<()> {
        let mut pending = requests;
        for attempt in 0..retry::MAX_ATTEMPTS {
            if pending.is_empty() {
                return Ok(());
            }
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await
                .map_err(|e| errors::sdk("BatchWriteItem", e))?;
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.table))
                .unwrap_or_default();
            if !pending.is_empty() {
                retry::backoff(attempt).await;
            }
        }
        Err(Error::Unavailable(
            "BatchWriteItem: items stayed unprocessed".into(),
        ))
    }
}

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// Sees every write acknowledged before it (strongly consistent).
    Latest,
    /// May miss a write of the last second; half the capacity. Only for display.
    MayLag,
}

/// Filter expressions of a query, with their values.
#[derive(Default)]
pub(crate) struct Filters {
    terms: Vec<String>,
    values: Vec<(String, String)>,
}

impl Filters {
    pub fn add(&mut self, term: &str, values: &[(&str, String)]) {
        self.terms.push(term.to_owned());
        self.values
            .extend(values.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    }

    /// Keeps items whose department path attribute (`/root/sales/…`) lies in the scope.
    pub fn scope(&mut self, scope: &groups_domain::Scope, path_attribute: &str) {
        self.scope_as(scope, path_attribute, |id| format!("/{id}/"));
    }

    /// Keeps items whose department path, a list of department ids, lies in the scope. (A
    /// filter may not name the key attributes of the index it queries, so users are filtered
    /// on this list rather than on their index key.)
    pub fn scope_in_list(&mut self, scope: &groups_domain::Scope, list_attribute: &str) {
        self.scope_as(scope, list_attribute, |id| id.to_string());
    }

    fn scope_as(
        &mut self,
        scope: &groups_domain::Scope,
        path_attribute: &str,
        operand: impl Fn(&groups_domain::DepartmentId) -> String,
    ) {
        let groups_domain::Scope::Departments(ids) = scope else {
            return;
        };
        if ids.is_empty() {
            // Nothing is visible; a term that is never true keeps one code path.
            self.add("attribute_exists(noSuchAttribute)", &[]);
            return;
        }
        let mut terms = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let name = format!(":dep{i}");
            terms.push(format!("contains({path_attribute}, {name})"));
            self.values.push((name, operand(id)));
        }
        self.terms.push(format!("({})", terms.join(" OR ")));
    }

    /// Applies the filters; unfiltered, exactly `want` items are read (one page, one call),
    /// filtered, DynamoDB reads on until the page fills.
    pub fn apply(&self, mut query: QueryFluentBuilder, want: usize) -> QueryFluentBuilder {
        if self.terms.is_empty() {
            return query.limit(want as i32);
        }
        for (name, value) in &self.values {
            query = query.expression_attribute_values(name, items::string(value));
        }
        query.filter_expression(self.terms.join(" AND "))
    }
}

/// A primary key.
impl DynamoStore {
    /// Points an item of a moved department's subtree at its new path: sets the path attribute
    /// and the attribute keyed by it, if that one still holds `from_key` (answers whether it
    /// wrote; a concurrent change to anything else of the item is kept).
    pub(crate) async fn repath(
        &self,
        item: RawItem,
        (path_attribute, key_attribute): (&str, &str),
        to: &groups_domain::DepartmentPath,
        to_key: String,
        from_key: String,
    ) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item))
            .update_expression("SET #path = :to, #key = :toKey")
            .condition_expression("#key = :fromKey")
            .expression_attribute_names("#path", path_attribute)
            .expression_attribute_names("#key", key_attribute)
            .expression_attribute_values(":to", items::to_value(to)?)
            .expression_attribute_values(":toKey", items::string(to_key))
            .expression_attribute_values(":fromKey", items::string(from_key))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error() {
                Some(
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(_),
                ) => Ok(false),
                _ => Err(errors::sdk("UpdateItem", e)),
            },
        }
    }
}

pub(crate) fn key(pk: String, sk: String) -> RawItem {
    HashMap::from([
        (table::PK.to_owned(), items::string(pk)),
        (table::SK.to_owned(), items::string(sk)),
    ])
}
