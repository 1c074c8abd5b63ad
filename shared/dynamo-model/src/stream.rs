//! The table stream: one record per applied write that changed an item (an identical put
//! or update writes none), in order, with the images the table's stream view asks for.

use crate::value::{Item, item_to_sdk};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub type Image = HashMap<String, AttributeValue>;

#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    pub table: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: &'static str,
    pub keys: Image,
    /// Empty for a removal (or when the stream view leaves it out).
    pub new_image: Image,
    /// Empty for an insert (or when the stream view leaves it out).
    pub old_image: Image,
    /// Increases by one per record, across tables.
    pub sequence: u64,
}

impl StreamRecord {
    /// The record of a write, or `None` when nothing changed.
    pub(crate) fn of_write(
        table: &str,
        view: &str,
        keys: &Item,
        old: Option<&Item>,
        new: Option<&Item>,
        sequence: u64,
    ) -> Option<StreamRecord> {
        let event_name = match (old, new) {
            (None, None) => return None,
            (Some(o), Some(n)) if o == n => return None,
            (None, Some(_)) => "INSERT",
            (Some(_), None) => "REMOVE",
            (Some(_), Some(_)) => "MODIFY",
        };
        let wants_new = matches!(view, "NEW_IMAGE" | "NEW_AND_OLD_IMAGES");
        let wants_old = matches!(view, "OLD_IMAGE" | "NEW_AND_OLD_IMAGES");
        Some(StreamRecord {
            table: table.to_owned(),
            event_name,
            keys: item_to_sdk(keys),
            new_image: new
                .filter(|_| wants_new)
                .map(item_to_sdk)
                .unwrap_or_default(),
            old_image: old
                .filter(|_| wants_old)
                .map(item_to_sdk)
                .unwrap_or_default(),
            sequence,
        })
    }

    /// The record as a Lambda stream handler receives it.
    pub fn to_lambda(&self) -> aws_lambda_events::dynamodb::EventRecord {
        let mut change = aws_lambda_events::dynamodb::StreamRecord::default();
        change.keys = serde_dynamo::Item::from(self.keys.clone());
        change.new_image = serde_dynamo::Item::from(self.new_image.clone());
        change.old_image = serde_dynamo::Item::from(self.old_image.clone());
        change.sequence_number = Some(format!("{:021}", self.sequence));
        let mut record = aws_lambda_events::dynamodb::EventRecord::default();
        record.change = change;
        record.event_id = format!("model-{}", self.sequence);
        record.event_name = self.event_name.to_owned();
        record.event_source = Some("aws:dynamodb".to_owned());
        record.event_version = Some("1.1".to_owned());
        record.aws_region = "us-east-1".to_owned();
        record.event_source_arn = Some(format!(
            "arn:aws:dynamodb:us-east-1:000000000000:table/{}/stream/model",
            self.table
        ));
        record
    }
}

/// A Lambda stream event of `records` (one batch for a stream handler).
pub fn lambda_event(records: &[StreamRecord]) -> aws_lambda_events::dynamodb::Event {
    let mut event = aws_lambda_events::dynamodb::Event::default();
    event.records = records.iter().map(StreamRecord::to_lambda).collect();
    event
}
