//! A plain reference evaluator of the rule language, written straight from DESIGN.md §3 and
//! independent of the engine: it interprets the JSON directly and allocates freely. The
//! differential tests hold the engine to it.
//!
//! Its case folding is derived apart from the engine's (which reads Unicode's CaseFolding
//! table): each character is upper-cased then lower-cased, char by char (so no final-sigma
//! context rule), and that is repeated until nothing changes, because one round can stop
//! half-way: the capital sharp s `ẞ` lower-cases to `ß`, which folds on to `ss`. That equals
//! full case folding for every character the generators draw (`ß`/`ẞ`→`ss`, `ς`/`Σ`→`σ`,
//! `İ`→`i̇`, `ﬁ`→`fi`, `K` (Kelvin)→`k`) except the dotless `ı`, which folding leaves alone
//! and which is kept as it is here too (upper-casing it would give `I`, then `i`).

use groups_domain::user::parse_date;
use groups_domain::{ProfileValue, User, UserStatus};
use serde_json::Value as Json;
use std::collections::HashSet;
use time::{Duration, OffsetDateTime};

enum V {
    Missing,
    Str(String),
    Num(f64),
    Date(OffsetDateTime),
    List(Vec<String>),
    Dept(Vec<String>),
    Me(String),
}

fn read(user: &User, attr: &str) -> V {
    match attr {
        "department" => user.department.as_ref().map_or(V::Missing, |p| {
            V::Dept(p.ids().iter().map(|d| d.to_string()).collect())
        }),
        "group" => V::Me(user.id.to_string()),
        "role" => V::Str(user.role.as_str().to_owned()),
        "status" => V::Str(
            if user.status == UserStatus::Active {
                "active"
            } else {
                "inactive"
            }
            .to_owned(),
        ),
        "email" => V::Str(user.email.clone()),
        "emailDomain" => user
            .email
            .split('@')
            .nth(1)
            .map_or(V::Missing, |d| V::Str(d.to_owned())),
        "jobTitle" => V::Str(user.job_title.clone()),
        "createdAt" => V::Date(user.created_at),
        other => match user.profile.get(other.trim_start_matches("profile.")) {
            None => V::Missing,
            Some(ProfileValue::Text(t)) => V::Str(t.clone()),
            Some(ProfileValue::Number(n)) => V::Num(*n),
            Some(ProfileValue::Date(d)) => V::Date(*d),
            Some(ProfileValue::List(l)) => V::List(l.clone()),
        },
    }
}

pub struct World<'a> {
    pub now: OffsetDateTime,
    pub memberships: &'a HashSet<(String, String)>,
}

/// One round of upper-casing then lower-casing, char by char, keeping the dotless `ı`.
fn upper_then_lower(s: &str) -> String {
    s.chars()
        .flat_map(|c| -> Vec<char> {
            if c == 'ı' {
                vec![c]
            } else {
                c.to_uppercase().flat_map(char::to_lowercase).collect()
            }
        })
        .collect()
}

/// Rounds of [`upper_then_lower`] until the text no longer changes (`ẞ` → `ß` → `ss`).
pub fn fold(s: &str) -> String {
    let mut folded = upper_then_lower(s);
    // Two rounds settle every character drawn; the bound only guards against a cycle.
    for _ in 0..4 {
        let next = upper_then_lower(&folded);
        if next == folded {
            break;
        }
        folded = next;
    }
    folded
}

fn lc(s: &str) -> String {
    fold(s)
}

fn strings(value: &Json) -> Vec<String> {
    match value {
        Json::Array(items) => items.iter().flat_map(strings).collect(),
        Json::String(s) => vec![s.clone()],
        _ => vec![],
    }
}

fn numbers(value: &Json) -> Vec<f64> {
    match value {
        Json::Array(items) => items.iter().flat_map(numbers).collect(),
        Json::Number(n) => n.as_f64().into_iter().collect(),
        _ => vec![],
    }
}

