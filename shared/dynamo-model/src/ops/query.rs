//! Query and Scan: a range of the table's or an index's `BTreeMap`, paged as DynamoDB pages
//! (Limit counts items read before the filter; a page stops after 1 MB of items read).

use super::items::verdict_error;
use super::{consult, opt_str, str_field, table};
use crate::State;
use crate::error::{ApiError, ApiResult};
use crate::expr::{self, CmpOp, Cond, Elem, Operand, Path, Placeholders};
use crate::key::{IndexKey, KeyVal, PrimaryKey};
use crate::meter::{ItemKey, Meter, Touch};
use crate::table::{Index, Projection, Table};
use crate::units::{Consumed, read_units};
use crate::value::{Item, Value, item_from_json, item_size, item_to_json};
use serde_json::{Value as Json, json};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{self, Excluded, Included, Unbounded};

const PAGE_BYTES: usize = 1024 * 1024;

type Range = (Bound<KeyVal>, Bound<KeyVal>);

fn invalid_key_condition(message: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!("Invalid KeyConditionExpression: {message}"))
}

fn flatten_and<'a>(cond: &'a Cond, out: &mut Vec<&'a Cond>) -> ApiResult<()> {
    match cond {
        Cond::And(a, b) => {
            flatten_and(a, out)?;
            flatten_and(b, out)
        }
        Cond::Or(..) => Err(invalid_key_condition(
            "Invalid operator used in KeyConditionExpression: OR",
        )),
        Cond::Not(..) => Err(invalid_key_condition(
            "Invalid operator used in KeyConditionExpression: NOT",
        )),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

fn attribute(op: &Operand) -> Option<&str> {
    match op {
        Operand::Path(p) if p.len() == 1 => match &p[0] {
            Elem::Name(n) => Some(n),
            Elem::Index(_) => None,
        },
        _ => None,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// The key schema a query reads: (hash, range) names.
struct Schema<'a> {
    hash: &'a str,
    range: Option<&'a str>,
}

/// One term of a key condition: (attribute, range of its values).
fn key_term(table: &Table, term: &Cond) -> ApiResult<(String, Range, bool)> {
    let key = |v: &Value, name: &str| -> ApiResult<KeyVal> {
        let declared = table.types.get(name).map(String::as_str).unwrap_or("S");
        if v.type_name() != declared {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: Condition parameter type does not match schema type",
            ));
        }
        KeyVal::of(v).ok_or_else(|| ApiError::validation("Invalid key value"))
    };
    let unsupported = || invalid_key_condition("Invalid condition in KeyConditionExpression");
    match term {
        Cond::Cmp(op, a, b) => {
            let (name, value, op) = match (attribute(a), b, attribute(b), a) {
                (Some(n), Operand::Value(v), _, _) => (n, v, *op),
                (None, _, Some(n), Operand::Value(v)) => (n, v, flip(*op)),
                _ => return Err(unsupported()),
            };
            let k = key(value, name)?;
            let range = match op {
                CmpOp::Eq => (Included(k.clone()), Included(k)),
                CmpOp::Lt => (Unbounded, Excluded(k)),
                CmpOp::Le => (Unbounded, Included(k)),
                CmpOp::Gt => (Excluded(k), Unbounded),
                CmpOp::Ge => (Included(k), Unbounded),
                CmpOp::Ne => {
                    return Err(invalid_key_condition(
                        "Unsupported operator in KeyConditionExpression: <>",
                    ));
                }
            };
            Ok((name.to_owned(), range, op == CmpOp::Eq))
        }
        Cond::Between(x, lo, hi) => {
            let (Some(name), Operand::Value(lo), Operand::Value(hi)) = (attribute(x), lo, hi)
            else {
                return Err(unsupported());
            };
            let (lo, hi) = (key(lo, name)?, key(hi, name)?);
            if lo > hi {
                return Err(invalid_key_condition(
                    "The BETWEEN operator requires upper bound to be greater than or equal to lower bound",
                ));
            }
            Ok((name.to_owned(), (Included(lo), Included(hi)), false))
        }
        Cond::BeginsWith(x, prefix) => {
            let (Some(name), Operand::Value(prefix)) = (attribute(x), prefix) else {
                return Err(unsupported());
            };
            let range = match key(prefix, name)? {
                KeyVal::S(p) => (Included(KeyVal::S(p.clone())), Included(KeyVal::SEnd(p))),
                KeyVal::B(p) => (Included(KeyVal::B(p.clone())), Included(KeyVal::BEnd(p))),
                _ => {
                    return Err(invalid_key_condition(
                        "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                    ));
                }
            };
            Ok((name.to_owned(), range, false))
        }
        _ => Err(unsupported()),
    }
}

/// The partition key value and the sort key range of a key condition.
fn key_condition(table: &Table, schema: &Schema, cond: &Cond) -> ApiResult<(KeyVal, Range)> {
    let mut terms = Vec::new();
    flatten_and(cond, &mut terms)?;
    let mut hash = None;
    let mut range: Range = (Unbounded, Unbounded);
    let mut seen = BTreeSet::new();
    for term in terms {
        let (name, r, equality) = key_term(table, term)?;
        if !seen.insert(name.clone()) {
            return Err(invalid_key_condition(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        if name == schema.hash {
            match (equality, r.0) {
                (true, Included(k)) => hash = Some(k),
                _ => {
                    return Err(ApiError::validation("Query key condition not supported"));
                }
            }
        } else if Some(name.as_str()) == schema.range {
            range = r;
        } else {
            return Err(ApiError::validation(format!(
                "Query condition missed key schema element: {}",
                schema.range.unwrap_or(schema.hash)
            )));
        }
    }
    let hash = hash.ok_or_else(|| {
        ApiError::validation(format!(
            "Query condition missed key schema element: {}",
            schema.hash
        ))
    })?;
    Ok((hash, range))
}

fn in_range(v: &KeyVal, range: &Range) -> bool {
    let above = match &range.0 {
        Unbounded => true,
        Included(lo) => v >= lo,
        Excluded(lo) => v > lo,
    };
    let below = match &range.1 {
        Unbounded => true,
        Included(hi) => v <= hi,
        Excluded(hi) => v < hi,
    };
    above && below
}

/// Whether `BTreeMap::range` accepts these bounds (it panics on inverted ones).
fn valid_bounds<T: Ord>(lo: &Bound<T>, hi: &Bound<T>) -> bool {
    match (lo, hi) {
        (Included(a) | Excluded(a), Included(b) | Excluded(b)) => match a.cmp(b) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => !(matches!(lo, Excluded(_)) && matches!(hi, Excluded(_))),
        },
        _ => true,
    }
}

type Items<'a> = Box<dyn Iterator<Item = &'a Item> + 'a>;

fn table_items<'a>(
    t: &'a Table,
    lo: Bound<PrimaryKey>,
    hi: Bound<PrimaryKey>,
    forward: bool,
) -> Items<'a> {
    if !valid_bounds(&lo, &hi) {
        return Box::new(std::iter::empty());
    }
    let r = t.items.range((lo, hi)).map(|(_, v)| v);
    if forward {
        Box::new(r)
    } else {
        Box::new(r.rev())
    }
}

fn index_items<'a>(
    t: &'a Table,
    index: &'a Index,
    lo: Bound<IndexKey>,
    hi: Bound<IndexKey>,
    forward: bool,
) -> Items<'a> {
    if !valid_bounds(&lo, &hi) {
        return Box::new(std::iter::empty());
    }
    let r = index.entries.range((lo, hi));
    let lookup = move |k: &IndexKey| t.items.get(&(k.2.clone(), k.3.clone()));
    if forward {
        Box::new(r.filter_map(lookup))
    } else {
        Box::new(r.rev().filter_map(lookup))
    }
}

