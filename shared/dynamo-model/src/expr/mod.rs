//! DynamoDB expressions: condition/filter, key condition, update and projection expressions,
//! parsed by one recursive-descent parser and evaluated against items.

pub mod eval;
pub mod lexer;
pub mod parser;
mod reserved;
pub mod update;

use crate::error::{ApiError, ApiResult};
use crate::value::{Value, item_from_json};
use serde_json::Value as Json;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Elem {
    Name(String),
    Index(usize),
}

/// A document path: `a.b[2].c`.
pub type Path = Vec<Elem>;

#[derive(Debug, Clone)]
pub enum Operand {
    Path(Path),
    Value(Value),
    Size(Path),
    /// Update expressions only.
    IfNotExists(Path, Box<Operand>),
    ListAppend(Box<Operand>, Box<Operand>),
    Plus(Box<Operand>, Box<Operand>),
    Minus(Box<Operand>, Box<Operand>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub enum Cond {
    Cmp(CmpOp, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Exists(Path),
    NotExists(Path),
    Type(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

#[derive(Debug, Clone, Default)]
pub struct Update {
    pub set: Vec<(Path, Operand)>,
    pub remove: Vec<Path>,
    pub add: Vec<(Path, Operand)>,
    pub delete: Vec<(Path, Operand)>,
}

/// The placeholders of one request, tracking which ones its expressions use (DynamoDB
/// refuses unused ones).
pub struct Placeholders {
    names: HashMap<String, String>,
    values: HashMap<String, Value>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
    any_expression: bool,
}

impl Placeholders {
    /// Reads `ExpressionAttributeNames` and `ExpressionAttributeValues` of a request object.
    pub fn of(request: &Json) -> ApiResult<Placeholders> {
        let mut names = HashMap::new();
        if let Some(map) = request.get("ExpressionAttributeNames") {
            let map = map
                .as_object()
                .ok_or_else(|| ApiError::validation("ExpressionAttributeNames must be a map"))?;
            for (k, v) in map {
                let v = v.as_str().ok_or_else(|| {
                    ApiError::validation("ExpressionAttributeNames values must be strings")
                })?;
                names.insert(k.clone(), v.to_owned());
            }
        }
        let values = match request.get("ExpressionAttributeValues") {
            Some(v) => {
                let item = item_from_json(v)?;
                if item.is_empty() {
                    return Err(ApiError::validation(
                        "ExpressionAttributeValues must not be empty",
                    ));
                }
                item.into_iter().collect()
            }
            None => HashMap::new(),
        };
        Ok(Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
            any_expression: false,
        })
    }

    pub fn name(&mut self, placeholder: &str, what: &str) -> ApiResult<String> {
        self.any_expression = true;
        let name = self.names.get(placeholder).cloned().ok_or_else(|| {
            ApiError::validation(format!(
                "Invalid {what}: An expression attribute name used in the document path is not defined; attribute name: {placeholder}"
            ))
        })?;
        self.used_names.insert(placeholder.to_owned());
        Ok(name)
    }

    pub fn value(&mut self, placeholder: &str, what: &str) -> ApiResult<Value> {
        let value = self.values.get(placeholder).cloned().ok_or_else(|| {
            ApiError::validation(format!(
                "Invalid {what}: An expression attribute value used in expression is not defined; attribute value: {placeholder}"
            ))
        })?;
        self.used_values.insert(placeholder.to_owned());
        Ok(value)
    }

    pub fn saw_expression(&mut self) {
        self.any_expression = true;
    }

    /// Refuses placeholders that no expression used, as DynamoDB does.
    pub fn finish(&self) -> ApiResult<()> {
        if !self.any_expression && !self.names.is_empty() {
            return Err(ApiError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        if !self.any_expression && !self.values.is_empty() {
            return Err(ApiError::validation(
                "ExpressionAttributeValues can only be specified when using expressions",
            ));
        }
        let unused = |all: Vec<&String>, used: &BTreeSet<String>| {
            let mut keys: Vec<&String> = all.into_iter().filter(|k| !used.contains(*k)).collect();
            keys.sort();
            keys.iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let names = unused(self.names.keys().collect(), &self.used_names);
        if !names.is_empty() {
            return Err(ApiError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{names}}}"
            )));
        }
        let values = unused(self.values.keys().collect(), &self.used_values);
        if !values.is_empty() {
            return Err(ApiError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{values}}}"
            )));
        }
        Ok(())
    }
}

/// The path's text, for error messages.
pub fn path_text(path: &Path) -> String {
    let mut s = String::new();
    for e in path {
        match e {
            Elem::Name(n) if s.is_empty() => s.push_str(n),
            Elem::Name(n) => {
                s.push('.');
                s.push_str(n);
            }
            Elem::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[cfg(test)]
mod tests;
