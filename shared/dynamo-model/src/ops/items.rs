//! GetItem, PutItem, UpdateItem, DeleteItem.

use super::{
    WriteKind, apply, consult, item_field, item_key, opt_str, plan, read_options, str_field, table,
};
use crate::State;
use crate::error::{ApiError, ApiResult};
use crate::expr;
use crate::meter::{Meter, MeterVerdict, Touch};
use crate::units::{Consumed, read_units};
use crate::value::{item_size, item_to_json};
use serde_json::{Value as Json, json};

/// Refuses a call the meter throttled or found conflicting.
pub fn verdict_error(verdict: MeterVerdict) -> ApiResult<()> {
    match verdict {
        MeterVerdict::Proceed => Ok(()),
        MeterVerdict::Throttle => Err(ApiError::throughput()),
        MeterVerdict::Conflict(_) => Err(ApiError::transaction_conflict()),
    }
}

pub fn get(state: &mut State, meter: &dyn Meter, body: &Json) -> ApiResult<Json> {
    let table = table(state, str_field(body, "TableName")?)?;
    let pk = table.key_of_key(&item_field(body, "Key")?)?;
    let (projection, consistent) = read_options(body)?;
    let item = table.items.get(&pk);
    let units = read_units(item.map_or(0, item_size), consistent, false);
    let ikey = item_key(table, &pk);
    let touch = Touch {
        table: table.name.clone(),
        index: None,
        partition: ikey.partition.clone(),
        read_units: units,
        write_units: 0.0,
        transactional: false,
        item: ikey,
    };
    verdict_error(consult(meter, "GetItem", vec![touch], false))?;
    let mut out = json!({});
    if let Some(item) = item {
        out["Item"] = match &projection {
            Some(paths) => item_to_json(&expr::eval::project(item, paths)),
            None => item_to_json(item),
        };
    }
    let consumed = Consumed {
        table_units: units,
        ..Consumed::default()
    };
    if let Some(c) = consumed.to_json(&table.name, opt_str(body, "ReturnConsumedCapacity"), false) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}

pub fn write(
    state: &mut State,
    meter: &dyn Meter,
    body: &Json,
    kind: WriteKind,
) -> ApiResult<Json> {
    let op = match kind {
        WriteKind::Put => "PutItem",
        WriteKind::Update => "UpdateItem",
        _ => "DeleteItem",
    };
    let return_values = opt_str(body, "ReturnValues").unwrap_or("NONE");
    let allowed: &[&str] = match kind {
        WriteKind::Update => &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        _ => &["NONE", "ALL_OLD"],
    };
    if !allowed.contains(&return_values) {
        return Err(ApiError::validation(format!(
            "Return values set to invalid value: {return_values}"
        )));
    }
    let plan = plan(state, kind, body, false)?;
    verdict_error(consult(meter, op, plan.touches.clone(), plan.failed))?;
    if plan.failed {
        return Err(ApiError::conditional(plan.failure_item()));
    }
    apply(state, &plan);
    let mut out = json!({});
    let attributes = match return_values {
        "ALL_OLD" => plan.old.clone(),
        "ALL_NEW" => plan.new.clone(),
        "UPDATED_OLD" => plan
            .old
            .as_ref()
            .map(|o| expr::eval::project(o, &plan.updated)),
        "UPDATED_NEW" => plan
            .new
            .as_ref()
            .map(|n| expr::eval::project(n, &plan.updated)),
        _ => None,
    };
    if let Some(a) = attributes.filter(|a| !a.is_empty()) {
        out["Attributes"] = item_to_json(&a);
    }
    if let Some(c) =
        plan.consumed
            .to_json(&plan.table, opt_str(body, "ReturnConsumedCapacity"), true)
    {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}
