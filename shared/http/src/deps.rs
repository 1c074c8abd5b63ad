//! What every handler runs on: the store, where membership events go, and a clock. Built once
//! per Lambda instance ([`crate::lambda::deps`]), by the local server, or by a test.

use crate::metrics::{MetricsSink, NoMetrics};
use groups_domain::events::{EventSink, RecordedEvents};
use std::sync::Arc;
use time::OffsetDateTime;

/// What every handler gets: the store, where membership events go, and a clock (injectable
/// for tests).
pub struct Deps<S> {
    pub store: S,
    pub events: Arc<dyn EventSink>,
    pub clock: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
    /// Where EMF metric lines go (stdout on Lambda).
    pub metrics: Arc<dyn MetricsSink>,
}

impl<S> Deps<S> {
    /// A context whose events are only recorded in memory.
    pub fn new(store: S) -> Self {
        Self::with_events(store, Arc::new(RecordedEvents::default()))
    }

    pub fn with_events(store: S, events: Arc<dyn EventSink>) -> Self {
        Self {
            store,
            events,
            clock: Arc::new(OffsetDateTime::now_utc),
            metrics: Arc::new(NoMetrics),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }
}
