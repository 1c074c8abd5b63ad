//! The guard's settings, read where evaluations run and where their outcome is previewed.

use groups_domain::smart::Guard;

/// The guard's settings from the environment (`GUARD_SHARE`, `GUARD_MIN_USERS`), or defaults.
pub fn guard_from_env() -> Guard {
    let default = Guard::default();
    Guard {
        share: std::env::var("GUARD_SHARE")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|s: &f64| (0.0..=1.0).contains(s))
            .unwrap_or(default.share),
        min_users: std::env::var("GUARD_MIN_USERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default.min_users),
    }
}
