//! AWS DynamoDB's limits applied to the in-process model ([`groups_dynamo_model`]), so that
//! scale runs report the time they would take on AWS, not on this machine.
//!
//! Time is virtual. Each worker (a task run through [`Limits::run`]) has its own clock; a call
//! starts at its worker's clock, waits on every partition key it touches (table and index)
//! for the backlog of units that key still has to serve at its rate (1,000 write or 3,000 read
//! units a second, AWS's per-partition limits before adaptive splitting), and ends one assumed
//! latency later. A run ends when its last call has ended and every key has served its
//! backlog. A transaction whose
//! items are in a transaction of another worker overlapping it in time is cancelled as on AWS
//! (`TransactionConflict`), so the store's retry path runs. Units are the model's, computed by
//! AWS's formulas from the adapter's own items (index copies included). Assumptions: the
//! latencies in [`Latency`]; a request over a key's budget waits its turn (as retries of a
//! throttled request would make it) instead of failing.

use groups_dynamo_model::{CallRecord, ItemKey, Meter, MeterVerdict};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

/// AWS's per-partition-key budgets, per second.
pub const WRITE_UNITS_PER_KEY: f64 = 1_000.0;
pub const READ_UNITS_PER_KEY: f64 = 3_000.0;

/// Assumed service latency per call on AWS within one region, in seconds (the figures are
/// stated in BENCHMARKS.md).
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub get: f64,
    pub query: f64,
    pub write: f64,
    pub batch: f64,
    pub transaction: f64,
}

impl Default for Latency {
    fn default() -> Self {
        Self {
            get: 0.003,
            query: 0.005,
            write: 0.005,
            batch: 0.008,
            transaction: 0.012,
        }
    }
}

impl Latency {
    fn of(&self, operation: &str) -> f64 {
        match operation {
            "GetItem" => self.get,
            "Query" | "Scan" => self.query,
            "BatchGetItem" | "BatchWriteItem" => self.batch,
            "TransactWriteItems" | "TransactGetItems" => self.transaction,
            _ => self.write,
        }
    }
}

tokio::task_local! {
    static WORKER: Worker;
}

/// A worker: one caller, or (with lanes) a caller that runs several calls at once, each call
/// taking the lane free first.
struct Worker {
    id: u64,
    lanes: RefCell<Vec<f64>>,
}

impl Worker {
    fn now(&self) -> f64 {
        self.lanes
            .borrow()
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
    }

    fn end(&self) -> f64 {
        self.lanes.borrow().iter().copied().fold(0.0, f64::max)
    }

    /// Moves the lane free first to `at`.
    fn advance(&self, at: f64) {
        let mut lanes = self.lanes.borrow_mut();
        if let Some(lane) = lanes.iter_mut().min_by(|a, b| a.total_cmp(b)) {
            *lane = at;
        }
    }
}

/// One partition key's use: when its budget is next free, and what it served.
#[derive(Debug, Clone, Default)]
struct Partition {
    free_at: f64,
    read_units: f64,
    write_units: f64,
}

#[derive(Default)]
struct State {
    partitions: HashMap<String, Partition>,
    /// Each item's latest transaction: its worker and time span.
    transactions: HashMap<ItemKey, (u64, f64, f64)>,
    /// The clock of calls made outside any worker.
    main_clock: f64,
    /// The latest instant any call ended.
    latest: f64,
    calls: u64,
    conflicts: u64,
    read_units: f64,
    write_units: f64,
}

/// The meter: share it with the model ([`groups_dynamo_model::Model::with_meter`]).
#[derive(Clone, Default)]
pub struct Limits {
    state: Arc<Mutex<State>>,
    latency: Latency,
    /// Whether a call waits for the backlog of the keys it touches (else only the run's end
    /// does: see [`Limits::pipelined`]).
    pipelined: bool,
}

/// The hottest partition keys of a run.
#[derive(Debug, Clone)]
pub struct Hot {
    /// `table` or `table/index`, then the key value.
    pub key: String,
    pub read_units: f64,
    pub write_units: f64,
    /// Seconds of the key's budget the run used.
    pub busy: f64,
}

/// What a run cost under the limits.
#[derive(Debug, Clone)]
pub struct Report {
    /// Virtual seconds from the last reset to the last call's end.
    pub elapsed: f64,
    pub calls: u64,
    pub conflicts: u64,
    pub read_units: f64,
    pub write_units: f64,
    pub hottest: Vec<Hot>,
}

impl Limits {
    pub fn new(latency: Latency) -> Self {
        Self {
            state: Arc::default(),
            latency,
            pipelined: false,
        }
    }

