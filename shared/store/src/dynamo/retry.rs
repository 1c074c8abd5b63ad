//! Backoff for what the SDK cannot retry on its own: transaction conflicts reported inside a
//! cancellation, and unprocessed items of batch calls.

use std::time::Duration;

/// Attempts of one transaction or batch before answering `Unavailable`.
pub const MAX_ATTEMPTS: u32 = 10;

/// Full-jitter exponential backoff: 10 ms × 2^attempt, capped at 1 s.
pub async fn backoff(attempt: u32) {
    let cap_ms = (10u64 << attempt.min(7)).min(1000);
    let jitter = jitter_fraction();
    tokio::time::sleep(Duration::from_millis((cap_ms as f64 * jitter) as u64 + 1)).await;
}

/// A cheap pseudo-random fraction in [0, 1): jitter only needs to differ between callers.
fn jitter_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (h.finish() % 10_000) as f64 / 10_000.0
}
