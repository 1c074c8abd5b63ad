//! Attribute values: the wire format (`{"S": "…"}`), sizes per the AWS docs ("Item sizes and
//! formats"), equality as DynamoDB compares, and conversion to the SDK's type.

use crate::error::ApiError;
use crate::num::Num;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, HashMap};

pub type Item = BTreeMap<String, Value>;

#[derive(Debug, Clone)]
pub enum Value {
    S(String),
    /// Kept as sent (validated); compared numerically.
    N(String),
    B(Vec<u8>),
    Bool(bool),
    Null,
    L(Vec<Value>),
    M(Item),
    Ss(Vec<String>),
    Ns(Vec<String>),
    Bs(Vec<Vec<u8>>),
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| ApiError::validation("Invalid binary value: not base64"))
}

fn number(text: &str) -> Result<Num, ApiError> {
    Num::parse(text).ok_or_else(|| {
        ApiError::validation(format!(
            "A value provided cannot be converted into a number: {text}"
        ))
    })
}

fn strings(v: &Json) -> Result<Vec<String>, ApiError> {
    v.as_array()
        .ok_or_else(|| ApiError::validation("A set must be a list"))?
        .iter()
        .map(|e| {
            e.as_str()
                .map(str::to_owned)
                .ok_or_else(|| ApiError::validation("A set element must be a string"))
        })
        .collect()
}

fn no_duplicates<T: Ord + Clone>(items: &[T]) -> Result<(), ApiError> {
    let mut sorted = items.to_vec();
    sorted.sort();
    if items.is_empty() {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: An attribute set may not be empty",
        ));
    }
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(ApiError::validation("Input collection contains duplicates"));
    }
    Ok(())
}

impl Value {
    /// Reads one value of the wire format, validating it as DynamoDB does.
    pub fn from_json(v: &Json) -> Result<Value, ApiError> {
        let obj = v
            .as_object()
            .filter(|o| o.len() == 1)
            .ok_or_else(|| {
                ApiError::validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                )
            })?;
        let Some((kind, inner)) = obj.iter().next() else {
            return Err(ApiError::validation("Supplied AttributeValue is empty"));
        };
        let text = || {
            inner
                .as_str()
                .ok_or_else(|| ApiError::validation(format!("{kind} must be a string")))
        };
        Ok(match kind.as_str() {
            "S" => Value::S(text()?.to_owned()),
            "N" => {
                let t = text()?;
                number(t)?;
                Value::N(t.to_owned())
            }
            "B" => Value::B(unb64(text()?)?),
            "BOOL" => Value::Bool(
                inner
                    .as_bool()
                    .ok_or_else(|| ApiError::validation("BOOL must be a boolean"))?,
            ),
            "NULL" => Value::Null,
            "L" => Value::L(
                inner
                    .as_array()
                    .ok_or_else(|| ApiError::validation("L must be a list"))?
                    .iter()
                    .map(Value::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            "M" => Value::M(item_from_json(inner)?),
            "SS" => {
                let s = strings(inner)?;
                no_duplicates(&s)?;
                Value::Ss(s)
            }
            "NS" => {
                let s = strings(inner)?;
                let nums = s.iter().map(|t| number(t)).collect::<Result<Vec<_>, _>>()?;
                no_duplicates(&nums)?;
                Value::Ns(s)
            }
            "BS" => {
                let s = strings(inner)?
                    .iter()
                    .map(|t| unb64(t))
                    .collect::<Result<Vec<_>, _>>()?;
                no_duplicates(&s)?;
                Value::Bs(s)
            }
            other => {
                return Err(ApiError::validation(format!(
                    "Supplied AttributeValue has an unknown datatype: {other}"
                )));
            }
        })
    }

    pub fn to_json(&self) -> Json {
        match self {
            Value::S(s) => json!({ "S": s }),
            Value::N(n) => json!({ "N": n }),
            Value::B(b) => json!({ "B": b64(b) }),
            Value::Bool(b) => json!({ "BOOL": b }),
            Value::Null => json!({ "NULL": true }),
            Value::L(l) => json!({ "L": l.iter().map(Value::to_json).collect::<Vec<_>>() }),
            Value::M(m) => json!({ "M": item_to_json(m) }),
            Value::Ss(s) => json!({ "SS": s }),
            Value::Ns(s) => json!({ "NS": s }),
            Value::Bs(s) => json!({ "BS": s.iter().map(|b| b64(b)).collect::<Vec<_>>() }),
        }
    }

    /// The SDK's type, for stream records.
    pub fn to_sdk(&self) -> AttributeValue {
        match self {
            Value::S(s) => AttributeValue::S(s.clone()),
            Value::N(n) => AttributeValue::N(n.clone()),
            Value::B(b) => AttributeValue::B(Blob::new(b.clone())),
            Value::Bool(b) => AttributeValue::Bool(*b),
            Value::Null => AttributeValue::Null(true),
            Value::L(l) => AttributeValue::L(l.iter().map(Value::to_sdk).collect()),
            Value::M(m) => AttributeValue::M(item_to_sdk(m)),
            Value::Ss(s) => AttributeValue::Ss(s.clone()),
            Value::Ns(s) => AttributeValue::Ns(s.clone()),
            Value::Bs(s) => AttributeValue::Bs(s.iter().map(|b| Blob::new(b.clone())).collect()),
        }
    }

    /// The type's name as `attribute_type` spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::S(_) => "S",
            Value::N(_) => "N",
            Value::B(_) => "B",
            Value::Bool(_) => "BOOL",
            Value::Null => "NULL",
            Value::L(_) => "L",
            Value::M(_) => "M",
            Value::Ss(_) => "SS",
            Value::Ns(_) => "NS",
            Value::Bs(_) => "BS",
        }
    }

    /// The stored size in bytes (AWS docs: strings and binaries by length, numbers one byte
    /// per two significant digits plus one, lists and maps 3 bytes plus one per element).
    pub fn size(&self) -> usize {
        match self {
            Value::S(s) => s.len(),
            Value::N(n) => number_size(n),
            Value::B(b) => b.len(),
            Value::Bool(_) | Value::Null => 1,
            Value::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            Value::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            Value::Ss(s) => s.iter().map(String::len).sum(),
            Value::Ns(s) => s.iter().map(|n| number_size(n)).sum(),
            Value::Bs(s) => s.iter().map(Vec::len).sum(),
        }
    }

    pub fn num(&self) -> Option<Num> {
        match self {
            Value::N(n) => Num::parse(n),
            _ => None,
        }
    }
}

