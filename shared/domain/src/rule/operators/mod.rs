//! Operators a condition can apply. Each is a small type implementing [`Operator`], listed once
//! in [`OPERATORS`]: adding one is a type and one line.

use super::attributes::Kind;
use super::{Facts, Value, text};
use crate::ids::{DepartmentId, GroupId};
use crate::user::parse_date;
use regex::{Regex, RegexBuilder};

mod dates;
mod references;

use dates::{After, Before, Gt, Gte, Lt, Lte, MoreThanDaysAgo, WithinLastDays};
use references::{InSubtree, MemberOf, NotMemberOf};
use serde_json::Value as Json;
use time::OffsetDateTime;

/// Longest regex source accepted, and the compiled size bound (no backtracking either way).
pub const MAX_REGEX_CHARS: usize = 500;
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Most values an `in`/`notIn` list holds.
pub const MAX_LIST_VALUES: usize = 100;
/// Longest text operand.
pub const MAX_TEXT_CHARS: usize = 1000;
/// The longest relative-date window: a century.
pub const MAX_DAYS: i64 = 36_500;

/// A condition's value, checked and prepared once when the rule is compiled.
#[derive(Debug, Default)]
pub struct Operand {
    /// Case-folded texts (compared ignoring case).
    pub texts: Vec<String>,
    pub numbers: Vec<f64>,
    /// Exact ids (departments).
    pub ids: Vec<String>,
    /// A date comparison's bound, or every value of an equality list that reads as a date.
    pub dates: Vec<OffsetDateTime>,
    pub days: i64,
    pub regex: Option<Regex>,
    pub group: Option<GroupId>,
}

/// What a condition's `value` holds, for an operator on an attribute of some kind: how the
/// console builds its input, and what [`Operator::compile`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueShape {
    /// No value.
    None,
    Text,
    TextList,
    Number,
    /// An ISO date or an RFC 3339 instant.
    Date,
    DateList,
    /// A whole number of days.
    Days,
    /// A regular expression.
    Pattern,
    Status,
    StatusList,
    DepartmentId,
    DepartmentIdList,
    GroupId,
    /// A profile field's type is known per user: a text, a number or a date.
    Scalar,
    ScalarList,
}

/// The value an equality operator takes on an attribute of `kind`, one or a list.
fn equality_shape(kind: Kind, list: bool) -> ValueShape {
    use ValueShape::*;
    match (kind, list) {
        (Kind::Department, false) => DepartmentId,
        (Kind::Department, true) => DepartmentIdList,
        (Kind::Status, false) => Status,
        (Kind::Status, true) => StatusList,
        (Kind::Date, false) => Date,
        (Kind::Date, true) => DateList,
        (Kind::Dynamic, false) => Scalar,
        (Kind::Dynamic, true) => ScalarList,
        (_, false) => Text,
        (_, true) => TextList,
    }
}

