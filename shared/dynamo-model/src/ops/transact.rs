//! TransactWriteItems (all or nothing, at most 100 actions, one action per item) and
//! TransactGetItems.

use super::{WriteKind, apply, consult, item_field, item_key, opt_str, plan, str_field, table};
use crate::State;
use crate::error::{ApiError, ApiResult};
use crate::expr::{self, Placeholders};
use crate::meter::{Meter, MeterVerdict, Touch};
use crate::units::{Consumed, ConsumedByTable, read_units};
use crate::value::{item_size, item_to_json};
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;

const MAX_ACTIONS: usize = 100;

fn actions(body: &Json) -> ApiResult<&Vec<Json>> {
    let list = body
        .get("TransactItems")
        .and_then(Json::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            ApiError::validation(
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
            )
        })?;
    if list.len() > MAX_ACTIONS {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to {MAX_ACTIONS}"
        )));
    }
    Ok(list)
}

pub fn write(state: &mut State, meter: &dyn Meter, body: &Json) -> ApiResult<Json> {
    let mut plans = Vec::new();
    let mut seen = BTreeSet::new();
    for action in actions(body)? {
        let obj = action.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
            ApiError::validation("A TransactWriteItem must hold exactly one action")
        })?;
        let Some((name, req)) = obj.iter().next() else {
            return Err(ApiError::validation(
                "A TransactWriteItem must hold exactly one action",
            ));
        };
        let kind = match name.as_str() {
            "Put" => WriteKind::Put,
            "Update" => WriteKind::Update,
            "Delete" => WriteKind::Delete,
            "ConditionCheck" => WriteKind::Check,
            other => {
                return Err(ApiError::validation(format!(
                    "Unknown transaction action: {other}"
                )));
            }
        };
        let p = plan(state, kind, req, true)?;
        if !seen.insert((p.table.clone(), p.pk.clone())) {
            return Err(ApiError::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        plans.push(p);
    }
    let touches = plans.iter().flat_map(|p| p.touches.clone()).collect();
    let failed = plans.iter().any(|p| p.failed);
    match consult(meter, "TransactWriteItems", touches, failed) {
        MeterVerdict::Proceed => {}
        MeterVerdict::Throttle => return Err(ApiError::throttling()),
        MeterVerdict::Conflict(keys) => {
            let reasons = plans
                .iter()
                .map(|p| {
                    let key = item_key(table(state, &p.table)?, &p.pk);
                    Ok(if keys.contains(&key) {
                        json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"})
                    } else {
                        json!({"Code": "None"})
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            return Err(ApiError::cancelled(reasons));
        }
    }
    if failed {
        let reasons = plans
            .iter()
            .map(|p| {
                if !p.failed {
                    return json!({"Code": "None"});
                }
                let mut r = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
                if let Some(item) = p.failure_item() {
                    r["Item"] = item;
                }
                r
            })
            .collect();
        return Err(ApiError::cancelled(reasons));
    }
    let mut consumed = ConsumedByTable::default();
    for p in &plans {
        apply(state, p);
        consumed.add(&p.table, &p.consumed);
    }
    let mut out = json!({});
    if let Some(c) = consumed.to_json(opt_str(body, "ReturnConsumedCapacity"), true) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}

pub fn get(state: &mut State, meter: &dyn Meter, body: &Json) -> ApiResult<Json> {
    let mut responses = Vec::new();
    let mut touches = Vec::new();
    let mut consumed = ConsumedByTable::default();
    let mut seen = BTreeSet::new();
    for action in actions(body)? {
        let req = action
            .get("Get")
            .ok_or_else(|| ApiError::validation("A TransactGetItem must hold a Get"))?;
        let t = table(state, str_field(req, "TableName")?)?;
        let pk = t.key_of_key(&item_field(req, "Key")?)?;
        if !seen.insert((t.name.clone(), pk.clone())) {
            return Err(ApiError::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        let mut ph = Placeholders::of(req)?;
        let projection = opt_str(req, "ProjectionExpression")
            .map(|p| expr::parser::projection(p, &mut ph))
            .transpose()?;
        ph.finish()?;
        let item = t.items.get(&pk);
        let units = read_units(item.map_or(0, item_size), true, true);
        consumed.add(
            &t.name,
            &Consumed {
                table_units: units,
                ..Consumed::default()
            },
        );
        let ikey = item_key(t, &pk);
        touches.push(Touch {
            table: t.name.clone(),
            index: None,
            partition: ikey.partition.clone(),
            read_units: units,
            write_units: 0.0,
            transactional: true,
            item: ikey,
        });
        responses.push(match item {
            Some(i) => json!({ "Item": match &projection {
                Some(paths) => item_to_json(&expr::eval::project(i, paths)),
                None => item_to_json(i),
            }}),
            None => json!({}),
        });
    }
    match consult(meter, "TransactGetItems", touches, false) {
        MeterVerdict::Proceed => {}
        MeterVerdict::Throttle => return Err(ApiError::throttling()),
        MeterVerdict::Conflict(_) => {
            return Err(ApiError::cancelled(
                responses
                    .iter()
                    .map(|_| json!({"Code": "TransactionConflict"}))
                    .collect(),
            ));
        }
    }
    let mut out = json!({ "Responses": responses });
    if let Some(c) = consumed.to_json(opt_str(body, "ReturnConsumedCapacity"), false) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}