    /// Limits for one task that keeps several keys busy at once (a large evaluation writes
    /// its member shards concurrently, which one clock per task cannot see): a call is charged
    /// to its keys' budgets without its task waiting for their backlog, and the run ends when
    /// every key has served its backlog. Latencies still add up call by call.
    pub fn pipelined(latency: Latency) -> Self {
        Self {
            pipelined: true,
            ..Self::new(latency)
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets everything (after a seed, before what is measured).
    pub fn reset(&self) {
        *self.lock() = State::default();
    }

    /// Runs `work` as worker `id` whose clock starts at `start`; answers its output and the
    /// worker's clock at the end.
    pub async fn run<F: Future>(id: u64, start: f64, work: F) -> (F::Output, f64) {
        Self::run_lanes(id, start, 1, work).await
    }

    /// [`Limits::run`] for work that makes up to `lanes` calls at once (a stream batch that
    /// evaluates users concurrently): each call takes the lane free first, so calls of one
    /// chain may be counted as concurrent too (optimistic, where one lane is pessimistic).
    pub async fn run_lanes<F: Future>(
        id: u64,
        start: f64,
        lanes: usize,
        work: F,
    ) -> (F::Output, f64) {
        let worker = Worker {
            id,
            lanes: RefCell::new(vec![start; lanes.max(1)]),
        };
        WORKER
            .scope(worker, async move {
                let out = work.await;
                (out, WORKER.with(Worker::end))
            })
            .await
    }

    /// The calling worker's clock (or the clock of calls outside workers).
    pub fn now(&self) -> f64 {
        WORKER
            .try_with(Worker::now)
            .unwrap_or_else(|_| self.lock().main_clock)
    }

    /// Totals since the last reset, with the `top` hottest partition keys by budget used.
    pub fn report(&self, top: usize) -> Report {
        let state = self.lock();
        let mut hottest: Vec<Hot> = state
            .partitions
            .iter()
            .map(|(key, p)| Hot {
                key: key.clone(),
                read_units: p.read_units,
                write_units: p.write_units,
                busy: p.read_units / READ_UNITS_PER_KEY + p.write_units / WRITE_UNITS_PER_KEY,
            })
            .collect();
        hottest.sort_by(|a, b| b.busy.total_cmp(&a.busy).then(a.key.cmp(&b.key)));
        hottest.truncate(top);
        Report {
            elapsed: state.latest,
            calls: state.calls,
            conflicts: state.conflicts,
            read_units: state.read_units,
            write_units: state.write_units,
            hottest,
        }
    }

    fn set_clock(state: &mut State, at: f64) {
        if WORKER.try_with(|w| w.advance(at)).is_err() {
            state.main_clock = at;
        }
        state.latest = state.latest.max(at);
    }
}

impl Meter for Limits {
    fn call(&self, call: &CallRecord) -> MeterVerdict {
        let worker = WORKER.try_with(|w| w.id).unwrap_or(u64::MAX);
        let mut state = self.lock();
        let start = WORKER.try_with(Worker::now).unwrap_or(state.main_clock);
        let latency = self.latency.of(&call.operation);
        state.calls += 1;
        let items: Vec<&ItemKey> = call
            .touches
            .iter()
            .filter(|t| t.transactional && t.index.is_none())
            .map(|t| &t.item)
            .collect();
        let conflicting: Vec<ItemKey> = items
            .iter()
            .filter(|item| {
                state.transactions.get(**item).is_some_and(|(w, from, to)| {
                    *w != worker && *from < start + latency && start < *to
                })
            })
            .map(|item| (*item).clone())
            .collect();
        if !conflicting.is_empty() {
            state.conflicts += 1;
            Self::set_clock(&mut state, start + latency);
            return MeterVerdict::Conflict(conflicting);
        }
        // A call's units per key (a batch may put many items under one key).
        let mut per_key: Vec<(String, f64, f64)> = Vec::new();
        for touch in &call.touches {
            let key = match &touch.index {
                Some(index) => format!("{}/{index} {}", touch.table, touch.partition),
                None => format!("{} {}", touch.table, touch.partition),
            };
            match per_key.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, read, write)) => {
                    *read += touch.read_units;
                    *write += touch.write_units;
                }
                None => per_key.push((key, touch.read_units, touch.write_units)),
            }
        }
        let mut done = start;
        let mut backlog = start;
        for (key, read, write) in per_key {
            let partition = state.partitions.entry(key).or_default();
            // A call waits for the key's backlog, not for its own units: the budget is a rate,
            // and the key serves this call's units while the next call is on its way.
            let begin = partition.free_at.max(start);
            partition.free_at = begin + read / READ_UNITS_PER_KEY + write / WRITE_UNITS_PER_KEY;
            partition.read_units += read;
            partition.write_units += write;
            if !self.pipelined {
                done = done.max(begin);
            }
            backlog = backlog.max(partition.free_at);
        }
        state.read_units += call.read_units();
        state.write_units += call.write_units();
        let end = done + latency;
        for item in items {
            state
                .transactions
                .insert(item.clone(), (worker, start, end));
        }
        Self::set_clock(&mut state, end);
        state.latest = state.latest.max(backlog);
        MeterVerdict::Proceed
    }
}