/// The request members both Query and Scan read.
struct Common<'a> {
    table: &'a Table,
    index: Option<&'a Index>,
    filter: Option<Cond>,
    projection: Option<Vec<Path>>,
    count_only: bool,
    limit: Option<usize>,
    consistent: bool,
    start: Option<Item>,
}

fn names_in(cond: &Cond, out: &mut BTreeSet<String>) {
    let operand = |o: &Operand, out: &mut BTreeSet<String>| {
        if let Operand::Path(p) | Operand::Size(p) = o
            && let Some(Elem::Name(n)) = p.first()
        {
            out.insert(n.clone());
        }
    };
    let path = |p: &Path, out: &mut BTreeSet<String>| {
        if let Some(Elem::Name(n)) = p.first() {
            out.insert(n.clone());
        }
    };
    match cond {
        Cond::Cmp(_, a, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
            operand(a, out);
            operand(b, out);
        }
        Cond::Between(a, b, c) => {
            operand(a, out);
            operand(b, out);
            operand(c, out);
        }
        Cond::In(a, list) => {
            operand(a, out);
            list.iter().for_each(|o| operand(o, out));
        }
        Cond::And(a, b) | Cond::Or(a, b) => {
            names_in(a, out);
            names_in(b, out);
        }
        Cond::Not(a) => names_in(a, out),
        Cond::Exists(p) | Cond::NotExists(p) => path(p, out),
        Cond::Type(p, o) => {
            path(p, out);
            operand(o, out);
        }
    }
}