pub trait Operator: Sync {
    fn name(&self) -> &'static str;
    fn accepts(&self, kind: Kind) -> bool;
    /// The shape of the value it takes on an attribute of `kind` (one it accepts).
    fn value(&self, kind: Kind) -> ValueShape;
    /// Checks the operand against the attribute's kind; the message names what is wrong.
    fn compile(&self, kind: Kind, value: Option<&Json>) -> Result<Operand, String>;
    /// The result when the attribute is missing or null.
    fn on_missing(&self) -> bool {
        false
    }
    /// The result for a present value.
    fn test(&self, operand: &Operand, value: &Value<'_>, facts: &dyn Facts) -> bool;
}

pub(super) fn required(value: Option<&Json>) -> Result<&Json, String> {
    match value {
        None | Some(Json::Null) => Err("this operator needs a value".into()),
        Some(v) => Ok(v),
    }
}

pub(super) fn one_text(value: &Json) -> Result<String, String> {
    match value {
        Json::String(s) if s.chars().count() <= MAX_TEXT_CHARS => Ok(s.clone()),
        Json::String(_) => Err(format!("must be at most {MAX_TEXT_CHARS} characters")),
        _ => Err("must be a string".into()),
    }
}

/// An equality operand for `kind`: one value, or each value of a list.
pub(super) fn equality_operand(kind: Kind, values: &[&Json]) -> Result<Operand, String> {
    let mut operand = Operand::default();
    for value in values {
        match (kind, value) {
            (Kind::Department, _) => {
                let id = one_text(value)?;
                DepartmentId::parse("value", id.clone())
                    .map_err(|_| format!("{id:?} is not a department id"))?;
                operand.ids.push(id);
            }
            (Kind::Status, _) => {
                // Enumerated values ignore case like every text.
                let s = text::fold(&one_text(value)?);
                if s != "active" && s != "inactive" {
                    return Err("status is \"active\" or \"inactive\"".into());
                }
                operand.texts.push(s);
            }
            (Kind::Date, _) => {
                let s = one_text(value)?;
                operand.dates.push(
                    parse_date(&s)
                        .ok_or("must be an ISO date (2026-01-31) or an RFC 3339 instant")?,
                );
            }
            (Kind::Dynamic, Json::Number(n)) => operand
                .numbers
                .push(n.as_f64().ok_or("must be a finite number")?),
            (Kind::Dynamic, _) => {
                // A profile field's type is known per user: a value that reads as a date
                // compares with date values, and as text with text values.
                let s = one_text(value)?;
                operand.dates.extend(parse_date(&s));
                operand.texts.push(text::fold(&s));
            }
            (_, _) => operand.texts.push(text::fold(&one_text(value)?)),
        }
    }
    Ok(operand)
}

fn list_values(value: &Json) -> Result<Vec<&Json>, String> {
    match value {
        Json::Array(items) if !items.is_empty() && items.len() <= MAX_LIST_VALUES => {
            Ok(items.iter().collect())
        }
        Json::Array(_) => Err(format!("must list 1..={MAX_LIST_VALUES} values")),
        _ => Err("must be an array".into()),
    }
}

/// Does a present value equal any of the operand's values?
fn equals_any(operand: &Operand, value: &Value<'_>) -> bool {
    match value {
        Value::Text(s) => operand.texts.iter().any(|t| text::eq(s, t)),
        Value::List(items) => items
            .iter()
            .any(|s| operand.texts.iter().any(|t| text::eq(s, t))),
        Value::Number(n) => operand.numbers.contains(n),
        Value::Date(d) => operand.dates.contains(d),
        Value::Path(p) => operand
            .ids
            .iter()
            .any(|id| p.department_id().as_str() == id),
        Value::Missing | Value::Member(_) => false,
    }
}

const EQUALITY_KINDS: [Kind; 5] = [
    Kind::Text,
    Kind::Status,
    Kind::Department,
    Kind::Date,
    Kind::Dynamic,
];

/// An equality operator: one value (`eq`, `ne`) or a list (`in`, `notIn`), negated or not.
/// A negated one holds for a missing attribute.
macro_rules! equality_operator {
    ($type:ident, $name:literal, list: $list:literal, negated: $negated:literal) => {
        struct $type;
        impl Operator for $type {
            fn name(&self) -> &'static str {
                $name
            }
            fn accepts(&self, kind: Kind) -> bool {
                EQUALITY_KINDS.contains(&kind)
            }
            fn value(&self, kind: Kind) -> ValueShape {
                equality_shape(kind, $list)
            }
            fn compile(&self, kind: Kind, value: Option<&Json>) -> Result<Operand, String> {
                let value = required(value)?;
                if $list {
                    equality_operand(kind, &list_values(value)?)
                } else {
                    equality_operand(kind, &[value])
                }
            }
            fn on_missing(&self) -> bool {
                $negated
            }
            fn test(&self, operand: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
                equals_any(operand, value) != $negated
            }
        }
    };
}

equality_operator!(Eq, "eq", list: false, negated: false);
equality_operator!(Ne, "ne", list: false, negated: true);
equality_operator!(In, "in", list: true, negated: false);
equality_operator!(NotIn, "notIn", list: true, negated: true);

fn text_operand(value: Option<&Json>) -> Result<Operand, String> {
    let needle = one_text(required(value)?)?;
    if needle.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(Operand {
        texts: vec![text::fold(&needle)],
        ..Operand::default()
    })
}

