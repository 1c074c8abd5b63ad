//! The operations. Each runs under the model's lock: it checks and plans everything first,
//! asks the meter, and only then mutates, so a refused call changes nothing.

mod batch;
mod items;
mod query;
mod tables;
mod transact;

use crate::error::{ApiError, ApiResult};
use crate::expr::{self, Cond, Path, Placeholders, Update};
use crate::key::PrimaryKey;
use crate::meter::{CallRecord, ItemKey, Meter, MeterVerdict, Touch};
use crate::table::Table;
use crate::units::{Consumed, write_units};
use crate::value::{Item, item_from_json, item_size, item_to_json};
use crate::{Model, State, StreamRecord};
use serde_json::Value as Json;

pub fn handle(model: &Model, op: &str, body: &Json) -> ApiResult<Json> {
    let meter = model.meter();
    let mut state = model.lock();
    let state = &mut *state;
    match op {
        "CreateTable" => tables::create(state, body),
        "DescribeTable" => tables::describe(state, body),
        "DeleteTable" => tables::delete(state, body),
        "ListTables" => tables::list(state, body),
        "GetItem" => items::get(state, meter, body),
        "PutItem" => items::write(state, meter, body, WriteKind::Put),
        "UpdateItem" => items::write(state, meter, body, WriteKind::Update),
        "DeleteItem" => items::write(state, meter, body, WriteKind::Delete),
        "Query" => query::query(state, meter, body),
        "Scan" => query::scan(state, meter, body),
        "BatchGetItem" => batch::get(state, meter, body),
        "BatchWriteItem" => batch::write(state, meter, body),
        "TransactWriteItems" => transact::write(state, meter, body),
        "TransactGetItems" => transact::get(state, meter, body),
        other => Err(ApiError::unknown_operation(other)),
    }
}

pub fn str_field<'a>(body: &'a Json, name: &str) -> ApiResult<&'a str> {
    body.get(name).and_then(Json::as_str).ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

pub fn opt_str<'a>(body: &'a Json, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Json::as_str)
}

pub fn table<'a>(state: &'a State, name: &str) -> ApiResult<&'a Table> {
    state.tables.get(name).ok_or_else(|| {
        ApiError::not_found(format!(
            "Requested resource not found: Table: {name} not found"
        ))
    })
}

pub fn item_field(body: &Json, name: &str) -> ApiResult<Item> {
    item_from_json(body.get(name).ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
        ))
    })?)
}

/// A read's `ProjectionExpression` (parsed, its placeholders all used) and `ConsistentRead`.
pub fn read_options(request: &Json) -> ApiResult<(Option<Vec<Path>>, bool)> {
    let mut ph = Placeholders::of(request)?;
    let projection = opt_str(request, "ProjectionExpression")
        .map(|p| expr::parser::projection(p, &mut ph))
        .transpose()?;
    ph.finish()?;
    let consistent = request.get("ConsistentRead").and_then(Json::as_bool) == Some(true);
    Ok((projection, consistent))
}

/// The meter's view of an item key.
pub fn item_key(table: &Table, pk: &PrimaryKey) -> ItemKey {
    ItemKey {
        table: table.name.clone(),
        partition: pk.0.display(),
        sort: table.range.as_ref().map(|_| pk.1.display()),
    }
}