fn common<'a>(state: &'a State, body: &Json, ph: &mut Placeholders) -> ApiResult<Common<'a>> {
    let table = table(state, str_field(body, "TableName")?)?;
    let index = opt_str(body, "IndexName")
        .map(|n| table.index(n))
        .transpose()?;
    let filter = opt_str(body, "FilterExpression")
        .map(|f| expr::parser::condition(f, ph, "FilterExpression"))
        .transpose()?;
    let projection = opt_str(body, "ProjectionExpression")
        .map(|p| expr::parser::projection(p, ph))
        .transpose()?;
    let select = opt_str(body, "Select").unwrap_or(if projection.is_some() {
        "SPECIFIC_ATTRIBUTES"
    } else {
        "ALL_ATTRIBUTES"
    });
    match select {
        "ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "COUNT" if projection.is_some() => {
            return Err(ApiError::validation(format!(
                "Cannot specify the ProjectionExpression when choosing to get {select}"
            )));
        }
        "SPECIFIC_ATTRIBUTES" if projection.is_none() => {
            return Err(ApiError::validation(
                "SPECIFIC_ATTRIBUTES needs a ProjectionExpression",
            ));
        }
        "ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "COUNT" | "SPECIFIC_ATTRIBUTES" => {}
        other => return Err(ApiError::validation(format!("Invalid Select: {other}"))),
    }
    let consistent = body.get("ConsistentRead").and_then(Json::as_bool) == Some(true);
    if consistent && index.is_some() {
        return Err(ApiError::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    let limit = match body.get("Limit") {
        None => None,
        Some(l) => match l.as_i64() {
            Some(n) if n >= 1 => Some(n as usize),
            _ => {
                return Err(ApiError::validation(
                    "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
                ));
            }
        },
    };
    let start = body
        .get("ExclusiveStartKey")
        .map(item_from_json)
        .transpose()?;
    Ok(Common {
        table,
        index,
        filter,
        projection,
        count_only: select == "COUNT",
        limit,
        consistent,
        start,
    })
}

fn bad_start() -> ApiError {
    ApiError::validation(
        "The provided starting key is invalid: The provided key element does not match the schema",
    )
}

/// The table and index positions of an ExclusiveStartKey.
fn start_position(c: &Common, start: &Item) -> ApiResult<(PrimaryKey, Option<IndexKey>)> {
    let mut expected: BTreeSet<&str> = c.table.key_names().into_iter().collect();
    if let Some(i) = c.index {
        expected.insert(&i.hash);
        expected.extend(i.range.as_deref());
    }
    let given: BTreeSet<&str> = start.keys().map(String::as_str).collect();
    if given != expected {
        return Err(bad_start());
    }
    let pk = c.table.key_of_item(start).map_err(|_| bad_start())?;
    let ik = match c.index {
        Some(i) => Some(
            c.table
                .index_key(i, start, &pk)
                .map_err(|_| bad_start())?
                .ok_or_else(bad_start)?,
        ),
        None => None,
    };
    Ok((pk, ik))
}

struct Page {
    items: Vec<Json>,
    count: usize,
    scanned: usize,
    bytes: usize,
    last: Option<Item>,
    partitions: BTreeMap<String, usize>,
}

/// Reads items until the limit or the page size is reached.
fn read_page<'a>(c: &Common, items: Items<'a>) -> ApiResult<Page> {
    let mut page = Page {
        items: Vec::new(),
        count: 0,
        scanned: 0,
        bytes: 0,
        last: None,
        partitions: BTreeMap::new(),
    };
    let partition_attr = c.index.map_or(c.table.hash.as_str(), |i| i.hash.as_str());
    for item in items {
        let view: Cow<Item> = match c.index {
            Some(i) if !matches!(i.projection, Projection::All) => {
                Cow::Owned(c.table.projected(i, item))
            }
            _ => Cow::Borrowed(item),
        };
        let size = item_size(&view);
        page.scanned += 1;
        page.bytes += size;
        if let Some(p) = item.get(partition_attr).and_then(KeyVal::of) {
            *page.partitions.entry(p.display()).or_default() += size;
        }
        let keep = match &c.filter {
            Some(f) => expr::eval::condition(&view, f)?,
            None => true,
        };
        if keep {
            page.count += 1;
            if !c.count_only {
                page.items.push(match &c.projection {
                    Some(paths) => item_to_json(&expr::eval::project(&view, paths)),
                    None => item_to_json(&view),
                });
            }
        }
        if c.limit == Some(page.scanned) || page.bytes >= PAGE_BYTES {
            page.last = Some(match c.index {
                Some(i) => c.table.index_key_item(i, item),
                None => c.table.key_item(item),
            });
            break;
        }
    }
    Ok(page)
}

