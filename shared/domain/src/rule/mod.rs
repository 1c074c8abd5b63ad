//! The smart-group rule language (DESIGN.md §3): a tree of `all` / `any` / `not` over
//! conditions `{attr, op, value}`. A rule is validated and compiled once; the compiled rule
//! checks a user without allocating.

pub mod attributes;
pub mod catalog;
pub mod operators;
pub mod text;

use crate::department::DepartmentPath;
use crate::error::{Error, Result};
use crate::ids::{DepartmentId, GroupId, UserId};
use crate::user::User;
use attributes::{ATTRIBUTES, Attribute, Kind};
use operators::{OPERATORS, Operand, Operator};
use serde_json::{Map, Value as Json, json};
use time::OffsetDateTime;

/// Deepest nesting of combinators.
pub const MAX_DEPTH: usize = 8;
/// Most conditions in one rule.
pub const MAX_CONDITIONS: usize = 100;

/// A user's attribute value as a condition sees it, borrowed from the user.
#[derive(Debug, Clone, Copy)]
pub enum Value<'u> {
    Missing,
    Text(&'u str),
    Number(f64),
    Date(OffsetDateTime),
    List(&'u [String]),
    Path(&'u DepartmentPath),
    /// The user themself, for group-membership conditions.
    Member(&'u UserId),
}

/// What evaluation needs beyond the user: the time, and memberships of referenced groups.
pub trait Facts {
    fn now(&self) -> OffsetDateTime;
    fn is_member(&self, group: &GroupId, user: &UserId) -> bool;
}

struct Condition {
    attribute: &'static dyn Attribute,
    field: String,
    operator: &'static dyn Operator,
    operand: Operand,
    source: Json,
}

enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Condition(Box<Condition>),
}

/// A validated, compiled rule.
pub struct Rule {
    root: Node,
    groups: Vec<GroupId>,
    references: Vec<Reference>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

fn invalid(pointer: &str, message: impl Into<String>) -> Error {
    Error::validation(pointer, message)
}

struct Compiler {
    conditions: usize,
    groups: Vec<GroupId>,
    references: Vec<Reference>,
}

/// A group or department a rule names, and where: the JSON Pointer of the condition's value,
/// so an error about it points at that condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    Group { id: GroupId, pointer: String },
    Department { id: DepartmentId, pointer: String },
}

impl Compiler {
    fn node(&mut self, json: &Json, pointer: &str, depth: usize) -> Result<Node> {
        let Json::Object(map) = json else {
            return Err(invalid(
                pointer,
                "a rule node is an object: a condition or one of all/any/not",
            ));
        };
        for combinator in ["all", "any", "not"] {
            if let Some(inner) = map.get(combinator) {
                if map.len() != 1 {
                    return Err(invalid(
                        pointer,
                        format!("a `{combinator}` node holds nothing else"),
                    ));
                }
                if depth >= MAX_DEPTH {
                    return Err(invalid(
                        pointer,
                        format!("rules nest at most {MAX_DEPTH} levels deep"),
                    ));
                }
                let here = format!("{pointer}/{combinator}");
                return match (combinator, inner) {
                    ("not", _) => Ok(Node::Not(Box::new(self.node(inner, &here, depth + 1)?))),
                    (_, Json::Array(items)) if !items.is_empty() => {
                        let children = items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| self.node(item, &format!("{here}/{i}"), depth + 1))
                            .collect::<Result<Vec<_>>>()?;
                        Ok(if combinator == "all" {
                            Node::All(children)
                        } else {
                            Node::Any(children)
                        })
                    }
                    _ => Err(invalid(&here, "must be a non-empty array of rule nodes")),
                };
            }
        }
        self.condition(map, pointer)
            .map(|c| Node::Condition(Box::new(c)))
    }

    fn condition(&mut self, map: &Map<String, Json>, pointer: &str) -> Result<Condition> {
        if let Some(key) = map
            .keys()
            .find(|k| !["attr", "op", "value"].contains(&k.as_str()))
        {
            return Err(invalid(
                &format!("{pointer}/{key}"),
                "unknown key: a condition has attr, op and value",
            ));
        }
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(invalid(
                pointer,
                format!("a rule holds at most {MAX_CONDITIONS} conditions"),
            ));
        }
        let attr_pointer = format!("{pointer}/attr");
        let name = map
            .get("attr")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid(&attr_pointer, "a condition needs an attribute name"))?;
        let (attribute, field) = resolve_attribute(name).map_err(|m| invalid(&attr_pointer, m))?;
        let op_pointer = format!("{pointer}/op");
        let op = map
            .get("op")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid(&op_pointer, "a condition needs an operator"))?;
        let operator = OPERATORS
            .iter()
            .copied()
            .find(|o| o.name() == op)
            .ok_or_else(|| invalid(&op_pointer, format!("unknown operator {op:?}")))?;
        if !operator.accepts(attribute.kind()) {
            return Err(invalid(
                &op_pointer,
                format!("{op} does not apply to {name}"),
            ));
        }
        let operand = operator
            .compile(attribute.kind(), map.get("value"))
            .map_err(|m| invalid(&format!("{pointer}/value"), m))?;
        let value_pointer = format!("{pointer}/value");
        if let Some(group) = &operand.group {
            if !self.groups.contains(group) {
                self.groups.push(group.clone());
            }
            self.references.push(Reference::Group {
                id: group.clone(),
                pointer: value_pointer.clone(),
            });
        }
        if attribute.kind() == Kind::Department {
            for id in &operand.ids {
                if let Ok(id) = DepartmentId::parse("value", id.clone()) {
                    self.references.push(Reference::Department {
                        id,
                        pointer: value_pointer.clone(),
                    });
                }
            }
        }
        Ok(Condition {
            attribute,
            field,
            operator,
            operand,
            source: Json::Object(map.clone()),
        })
    }
}

