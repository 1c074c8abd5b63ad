//! Counts DynamoDB calls per operation through an SDK interceptor, so tests can assert round
//! trips exactly and benchmarks can report them. One count per HTTP attempt. With
//! [`CallCounter::with_capacity`] it also asks every call for its consumed capacity
//! (`ReturnConsumedCapacity=TOTAL`) and adds it up, without the store's code knowing.

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
    BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput},
    delete_item::{DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    scan::{ScanInput, ScanOutput},
    transact_get_items::{TransactGetItemsInput, TransactGetItemsOutput},
    transact_write_items::{
        TransactWriteItemsError, TransactWriteItemsInput, TransactWriteItemsOutput,
    },
    update_item::{UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Capacity units consumed, summed over calls, and the items the calls wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
    /// Items written by PutItem, UpdateItem, DeleteItem and BatchWriteItem.
    pub items_written: u64,
    /// Items written inside TransactWriteItems (condition checks included).
    pub transact_items: u64,
    /// Queries that returned no item (AWS charges each a minimum read; DynamoDB Local none).
    pub empty_queries: u64,
}

impl Capacity {
    /// Write request units on AWS for items up to 1 KB: one per item, two per item in a
    /// transaction (DynamoDB Local under-reports multi-item transactions).
    pub fn aws_write_units(&self) -> u64 {
        self.items_written + 2 * self.transact_items
    }
}

#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    calls: Arc<Mutex<Vec<String>>>,
    /// The IAM actions the calls since the last [`CallCounter::take_actions`] needed.
    actions: Arc<Mutex<std::collections::BTreeSet<String>>>,
    capacity: Option<Arc<Mutex<Capacity>>>,
    /// Attempts DynamoDB refused with a transaction conflict (retried by the store), by
    /// operation: how busy DynamoDB was, not what the code asked for.
    conflicts: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl CallCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A counter that also sums the capacity every call consumed.
    pub fn with_capacity() -> Self {
        Self {
            capacity: Some(Arc::default()),
            ..Self::default()
        }
    }

    /// Capacity consumed since the last reset (zero unless built [`Self::with_capacity`]).
    pub fn capacity(&self) -> Capacity {
        self.capacity
            .as_ref()
            .map(|c| *c.lock().unwrap_or_else(|e| e.into_inner()))
            .unwrap_or_default()
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets what was counted so far.
    pub fn reset(&self) {
        self.calls().clear();
        self.conflicts().clear();
        if let Some(capacity) = &self.capacity {
            *capacity.lock().unwrap_or_else(|e| e.into_inner()) = Capacity::default();
        }
    }

    /// Adds what one call consumed; reads and writes are told apart by the call, since
    /// `TOTAL` reports only `CapacityUnits`.
    fn add<'a>(&self, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>, is_write: bool) {
        let Some(capacity) = &self.capacity else {
            return;
        };
        let units: f64 = consumed.into_iter().filter_map(|c| c.capacity_units).sum();
        let mut total = capacity.lock().unwrap_or_else(|e| e.into_inner());
        if is_write {
            total.write += units;
        } else {
            total.read += units;
        }
    }

    /// Every call since the last reset, in order, by operation name (e.g. `Query`).
    pub fn operations(&self) -> Vec<String> {
        self.calls().clone()
    }

    pub fn total(&self) -> usize {
        self.calls().len()
    }

    /// The IAM actions the calls needed since the last take (descriptor names: `Query GSI1`).
    pub fn take_actions(&self) -> std::collections::BTreeSet<String> {
        std::mem::take(&mut *self.actions.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn by_operation(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for op in self.calls().iter() {
            *counts.entry(op.clone()).or_insert(0) += 1;
        }
        counts
    }

    fn conflicts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, usize>> {
        self.conflicts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// [`Self::by_operation`] without the attempts refused for a transaction conflict: what
    /// the code asked for, the same however busy DynamoDB (Local) was meanwhile.
    pub fn by_operation_settled(&self) -> BTreeMap<String, usize> {
        let mut counts = self.by_operation();
        for (op, n) in self.conflicts().iter() {
            if let Some(count) = counts.get_mut(op) {
                *count = count.saturating_sub(*n);
            }
        }
        counts.retain(|_, n| *n > 0);
        counts
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.actions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(super::actions::needed(context));
        if self.capacity.is_none() {
            return Ok(());
        }
        let input = context.input_mut();
        let (items, transact) = if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            (0, i.transact_items.as_ref().map_or(0, Vec::len))
        } else if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
            let n = i
                .request_items
                .as_ref()
                .map_or(0, |r| r.values().map(Vec::len).sum());
            (n, 0)
        } else if input.downcast_ref::<PutItemInput>().is_some()
            || input.downcast_ref::<UpdateItemInput>().is_some()
            || input.downcast_ref::<DeleteItemInput>().is_some()
        {
            (1, 0)
        } else {
            (0, 0)
        };
        if let Some(capacity) = &self.capacity {
            let mut total = capacity.lock().unwrap_or_else(|e| e.into_inner());
            total.items_written += items as u64;
            total.transact_items += transact as u64;
        }
        macro_rules! ask {
            ($($input:ty),*) => {
                $(if let Some(i) = input.downcast_mut::<$input>() {
                    i.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
                    return Ok(());
                })*
            };
        }
        ask!(
            GetItemInput,
            PutItemInput,
            UpdateItemInput,
            DeleteItemInput,
            QueryInput,
            ScanInput,
            BatchGetItemInput,
            BatchWriteItemInput,
            TransactGetItemsInput,
            TransactWriteItemsInput
        );
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        if let Err(err) = context.output_or_error()
            && is_conflict(
                err.as_operation_error()
                    .and_then(|e| e.downcast_ref::<TransactWriteItemsError>()),
            )
        {
            *self
                .conflicts()
                .entry("TransactWriteItems".into())
                .or_insert(0) += 1;
        }
        if self.capacity.is_none() {
            return Ok(());
        }
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        macro_rules! one {
            ($($output:ty => $write:expr),*) => {
                $(if let Some(o) = output.downcast_ref::<$output>() {
                    self.add(o.consumed_capacity(), $write);
                    return Ok(());
                })*
            };
        }
        macro_rules! many {
            ($($output:ty => $write:expr),*) => {
                $(if let Some(o) = output.downcast_ref::<$output>() {
                    self.add(o.consumed_capacity(), $write);
                    return Ok(());
                })*
            };
        }
        if let Some(query) = output.downcast_ref::<QueryOutput>()
            && query.count == 0
            && let Some(capacity) = &self.capacity
        {
            capacity
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .empty_queries += 1;
        }
        one!(
            GetItemOutput => false,
            QueryOutput => false,
            ScanOutput => false,
            PutItemOutput => true,
            UpdateItemOutput => true,
            DeleteItemOutput => true
        );
        many!(
            BatchGetItemOutput => false,
            TransactGetItemsOutput => false,
            BatchWriteItemOutput => true,
            TransactWriteItemsOutput => true
        );
        Ok(())
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

/// A transaction cancelled because another one held an item it wrote (the store retries it).
fn is_conflict(err: Option<&TransactWriteItemsError>) -> bool {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) = err else {
        return false;
    };
    cancel
        .cancellation_reasons()
        .iter()
        .any(|r| r.code() == Some("TransactionConflict"))
}
