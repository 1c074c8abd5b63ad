//! A recursive-descent parser for DynamoDB's expression grammar. Precedence, lowest first:
//! OR, AND, NOT, then comparisons, BETWEEN, IN and functions; parentheses group.

use super::lexer::{Token, lex};
use super::reserved::is_reserved;
use super::{CmpOp, Cond, Elem, Operand, Path, Placeholders, Update};
use crate::error::{ApiError, ApiResult};

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    ph: &'a mut Placeholders,
    /// The request member being parsed (`ConditionExpression`, …), for error messages.
    what: &'static str,
    /// Nesting of NOT and parentheses, bounded so no request can exhaust the stack.
    depth: usize,
}

/// DynamoDB's limit on an expression's length, in bytes.
const MAX_EXPRESSION_BYTES: usize = 4096;
const MAX_DEPTH: usize = 64;

fn keyword(token: Option<&Token>, word: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
}

const UPDATE_SECTIONS: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];

impl<'a> Parser<'a> {
    fn new(text: &str, ph: &'a mut Placeholders, what: &'static str) -> ApiResult<Parser<'a>> {
        ph.saw_expression();
        if text.trim().is_empty() {
            return Err(ApiError::validation(format!(
                "Invalid {what}: The expression can not be empty;"
            )));
        }
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(ApiError::validation(format!(
                "Invalid {what}: Expression size has exceeded the maximum allowed size"
            )));
        }
        let tokens = lex(text).map_err(|e| ApiError::validation(format!("Invalid {what}: {e}")))?;
        Ok(Parser {
            tokens,
            pos: 0,
            ph,
            what,
            depth: 0,
        })
    }

    fn err(&self, message: impl std::fmt::Display) -> ApiError {
        ApiError::validation(format!("Invalid {}: {message}", self.what))
    }

    fn syntax(&self) -> ApiError {
        match self.peek() {
            Some(t) => self.err(format!("Syntax error; token: {t:?}")),
            None => self.err("Syntax error; token: <EOF>"),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, offset: usize) -> Option<&Token> {
        self.tokens.get(self.pos + offset)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, token: Token) -> ApiResult<()> {
        if self.peek() == Some(&token) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        if keyword(self.peek(), word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> ApiResult<()> {
        if self.pos < self.tokens.len() {
            Err(self.syntax())
        } else {
            Ok(())
        }
    }

    fn name(&mut self) -> ApiResult<String> {
        match self.next() {
            Some(Token::Word(w)) => {
                if is_reserved(&w) {
                    Err(self.err(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {w}"
                    )))
                } else {
                    Ok(w)
                }
            }
            Some(Token::Name(n)) => self.ph.name(&n, self.what),
            _ => {
                self.pos -= 1;
                Err(self.syntax())
            }
        }
    }

    fn path(&mut self) -> ApiResult<Path> {
        let mut path = vec![Elem::Name(self.name()?)];
        loop {
            match self.peek() {
                Some(Token::Dot) => {
                    self.pos += 1;
                    path.push(Elem::Name(self.name()?));
                }
                Some(Token::LBracket) => {
                    self.pos += 1;
                    match self.next() {
                        Some(Token::Index(i)) => path.push(Elem::Index(i)),
                        _ => return Err(self.syntax()),
                    }
                    self.expect(Token::RBracket)?;
                }
                _ => return Ok(path),
            }
        }
    }

    fn function_name(&self) -> Option<String> {
        match (self.peek(), self.peek_at(1)) {
            (Some(Token::Word(w)), Some(Token::LParen)) => Some(w.clone()),
            _ => None,
        }
    }

    /// An operand of a condition: a path, a value or `size(path)`.
    fn operand(&mut self) -> ApiResult<Operand> {
        if let Some(Token::Value(v)) = self.peek() {
            let v = v.clone();
            self.pos += 1;
            return Ok(Operand::Value(self.ph.value(&v, self.what)?));
        }
        if let Some(f) = self.function_name() {
            if f != "size" {
                return Err(self.err(format!(
                    "The function is not allowed to be used this way in an expression; function: {f}"
                )));
            }
            self.pos += 2;
            let path = self.path()?;
            self.expect(Token::RParen)?;
            return Ok(Operand::Size(path));
        }
        Ok(Operand::Path(self.path()?))
    }

    fn or(&mut self) -> ApiResult<Cond> {
        let mut left = self.and()?;
        while self.eat_keyword("OR") {
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> ApiResult<Cond> {
        let mut left = self.not()?;
        while self.eat_keyword("AND") {
            left = Cond::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> ApiResult<Cond> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("The expression is nested too deeply"));
        }
        let cond = if self.eat_keyword("NOT") {
            self.not().map(|c| Cond::Not(Box::new(c)))
        } else {
            self.comparison()
        };
        self.depth -= 1;
        cond
    }

    fn comparison(&mut self) -> ApiResult<Cond> {
        if self.peek() == Some(&Token::LParen) {
            self.pos += 1;
            let inner = self.or()?;
            self.expect(Token::RParen)?;
            return Ok(inner);
        }
        if let Some(f) = self.function_name().filter(|f| f != "size") {
            return self.function(&f);
        }
        let left = self.operand()?;
        let op = match self.peek().cloned() {
            Some(Token::Eq) => CmpOp::Eq,
            Some(Token::Ne) => CmpOp::Ne,
            Some(Token::Lt) => CmpOp::Lt,
            Some(Token::Le) => CmpOp::Le,
            Some(Token::Gt) => CmpOp::Gt,
            Some(Token::Ge) => CmpOp::Ge,
            _ if self.eat_keyword("BETWEEN") => {
                let low = self.operand()?;
                if !self.eat_keyword("AND") {
                    return Err(self.syntax());
                }
                let high = self.operand()?;
                return Ok(Cond::Between(left, low, high));
            }
            _ if self.eat_keyword("IN") => {
                self.expect(Token::LParen)?;
                let mut list = vec![self.operand()?];
                while self.peek() == Some(&Token::Comma) {
                    self.pos += 1;
                    list.push(self.operand()?);
                }
                self.expect(Token::RParen)?;
                if list.len() > 100 {
                    return Err(self.err("The IN operator accepts at most 100 operands"));
                }
                return Ok(Cond::In(left, list));
            }
            _ => return Err(self.syntax()),
        };
        self.pos += 1;
        Ok(Cond::Cmp(op, left, self.operand()?))
    }

    fn function(&mut self, f: &str) -> ApiResult<Cond> {
        self.pos += 2;
        let cond = match f {
            "attribute_exists" => Cond::Exists(self.path()?),
            "attribute_not_exists" => Cond::NotExists(self.path()?),
            "attribute_type" => {
                let path = self.path()?;
                self.expect(Token::Comma)?;
                Cond::Type(path, self.operand()?)
            }
            "begins_with" | "contains" => {
                let a = Operand::Path(self.path()?);
                self.expect(Token::Comma)?;
                let b = self.operand()?;
                if f == "contains" {
                    Cond::Contains(a, b)
                } else {
                    Cond::BeginsWith(a, b)
                }
            }
            other => {
                return Err(self.err(format!("Invalid function name; function: {other}")));
            }
        };
        self.expect(Token::RParen)?;
        Ok(cond)
    }

    /// An operand of SET: `a`, `a + b`, `a - b`.
    fn set_value(&mut self) -> ApiResult<Operand> {
        let left = self.update_operand()?;
        match self.peek() {
            Some(Token::Plus) => {
                self.pos += 1;
                Ok(Operand::Plus(
                    Box::new(left),
                    Box::new(self.update_operand()?),
                ))
            }
            Some(Token::Minus) => {
                self.pos += 1;
                Ok(Operand::Minus(
                    Box::new(left),
                    Box::new(self.update_operand()?),
                ))
            }
            _ => Ok(left),
        }
    }

    fn update_operand(&mut self) -> ApiResult<Operand> {
        if let Some(Token::Value(v)) = self.peek() {
            let v = v.clone();
            self.pos += 1;
            return Ok(Operand::Value(self.ph.value(&v, self.what)?));
        }
        if let Some(f) = self.function_name() {
            self.pos += 2;
            let operand = match f.as_str() {
                "if_not_exists" => {
                    let path = self.path()?;
                    self.expect(Token::Comma)?;
                    Operand::IfNotExists(path, Box::new(self.update_operand()?))
                }
                "list_append" => {
                    let a = self.update_operand()?;
                    self.expect(Token::Comma)?;
                    Operand::ListAppend(Box::new(a), Box::new(self.update_operand()?))
                }
                other => {
                    return Err(self.err(format!("Invalid function name; function: {other}")));
                }
            };
            self.expect(Token::RParen)?;
            return Ok(operand);
        }
        Ok(Operand::Path(self.path()?))
    }

    fn update(&mut self) -> ApiResult<Update> {
        let mut update = Update::default();
        let mut seen: Vec<String> = Vec::new();
        while self.peek().is_some() {
            let section = match self.next() {
                Some(Token::Word(w))
                    if UPDATE_SECTIONS.iter().any(|s| s.eq_ignore_ascii_case(&w)) =>
                {
                    w.to_ascii_uppercase()
                }
                _ => {
                    self.pos -= 1;
                    return Err(self.syntax());
                }
            };
            if seen.contains(&section) {
                return Err(self.err(format!(
                    "The \"{section}\" section can only be used once in an update expression;"
                )));
            }
            seen.push(section.clone());
            loop {
                let path = self.path()?;
                match section.as_str() {
                    "SET" => {
                        self.expect(Token::Eq)?;
                        let value = self.set_value()?;
                        update.set.push((path, value));
                    }
                    "REMOVE" => update.remove.push(path),
                    "ADD" => {
                        let value = self.operand_value()?;
                        update.add.push((path, value));
                    }
                    _ => {
                        let value = self.operand_value()?;
                        update.delete.push((path, value));
                    }
                }
                if self.peek() == Some(&Token::Comma) {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        Ok(update)
    }

    /// ADD and DELETE take a value placeholder.
    fn operand_value(&mut self) -> ApiResult<Operand> {
        match self.next() {
            Some(Token::Value(v)) => Ok(Operand::Value(self.ph.value(&v, self.what)?)),
            _ => {
                self.pos -= 1;
                Err(self.syntax())
            }
        }
    }
}

/// Parses a condition (ConditionExpression, FilterExpression, KeyConditionExpression).
pub fn condition(text: &str, ph: &mut Placeholders, what: &'static str) -> ApiResult<Cond> {
    let mut p = Parser::new(text, ph, what)?;
    let cond = p.or()?;
    p.done()?;
    Ok(cond)
}

pub fn update(text: &str, ph: &mut Placeholders) -> ApiResult<Update> {
    let mut p = Parser::new(text, ph, "UpdateExpression")?;
    let update = p.update()?;
    p.done()?;
    let mut paths: Vec<&Path> = update.set.iter().map(|(p, _)| p).collect();
    paths.extend(update.remove.iter());
    paths.extend(update.add.iter().map(|(p, _)| p));
    paths.extend(update.delete.iter().map(|(p, _)| p));
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            if a.starts_with(b) || b.starts_with(a) {
                return Err(ApiError::validation(format!(
                    "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [{}], path two: [{}]",
                    super::path_text(a),
                    super::path_text(b)
                )));
            }
        }
    }
    Ok(update)
}

pub fn projection(text: &str, ph: &mut Placeholders) -> ApiResult<Vec<Path>> {
    let mut p = Parser::new(text, ph, "ProjectionExpression")?;
    let mut paths = vec![p.path()?];
    while p.peek() == Some(&Token::Comma) {
        p.pos += 1;
        paths.push(p.path()?);
    }
    p.done()?;
    Ok(paths)
}
