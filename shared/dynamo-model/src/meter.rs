//! The meter hook: every call is described to a [`Meter`] before it takes effect, and the
//! meter may let it proceed, throttle it, or cancel a transaction as conflicting. A budget or
//! virtual-clock meter is built on top of this; the model only ships [`NoMeter`].

/// An item's primary key as the meter sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey {
    pub table: String,
    /// The partition key value (strings as is, numbers in decimal, binaries in base64).
    pub partition: String,
    /// The sort key value, for tables that have one.
    pub sort: Option<String>,
}

/// One item read or written by a call, in the table or in one of its indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct Touch {
    pub table: String,
    /// The global secondary index touched, or `None` for the table itself.
    pub index: Option<String>,
    /// The partition key value in the table or index touched.
    pub partition: String,
    pub read_units: f64,
    pub write_units: f64,
    pub transactional: bool,
    /// The table item concerned (for transaction conflict detection).
    pub item: ItemKey,
}

/// A call about to take effect.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// The operation (`PutItem`, `Query`, `TransactWriteItems`, …).
    pub operation: String,
    pub touches: Vec<Touch>,
    /// A condition failed, so nothing will be written (the capacity is still consumed).
    pub condition_failed: bool,
}

impl CallRecord {
    pub fn read_units(&self) -> f64 {
        self.touches.iter().map(|t| t.read_units).sum()
    }

    pub fn write_units(&self) -> f64 {
        self.touches.iter().map(|t| t.write_units).sum()
    }
}

/// What the meter decides about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeterVerdict {
    Proceed,
    /// Refuse the call: `ProvisionedThroughputExceededException`, or `ThrottlingException`
    /// for a transaction, as DynamoDB answers.
    Throttle,
    /// Cancel the transaction with `TransactionConflict` on these items; nothing is applied.
    /// (A single-item write answers `TransactionConflictException`.)
    Conflict(Vec<ItemKey>),
}

/// Sees every call before it takes effect. Called with the model's lock held: a meter must
/// not call back into the model.
pub trait Meter: Send + Sync {
    fn call(&self, call: &CallRecord) -> MeterVerdict;
}

/// Lets everything proceed.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMeter;

impl Meter for NoMeter {
    fn call(&self, _call: &CallRecord) -> MeterVerdict {
        MeterVerdict::Proceed
    }
}