fn number_size(text: &str) -> usize {
    Num::parse(text).map_or(1, |n| n.significant_digits().div_ceil(2) + 1)
}

/// Equality as DynamoDB compares: numbers by value, sets regardless of order.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            a.len() == b.len() && a.iter().all(|x| b.contains(x))
        }
        match (self, other) {
            (Value::S(a), Value::S(b)) => a == b,
            (Value::N(a), Value::N(b)) => a == b || Num::parse(a) == Num::parse(b),
            (Value::B(a), Value::B(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Null, Value::Null) => true,
            (Value::L(a), Value::L(b)) => a == b,
            (Value::M(a), Value::M(b)) => a == b,
            (Value::Ss(a), Value::Ss(b)) => same_set(a, b),
            (Value::Ns(a), Value::Ns(b)) => {
                let (a, b): (Vec<_>, Vec<_>) = (
                    a.iter().map(|n| Num::parse(n)).collect(),
                    b.iter().map(|n| Num::parse(n)).collect(),
                );
                same_set(&a, &b)
            }
            (Value::Bs(a), Value::Bs(b)) => same_set(a, b),
            _ => false,
        }
    }
}

pub fn item_from_json(v: &Json) -> Result<Item, ApiError> {
    v.as_object()
        .ok_or_else(|| ApiError::validation("An item must be a map"))?
        .iter()
        .map(|(k, v)| Ok((k.clone(), Value::from_json(v)?)))
        .collect()
}

pub fn item_to_json(item: &Item) -> Json {
    Json::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect::<Map<_, _>>(),
    )
}

pub fn item_to_sdk(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter().map(|(k, v)| (k.clone(), v.to_sdk())).collect()
}

/// Item size: attribute name lengths plus value sizes.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}
