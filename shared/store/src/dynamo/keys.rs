//! Key layout of the single table (documented in the README's table design).

use groups_domain::{AccountId, GroupId, UserId};

pub fn account(account: &AccountId) -> String {
    format!("A#{account}")
}

pub fn user(id: &UserId) -> String {
    format!("U#{id}")
}

pub fn department(id: &str) -> String {
    format!("D#{id}")
}

pub fn role(id: &str) -> String {
    format!("R#{id}")
}

pub fn group(id: &GroupId) -> String {
    format!("G#{id}")
}

pub fn title_marker(title_key: &str) -> String {
    format!("T#{title_key}")
}

/// The partition holding one group's memberships.
pub fn group_members(account: &AccountId, group: &GroupId) -> String {
    format!("A#{account}#G#{group}")
}

pub fn member(user: &UserId) -> String {
    format!("M#{user}")
}

/// GSI1 partition of an account's users by department path.
pub fn users_by_department(account: &AccountId) -> String {
    format!("A#{account}#DEPT")
}

/// GSI1 partition of one user's memberships.
pub fn user_groups(account: &AccountId, user: &UserId) -> String {
    format!("A#{account}#U#{user}")
}

/// GSI2 partition of an account's groups by title.
pub fn groups_by_title(account: &AccountId) -> String {
    format!("A#{account}#GROUPS")
}

pub const USER_PREFIX: &str = "U#";
pub const DEPARTMENT_PREFIX: &str = "D#";
pub const ROLE_PREFIX: &str = "R#";
pub const MEMBER_PREFIX: &str = "M#";
pub const GROUP_PREFIX: &str = "G#";

/// GSI3 partition of every smart group of every account.
pub const SMART_GROUPS: &str = "SMART";

/// GSI3 sort key of a smart group: account first, so one account's groups are a prefix.
pub fn smart_group(account: &AccountId, group: &GroupId) -> String {
    format!("{account}#{group}")
}

/// A saved rule, in the group's partition; zero-padded so versions sort.
pub fn rule_version(version: u64) -> String {
    format!("V#{version:020}")
}

pub const RULE_VERSION_PREFIX: &str = "V#";

/// The partition of the service's own bookkeeping (checkpoints of long-running work).
pub const SYSTEM: &str = "SYSTEM";

pub fn checkpoint(name: &str) -> String {
    format!("CHECKPOINT#{name}")
}
