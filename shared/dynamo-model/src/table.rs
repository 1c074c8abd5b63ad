//! One table: items in a `BTreeMap` by (partition key, sort key), and per global secondary
//! index a `BTreeSet` by (index keys, table keys), kept in step on every write so a query
//! costs O(log n + page).

use crate::error::{ApiError, ApiResult};
use crate::key::{IndexKey, KeyVal, PrimaryKey};
use crate::value::{Item, Value, item_size};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// DynamoDB's limits on item and key sizes, in bytes.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
const MAX_PARTITION_KEY_BYTES: usize = 2048;
const MAX_SORT_KEY_BYTES: usize = 1024;

#[derive(Debug, Clone)]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

#[derive(Debug)]
pub struct Index {
    pub name: String,
    pub hash: String,
    pub range: Option<String>,
    pub projection: Projection,
    pub entries: BTreeSet<IndexKey>,
}

#[derive(Debug)]
pub struct Table {
    pub name: String,
    pub hash: String,
    pub range: Option<String>,
    /// Declared key attribute types (`S`, `N`, `B`).
    pub types: BTreeMap<String, String>,
    pub indexes: Vec<Index>,
    pub stream_view: Option<String>,
    pub stream_label: String,
    pub created: f64,
    pub billing_mode: String,
    pub items: BTreeMap<PrimaryKey, Item>,
    pub bytes: usize,
}

