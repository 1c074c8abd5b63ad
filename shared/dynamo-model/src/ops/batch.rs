//! BatchGetItem (at most 100 keys) and BatchWriteItem (at most 25 puts and deletes).

use super::items::verdict_error;
use super::{WriteKind, apply, consult, item_key, opt_str, plan, read_options, table};
use crate::State;
use crate::error::{ApiError, ApiResult};
use crate::expr;
use crate::meter::{Meter, Touch};
use crate::units::{Consumed, ConsumedByTable, read_units};
use crate::value::{item_from_json, item_size, item_to_json};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeSet;

const MAX_GET_KEYS: usize = 100;
const MAX_WRITES: usize = 25;

fn request_items(body: &Json) -> ApiResult<&Map<String, Json>> {
    body.get("RequestItems")
        .and_then(Json::as_object)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            ApiError::validation(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
            )
        })
}

pub fn get(state: &mut State, meter: &dyn Meter, body: &Json) -> ApiResult<Json> {
    let requests = request_items(body)?;
    let total: usize = requests
        .values()
        .map(|r| r.get("Keys").and_then(Json::as_array).map_or(0, Vec::len))
        .sum();
    if total > MAX_GET_KEYS {
        return Err(ApiError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut responses = Map::new();
    let mut consumed = ConsumedByTable::default();
    let mut touches = Vec::new();
    for (name, request) in requests {
        let t = table(state, name)?;
        let (projection, consistent) = read_options(request)?;
        let keys = request
            .get("Keys")
            .and_then(Json::as_array)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::validation("Keys must not be empty"))?;
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        for key in keys {
            let pk = t.key_of_key(&item_from_json(key)?)?;
            if !seen.insert(pk.clone()) {
                return Err(ApiError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            let item = t.items.get(&pk);
            // Each item is rounded up on its own, unlike a Query.
            let units = read_units(item.map_or(0, item_size), consistent, false);
            consumed.add(
                name,
                &Consumed {
                    table_units: units,
                    ..Consumed::default()
                },
            );
            let ikey = item_key(t, &pk);
            touches.push(Touch {
                table: name.clone(),
                index: None,
                partition: ikey.partition.clone(),
                read_units: units,
                write_units: 0.0,
                transactional: false,
                item: ikey,
            });
            if let Some(item) = item {
                found.push(match &projection {
                    Some(paths) => item_to_json(&expr::eval::project(item, paths)),
                    None => item_to_json(item),
                });
            }
        }
        responses.insert(name.clone(), Json::Array(found));
    }
    verdict_error(consult(meter, "BatchGetItem", touches, false))?;
    let mut out = json!({ "Responses": responses, "UnprocessedKeys": {} });
    if let Some(c) = consumed.to_json(opt_str(body, "ReturnConsumedCapacity"), false) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}

pub fn write(state: &mut State, meter: &dyn Meter, body: &Json) -> ApiResult<Json> {
    let requests = request_items(body)?;
    let total: usize = requests
        .values()
        .map(|r| r.as_array().map_or(0, Vec::len))
        .sum();
    if total > MAX_WRITES {
        return Err(ApiError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    let mut plans = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, list) in requests {
        let list = list
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| ApiError::validation("A table's write requests must not be empty"))?;
        for request in list {
            let (kind, req) = match (request.get("PutRequest"), request.get("DeleteRequest")) {
                (Some(p), None) => (
                    WriteKind::Put,
                    json!({ "TableName": name, "Item": p.get("Item").cloned().unwrap_or(Json::Null) }),
                ),
                (None, Some(d)) => (
                    WriteKind::Delete,
                    json!({ "TableName": name, "Key": d.get("Key").cloned().unwrap_or(Json::Null) }),
                ),
                _ => {
                    return Err(ApiError::validation(
                        "A WriteRequest must hold exactly one of PutRequest and DeleteRequest",
                    ));
                }
            };
            let p = plan(state, kind, &req, false)?;
            if !seen.insert((p.table.clone(), p.pk.clone())) {
                return Err(ApiError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            plans.push(p);
        }
    }
    let touches = plans.iter().flat_map(|p| p.touches.clone()).collect();
    verdict_error(consult(meter, "BatchWriteItem", touches, false))?;
    let mut consumed = ConsumedByTable::default();
    for p in &plans {
        apply(state, p);
        consumed.add(&p.table, &p.consumed);
    }
    let mut out = json!({ "UnprocessedItems": {} });
    if let Some(c) = consumed.to_json(opt_str(body, "ReturnConsumedCapacity"), true) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}
