//! CreateTable, DescribeTable, DeleteTable, ListTables. Tables are ACTIVE at once.

use super::{opt_str, str_field, table};
use crate::State;
use crate::error::{ApiError, ApiResult};
use crate::table::{Index, Projection, Table};
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

/// (hash, range) of a KeySchema.
fn key_schema(schema: Option<&Json>) -> ApiResult<(String, Option<String>)> {
    let list = schema
        .and_then(Json::as_array)
        .ok_or_else(|| ApiError::validation("KeySchema is required"))?;
    let mut hash = None;
    let mut range = None;
    for element in list {
        let name = str_field(element, "AttributeName")?.to_owned();
        match str_field(element, "KeyType")? {
            "HASH" if hash.is_none() => hash = Some(name),
            "RANGE" if range.is_none() => range = Some(name),
            _ => {
                return Err(ApiError::validation(
                    "Invalid KeySchema: one HASH and at most one RANGE key",
                ));
            }
        }
    }
    let hash = hash.ok_or_else(|| ApiError::validation("Invalid KeySchema: no HASH key"))?;
    Ok((hash, range))
}

fn projection(p: Option<&Json>) -> ApiResult<Projection> {
    let p = p.ok_or_else(|| ApiError::validation("A global secondary index needs a Projection"))?;
    Ok(match opt_str(p, "ProjectionType").unwrap_or("ALL") {
        "ALL" => Projection::All,
        "KEYS_ONLY" => Projection::KeysOnly,
        "INCLUDE" => Projection::Include(
            p.get("NonKeyAttributes")
                .and_then(Json::as_array)
                .ok_or_else(|| ApiError::validation("INCLUDE needs NonKeyAttributes"))?
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect(),
        ),
        other => {
            return Err(ApiError::validation(format!(
                "Unknown ProjectionType: {other}"
            )));
        }
    })
}

pub fn create(state: &mut State, body: &Json) -> ApiResult<Json> {
    let name = str_field(body, "TableName")?;
    if name.len() < 3 || name.len() > 255 {
        return Err(ApiError::validation(
            "TableName must be 3 to 255 characters long",
        ));
    }
    if state.tables.contains_key(name) {
        return Err(ApiError::in_use(format!("Table already exists: {name}")));
    }
    let (hash, range) = key_schema(body.get("KeySchema"))?;
    let mut types = BTreeMap::new();
    for d in body
        .get("AttributeDefinitions")
        .and_then(Json::as_array)
        .ok_or_else(|| ApiError::validation("AttributeDefinitions is required"))?
    {
        let t = str_field(d, "AttributeType")?;
        if !matches!(t, "S" | "N" | "B") {
            return Err(ApiError::validation(format!("Invalid AttributeType: {t}")));
        }
        types.insert(str_field(d, "AttributeName")?.to_owned(), t.to_owned());
    }
    let mut indexes = Vec::new();
    let mut key_names: BTreeSet<String> = [hash.clone()].into_iter().chain(range.clone()).collect();
    for gsi in body
        .get("GlobalSecondaryIndexes")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let (ihash, irange) = key_schema(gsi.get("KeySchema"))?;
        let iname = str_field(gsi, "IndexName")?.to_owned();
        if indexes.iter().any(|i: &Index| i.name == iname) {
            return Err(ApiError::validation(format!(
                "Duplicate index name: {iname}"
            )));
        }
        key_names.insert(ihash.clone());
        key_names.extend(irange.clone());
        indexes.push(Index {
            name: iname,
            hash: ihash,
            range: irange,
            projection: projection(gsi.get("Projection"))?,
            entries: BTreeSet::new(),
        });
    }
    if body.get("LocalSecondaryIndexes").is_some() {
        return Err(ApiError::validation(
            "The model does not support local secondary indexes",
        ));
    }
    let defined: BTreeSet<String> = types.keys().cloned().collect();
    if defined != key_names {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions, or some AttributeDefinitions are not used in the key schema of the table or an index",
        ));
    }
    let stream_view = body
        .get("StreamSpecification")
        .filter(|s| s.get("StreamEnabled").and_then(Json::as_bool) == Some(true))
        .map(|s| {
            opt_str(s, "StreamViewType")
                .unwrap_or("NEW_AND_OLD_IMAGES")
                .to_owned()
        });
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let table = Table {
        name: name.to_owned(),
        hash,
        range,
        types,
        indexes,
        stream_view,
        stream_label: format!("{created:.3}"),
        created,
        billing_mode: opt_str(body, "BillingMode")
            .unwrap_or("PROVISIONED")
            .to_owned(),
        items: BTreeMap::new(),
        bytes: 0,
    };
    let description = table.describe();
    state.tables.insert(name.to_owned(), table);
    Ok(json!({ "TableDescription": description }))
}

pub fn describe(state: &State, body: &Json) -> ApiResult<Json> {
    let t = table(state, str_field(body, "TableName")?)?;
    Ok(json!({ "Table": t.describe() }))
}

pub fn delete(state: &mut State, body: &Json) -> ApiResult<Json> {
    let name = str_field(body, "TableName")?;
    let description = table(state, name)?.describe();
    state.tables.remove(name);
    let mut description = description;
    description["TableStatus"] = json!("DELETING");
    Ok(json!({ "TableDescription": description }))
}

pub fn list(state: &State, body: &Json) -> ApiResult<Json> {
    let limit = body
        .get("Limit")
        .and_then(Json::as_u64)
        .map_or(100, |l| l as usize);
    let start = opt_str(body, "ExclusiveStartTableName");
    let names: Vec<&String> = state
        .tables
        .keys()
        .filter(|n| start.is_none_or(|s| n.as_str() > s))
        .take(limit)
        .collect();
    let mut out = json!({ "TableNames": names });
    if names.len() == limit && state.tables.keys().any(|n| Some(n) > names.last().copied()) {
        out["LastEvaluatedTableName"] = json!(names.last());
    }
    Ok(out)
}
