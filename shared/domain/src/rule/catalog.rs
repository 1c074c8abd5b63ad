//! The rule language as data: every attribute with its type and the operators valid for it
//! (with the shape of their values), the combinators and the limits. Built from
//! [`ATTRIBUTES`] and [`OPERATORS`], so what the API serves and the console offers cannot
//! drift from what the engine accepts: adding an operator is one place.

use super::attributes::{ATTRIBUTES, Kind};
use super::operators::{
    MAX_DAYS, MAX_LIST_VALUES, MAX_REGEX_CHARS, MAX_TEXT_CHARS, OPERATORS, ValueShape,
};
use super::{MAX_CONDITIONS, MAX_DEPTH};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub attributes: Vec<AttributeEntry>,
    pub combinators: [&'static str; 3],
    pub limits: Limits,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeEntry {
    /// The wire name; with `field`, the prefix of `name.<field>` (`profile.country`).
    pub name: &'static str,
    pub field: bool,
    /// `text`, `status`, `date`, `department`, `group`, or `profile` (typed per user).
    pub kind: &'static str,
    /// The values an enumerated attribute takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<&'static [&'static str]>,
    pub operators: Vec<OperatorEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorEntry {
    pub name: &'static str,
    pub value: ValueShape,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub max_depth: usize,
    pub max_conditions: usize,
    pub max_list_values: usize,
    pub max_text_chars: usize,
    pub max_pattern_chars: usize,
    pub max_days: i64,
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Status => "status",
        Kind::Date => "date",
        Kind::Department => "department",
        Kind::Group => "group",
        Kind::Dynamic => "profile",
    }
}

pub fn catalog() -> Catalog {
    let attributes = ATTRIBUTES
        .iter()
        .map(|a| AttributeEntry {
            name: a.name(),
            field: a.prefix(),
            kind: kind_name(a.kind()),
            values: (a.kind() == Kind::Status).then_some(&["active", "inactive"][..]),
            operators: OPERATORS
                .iter()
                .filter(|o| o.accepts(a.kind()))
                .map(|o| OperatorEntry {
                    name: o.name(),
                    value: o.value(a.kind()),
                })
                .collect(),
        })
        .collect();
    Catalog {
        attributes,
        combinators: ["all", "any", "not"],
        limits: Limits {
            max_depth: MAX_DEPTH,
            max_conditions: MAX_CONDITIONS,
            max_list_values: MAX_LIST_VALUES,
            max_text_chars: MAX_TEXT_CHARS,
            max_pattern_chars: MAX_REGEX_CHARS,
            max_days: MAX_DAYS,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Rule;
    use serde_json::{Value, json};

    /// A value of each shape that the engine accepts.
    fn sample(shape: ValueShape) -> Value {
        use ValueShape::*;
        match shape {
            None => Value::Null,
            Text | Scalar => json!("x"),
            TextList | ScalarList => json!(["x", "y"]),
            Number => json!(3),
            Date => json!("2026-01-31"),
            DateList => json!(["2026-01-31", "2026-02-01T10:00:00Z"]),
            Days => json!(30),
            Pattern => json!("^a"),
            Status => json!("active"),
            StatusList => json!(["active", "inactive"]),
            DepartmentId => json!("sales"),
            DepartmentIdList => json!(["sales", "hr"]),
            GroupId => json!("grp-1"),
        }
    }

    /// Every (attribute, operator, value shape) the catalog lists compiles, and every operator
    /// the engine has is offered for some attribute.
    #[test]
    fn the_catalog_is_exactly_what_the_engine_accepts() {
        let catalog = catalog();
        let mut offered = std::collections::BTreeSet::new();
        for a in &catalog.attributes {
            let attr = if a.field {
                format!("{}.level", a.name)
            } else {
                a.name.to_owned()
            };
            for o in &a.operators {
                offered.insert(o.name);
                let mut condition = json!({"attr": attr, "op": o.name});
                if o.value != ValueShape::None {
                    condition["value"] = sample(o.value);
                }
                assert!(Rule::compile(&condition).is_ok(), "{condition}");
            }
            for op in OPERATORS.iter().filter(|op| !op.accepts(kind_of(a.kind))) {
                let condition = json!({"attr": attr, "op": op.name(), "value": "x"});
                assert!(Rule::compile(&condition).is_err(), "{condition}");
            }
        }
        let all: std::collections::BTreeSet<&str> = OPERATORS.iter().map(|o| o.name()).collect();
        assert_eq!(offered, all);
        assert_eq!(catalog.limits.max_depth, MAX_DEPTH);
    }

    fn kind_of(name: &str) -> Kind {
        [
            Kind::Text,
            Kind::Status,
            Kind::Date,
            Kind::Department,
            Kind::Group,
            Kind::Dynamic,
        ]
        .into_iter()
        .find(|k| kind_name(*k) == name)
        .expect("a kind")
    }
}
