//! Key values as DynamoDB orders them (S and B by bytes, N numerically), with sentinels so
//! one `BTreeMap` range can express every key condition.

use crate::num::Num;
use crate::value::Value;
use base64::Engine;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub enum KeyVal {
    /// Below every value; also the sort key of a table without one.
    Min,
    S(String),
    N(Num),
    B(Vec<u8>),
    /// Just above every string that starts with this prefix (an upper bound only).
    SEnd(String),
    /// Just above every binary that starts with this prefix (an upper bound only).
    BEnd(Vec<u8>),
    Max,
}

impl KeyVal {
    /// The key value of a scalar attribute; `None` for other types.
    pub fn of(value: &Value) -> Option<KeyVal> {
        match value {
            Value::S(s) => Some(KeyVal::S(s.clone())),
            Value::N(n) => Num::parse(n).map(KeyVal::N),
            Value::B(b) => Some(KeyVal::B(b.clone())),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            KeyVal::Min => 0,
            KeyVal::S(_) | KeyVal::SEnd(_) => 1,
            KeyVal::N(_) => 2,
            KeyVal::B(_) | KeyVal::BEnd(_) => 3,
            KeyVal::Max => 4,
        }
    }

    /// The value as the meter sees a partition: strings as is, numbers in decimal, binaries
    /// in base64.
    pub fn display(&self) -> String {
        match self {
            KeyVal::S(s) | KeyVal::SEnd(s) => s.clone(),
            KeyVal::N(n) => n.to_string(),
            KeyVal::B(b) | KeyVal::BEnd(b) => base64::engine::general_purpose::STANDARD.encode(b),
            KeyVal::Min | KeyVal::Max => String::new(),
        }
    }
}

/// A value against a prefix's end: below it if it starts with the prefix, else by bytes.
fn against_end(value: &[u8], prefix: &[u8]) -> Ordering {
    if value.starts_with(prefix) {
        Ordering::Less
    } else {
        value.cmp(prefix)
    }
}

impl Ord for KeyVal {
    fn cmp(&self, other: &Self) -> Ordering {
        use KeyVal::*;
        match (self, other) {
            (S(a), S(b)) => a.as_bytes().cmp(b.as_bytes()),
            (N(a), N(b)) => a.cmp(b),
            (B(a), B(b)) => a.cmp(b),
            (S(a), SEnd(p)) => against_end(a.as_bytes(), p.as_bytes()),
            (SEnd(p), S(a)) => against_end(a.as_bytes(), p.as_bytes()).reverse(),
            (B(a), BEnd(p)) => against_end(a, p),
            (BEnd(p), B(a)) => against_end(a, p).reverse(),
            (SEnd(a), SEnd(b)) => a.cmp(b),
            (BEnd(a), BEnd(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for KeyVal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for KeyVal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for KeyVal {}

/// A table item's position: partition key, sort key (`Min` when the table has none).
pub type PrimaryKey = (KeyVal, KeyVal);

/// An index entry's position: index keys, then the table keys that make it unique.
pub type IndexKey = (KeyVal, KeyVal, KeyVal, KeyVal);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends_bound_exactly_the_prefixed_strings() {
        let end = KeyVal::SEnd("ab".into());
        for s in ["ab", "ab\u{10FFFF}zz", "abzzz"] {
            assert!(KeyVal::S(s.into()) < end, "{s}");
        }
        for s in ["ac", "b", "abz".replace("abz", "b").as_str()] {
            assert!(KeyVal::S(s.into()) > end, "{s}");
        }
        assert!(KeyVal::S("aa".into()) < end);
        assert!(KeyVal::S("a".into()) < end);
        // Strings order by UTF-8 bytes, not by UTF-16 units.
        assert!(KeyVal::S("\u{FFFF}".into()) < KeyVal::S("\u{10000}".into()));
    }
}
