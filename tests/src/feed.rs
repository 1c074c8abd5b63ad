//! Delivering the table's changes to their two consumers in tests (the event publisher, then
//! the evaluator), as DynamoDB Streams and Lambda would: the in-memory store's change feed, or DynamoDB Local's real stream read with
//! aws-sdk-dynamodbstreams and handed to the Lambda handler as a stream event.

use crate::api::Api;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use evaluate_smart_group::{handle_stream, process};
use groups_domain::ports::Change;
use groups_domain::smart::Guard;
use groups_local::stream::{lambda_event, streams_client};
use groups_store::{DynamoStore, MemoryStore};
use std::future::Future;
use tokio::sync::mpsc::UnboundedReceiver as Receiver;

pub trait Feeder<S> {
    /// Delivers every pending change (and the changes those cause) until none remain.
    fn settle(&mut self, api: &Api<S>, guard: Guard) -> impl Future<Output = usize>;
}

pub struct MemoryFeed(pub Receiver<Change>);

impl MemoryFeed {
    pub fn new(api: &Api<MemoryStore>) -> Self {
        Self(api.store().subscribe())
    }
}

impl Feeder<MemoryStore> for MemoryFeed {
    async fn settle(&mut self, api: &Api<MemoryStore>, guard: Guard) -> usize {
        let mut delivered = 0;
        loop {
            match self.0.try_recv() {
                Ok(change) => {
                    // Both consumers of the stream: the events, then the evaluation.
                    let events = api.ctx.events.as_ref();
                    publish_events::publish_changes(
                        api.store(),
                        events,
                        std::slice::from_ref(&change),
                    )
                    .await
                    .expect("publish change");
                    process(&api.ctx, guard, &change)
                        .await
                        .expect("process change");
                    delivered += 1;
                }
                Err(_) => return delivered,
            }
        }
    }
}

pub struct StreamFeed {
    client: aws_sdk_dynamodbstreams::Client,
    iterators: Vec<String>,
    /// The sort key of every record delivered so far, in order (what wrote which items).
    pub delivered_keys: Vec<String>,
}

impl StreamFeed {
    /// Starts reading the table's stream from now on.
    pub async fn new(api: &Api<DynamoStore>) -> Self {
        let store = api.store();
        let client = streams_client(groups_testkit::dynamodb_endpoint());
        let described = store
            .client()
            .describe_table()
            .table_name(store.table())
            .send()
            .await
            .expect("describe table");
        let arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .expect("the table has a stream")
            .to_owned();
        let stream = client
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .expect("describe stream");
        let mut iterators = Vec::new();
        for shard in stream
            .stream_description()
            .map(|d| d.shards())
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id() else { continue };
            let it = client
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(id)
                .shard_iterator_type(ShardIteratorType::Latest)
                .send()
                .await
                .expect("iterator");
            iterators.extend(it.shard_iterator);
        }
        assert!(!iterators.is_empty(), "the stream has shards");
        Self {
            client,
            iterators,
            delivered_keys: Vec::new(),
        }
    }
}

impl StreamFeed {
    /// Every record written since the last read, until the stream is quiet (nothing delivered).
    pub async fn read_all(&mut self) -> Vec<aws_sdk_dynamodbstreams::types::Record> {
        let mut all = Vec::new();
        let mut quiet_rounds = 0;
        while quiet_rounds < 2 {
            let mut any = false;
            for iterator in self.iterators.iter_mut() {
                let out = self
                    .client
                    .get_records()
                    .shard_iterator(iterator.clone())
                    .send()
                    .await
                    .expect("get records");
                if let Some(next) = out.next_shard_iterator {
                    *iterator = next;
                }
                let records = out.records.unwrap_or_default();
                any |= !records.is_empty();
                all.extend(records);
            }
            quiet_rounds = if any { 0 } else { quiet_rounds + 1 };
        }
        all
    }
}

impl Feeder<DynamoStore> for StreamFeed {
    async fn settle(&mut self, api: &Api<DynamoStore>, guard: Guard) -> usize {
        let mut delivered = 0;
        // What the records cause is read in the next round, until nothing more comes.
        loop {
            let records = self.read_all().await;
            if records.is_empty() {
                return delivered;
            }
            delivered += records.len();
            self.delivered_keys.extend(records.iter().filter_map(|r| {
                r.dynamodb()
                    .and_then(|d| d.keys())
                    .and_then(|k| k.get("SK"))
                    .and_then(|v| v.as_s().ok())
                    .cloned()
            }));
            let event = lambda_event(records);
            api.watch_grants();
            let published =
                publish_events::handle_stream(api.store(), api.ctx.events.as_ref(), event.clone())
                    .await;
            assert!(
                published.batch_item_failures.is_empty(),
                "every event is published and its history recorded"
            );
            api.check_handler_grants(&publish_events::DESCRIPTOR, "the event publisher");
            api.watch_grants();
            let response = handle_stream(&api.ctx, guard, event).await;
            api.check_handler_grants(&evaluate_smart_group::DESCRIPTOR, "the stream handler");
            assert!(
                response.batch_item_failures.is_empty(),
                "no stream record fails"
            );
        }
    }
}
