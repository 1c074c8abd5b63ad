//! An in-process, in-memory DynamoDB. The unchanged `aws-sdk-dynamodb` client talks to it
//! through a custom HTTP client that answers DynamoDB's JSON 1.0 protocol, so code under test
//! runs exactly as against DynamoDB, without a network or a Java server.
//!
//! ```no_run
//! # async fn demo() {
//! let model = groups_dynamo_model::Model::new();
//! let client = model.client();
//! // … create a table and use `client` as usual …
//! let changes = model.take_stream();
//! # }
//! ```
//!
//! Beyond the data, the model charges capacity units as DynamoDB does (returned with
//! `ReturnConsumedCapacity`), describes every call to a [`Meter`] that may throttle it or
//! cancel a transaction as conflicting, and records a stream of every applied change.

mod error;
mod expr;
mod key;
pub mod meter;
mod num;
mod ops;
mod protocol;
pub mod stream;
mod table;
mod units;
mod value;

pub use meter::{CallRecord, ItemKey, Meter, MeterVerdict, NoMeter, Touch};
pub use stream::{StreamRecord, lambda_event};

use aws_sdk_dynamodb::config::{BehaviorVersion, Builder, Credentials, Region};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The model: cheap to clone (clones share the tables), safe to use from many threads.
#[derive(Clone)]
pub struct Model {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    state: Mutex<State>,
    meter: Arc<dyn Meter>,
}

#[derive(Default)]
pub(crate) struct State {
    pub tables: BTreeMap<String, table::Table>,
    pub stream: Vec<StreamRecord>,
    pub sequence: u64,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Model")
    }
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Model {
    /// An empty model that lets every call proceed.
    pub fn new() -> Model {
        Model::with_meter(Arc::new(NoMeter))
    }

    /// An empty model whose calls are first described to `meter`.
    pub fn with_meter(meter: Arc<dyn Meter>) -> Model {
        Model {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                meter,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not make the model unusable; the state stays consistent
        // because every call mutates it only after all its checks passed.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn meter(&self) -> &dyn Meter {
        self.inner.meter.as_ref()
    }

    /// A client of this model: fixed credentials and region, no network ever.
    pub fn client(&self) -> aws_sdk_dynamodb::Client {
        self.client_with(|b| b)
    }

    /// A client of this model, with `configure` applied to its configuration (to add
    /// interceptors, say).
    pub fn client_with(
        &self,
        configure: impl FnOnce(Builder) -> Builder,
    ) -> aws_sdk_dynamodb::Client {
        let builder = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://dynamodb.model.invalid")
            .credentials_provider(Credentials::new("model", "model", None, None, "model"))
            .http_client(protocol::ModelHttp::new(self.clone()));
        aws_sdk_dynamodb::Client::from_conf(configure(builder).build())
    }

    /// Drains the stream: every record since the last call, in order.
    pub fn take_stream(&self) -> Vec<StreamRecord> {
        std::mem::take(&mut self.lock().stream)
    }

    /// How many items `table` holds, if it exists.
    pub fn item_count(&self, table: &str) -> Option<usize> {
        self.lock().tables.get(table).map(|t| t.items.len())
    }
}
