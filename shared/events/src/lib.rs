//! Publishes membership-changed events to an EventBridge bus, for downstream consumers
//! (course enrolment). Source `groups`, detail type `MembershipChanged`, the event as detail.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use groups_domain::events::{EventSink, MembershipEvent, Publishing};
use groups_domain::{Error, Result};
use std::time::Duration;

pub const SOURCE: &str = "groups";
pub const DETAIL_TYPE: &str = "MembershipChanged";
/// PutEvents takes at most ten entries.
const ENTRIES_PER_CALL: usize = 10;
const ATTEMPTS: u32 = 5;

pub struct EventBridgeSink {
    client: Client,
    bus: String,
}

impl EventBridgeSink {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }

    /// Credentials and region from the shared SDK configuration; the bus from `EVENT_BUS_NAME`.
    pub fn from_config(config: &aws_config::SdkConfig) -> Result<Self> {
        let bus = std::env::var("EVENT_BUS_NAME")
            .map_err(|_| Error::Internal("EVENT_BUS_NAME is not set".into()))?;
        Ok(Self::new(Client::new(config), bus))
    }

    async fn put(&self, events: &[MembershipEvent]) -> Result<()> {
        for chunk in events.chunks(ENTRIES_PER_CALL) {
            let mut pending = entries(&self.bus, chunk)?;
            for attempt in 0..ATTEMPTS {
                let out = self
                    .client
                    .put_events()
                    .set_entries(Some(pending.clone()))
                    .send()
                    .await
                    .map_err(|e| {
                        Error::Unavailable(format!(
                            "PutEvents: {}",
                            aws_sdk_eventbridge::error::DisplayErrorContext(&e)
                        ))
                    })?;
                // Entries answer in order; retry only the failed ones.
                let failed: Vec<PutEventsRequestEntry> = out
                    .entries()
                    .iter()
                    .zip(pending.iter())
                    .filter(|(result, _)| result.error_code().is_some())
                    .map(|(_, entry)| entry.clone())
                    .collect();
                if failed.is_empty() {
                    break;
                }
                if attempt + 1 == ATTEMPTS {
                    return Err(Error::Unavailable(format!(
                        "PutEvents: {} entries kept failing",
                        failed.len()
                    )));
                }
                pending = failed;
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }
}

/// The PutEvents entries of some events.
pub fn entries(bus: &str, events: &[MembershipEvent]) -> Result<Vec<PutEventsRequestEntry>> {
    events
        .iter()
        .map(|event| {
            let detail =
                serde_json::to_string(event).map_err(|e| Error::Internal(e.to_string()))?;
            Ok(PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(SOURCE)
                .detail_type(DETAIL_TYPE)
                .detail(detail)
                .build())
        })
        .collect()
}

impl EventSink for EventBridgeSink {
    fn publish<'a>(&'a self, events: &'a [MembershipEvent]) -> Publishing<'a> {
        Box::pin(self.put(events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use groups_domain::events::{MembershipChange, MembershipEvent};
    use groups_domain::{AccountId, GroupId, Membership, MembershipSource, UserId};

    #[test]
    fn each_event_is_one_entry_with_the_event_as_detail() {
        let account = AccountId::parse("a", "acme").expect("id");
        let events: Vec<MembershipEvent> = (0..3)
            .map(|i| {
                let membership = Membership {
                    group_id: GroupId::parse("g", "grp-1").expect("id"),
                    user_id: UserId::parse("u", format!("u{i}")).expect("id"),
                    added_at: time::OffsetDateTime::UNIX_EPOCH,
                    added_by: None,
                    source: MembershipSource::Rule,
                };
                MembershipEvent::of(
                    &account,
                    &membership,
                    MembershipChange::Joined,
                    time::OffsetDateTime::UNIX_EPOCH,
                )
            })
            .collect();
        let built = entries("groups-bus", &events).expect("entries");
        assert_eq!(built.len(), 3);
        assert_eq!(built[0].source(), Some(SOURCE));
        assert_eq!(built[0].detail_type(), Some(DETAIL_TYPE));
        assert_eq!(built[0].event_bus_name(), Some("groups-bus"));
        let detail: serde_json::Value =
            serde_json::from_str(built[2].detail().expect("detail")).expect("json");
        assert_eq!(
            detail,
            serde_json::json!({"eventId": "acme:grp-1:u2:joined:0", "accountId": "acme",
                "groupId": "grp-1", "userId": "u2", "change": "joined", "source": "rule",
                "at": "1970-01-01T00:00:00Z"})
        );
    }
}
