//! Evaluates conditions and projections against an item. A comparison with a missing
//! attribute or of different types is false (except `<>`, which is true), as in DynamoDB.

use super::{CmpOp, Cond, Elem, Operand, Path};
use crate::error::{ApiError, ApiResult};
use crate::num::Num;
use crate::value::{Item, Value};
use std::cmp::Ordering;

/// The value at `path`, if any.
pub fn resolve<'a>(item: &'a Item, path: &Path) -> Option<&'a Value> {
    let mut elems = path.iter();
    let Some(Elem::Name(first)) = elems.next() else {
        return None;
    };
    let mut current = item.get(first)?;
    for e in elems {
        current = match (e, current) {
            (Elem::Name(n), Value::M(m)) => m.get(n)?,
            (Elem::Index(i), Value::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The value of a condition operand (update operands are evaluated in `update`).
pub fn operand(item: &Item, op: &Operand) -> Option<Value> {
    match op {
        Operand::Path(p) => resolve(item, p).cloned(),
        Operand::Value(v) => Some(v.clone()),
        Operand::Size(p) => {
            let n = match resolve(item, p)? {
                Value::S(s) => s.len(),
                Value::B(b) => b.len(),
                Value::L(l) => l.len(),
                Value::M(m) => m.len(),
                Value::Ss(s) | Value::Ns(s) => s.len(),
                Value::Bs(s) => s.len(),
                _ => return None,
            };
            Some(Value::N(n.to_string()))
        }
        _ => None,
    }
}

/// Orders two values of the same scalar type (S, N, B); `None` otherwise.
pub fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::S(x), Value::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::N(x), Value::N(y)) => Some(Num::parse(x)?.cmp(&Num::parse(y)?)),
        (Value::B(x), Value::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn compare(op: CmpOp, a: Option<&Value>, b: Option<&Value>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => order(a, b) == Some(Ordering::Less),
        CmpOp::Le => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => order(a, b) == Some(Ordering::Greater),
        CmpOp::Ge => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
    }
}

const TYPES: [&str; 10] = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

pub fn condition(item: &Item, cond: &Cond) -> ApiResult<bool> {
    Ok(match cond {
        Cond::Cmp(op, a, b) => compare(*op, operand(item, a).as_ref(), operand(item, b).as_ref()),
        Cond::Between(x, lo, hi) => {
            let (x, lo, hi) = (operand(item, x), operand(item, lo), operand(item, hi));
            compare(CmpOp::Ge, x.as_ref(), lo.as_ref())
                && compare(CmpOp::Le, x.as_ref(), hi.as_ref())
        }
        Cond::In(x, list) => {
            let x = operand(item, x);
            list.iter()
                .any(|o| compare(CmpOp::Eq, x.as_ref(), operand(item, o).as_ref()))
        }
        Cond::And(a, b) => condition(item, a)? && condition(item, b)?,
        Cond::Or(a, b) => condition(item, a)? || condition(item, b)?,
        Cond::Not(a) => !condition(item, a)?,
        Cond::Exists(p) => resolve(item, p).is_some(),
        Cond::NotExists(p) => resolve(item, p).is_none(),
        Cond::Type(p, t) => {
            let wanted = match operand(item, t) {
                Some(Value::S(s)) if TYPES.contains(&s.as_str()) => s,
                other => {
                    return Err(ApiError::validation(format!(
                        "Invalid ConditionExpression: Invalid attribute type name found; type: {}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}",
                        other.map(|v| v.type_name()).unwrap_or("missing")
                    )));
                }
            };
            resolve(item, p).is_some_and(|v| v.type_name() == wanted)
        }
        Cond::BeginsWith(a, b) => match (operand(item, a), operand(item, b)) {
            (Some(Value::S(a)), Some(Value::S(b))) => a.starts_with(&b),
            (Some(Value::B(a)), Some(Value::B(b))) => a.starts_with(&b),
            _ => false,
        },
        Cond::Contains(a, b) => match (operand(item, a), operand(item, b)) {
            (Some(Value::S(a)), Some(Value::S(b))) => a.contains(&b),
            (Some(Value::B(a)), Some(Value::B(b))) => {
                b.is_empty() || a.windows(b.len()).any(|w| w == b.as_slice())
            }
            (Some(Value::Ss(set)), Some(Value::S(s))) => set.contains(&s),
            (Some(Value::Ns(set)), Some(n @ Value::N(_))) => {
                set.iter().any(|e| Value::N(e.clone()) == n)
            }
            (Some(Value::Bs(set)), Some(Value::B(b))) => set.contains(&b),
            (Some(Value::L(list)), Some(v)) => list.contains(&v),
            _ => false,
        },
    })
}

/// The item reduced to `paths` (nested paths keep their structure; list elements picked by
/// index keep their order of appearance in `paths`).
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for path in paths {
        if let Some(value) = resolve(item, path) {
            insert_projected(&mut out, path, value.clone());
        }
    }
    out
}

fn insert_projected(out: &mut Item, path: &Path, value: Value) {
    let Some((Elem::Name(first), rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        out.insert(first.clone(), value);
        return;
    }
    let slot = out.entry(first.clone()).or_insert_with(|| match rest[0] {
        Elem::Name(_) => Value::M(Item::new()),
        Elem::Index(_) => Value::L(Vec::new()),
    });
    insert_nested(slot, rest, value);
}

fn insert_nested(slot: &mut Value, rest: &[Elem], value: Value) {
    let Some((head, tail)) = rest.split_first() else {
        *slot = value;
        return;
    };
    let fresh = |tail: &[Elem]| match tail.first() {
        Some(Elem::Name(_)) => Value::M(Item::new()),
        Some(Elem::Index(_)) => Value::L(Vec::new()),
        None => Value::Null,
    };
    match (head, slot) {
        (Elem::Name(n), Value::M(m)) => {
            let child = m.entry(n.clone()).or_insert_with(|| fresh(tail));
            insert_nested(child, tail, value);
        }
        (Elem::Index(_), Value::L(l)) => {
            let mut child = fresh(tail);
            insert_nested(&mut child, tail, value);
            l.push(child);
        }
        _ => {}
    }
}
