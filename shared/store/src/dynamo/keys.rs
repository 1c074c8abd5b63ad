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

pub fn scim_token(id: &str) -> String {
    format!("{SCIM_TOKEN_PREFIX}{id}")
}

pub fn group(id: &GroupId) -> String {
    format!("G#{id}")
}

pub fn title_marker(title_key: &str) -> String {
    format!("T#{title_key}")
}

/// The partition of a group's saved rules; its memberships are in [`member_shard`]s.
pub fn group_members(account: &AccountId, group: &GroupId) -> String {
    format!("A#{account}#G#{group}")
}

/// How many partitions hold one group's memberships, each with its share of the member
/// count: a large evaluation writes them in parallel, each within its own partition key's
/// budget, and concurrent writers of one group rarely meet on one count item.
pub const MEMBER_SHARDS: u64 = 4;

/// The partition of one shard of a group's memberships and its count.
pub fn member_shard(account: &AccountId, group: &GroupId, shard: u64) -> String {
    format!("A#{account}#G#{group}#{shard}")
}

/// The shard that holds `user`'s membership of any group.
pub fn member_shard_of(user: &UserId) -> u64 {
    spread(user.as_str()) % MEMBER_SHARDS
}

/// The partition of `user`'s membership of `group`.
pub fn membership_partition(account: &AccountId, group: &GroupId, user: &UserId) -> String {
    member_shard(account, group, member_shard_of(user))
}

pub fn member(user: &UserId) -> String {
    format!("M#{user}")
}

/// A member shard's count item (one per member shard).
pub const COUNT: &str = "C#count";

/// A deleted group's shard item that records its members' leaves for the history.
pub const DELETED: &str = "C#deleted";

/// The attribute of a shard's count (or deletion) item that records the last membership write
/// and its cause ([`groups_domain::history::MemberWrite`]).
pub const LAST_WRITE: &str = "lastWrite";

/// A group's membership history, newest last in key order.
pub fn group_history(account: &AccountId, group: &GroupId) -> String {
    format!("A#{account}#GH#{group}")
}

/// A user's membership history (GSI1).
pub fn user_history(account: &AccountId, user: &UserId) -> String {
    format!("A#{account}#UH#{user}")
}

pub const HISTORY_PREFIX: &str = "H#";

/// How many GSI1 partitions hold one account's users by department path: user writes of a
/// large account spread over them instead of meeting on one index key.
pub const USER_SHARDS: u64 = 4;

/// GSI1 partition of one shard of an account's users by department path. Shard 0 keeps the
/// unsharded name, so users written before the shards existed stay listed.
pub fn users_by_department(account: &AccountId, shard: u64) -> String {
    match shard {
        0 => format!("A#{account}#DEPT"),
        n => format!("A#{account}#DEPT#{n}"),
    }
}

/// The GSI1 partition that lists `user` by department.
pub fn user_department_shard(account: &AccountId, user: &UserId) -> String {
    users_by_department(account, spread(user.as_str()) % USER_SHARDS)
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
pub const SCIM_TOKEN_PREFIX: &str = "SCIM#";
pub const MEMBER_PREFIX: &str = "M#";
pub const GROUP_PREFIX: &str = "G#";

/// How many GSI3 partitions hold the smart groups of all accounts: each account's in one,
/// so that evaluation-state writes of every tenant's groups don't meet on one index key.
pub const SMART_SHARDS: u64 = 16;

/// A stable hash of an id (FNV-1a), for spreading keys over shards.
/// GSI2 partition of the users with one login key (SCIM `userName`). A key too long for a
/// partition key goes by its hash: readers compare the keys of what they find.
pub fn user_login(account: &AccountId, login_key: &str) -> String {
    if login_key.len() <= 512 {
        format!("A#{account}#L#{login_key}")
    } else {
        format!("A#{account}#LH#{:016x}", spread(login_key))
    }
}

fn spread(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// GSI3 partition of one shard of smart groups.
pub fn smart_groups(shard: u64) -> String {
    format!("SMART#{shard}")
}

/// How many GSI3 partitions hold one account's smart groups: every stream batch reads all of
/// an account's rules, and this many keys share that read.
pub const ACCOUNT_SMART_SHARDS: u64 = 4;

/// The GSI3 partitions of an account's smart groups: consecutive shards from the account's
/// hash (the first is where all of them were before the spread, so earlier items stay found).
pub fn account_smart_groups(account: &AccountId) -> impl Iterator<Item = String> {
    let first = spread(account.as_str());
    (0..ACCOUNT_SMART_SHARDS).map(move |n| smart_groups(first.wrapping_add(n) % SMART_SHARDS))
}

/// The GSI3 partition of one smart group: one of its account's, by a hash of the group id.
pub fn smart_group_shard(account: &AccountId, group: &GroupId) -> String {
    let offset = spread(group.as_str()) % ACCOUNT_SMART_SHARDS;
    smart_groups(spread(account.as_str()).wrapping_add(offset) % SMART_SHARDS)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_spread_over_every_department_shard() {
        let account = AccountId::parse("account", "acme").expect("account");
        let shards: std::collections::BTreeSet<String> = (0..64)
            .map(|n| UserId::parse("user", format!("u{n:04}")).expect("user"))
            .map(|u| user_department_shard(&account, &u))
            .collect();
        let expected: std::collections::BTreeSet<String> = (0..USER_SHARDS)
            .map(|n| users_by_department(&account, n))
            .collect();
        assert_eq!(shards, expected);
        assert!(
            expected.contains("A#acme#DEPT"),
            "shard 0 keeps the old name"
        );
    }
}
