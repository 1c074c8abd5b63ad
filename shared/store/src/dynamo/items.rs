//! Items: a domain entity plus its keys, (de)serialized by serde_dynamo. The entity's own
//! fields are flattened into the item so that every attribute is readable in the console.

use super::errors;
use aws_sdk_dynamodb::types::AttributeValue;
use groups_domain::{Error, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub type RawItem = HashMap<String, AttributeValue>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item<T> {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi2sk: Option<String>,
    #[serde(rename = "GSI3PK", default, skip_serializing_if = "Option::is_none")]
    pub gsi3pk: Option<String>,
    #[serde(rename = "GSI3SK", default, skip_serializing_if = "Option::is_none")]
    pub gsi3sk: Option<String>,
    /// What the item is (`user`, `group`, …): for stream filters and for people reading the table.
    pub entity: String,
    /// Lower-cased title, for case-insensitive search (groups only).
    #[serde(rename = "titleKey", default, skip_serializing_if = "Option::is_none")]
    pub title_key: Option<String>,
    /// The owning department's path key, for scope filters (groups only).
    #[serde(rename = "ownerPath", default, skip_serializing_if = "Option::is_none")]
    pub owner_path: Option<String>,
    /// Lower-cased names, email and job title, for text search (users only).
    #[serde(rename = "searchKey", default, skip_serializing_if = "Option::is_none")]
    pub search_key: Option<String>,
    #[serde(flatten)]
    pub data: T,
}

impl<T> Item<T> {
    pub fn new(entity: &str, pk: String, sk: String, data: T) -> Self {
        Self {
            pk,
            sk,
            gsi1pk: None,
            gsi1sk: None,
            gsi2pk: None,
            gsi2sk: None,
            gsi3pk: None,
            gsi3sk: None,
            entity: entity.to_owned(),
            title_key: None,
            owner_path: None,
            search_key: None,
            data,
        }
    }

    pub fn gsi1(mut self, pk: String, sk: String) -> Self {
        self.gsi1pk = Some(pk);
        self.gsi1sk = Some(sk);
        self
    }

    pub fn gsi3(mut self, pk: String, sk: String) -> Self {
        self.gsi3pk = Some(pk);
        self.gsi3sk = Some(sk);
        self
    }

    pub fn gsi2(mut self, pk: String, sk: String) -> Self {
        self.gsi2pk = Some(pk);
        self.gsi2sk = Some(sk);
        self
    }
}

impl<T: Serialize> Item<T> {
    pub fn to_raw(&self) -> Result<RawItem> {
        serde_dynamo::to_item(self).map_err(|e| errors::serde("serializing item", e))
    }
}

pub fn from_raw<T: DeserializeOwned>(raw: RawItem) -> Result<T> {
    let item: Item<T> =
        serde_dynamo::from_item(raw).map_err(|e| errors::serde("reading item", e))?;
    Ok(item.data)
}

/// A page of entities from up to `limit + 1` raw items; each item's cursor is its
/// `cursor_attr` without `prefix`.
pub fn page<T: DeserializeOwned>(
    items: Vec<RawItem>,
    limit: u32,
    cursor_attr: &str,
    prefix: &str,
) -> Result<groups_domain::Page<T>> {
    let rows = items
        .into_iter()
        .map(|raw| {
            let cursor = get_str(&raw, cursor_attr)
                .and_then(|k| k.strip_prefix(prefix))
                .ok_or_else(|| missing(cursor_attr))?
                .to_owned();
            Ok((cursor, from_raw::<T>(raw)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let page = groups_domain::Page::from_overfetch(rows, limit, |(k, _)| k.clone());
    Ok(groups_domain::Page {
        items: page.items.into_iter().map(|(_, t)| t).collect(),
        next_cursor: page.next_cursor,
    })
}

pub fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn number(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A string attribute of a raw item.
pub fn get_str<'a>(raw: &'a RawItem, name: &str) -> Option<&'a str> {
    raw.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub fn get_u64(raw: &RawItem, name: &str) -> Option<u64> {
    raw.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

pub fn to_value<T: Serialize>(value: &T) -> Result<AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(|e| errors::serde("serializing value", e))
}

pub fn missing(what: &str) -> Error {
    Error::Internal(format!("item without {what}"))
}
