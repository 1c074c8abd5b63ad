//! Emulates the table's stream for DynamoDB Local: polls its stream with
//! aws-sdk-dynamodbstreams and hands each batch to the evaluator as the Lambda event it
//! would receive, so the same handler runs locally and on AWS.

use aws_lambda_events::dynamodb::{Event, EventRecord, StreamRecord};
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::config::{Credentials, Region};
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use groups_domain::ports::Change;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the local stream emulation delivers.
pub enum Feed {
    /// From the in-memory store's change feed.
    Change(Change),
    /// A batch from DynamoDB Local's stream, shaped as the Lambda event.
    Batch(Event),
}

pub fn streams_client(endpoint: &str) -> StreamsClient {
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "groups-local",
        ))
        .build();
    StreamsClient::from_conf(config)
}

/// The Lambda event for a batch of stream records.
pub fn lambda_event(records: Vec<Record>) -> Event {
    let mut event = Event::default();
    for record in records {
        let Some(change) = record.dynamodb else {
            continue;
        };
        let mut stream = StreamRecord::default();
        stream.keys = serde_dynamo::Item::from(change.keys.unwrap_or_default());
        stream.new_image = serde_dynamo::Item::from(change.new_image.unwrap_or_default());
        stream.old_image = serde_dynamo::Item::from(change.old_image.unwrap_or_default());
        stream.sequence_number = change.sequence_number;
        let mut out = EventRecord::default();
        out.change = stream;
        out.event_id = record.event_id.unwrap_or_default();
        out.event_name = record
            .event_name
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default();
        out.aws_region = record.aws_region.unwrap_or_default();
        event.records.push(out);
    }
    event
}

/// Reads the table's stream from now on, forever, sending each non-empty batch.
pub fn poll(
    client: aws_sdk_dynamodb::Client,
    endpoint: String,
    table: String,
) -> mpsc::Receiver<Feed> {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        let streams = streams_client(&endpoint);
        let arn = match client.describe_table().table_name(&table).send().await {
            Ok(out) => out
                .table()
                .and_then(|t| t.latest_stream_arn())
                .map(str::to_owned),
            Err(_) => None,
        };
        let Some(arn) = arn else {
            tracing::error!(
                table,
                "the table has no stream; smart groups follow users only on schedule"
            );
            return;
        };
        let mut iterators: HashMap<String, Option<String>> = HashMap::new();
        let mut first = true;
        loop {
            if let Ok(described) = streams.describe_stream().stream_arn(&arn).send().await {
                for shard in described
                    .stream_description()
                    .map(|d| d.shards())
                    .unwrap_or_default()
                {
                    let Some(id) = shard.shard_id() else { continue };
                    if iterators.contains_key(id) {
                        continue;
                    }
                    // Shards seen at start: from now on. Shards born later: from their start.
                    let kind = if first {
                        ShardIteratorType::Latest
                    } else {
                        ShardIteratorType::TrimHorizon
                    };
                    let iterator = streams
                        .get_shard_iterator()
                        .stream_arn(&arn)
                        .shard_id(id)
                        .shard_iterator_type(kind)
                        .send()
                        .await
                        .ok()
                        .and_then(|o| o.shard_iterator);
                    iterators.insert(id.to_owned(), iterator);
                }
            }
            first = false;
            for iterator in iterators.values_mut() {
                let Some(current) = iterator.clone() else {
                    continue;
                };
                match streams.get_records().shard_iterator(current).send().await {
                    Ok(out) => {
                        *iterator = out.next_shard_iterator;
                        let records = out.records.unwrap_or_default();
                        if !records.is_empty()
                            && tx.send(Feed::Batch(lambda_event(records))).await.is_err()
                        {
                            return;
                        }
                    }
                    Err(error) => {
                        // Keep the iterator: the next round retries the same records.
                        tracing::warn!(error = %aws_sdk_dynamodbstreams::error::DisplayErrorContext(&error), "stream read failed");
                    }
                }
            }
            iterators.retain(|_, it| it.is_some());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    rx
}
