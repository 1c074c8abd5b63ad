//! The table's change records in, two never-lost outputs: membership events and membership
//! history. Each membership item inserted is a `joined` event and each one removed a `left`
//! event, published to EventBridge with an id that is the same on every delivery (consumers
//! de-duplicate on it). Each membership write recorded on a count item becomes history entries
//! with its cause (rewritten, not doubled, on a second delivery). A batch whose publication or
//! history fails is reported back from the first failed record, so Lambda retries it and finally
//! sends it to the failure queue.

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use groups_domain::AccountId;
use groups_domain::Result;
use groups_domain::events::{EventSink, MembershipEvent};
use groups_domain::history::{HISTORY_WRITE_CHUNK, HistoryEntry, HistoryStore, record_history};
use groups_domain::ports::Change;
use groups_http::{Access, EventSource, FunctionDescriptor, Trigger};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "publish-events",
    trigger: Trigger::HttpAndEvents(&[], &[EventSource::TableStream]),
    access: Access::Identity,
    publishes: true,
    table: &["BatchWriteItem"],
};

/// Publishes the events of these changes and records their history; answers how many events.
pub async fn publish_changes<S: HistoryStore>(
    store: &S,
    sink: &dyn EventSink,
    changes: &[Change],
) -> Result<usize> {
    let events: Vec<MembershipEvent> = changes
        .iter()
        .filter_map(MembershipEvent::of_change)
        .collect();
    if !events.is_empty() {
        sink.publish(&events).await?;
    }
    record_history(store, changes).await?;
    Ok(events.len())
}

/// Records the history of a batch's membership writes, 25 entries a call across records (an
/// account's consecutive entries together); answers the first record of a chunk that failed.
async fn record_batch<S: HistoryStore>(
    store: &S,
    records: &[(String, Change)],
) -> std::result::Result<(), usize> {
    let mut entries: Vec<(usize, &AccountId, HistoryEntry)> = Vec::new();
    for (i, (_, change)) in records.iter().enumerate() {
        if let Change::MembersWritten {
            account,
            group,
            write,
        } = change
        {
            entries.extend(
                HistoryEntry::of_write(group, write)
                    .into_iter()
                    .map(|e| (i, account, e)),
            );
        }
    }
    let mut rest = entries.as_slice();
    while let Some((_, account, _)) = rest.first() {
        let same = rest
            .iter()
            .take(HISTORY_WRITE_CHUNK)
            .take_while(|(_, a, _)| a == account)
            .count();
        let (chunk, next) = rest.split_at(same);
        let batch: Vec<HistoryEntry> = chunk.iter().map(|(_, _, e)| e.clone()).collect();
        if let Err(error) = store.append_history(account, &batch).await {
            tracing::error!(%error, "recording membership history failed");
            return Err(chunk[0].0);
        }
        rest = next;
    }
    Ok(())
}

/// Records per publication: EventBridge takes 10 entries a call, and a failing chunk is
/// reported alone.
const CHUNK: usize = 10;

/// A batch of stream records: their events are published in order, a chunk at a time, then
/// their history is recorded; the records from the first that failed on are reported for
/// Lambda to retry (every later one too, so that order holds).
pub async fn handle_stream<S: HistoryStore>(
    store: &S,
    sink: &dyn EventSink,
    event: StreamEvent,
) -> DynamoDbEventResponse {
    let records: Vec<(String, Change)> = event
        .records
        .iter()
        .filter_map(|record| {
            let change = groups_store::dynamo::stream::change_of_record(record)?;
            let sequence = record.change.sequence_number.clone().unwrap_or_default();
            Some((sequence, change))
        })
        .collect();
    let events: Vec<(usize, MembershipEvent)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, (_, c))| Some((i, MembershipEvent::of_change(c)?)))
        .collect();
    let mut failed_from: Option<usize> = None;
    for chunk in events.chunks(CHUNK) {
        let batch: Vec<MembershipEvent> = chunk.iter().map(|(_, e)| e.clone()).collect();
        if let Err(error) = sink.publish(&batch).await {
            tracing::error!(%error, events = batch.len(), "publishing membership events failed");
            failed_from = chunk.first().map(|(i, _)| *i);
            break;
        }
    }
    let recorded_until = failed_from.unwrap_or(records.len());
    if let Err(from) = record_batch(store, &records[..recorded_until]).await {
        failed_from = Some(from);
    }
    let mut response = DynamoDbEventResponse::default();
    if let Some(from) = failed_from {
        for (sequence, _) in &records[from..] {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence.clone());
            response.batch_item_failures.push(failure);
        }
    }
    response
}
