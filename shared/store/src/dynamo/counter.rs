//! Counts DynamoDB calls per operation through an SDK interceptor, so tests can assert round
//! trips exactly and benchmarks can report them. One count per HTTP attempt.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    calls: Arc<Mutex<Vec<String>>>,
}

impl CallCounter {
    pub fn new() -> Self {
        Self::default()
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets what was counted so far.
    pub fn reset(&self) {
        self.calls().clear();
    }

    /// Every call since the last reset, in order, by operation name (e.g. `Query`).
    pub fn operations(&self) -> Vec<String> {
        self.calls().clone()
    }

    pub fn total(&self) -> usize {
        self.calls().len()
    }

    pub fn by_operation(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for op in self.calls().iter() {
            *counts.entry(op.clone()).or_insert(0) += 1;
        }
        counts
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        // The JSON protocol names the operation in `X-Amz-Target: DynamoDB_20120810.<Op>`.
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("unknown");
        let op = target.rsplit('.').next().unwrap_or(target).to_owned();
        self.calls().push(op);
        Ok(())
    }
}