fn answer(c: &Common, page: Page, units: f64, body: &Json) -> Json {
    let mut out = json!({ "Count": page.count, "ScannedCount": page.scanned });
    if !c.count_only {
        out["Items"] = Json::Array(page.items);
    }
    if let Some(last) = &page.last {
        out["LastEvaluatedKey"] = item_to_json(last);
    }
    let consumed = match c.index {
        Some(i) => Consumed {
            table_units: 0.0,
            indexes: BTreeMap::from([(i.name.clone(), units)]),
        },
        None => Consumed {
            table_units: units,
            ..Consumed::default()
        },
    };
    if let Some(cc) = consumed.to_json(
        &c.table.name,
        opt_str(body, "ReturnConsumedCapacity"),
        false,
    ) {
        out["ConsumedCapacity"] = cc;
    }
    out
}

fn read_touch(c: &Common, partition: String, units: f64) -> Touch {
    Touch {
        table: c.table.name.clone(),
        index: c.index.map(|i| i.name.clone()),
        partition: partition.clone(),
        read_units: units,
        write_units: 0.0,
        transactional: false,
        item: ItemKey {
            table: c.table.name.clone(),
            partition,
            sort: None,
        },
    }
}

pub fn query(state: &mut State, meter: &dyn Meter, body: &Json) -> ApiResult<Json> {
    let mut ph = Placeholders::of(body)?;
    let c = common(state, body, &mut ph)?;
    let schema = match c.index {
        Some(i) => Schema {
            hash: &i.hash,
            range: i.range.as_deref(),
        },
        None => Schema {
            hash: &c.table.hash,
            range: c.table.range.as_deref(),
        },
    };
    let text = opt_str(body, "KeyConditionExpression").ok_or_else(|| {
        ApiError::validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
    })?;
    let cond = expr::parser::condition(text, &mut ph, "KeyConditionExpression")?;
    ph.finish()?;
    if let Some(f) = &c.filter {
        let mut names = BTreeSet::new();
        names_in(f, &mut names);
        for key in std::iter::once(schema.hash).chain(schema.range) {
            if names.contains(key) {
                return Err(ApiError::validation(format!(
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: {key}"
                )));
            }
        }
    }
    let (hash, range) = key_condition(c.table, &schema, &cond)?;
    let forward = body.get("ScanIndexForward").and_then(Json::as_bool) != Some(false);
    let start = match &c.start {
        Some(s) => Some(start_position(&c, s)?),
        None => None,
    };
    if let Some((pk, ik)) = &start {
        let (h, s) = match ik {
            Some(k) => (&k.0, &k.1),
            None => (&pk.0, &pk.1),
        };
        if *h != hash || (schema.range.is_some() && !in_range(s, &range)) {
            return Err(ApiError::validation(
                "The provided starting key does not match the range key predicate",
            ));
        }
    }
    let items = match c.index {
        None => {
            let at = |b: Bound<KeyVal>, edge: KeyVal| match b {
                Unbounded => Included((hash.clone(), edge)),
                Included(k) => Included((hash.clone(), k)),
                Excluded(k) => Excluded((hash.clone(), k)),
            };
            let (mut lo, mut hi) = (
                at(range.0.clone(), KeyVal::Min),
                at(range.1.clone(), KeyVal::Max),
            );
            if let Some((pk, _)) = start {
                if forward {
                    lo = Excluded(pk);
                } else {
                    hi = Excluded(pk);
                }
            }
            table_items(c.table, lo, hi, forward)
        }
        Some(index) => {
            let h = hash.clone();
            let low = |b: Bound<KeyVal>| match b {
                Unbounded => Included((h.clone(), KeyVal::Min, KeyVal::Min, KeyVal::Min)),
                Included(k) => Included((h.clone(), k, KeyVal::Min, KeyVal::Min)),
                Excluded(k) => Excluded((h.clone(), k, KeyVal::Max, KeyVal::Max)),
            };
            let high = |b: Bound<KeyVal>| match b {
                Unbounded => Included((h.clone(), KeyVal::Max, KeyVal::Max, KeyVal::Max)),
                Included(k) => Included((h.clone(), k, KeyVal::Max, KeyVal::Max)),
                Excluded(k) => Excluded((h.clone(), k, KeyVal::Min, KeyVal::Min)),
            };
            let (mut lo, mut hi) = (low(range.0.clone()), high(range.1.clone()));
            if let Some((_, Some(ik))) = start {
                if forward {
                    lo = Excluded(ik);
                } else {
                    hi = Excluded(ik);
                }
            }
            index_items(c.table, index, lo, hi, forward)
        }
    };
    let page = read_page(&c, items)?;
    let units = read_units(page.bytes, c.consistent, false);
    let touch = read_touch(&c, hash.display(), units);
    verdict_error(consult(meter, "Query", vec![touch], false))?;
    Ok(answer(&c, page, units, body))
}

