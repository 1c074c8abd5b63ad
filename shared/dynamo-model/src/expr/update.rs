//! Applies an update expression. Every right-hand side reads the item as it was before the
//! update, as DynamoDB evaluates them.

use super::eval::resolve;
use super::{Elem, Operand, Path, Update, path_text};
use crate::error::{ApiError, ApiResult};
use crate::value::{Item, Value};

fn invalid(message: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!("Invalid UpdateExpression: {message}"))
}

fn wrong_type(op: &str) -> ApiError {
    invalid(format!(
        "Incorrect operand type for operator or function; operator or function: {op}"
    ))
}

fn value(old: &Item, op: &Operand) -> ApiResult<Value> {
    match op {
        Operand::Path(p) => resolve(old, p).cloned().ok_or_else(|| {
            ApiError::validation(
                "The provided expression refers to an attribute that does not exist in the item",
            )
        }),
        Operand::Value(v) => Ok(v.clone()),
        Operand::IfNotExists(p, default) => match resolve(old, p) {
            Some(v) => Ok(v.clone()),
            None => value(old, default),
        },
        Operand::ListAppend(a, b) => match (value(old, a)?, value(old, b)?) {
            (Value::L(mut a), Value::L(b)) => {
                a.extend(b);
                Ok(Value::L(a))
            }
            _ => Err(wrong_type("list_append")),
        },
        Operand::Plus(a, b) | Operand::Minus(a, b) => {
            let minus = matches!(op, Operand::Minus(..));
            let (a, b) = (value(old, a)?, value(old, b)?);
            let (Some(x), Some(y)) = (a.num(), b.num()) else {
                return Err(wrong_type(if minus { "-" } else { "+" }));
            };
            let y = if minus { y.negate() } else { y };
            x.add(&y).map(|n| Value::N(n.to_string())).ok_or_else(|| {
                ApiError::validation(
                    "Number overflow. Attempting to store a number with magnitude larger than supported range",
                )
            })
        }
        Operand::Size(_) => Err(invalid(
            "The function is not allowed in an update expression; function: size",
        )),
    }
}

fn get_mut<'a>(item: &'a mut Item, path: &Path) -> Option<&'a mut Value> {
    let (Elem::Name(first), rest) = path.split_first()? else {
        return None;
    };
    let mut current = item.get_mut(first)?;
    for e in rest {
        current = match (e, current) {
            (Elem::Name(n), Value::M(m)) => m.get_mut(n)?,
            (Elem::Index(i), Value::L(l)) => l.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

fn set(item: &mut Item, path: &Path, new: Value) -> ApiResult<()> {
    let Some((last, parent)) = path.split_last() else {
        return Err(invalid("empty path"));
    };
    if parent.is_empty()
        && let Elem::Name(n) = last
    {
        item.insert(n.clone(), new);
        return Ok(());
    }
    let bad = || {
        ApiError::validation(
            "The document path provided in the update expression is invalid for update",
        )
    };
    match (last, get_mut(item, &parent.to_vec()).ok_or_else(bad)?) {
        (Elem::Name(n), Value::M(m)) => {
            m.insert(n.clone(), new);
        }
        (Elem::Index(i), Value::L(l)) => match l.get_mut(*i) {
            Some(slot) => *slot = new,
            // Past the end appends, as DynamoDB does.
            None => l.push(new),
        },
        _ => return Err(bad()),
    }
    Ok(())
}

fn remove(item: &mut Item, path: &Path) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    if parent.is_empty() {
        if let Elem::Name(n) = last {
            item.remove(n);
        }
        return;
    }
    match (last, get_mut(item, &parent.to_vec())) {
        (Elem::Name(n), Some(Value::M(m))) => {
            m.remove(n);
        }
        (Elem::Index(i), Some(Value::L(l))) if *i < l.len() => {
            l.remove(*i);
        }
        _ => {}
    }
}

fn union<T: PartialEq + Clone>(a: &mut Vec<T>, b: &[T]) {
    for x in b {
        if !a.contains(x) {
            a.push(x.clone());
        }
    }
}

fn add(item: &mut Item, path: &Path, delta: Value) -> ApiResult<()> {
    let current = resolve(item, path);
    let merged = match (current, &delta) {
        (None, Value::N(_) | Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) => delta,
        (Some(a @ Value::N(_)), Value::N(_)) => value(
            &Item::new(),
            &Operand::Plus(
                Box::new(Operand::Value(a.clone())),
                Box::new(Operand::Value(delta.clone())),
            ),
        )?,
        (Some(Value::Ss(a)), Value::Ss(b)) => {
            let mut a = a.clone();
            union(&mut a, b);
            Value::Ss(a)
        }
        (Some(Value::Ns(a)), Value::Ns(b)) => {
            let mut merged = a.clone();
            for n in b {
                if !merged
                    .iter()
                    .any(|m| Value::N(m.clone()) == Value::N(n.clone()))
                {
                    merged.push(n.clone());
                }
            }
            Value::Ns(merged)
        }
        (Some(Value::Bs(a)), Value::Bs(b)) => {
            let mut a = a.clone();
            union(&mut a, b);
            Value::Bs(a)
        }
        _ => return Err(wrong_type("ADD")),
    };
    set(item, path, merged)
}

fn delete(item: &mut Item, path: &Path, gone: Value) -> ApiResult<()> {
    let Some(current) = get_mut(item, path) else {
        return Ok(());
    };
    let empty = match (current, &gone) {
        (Value::Ss(a), Value::Ss(b)) => {
            a.retain(|x| !b.contains(x));
            a.is_empty()
        }
        (Value::Ns(a), Value::Ns(b)) => {
            a.retain(|x| !b.iter().any(|y| Value::N(x.clone()) == Value::N(y.clone())));
            a.is_empty()
        }
        (Value::Bs(a), Value::Bs(b)) => {
            a.retain(|x| !b.contains(x));
            a.is_empty()
        }
        _ => return Err(wrong_type("DELETE")),
    };
    if empty {
        remove(item, path);
    }
    Ok(())
}

/// The item after `update`; `keys` are the key attribute names, which it may not touch.
pub fn apply(old: &Item, update: &Update, keys: &[&str]) -> ApiResult<Item> {
    let all = update
        .set
        .iter()
        .map(|(p, _)| p)
        .chain(update.remove.iter())
        .chain(update.add.iter().map(|(p, _)| p))
        .chain(update.delete.iter().map(|(p, _)| p));
    for path in all {
        if let Some(Elem::Name(n)) = path.first()
            && keys.contains(&n.as_str())
        {
            return Err(ApiError::validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {n}. This attribute is part of the key"
            )));
        }
    }
    let sets = update
        .set
        .iter()
        .map(|(p, op)| Ok((p, value(old, op)?)))
        .collect::<ApiResult<Vec<_>>>()?;
    let mut item = old.clone();
    for (path, v) in sets {
        set(&mut item, path, v).map_err(|e| {
            ApiError::validation(format!("{}; path: {}", e.message, path_text(path)))
        })?;
    }
    // Highest list indexes first, so earlier removals don't shift later ones.
    let mut removals: Vec<&Path> = update.remove.iter().collect();
    removals.sort_by(|a, b| b.cmp(a));
    for path in removals {
        remove(&mut item, path);
    }
    for (path, op) in &update.add {
        add(&mut item, path, value(old, op)?)?;
    }
    for (path, op) in &update.delete {
        delete(&mut item, path, value(old, op)?)?;
    }
    Ok(item)
}
