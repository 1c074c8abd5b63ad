//! Capacity units per the AWS docs: reads in 4 KB units (eventually consistent reads cost
//! half, transactional reads double), writes in 1 KB units (transactional writes double).

use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

const READ_UNIT: usize = 4096;
const WRITE_UNIT: usize = 1024;

/// Read units for `bytes` read in one go (a Query rounds its summed size up once).
pub fn read_units(bytes: usize, consistent: bool, transactional: bool) -> f64 {
    let units = bytes.div_ceil(READ_UNIT).max(1) as f64;
    if transactional {
        units * 2.0
    } else if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units for writing an item of `bytes` (the larger of its old and new sizes).
pub fn write_units(bytes: usize, transactional: bool) -> f64 {
    let units = bytes.div_ceil(WRITE_UNIT).max(1) as f64;
    if transactional { units * 2.0 } else { units }
}

/// Capacity consumed in one table by one call.
#[derive(Debug, Clone, Default)]
pub struct Consumed {
    pub table_units: f64,
    pub indexes: BTreeMap<String, f64>,
}

impl Consumed {
    pub fn total(&self) -> f64 {
        self.table_units + self.indexes.values().sum::<f64>()
    }

    pub fn add(&mut self, other: &Consumed) {
        self.table_units += other.table_units;
        for (k, v) in &other.indexes {
            *self.indexes.entry(k.clone()).or_default() += v;
        }
    }

    /// The `ConsumedCapacity` member for `ReturnConsumedCapacity` = `mode`, if asked for.
    pub fn to_json(&self, table: &str, mode: Option<&str>, write: bool) -> Option<Json> {
        let kind = if write {
            "WriteCapacityUnits"
        } else {
            "ReadCapacityUnits"
        };
        let units = |u: f64| json!({ "CapacityUnits": u, kind: u });
        let mut out = Map::new();
        out.insert("TableName".into(), json!(table));
        out.insert("CapacityUnits".into(), json!(self.total()));
        out.insert(kind.into(), json!(self.total()));
        match mode {
            Some("TOTAL") => {}
            Some("INDEXES") => {
                out.insert("Table".into(), units(self.table_units));
                if !self.indexes.is_empty() {
                    out.insert(
                        "GlobalSecondaryIndexes".into(),
                        Json::Object(
                            self.indexes
                                .iter()
                                .map(|(k, v)| (k.clone(), units(*v)))
                                .collect(),
                        ),
                    );
                }
            }
            _ => return None,
        }
        Some(Json::Object(out))
    }
}

/// Per-table capacity of a multi-table call (batches, transactions).
#[derive(Debug, Clone, Default)]
pub struct ConsumedByTable(pub BTreeMap<String, Consumed>);

impl ConsumedByTable {
    pub fn add(&mut self, table: &str, consumed: &Consumed) {
        self.0.entry(table.to_owned()).or_default().add(consumed);
    }

    pub fn to_json(&self, mode: Option<&str>, write: bool) -> Option<Json> {
        let list: Vec<Json> = self
            .0
            .iter()
            .filter_map(|(t, c)| c.to_json(t, mode, write))
            .collect();
        (mode == Some("TOTAL") || mode == Some("INDEXES")).then_some(Json::Array(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_aws_formulas() {
        assert_eq!(read_units(0, true, false), 1.0);
        assert_eq!(read_units(4096, true, false), 1.0);
        assert_eq!(read_units(4097, true, false), 2.0);
        assert_eq!(read_units(4097, false, false), 1.0);
        assert_eq!(read_units(4097, true, true), 4.0);
        assert_eq!(write_units(1, false), 1.0);
        assert_eq!(write_units(1024, false), 1.0);
        assert_eq!(write_units(1025, false), 2.0);
        assert_eq!(write_units(1025, true), 4.0);
    }
}
