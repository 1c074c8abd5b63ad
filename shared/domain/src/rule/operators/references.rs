//! Operators that name a department or a group.

use super::super::attributes::Kind;
use super::super::{Facts, Value};
use super::{Operand, Operator, ValueShape, equality_operand, one_text, required};
use crate::ids::GroupId;
use serde_json::Value as Json;

/// Department "this and nested".
pub(super) struct InSubtree;
impl Operator for InSubtree {
    fn name(&self) -> &'static str {
        "inSubtree"
    }
    fn accepts(&self, kind: Kind) -> bool {
        kind == Kind::Department
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::DepartmentId
    }
    fn compile(&self, kind: Kind, value: Option<&Json>) -> Result<Operand, String> {
        equality_operand(kind, &[required(value)?])
    }
    fn test(&self, operand: &Operand, value: &Value<'_>, _: &dyn Facts) -> bool {
        match value {
            Value::Path(p) => operand
                .ids
                .iter()
                .any(|id| p.ids().iter().any(|d| d.as_str() == id)),
            _ => false,
        }
    }
}

pub(super) fn group_operand(value: Option<&Json>) -> Result<Operand, String> {
    let id = one_text(required(value)?)?;
    let group =
        GroupId::parse("value", id.clone()).map_err(|_| format!("{id:?} is not a group id"))?;
    Ok(Operand {
        group: Some(group),
        ..Operand::default()
    })
}

pub(super) struct MemberOf;
impl Operator for MemberOf {
    fn name(&self) -> &'static str {
        "memberOf"
    }
    fn accepts(&self, kind: Kind) -> bool {
        kind == Kind::Group
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::GroupId
    }
    fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
        group_operand(value)
    }
    fn test(&self, operand: &Operand, value: &Value<'_>, facts: &dyn Facts) -> bool {
        match (value, &operand.group) {
            (Value::Member(user), Some(group)) => facts.is_member(group, user),
            _ => false,
        }
    }
}

pub(super) struct NotMemberOf;
impl Operator for NotMemberOf {
    fn name(&self) -> &'static str {
        "notMemberOf"
    }
    fn accepts(&self, kind: Kind) -> bool {
        kind == Kind::Group
    }
    fn value(&self, _: Kind) -> ValueShape {
        ValueShape::GroupId
    }
    fn compile(&self, _: Kind, value: Option<&Json>) -> Result<Operand, String> {
        group_operand(value)
    }
    fn on_missing(&self) -> bool {
        true
    }
    fn test(&self, operand: &Operand, value: &Value<'_>, facts: &dyn Facts) -> bool {
        !MemberOf.test(operand, value, facts)
    }
}
