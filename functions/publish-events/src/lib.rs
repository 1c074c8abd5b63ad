//! Membership events from the table's own change records: each membership item inserted is a
//! `joined` event and each one removed a `left` event, published to EventBridge with an id
//! that is the same on every delivery (consumers de-duplicate on it). A write whose request
//! died before anything was published still has its record here, and a batch whose
//! publication fails is reported back, so Lambda retries it and finally sends it to the
//! failure queue: no event is silently lost.

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use groups_domain::Result;
use groups_domain::events::{EventSink, MembershipEvent};
use groups_domain::ports::Change;
use groups_http::{Access, EventSource, FunctionDescriptor, Trigger};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "publish-events",
    trigger: Trigger::HttpAndEvents(&[], &[EventSource::TableStream]),
    access: Access::Identity,
    publishes: true,
    table: &[],
};

/// Publishes the events of these changes (those that are membership changes); answers how
/// many.
pub async fn publish_changes(sink: &dyn EventSink, changes: &[Change]) -> Result<usize> {
    let events: Vec<MembershipEvent> = changes
        .iter()
        .filter_map(MembershipEvent::of_change)
        .collect();
    if !events.is_empty() {
        sink.publish(&events).await?;
    }
    Ok(events.len())
}

/// Records per publication: EventBridge takes 10 entries a call, and a failing chunk is
/// reported alone.
const CHUNK: usize = 10;

/// A batch of stream records: their events are published in order, a chunk at a time; the
/// records of a chunk that failed (and every later one, so that order holds) are reported
/// for Lambda to retry.
pub async fn handle_stream(sink: &dyn EventSink, event: StreamEvent) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let records: Vec<(String, MembershipEvent)> = event
        .records
        .iter()
        .filter_map(|record| {
            let change = groups_store::dynamo::stream::change_of_record(record)?;
            let event = MembershipEvent::of_change(&change)?;
            let sequence = record.change.sequence_number.clone().unwrap_or_default();
            Some((sequence, event))
        })
        .collect();
    let mut failed_from = None;
    for (i, chunk) in records.chunks(CHUNK).enumerate() {
        let events: Vec<MembershipEvent> = chunk.iter().map(|(_, e)| e.clone()).collect();
        if let Err(error) = sink.publish(&events).await {
            tracing::error!(%error, events = events.len(), "publishing membership events failed");
            failed_from = Some(i * CHUNK);
            break;
        }
    }
    if let Some(from) = failed_from {
        for (sequence, _) in &records[from..] {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence.clone());
            response.batch_item_failures.push(failure);
        }
    }
    response
}
