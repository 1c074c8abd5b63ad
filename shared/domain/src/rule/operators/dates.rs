//! Number and date operators: comparisons, and windows relative to evaluation time.

use super::super::attributes::Kind;
use super::super::{Facts, Value};
use super::{MAX_DAYS, Operand, Operator, ValueShape, one_text, required};
use crate::user::parse_date;
use serde_json::Value as Json;
use time::Duration;

fn number_operand(value: Option<&Json>) -> Result<Operand, String> {
    match required(value)? {
        Json::Number(n) => Ok(Operand {
            numbers: vec![n.as_f64().ok_or("must be a finite number")?],
            ..Operand::default()
        }),
        _ => Err("must be a number".into()),
    }
}

macro_rules! number_operator {
    ($type:ident, $name:literal, $cmp:tt) => {
        pub(super) struct $type;
        impl Operator for $type {
            fn name(&self) -> &'static str {
                $name
            }
            fn accepts(&self, kind: Kind) -> bool {
                kind == Kind::Dynamic
            }
            fn value(&self, _: Kind) -> ValueShape {
                ValueShape::Number
            }
            fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
                number_operand(value)
            }
            fn test(&self, operand: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
                match (value, operand.numbers.first()) {
                    (Value::Number(n), Some(bound)) => *n $cmp *bound,
                    _ => false,
                }
            }
        }
    };
}

number_operator!(Gt, "gt", >);
number_operator!(Gte, "gte", >=);
number_operator!(Lt, "lt", <);
number_operator!(Lte, "lte", <=);

pub(super) fn date_operand(value: Option<&Json>) -> Result<Operand, String> {
    let text = one_text(required(value)?)?;
    let date =
        parse_date(&text).ok_or("must be an ISO date (2026-01-31) or an RFC 3339 instant")?;
    Ok(Operand {
        dates: vec![date],
        ..Operand::default()
    })
}

pub(super) fn days_operand(value: Option<&Json>) -> Result<Operand, String> {
    match required(value)?.as_i64() {
        Some(days) if (0..=MAX_DAYS).contains(&days) => Ok(Operand {
            days,
            ..Operand::default()
        }),
        _ => Err(format!("must be a whole number of days, 0..={MAX_DAYS}")),
    }
}

pub(super) fn date_kind(kind: Kind) -> bool {
    matches!(kind, Kind::Date | Kind::Dynamic)
}

macro_rules! date_comparison {
    ($type:ident, $name:literal, $cmp:tt) => {
        pub(super) struct $type;
        impl Operator for $type {
            fn name(&self) -> &'static str {
                $name
            }
            fn accepts(&self, kind: Kind) -> bool {
                date_kind(kind)
            }
            fn value(&self, _: Kind) -> ValueShape {
                ValueShape::Date
            }
            fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
                date_operand(value)
            }
            fn test(&self, operand: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
                matches!((value, operand.dates.first()), (Value::Date(d), Some(bound)) if d $cmp bound)
            }
        }
    };
}

date_comparison!(Before, "before", <);
date_comparison!(After, "after", >);

/// `now − N days ≤ t ≤ now`.
pub(super) struct WithinLastDays;
impl Operator for WithinLastDays {
    fn name(&self) -> &'static str {
        "withinLastDays"
    }
    fn accepts(&self, kind: Kind) -> bool {
        date_kind(kind)
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::Days
    }
    fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
        days_operand(value)
    }
    fn test(&self, operand: &Operand, value: &Value<'_>, facts: &dyn Facts) -> bool {
        let now = facts.now();
        matches!(value, Value::Date(d) if now - Duration::days(operand.days) <= *d && *d <= now)
    }
}

/// `t < now − N days`.
pub(super) struct MoreThanDaysAgo;
impl Operator for MoreThanDaysAgo {
    fn name(&self) -> &'static str {
        "moreThanDaysAgo"
    }
    fn accepts(&self, kind: Kind) -> bool {
        date_kind(kind)
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::Days
    }
    fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
        days_operand(value)
    }
    fn test(&self, operand: &Operand, value: &Value<'_>, facts: &dyn Facts) -> bool {
        matches!(value, Value::Date(d) if *d < facts.now() - Duration::days(operand.days))
    }
}