pub fn scan(state: &mut State, meter: &dyn Meter, body: &Json) -> ApiResult<Json> {
    let mut ph = Placeholders::of(body)?;
    let c = common(state, body, &mut ph)?;
    ph.finish()?;
    if body.get("Segment").is_some() || body.get("TotalSegments").is_some() {
        return Err(ApiError::validation(
            "The model does not support parallel scans (Segment, TotalSegments)",
        ));
    }
    let start = match &c.start {
        Some(s) => Some(start_position(&c, s)?),
        None => None,
    };
    let items = match (c.index, start) {
        (None, None) => table_items(c.table, Unbounded, Unbounded, true),
        (None, Some((pk, _))) => table_items(c.table, Excluded(pk), Unbounded, true),
        (Some(i), None) => index_items(c.table, i, Unbounded, Unbounded, true),
        (Some(i), Some((_, ik))) => match ik {
            Some(k) => index_items(c.table, i, Excluded(k), Unbounded, true),
            None => return Err(bad_start()),
        },
    };
    let page = read_page(&c, items)?;
    let units = read_units(page.bytes, c.consistent, false);
    // The page's units spread over the partitions it read, by bytes read in each.
    let total_bytes = page.bytes.max(1) as f64;
    let mut touches: Vec<Touch> = page
        .partitions
        .iter()
        .map(|(p, b)| read_touch(&c, p.clone(), units * (*b as f64) / total_bytes))
        .collect();
    if touches.is_empty() {
        touches.push(read_touch(&c, String::new(), units));
    }
    verdict_error(consult(meter, "Scan", touches, false))?;
    Ok(answer(&c, page, units, body))
}