/// Applies a text test to a text, or to any element of a list.
fn any_text(value: &Value<'_>, test: impl Fn(&str) -> bool) -> bool {
    match value {
        Value::Text(s) => test(s),
        Value::List(items) => items.iter().any(|s| test(s)),
        _ => false,
    }
}

macro_rules! text_operator {
    ($type:ident, $name:literal, $test:path) => {
        struct $type;
        impl Operator for $type {
            fn name(&self) -> &'static str {
                $name
            }
            fn accepts(&self, kind: Kind) -> bool {
                matches!(kind, Kind::Text | Kind::Dynamic)
            }
            fn value(&self, _: Kind) -> ValueShape {
                ValueShape::Text
            }
            fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
                text_operand(value)
            }
            fn test(&self, operand: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
                let needle = operand.texts.first().map_or("", String::as_str);
                any_text(value, |s| $test(s, needle))
            }
        }
    };
}

text_operator!(StartsWith, "startsWith", text::starts_with);
text_operator!(EndsWith, "endsWith", text::ends_with);

/// `contains` on a text is a substring test; on a list it holds when an element equals the value.
struct Contains;
impl Operator for Contains {
    fn name(&self) -> &'static str {
        "contains"
    }
    fn accepts(&self, kind: Kind) -> bool {
        matches!(kind, Kind::Text | Kind::Dynamic)
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::Text
    }
    fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
        text_operand(value)
    }
    fn test(&self, operand: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
        let needle = operand.texts.first().map_or("", String::as_str);
        match value {
            Value::Text(s) => text::contains(s, needle),
            Value::List(items) => items.iter().any(|s| text::eq(s, needle)),
            _ => false,
        }
    }
}

fn no_value(value: Option<&Json>) -> Result<Operand, String> {
    match value {
        None | Some(Json::Null) => Ok(Operand::default()),
        Some(_) => Err("this operator takes no value".into()),
    }
}

/// Present and not empty.
fn present(value: &Value<'_>) -> bool {
    match value {
        Value::Missing => false,
        Value::Text(s) => !s.is_empty(),
        Value::List(items) => !items.is_empty(),
        _ => true,
    }
}

struct Exists;
impl Operator for Exists {
    fn name(&self) -> &'static str {
        "exists"
    }
    fn accepts(&self, kind: Kind) -> bool {
        kind != Kind::Group
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::None
    }
    fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
        no_value(value)
    }
    fn test(&self, _: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
        present(value)
    }
}

struct IsEmpty;
impl Operator for IsEmpty {
    fn name(&self) -> &'static str {
        "isEmpty"
    }
    fn accepts(&self, kind: Kind) -> bool {
        kind != Kind::Group
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::None
    }
    fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
        no_value(value)
    }
    fn on_missing(&self) -> bool {
        true
    }
    fn test(&self, _: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
        !present(value)
    }
}

struct Matches;
impl Operator for Matches {
    fn name(&self) -> &'static str {
        "matches"
    }
    fn accepts(&self, kind: Kind) -> bool {
        matches!(kind, Kind::Text | Kind::Dynamic)
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::Pattern
    }
    fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
        let source = one_text(required(value)?)?;
        if source.chars().count() > MAX_REGEX_CHARS {
            return Err(format!("a pattern is at most {MAX_REGEX_CHARS} characters"));
        }
        let regex = RegexBuilder::new(&source)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                format!(
                    "not a valid pattern: {}",
                    e.to_string().lines().last().unwrap_or("invalid")
                )
            })?;
        Ok(Operand {
            regex: Some(regex),
            ..Operand::default()
        })
    }
    fn test(&self, operand: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
        operand
            .regex
            .as_ref()
            .is_some_and(|r| any_text(value, |s| r.is_match(s)))
    }
}

/// Every operator, by wire name.
pub static OPERATORS: &[&dyn Operator] = &[
    &Eq,
    &Ne,
    &In,
    &NotIn,
    &StartsWith,
    &EndsWith,
    &Contains,
    &Exists,
    &IsEmpty,
    &Matches,
    &Gt,
    &Gte,
    &Lt,
    &Lte,
    &Before,
    &After,
    &WithinLastDays,
    &MoreThanDaysAgo,
    &InSubtree,
    &MemberOf,
    &NotMemberOf,
];