fn equal_to_any(v: &V, value: &Json) -> bool {
    let wanted: Vec<String> = strings(value).iter().map(|s| lc(s)).collect();
    match v {
        V::Str(s) => wanted.contains(&lc(s)),
        V::List(items) => items.iter().any(|i| wanted.contains(&lc(i))),
        V::Num(n) => numbers(value).contains(n),
        V::Date(d) => strings(value).iter().any(|s| parse_date(s) == Some(*d)),
        V::Dept(path) => path.last().is_some_and(|d| strings(value).contains(d)),
        _ => false,
    }
}

fn texts_of(v: &V) -> Vec<String> {
    match v {
        V::Str(s) => vec![s.clone()],
        V::List(items) => items.clone(),
        _ => vec![],
    }
}

fn condition(user: &User, c: &Json, world: &World<'_>) -> bool {
    let attr = c["attr"].as_str().unwrap_or_default();
    let op = c["op"].as_str().unwrap_or_default();
    let value = &c["value"];
    let v = match read(user, attr) {
        // An empty text or list counts as missing.
        V::Str(s) if s.is_empty() => V::Missing,
        V::List(l) if l.is_empty() => V::Missing,
        v => v,
    };
    if let V::Missing = v {
        return matches!(op, "ne" | "notIn" | "notMemberOf" | "isEmpty");
    }
    let needle = value.as_str().map(lc).unwrap_or_default();
    let date = |d: &V| if let V::Date(d) = d { Some(*d) } else { None };
    match op {
        "eq" | "in" => equal_to_any(&v, value),
        "ne" | "notIn" => !equal_to_any(&v, value),
        "startsWith" => texts_of(&v).iter().any(|t| lc(t).starts_with(&needle)),
        "endsWith" => texts_of(&v).iter().any(|t| lc(t).ends_with(&needle)),
        "contains" => match &v {
            V::Str(s) => lc(s).contains(&needle),
            V::List(items) => items.iter().any(|i| lc(i) == needle),
            _ => false,
        },
        "exists" | "isEmpty" => {
            let present = match &v {
                V::Str(s) => !s.is_empty(),
                V::List(items) => !items.is_empty(),
                _ => true,
            };
            present == (op == "exists")
        }
        "matches" => {
            let re = regex::Regex::new(value.as_str().unwrap_or_default()).expect("valid");
            texts_of(&v).iter().any(|t| re.is_match(t))
        }
        "gt" | "gte" | "lt" | "lte" => {
            let (V::Num(n), Some(b)) = (&v, value.as_f64()) else {
                return false;
            };
            match op {
                "gt" => *n > b,
                "gte" => *n >= b,
                "lt" => *n < b,
                _ => *n <= b,
            }
        }
        "before" | "after" => match (date(&v), value.as_str().and_then(parse_date)) {
            (Some(d), Some(b)) => {
                if op == "before" {
                    d < b
                } else {
                    d > b
                }
            }
            _ => false,
        },
        "withinLastDays" => date(&v).is_some_and(|d| {
            let days = value.as_i64().unwrap_or_default();
            world.now - Duration::days(days) <= d && d <= world.now
        }),
        "moreThanDaysAgo" => date(&v)
            .is_some_and(|d| d < world.now - Duration::days(value.as_i64().unwrap_or_default())),
        "inSubtree" => {
            matches!(&v, V::Dept(path) if path.iter().any(|d| Some(d.as_str()) == value.as_str()))
        }
        "memberOf" | "notMemberOf" => {
            let V::Me(id) = &v else { return false };
            let member = world
                .memberships
                .contains(&(value.as_str().unwrap_or_default().to_owned(), id.clone()));
            member == (op == "memberOf")
        }
        other => panic!("reference evaluator does not know {other}"),
    }
}

pub fn evaluate(user: &User, rule: &Json, world: &World<'_>) -> bool {
    if let Some(items) = rule.get("all").and_then(Json::as_array) {
        return items.iter().all(|r| evaluate(user, r, world));
    }
    if let Some(items) = rule.get("any").and_then(Json::as_array) {
        return items.iter().any(|r| evaluate(user, r, world));
    }
    if let Some(inner) = rule.get("not") {
        return !evaluate(user, inner, world);
    }
    condition(user, rule, world)
}