impl Table {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:dynamodb:us-east-1:000000000000:table/{}",
            self.name
        )
    }

    pub fn stream_arn(&self) -> Option<String> {
        self.stream_view
            .as_ref()
            .map(|_| format!("{}/stream/{}", self.arn(), self.stream_label))
    }

    pub fn key_names(&self) -> Vec<&str> {
        let mut names = vec![self.hash.as_str()];
        names.extend(self.range.as_deref());
        names
    }

    pub fn index(&self, name: &str) -> ApiResult<&Index> {
        self.indexes.iter().find(|i| i.name == name).ok_or_else(|| {
            ApiError::validation(format!(
                "The table does not have the specified index: {name}"
            ))
        })
    }

    /// The key value of attribute `name` in `item`, checked against its declared type.
    fn key_value(
        &self,
        item: &Item,
        name: &str,
        max: usize,
        secondary: bool,
    ) -> ApiResult<Option<KeyVal>> {
        let Some(value) = item.get(name) else {
            return Ok(None);
        };
        let declared = self.types.get(name).map(String::as_str).unwrap_or("S");
        if value.type_name() != declared {
            let what = if secondary { "Index Key" } else { "key" };
            return Err(ApiError::validation(format!(
                "One or more parameter values were invalid: Type mismatch for {what} {name} expected: {declared} actual: {}",
                value.type_name()
            )));
        }
        if matches!(value, Value::S(s) if s.is_empty())
            || matches!(value, Value::B(b) if b.is_empty())
        {
            return Err(ApiError::validation(if secondary {
                format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: , IndexKey: {name}"
                )
            } else {
                format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}"
                )
            }));
        }
        if value.size() > max {
            return Err(ApiError::validation(format!(
                "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of {max} bytes"
            )));
        }
        Ok(KeyVal::of(value))
    }

    /// The primary key of a full item (PutItem), refusing items without one.
    pub fn key_of_item(&self, item: &Item) -> ApiResult<PrimaryKey> {
        let missing = |name: &str| {
            ApiError::validation(format!(
                "One or more parameter values were invalid: Missing the key {name} in the item"
            ))
        };
        let hash = self
            .key_value(item, &self.hash, MAX_PARTITION_KEY_BYTES, false)?
            .ok_or_else(|| missing(&self.hash))?;
        let range = match &self.range {
            Some(r) => self
                .key_value(item, r, MAX_SORT_KEY_BYTES, false)?
                .ok_or_else(|| missing(r))?,
            None => KeyVal::Min,
        };
        Ok((hash, range))
    }

    /// The primary key of a `Key` parameter, which must hold exactly the key attributes.
    pub fn key_of_key(&self, key: &Item) -> ApiResult<PrimaryKey> {
        let names = self.key_names();
        if key.len() != names.len() || !names.iter().all(|n| key.contains_key(*n)) {
            return Err(ApiError::validation(
                "The provided key element does not match the schema",
            ));
        }
        self.key_of_item(key).map_err(|e| {
            ApiError::validation(format!(
                "The provided key element does not match the schema ({})",
                e.message
            ))
        })
    }

    /// The item's key attributes.
    pub fn key_item(&self, item: &Item) -> Item {
        self.key_names()
            .into_iter()
            .filter_map(|n| item.get(n).map(|v| (n.to_owned(), v.clone())))
            .collect()
    }

    /// The item's entry in `index`, if it has the index's key attributes.
    pub fn index_key(
        &self,
        index: &Index,
        item: &Item,
        pk: &PrimaryKey,
    ) -> ApiResult<Option<IndexKey>> {
        let Some(hash) = self.key_value(item, &index.hash, MAX_PARTITION_KEY_BYTES, true)? else {
            return Ok(None);
        };
        let range = match &index.range {
            Some(r) => match self.key_value(item, r, MAX_SORT_KEY_BYTES, true)? {
                Some(v) => v,
                None => return Ok(None),
            },
            None => KeyVal::Min,
        };
        Ok(Some((hash, range, pk.0.clone(), pk.1.clone())))
    }

    /// What `index` holds of `item` (its projection).
    pub fn projected(&self, index: &Index, item: &Item) -> Item {
        match &index.projection {
            Projection::All => item.clone(),
            Projection::KeysOnly | Projection::Include(_) => {
                let mut names = self.key_names();
                names.push(&index.hash);
                names.extend(index.range.as_deref());
                if let Projection::Include(extra) = &index.projection {
                    names.extend(extra.iter().map(String::as_str));
                }
                item.iter()
                    .filter(|(k, _)| names.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }
        }
    }

    /// The index keys plus table keys of an item: an index query's LastEvaluatedKey.
    pub fn index_key_item(&self, index: &Index, item: &Item) -> Item {
        let mut key = self.key_item(item);
        for n in std::iter::once(&index.hash).chain(index.range.iter()) {
            if let Some(v) = item.get(n) {
                key.insert(n.clone(), v.clone());
            }
        }
        key
    }

    /// Checks a new image before it is written: size, keys, index keys.
    pub fn check_image(&self, item: &Item, pk: &PrimaryKey) -> ApiResult<()> {
        if item_size(item) > MAX_ITEM_BYTES {
            return Err(ApiError::validation(
                "Item size has exceeded the maximum allowed size",
            ));
        }
        for index in &self.indexes {
            self.index_key(index, item, pk)?;
        }
        Ok(())
    }

    /// Replaces (or with `None` removes) the item at `pk`, keeping the indexes in step;
    /// answers the old item. Images must have passed [`Table::check_image`].
    pub fn write(&mut self, pk: PrimaryKey, new: Option<Item>) -> Option<Item> {
        let old = match &new {
            Some(item) => self.items.insert(pk.clone(), item.clone()),
            None => self.items.remove(&pk),
        };
        if let Some(o) = &old {
            self.bytes = self.bytes.saturating_sub(item_size(o));
        }
        if let Some(n) = &new {
            self.bytes += item_size(n);
        }
        for i in 0..self.indexes.len() {
            let index = &self.indexes[i];
            let before = old
                .as_ref()
                .and_then(|o| self.index_key(index, o, &pk).ok().flatten());
            let after = new
                .as_ref()
                .and_then(|n| self.index_key(index, n, &pk).ok().flatten());
            if before == after {
                continue;
            }
            let entries = &mut self.indexes[i].entries;
            if let Some(b) = before {
                entries.remove(&b);
            }
            if let Some(a) = after {
                entries.insert(a);
            }
        }
        old
    }

    /// The table's description, as DescribeTable and CreateTable answer it.
    pub fn describe(&self) -> Json {
        let key_schema = |hash: &str, range: Option<&String>| {
            let mut k = vec![serde_json::json!({"AttributeName": hash, "KeyType": "HASH"})];
            if let Some(r) = range {
                k.push(serde_json::json!({"AttributeName": r, "KeyType": "RANGE"}));
            }
            Json::Array(k)
        };
        let indexes: Vec<Json> = self
            .indexes
            .iter()
            .map(|i| {
                let projection = match &i.projection {
                    Projection::All => serde_json::json!({"ProjectionType": "ALL"}),
                    Projection::KeysOnly => serde_json::json!({"ProjectionType": "KEYS_ONLY"}),
                    Projection::Include(n) => {
                        serde_json::json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": n})
                    }
                };
                serde_json::json!({
                    "IndexName": i.name,
                    "KeySchema": key_schema(&i.hash, i.range.as_ref()),
                    "Projection": projection,
                    "IndexStatus": "ACTIVE",
                    "IndexArn": format!("{}/index/{}", self.arn(), i.name),
                    "ItemCount": i.entries.len(),
                    "IndexSizeBytes": 0,
                    "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0},
                })
            })
            .collect();
        let mut d = serde_json::json!({
            "TableName": self.name,
            "TableArn": self.arn(),
            "TableId": format!("00000000-0000-0000-0000-{:012}", self.name.len()),
            "TableStatus": "ACTIVE",
            "CreationDateTime": self.created,
            "KeySchema": key_schema(&self.hash, self.range.as_ref()),
            "AttributeDefinitions": self.types.iter().map(|(n, t)| serde_json::json!({"AttributeName": n, "AttributeType": t})).collect::<Vec<_>>(),
            "ItemCount": self.items.len(),
            "TableSizeBytes": self.bytes,
            "BillingModeSummary": {"BillingMode": self.billing_mode},
            "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0},
        });
        if !indexes.is_empty() {
            d["GlobalSecondaryIndexes"] = Json::Array(indexes);
        }
        if let (Some(view), Some(arn)) = (&self.stream_view, self.stream_arn()) {
            d["StreamSpecification"] =
                serde_json::json!({"StreamEnabled": true, "StreamViewType": view});
            d["LatestStreamArn"] = Json::String(arn);
            d["LatestStreamLabel"] = Json::String(self.stream_label.clone());
        }
        d
    }
}