fn resolve_attribute(name: &str) -> std::result::Result<(&'static dyn Attribute, String), String> {
    for attribute in ATTRIBUTES.iter().copied() {
        if attribute.prefix() {
            if let Some(field) = name
                .strip_prefix(attribute.name())
                .and_then(|r| r.strip_prefix('.'))
            {
                crate::user::check_profile_key("attr", field)
                    .map_err(|_| format!("{name:?} names no valid field"))?;
                return Ok((attribute, field.to_owned()));
            }
        } else if attribute.name() == name {
            return Ok((attribute, String::new()));
        }
    }
    Err(format!("unknown attribute {name:?}"))
}

impl Rule {
    /// Validates and compiles a rule in the wire format. Errors name the offending node by
    /// JSON Pointer (`/all/1/op`).
    pub fn compile(json: &Json) -> Result<Rule> {
        let mut compiler = Compiler {
            conditions: 0,
            groups: Vec::new(),
            references: Vec::new(),
        };
        let root = compiler.node(json, "", 0)?;
        Ok(Rule {
            root,
            groups: compiler.groups,
            references: compiler.references,
        })
    }

    /// The groups the rule's membership conditions reference.
    pub fn referenced_groups(&self) -> &[GroupId] {
        &self.groups
    }

    /// Every group and department the rule names, with where, in the rule's order.
    pub fn references(&self) -> &[Reference] {
        &self.references
    }

    pub fn matches(&self, user: &User, facts: &dyn Facts) -> bool {
        eval(&self.root, user, facts)
    }

    /// The rule tree with each node's result for `user` (and each condition's actual value).
    pub fn explain(&self, user: &User, facts: &dyn Facts) -> Json {
        explain(&self.root, user, facts)
    }
}

fn test(c: &Condition, user: &User, facts: &dyn Facts) -> bool {
    match c.attribute.read(user, &c.field) {
        Value::Missing => c.operator.on_missing(),
        value => c.operator.test(&c.operand, &value, facts),
    }
}

fn eval(node: &Node, user: &User, facts: &dyn Facts) -> bool {
    match node {
        Node::All(children) => children.iter().all(|n| eval(n, user, facts)),
        Node::Any(children) => children.iter().any(|n| eval(n, user, facts)),
        Node::Not(inner) => !eval(inner, user, facts),
        Node::Condition(c) => test(c, user, facts),
    }
}

fn actual(value: Value<'_>, facts: &dyn Facts, condition: &Condition) -> Json {
    match value {
        Value::Missing => Json::Null,
        Value::Text(s) => json!(s),
        Value::Number(n) => json!(n),
        Value::Date(d) => json!(
            d.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        ),
        Value::List(items) => json!(items),
        Value::Path(p) => json!(p.department_id().as_str()),
        Value::Member(user) => json!(
            condition
                .operand
                .group
                .as_ref()
                .is_some_and(|g| facts.is_member(g, user))
        ),
    }
}

fn explain(node: &Node, user: &User, facts: &dyn Facts) -> Json {
    let (key, children): (&str, Vec<&Node>) = match node {
        Node::All(c) => ("all", c.iter().collect()),
        Node::Any(c) => ("any", c.iter().collect()),
        Node::Not(inner) => ("not", vec![inner.as_ref()]),
        Node::Condition(c) => {
            let mut out = c.source.clone();
            out["result"] = json!(test(c, user, facts));
            out["actual"] = actual(c.attribute.read(user, &c.field), facts, c);
            return out;
        }
    };
    let explained: Vec<Json> = children.iter().map(|n| explain(n, user, facts)).collect();
    let inner = if key == "not" {
        explained.into_iter().next().unwrap_or(Json::Null)
    } else {
        json!(explained)
    };
    json!({ key: inner, "result": eval(node, user, facts) })
}

#[cfg(test)]
mod tests;