/// Asks the meter about a call.
pub fn consult(
    meter: &dyn Meter,
    op: &str,
    touches: Vec<Touch>,
    condition_failed: bool,
) -> MeterVerdict {
    meter.call(&CallRecord {
        operation: op.to_owned(),
        touches,
        condition_failed,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Put,
    Update,
    Delete,
    Check,
}

/// A write, checked and costed, not yet applied.
pub struct Plan {
    pub table: String,
    pub pk: PrimaryKey,
    pub key: Item,
    pub old: Option<Item>,
    pub new: Option<Item>,
    pub kind: WriteKind,
    pub failed: bool,
    pub return_old_on_failure: bool,
    pub consumed: Consumed,
    pub touches: Vec<Touch>,
    /// The paths an update names (for ReturnValues UPDATED_*).
    pub updated: Vec<Path>,
}

impl Plan {
    /// The item for a failed condition's answer, when ALL_OLD was asked for.
    pub fn failure_item(&self) -> Option<Json> {
        if self.return_old_on_failure {
            self.old.as_ref().map(item_to_json)
        } else {
            None
        }
    }
}

fn update_paths(update: &Update) -> Vec<Path> {
    let mut paths: Vec<Path> = update.set.iter().map(|(p, _)| p.clone()).collect();
    paths.extend(update.remove.iter().cloned());
    paths.extend(update.add.iter().map(|(p, _)| p.clone()));
    paths.extend(update.delete.iter().map(|(p, _)| p.clone()));
    paths
}

/// Plans one write request (`PutItem`, `UpdateItem`, `DeleteItem` bodies, or an action of a
/// transaction, which has the same members).
pub fn plan(state: &State, kind: WriteKind, req: &Json, transactional: bool) -> ApiResult<Plan> {
    let table = table(state, str_field(req, "TableName")?)?;
    let mut ph = Placeholders::of(req)?;
    let (pk, put_item) = match kind {
        WriteKind::Put => {
            let item = item_field(req, "Item")?;
            (table.key_of_item(&item)?, Some(item))
        }
        _ => (table.key_of_key(&item_field(req, "Key")?)?, None),
    };
    let condition: Option<Cond> = match opt_str(req, "ConditionExpression") {
        Some(text) => Some(expr::parser::condition(
            text,
            &mut ph,
            "ConditionExpression",
        )?),
        None if kind == WriteKind::Check => {
            return Err(ApiError::validation(
                "A ConditionCheck must have a ConditionExpression",
            ));
        }
        None => None,
    };
    let update = match (kind, opt_str(req, "UpdateExpression")) {
        (WriteKind::Update, Some(text)) => Some(expr::parser::update(text, &mut ph)?),
        _ => None,
    };
    ph.finish()?;
    let old = table.items.get(&pk).cloned();
    let empty = Item::new();
    let failed = match &condition {
        Some(c) => !expr::eval::condition(old.as_ref().unwrap_or(&empty), c)?,
        None => false,
    };
    let key = match &put_item {
        Some(item) => table.key_item(item),
        None => item_field(req, "Key")?,
    };
    let new = match kind {
        WriteKind::Put => put_item,
        WriteKind::Delete => None,
        WriteKind::Check => old.clone(),
        WriteKind::Update => {
            let base = old.clone().unwrap_or_else(|| key.clone());
            Some(match &update {
                Some(u) => expr::update::apply(&base, u, &table.key_names())?,
                None => base,
            })
        }
    };
    if kind != WriteKind::Check
        && let Some(n) = &new
    {
        table.check_image(n, &pk)?;
    }
    let old_size = old.as_ref().map_or(0, item_size);
    let new_size = new.as_ref().map_or(0, item_size);
    let mut consumed = Consumed {
        table_units: write_units(old_size.max(new_size), transactional),
        ..Consumed::default()
    };
    let ikey = item_key(table, &pk);
    let mut touches = vec![Touch {
        table: table.name.clone(),
        index: None,
        partition: ikey.partition.clone(),
        read_units: 0.0,
        write_units: consumed.table_units,
        transactional,
        item: ikey.clone(),
    }];
    // A failed condition writes nothing to the indexes.
    if !failed && kind != WriteKind::Check {
        for (index, partition, units) in index_writes(table, &pk, old.as_ref(), new.as_ref()) {
            *consumed.indexes.entry(index.clone()).or_default() += units;
            touches.push(Touch {
                table: table.name.clone(),
                index: Some(index),
                partition,
                read_units: 0.0,
                write_units: units,
                transactional,
                item: ikey.clone(),
            });
        }
    }
    Ok(Plan {
        table: table.name.clone(),
        pk,
        key,
        old,
        new,
        kind,
        failed,
        return_old_on_failure: opt_str(req, "ReturnValuesOnConditionCheckFailure")
            == Some("ALL_OLD"),
        consumed,
        touches,
        updated: update.as_ref().map(update_paths).unwrap_or_default(),
    })
}

/// The index writes of replacing `old` by `new`: (index, index partition, units) each. An
/// index entry whose key changes costs a delete and a put; one whose projection is unchanged
/// costs nothing.
fn index_writes(
    table: &Table,
    pk: &PrimaryKey,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    for index in &table.indexes {
        let entry =
            |item: Option<&Item>| item.and_then(|i| table.index_key(index, i, pk).ok().flatten());
        let size = |item: Option<&Item>| item.map_or(0, |i| item_size(&table.projected(index, i)));
        let (before, after) = (entry(old), entry(new));
        let units = |bytes: usize| write_units(bytes, false);
        match (before, after) {
            (None, None) => {}
            (Some(b), None) => out.push((index.name.clone(), b.0.display(), units(size(old)))),
            (None, Some(a)) => out.push((index.name.clone(), a.0.display(), units(size(new)))),
            (Some(b), Some(a)) if b == a => {
                let changed = match (old, new) {
                    (Some(o), Some(n)) => table.projected(index, o) != table.projected(index, n),
                    _ => true,
                };
                if changed {
                    out.push((
                        index.name.clone(),
                        a.0.display(),
                        units(size(old).max(size(new))),
                    ));
                }
            }
            (Some(b), Some(a)) => {
                out.push((index.name.clone(), b.0.display(), units(size(old))));
                out.push((index.name.clone(), a.0.display(), units(size(new))));
            }
        }
    }
    out
}

/// Applies a planned write and records its stream record.
pub fn apply(state: &mut State, plan: &Plan) {
    if plan.kind == WriteKind::Check {
        return;
    }
    let Some(table) = state.tables.get_mut(&plan.table) else {
        return;
    };
    table.write(plan.pk.clone(), plan.new.clone());
    let view = table.stream_view.clone();
    if let Some(view) = view {
        let record = StreamRecord::of_write(
            &plan.table,
            &view,
            &plan.key,
            plan.old.as_ref(),
            plan.new.as_ref(),
            state.sequence + 1,
        );
        if let Some(record) = record {
            state.sequence += 1;
            state.stream.push(record);
        }
    }
}
