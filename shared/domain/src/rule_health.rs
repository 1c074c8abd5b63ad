//! Rule health (DESIGN §11), shown beside the rule builder: how each condition of a rule meets
//! the directory (users it matches, users without the attribute), directory values of the text
//! attributes it reads that differ only in case, spacing or punctuation, and conditions worth
//! rewriting. One pass over the caller's users, as the preview makes.

use crate::caller::Caller;
use crate::error::Result;
use crate::ids::GroupId;
use crate::ports::Store;
use crate::role::Permission;
use crate::smart::SetFacts;
use serde::Serialize;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::OffsetDateTime;

/// Distinct values remembered per attribute: bounds memory on a large directory.
const MAX_VALUES: usize = 10_000;
/// Near-duplicate sets reported per attribute.
const MAX_SETS: usize = 20;
/// Above this share of users without the attribute, a condition is flagged.
const MISSING_SHARE: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Users read (within the caller's scope, and the group's department given a group).
    pub evaluated: u64,
    pub conditions: Vec<ConditionHealth>,
    /// Sets of values that differ only in case, spacing or punctuation; empty without
    /// `users:view` (directory values are personal data).
    pub near_duplicates: Vec<NearDuplicates>,
    pub values_hidden: bool,
    pub suggestions: Vec<Suggestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionHealth {
    /// Where the condition is, as errors name it (`rule/all/1`).
    pub path: String,
    pub attr: String,
    pub op: String,
    /// Users this condition alone matches.
    pub matching: u64,
    /// Users without a value for the attribute.
    pub missing: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NearDuplicates {
    pub attr: String,
    /// Most users first.
    pub values: Vec<ValueCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueCount {
    pub value: String,
    pub users: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub path: String,
    pub kind: SuggestionKind,
    pub message: String,
    /// The node to put at `path` instead, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Json>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SuggestionKind {
    NeverMatches,
    MostlyMissing,
    AnyOfEqIsIn,
}

/// What one condition met during the pass.
#[derive(Default)]
struct Tally {
    attr: String,
    op: String,
    matching: u64,
    missing: u64,
}

/// Each condition's tally, in the rule's order (as the builder numbers its conditions).
#[derive(Default)]
struct Tallies {
    list: Vec<(String, Tally)>,
    index: HashMap<String, usize>,
}

impl Tallies {
    fn at(&mut self, path: &str, attr: &str, op: &str) -> &mut Tally {
        let i = *self.index.entry(path.to_owned()).or_insert_with(|| {
            self.list.push((
                path.to_owned(),
                Tally {
                    attr: attr.to_owned(),
                    op: op.to_owned(),
                    ..Tally::default()
                },
            ));
            self.list.len() - 1
        });
        &mut self.list[i].1
    }
}

/// Checks `json` (validated as on save) against the directory the caller may see.
pub async fn rule_health<S: Store>(
    store: &S,
    caller: &Caller,
    json: &Json,
    group_id: Option<&GroupId>,
    now: OffsetDateTime,
) -> Result<Health> {
    caller.require(Permission::GroupsView)?;
    let (group, rule) = crate::service_rules::draft_rule(store, caller, json, group_id).await?;
    let mut tallies = Tallies::default();
    let mut values: HashMap<String, HashMap<String, u64>> = HashMap::new();
    let mut evaluated = 0;
    let mut scan = crate::service_rules::rule_scan(store, caller, &rule);
    while let Some(page) = scan.next().await? {
        let facts = SetFacts {
            now,
            members: &page.memberships,
        };
        for user in &page.users {
            if group.as_ref().is_some_and(|g| !g.covers_user(user)) {
                continue;
            }
            evaluated += 1;
            let tree = rule.explain(user, &facts);
            // A value read by several conditions counts once for its user.
            let mut read = HashSet::new();
            walk_explained(&tree, "rule", &mut tallies, &mut read);
            for (attr, text) in read {
                let seen = values.entry(attr).or_default();
                if let Some(n) = seen.get_mut(&text) {
                    *n += 1;
                } else if seen.len() < MAX_VALUES {
                    seen.insert(text, 1);
                }
            }
        }
    }
    let conditions: Vec<ConditionHealth> = tallies
        .list
        .into_iter()
        .map(|(path, t)| ConditionHealth {
            path,
            attr: t.attr,
            op: t.op,
            matching: t.matching,
            missing: t.missing,
        })
        .collect();
    let mut suggestions = Vec::new();
    for c in conditions.iter().filter(|_| evaluated > 0) {
        if c.matching == 0 {
            suggestions.push(Suggestion {
                path: c.path.clone(),
                kind: SuggestionKind::NeverMatches,
                message: format!("no user matches this condition on {}", c.attr),
                replacement: None,
            });
        }
        if c.missing as f64 > MISSING_SHARE * evaluated as f64 {
            suggestions.push(Suggestion {
                path: c.path.clone(),
                kind: SuggestionKind::MostlyMissing,
                message: format!("{} of {evaluated} users have no {}", c.missing, c.attr),
                replacement: None,
            });
        }
    }
    any_of_eq(json, "rule", &mut suggestions);
    let values_hidden = !caller.permissions.contains(Permission::UsersView);
    let near_duplicates = if values_hidden {
        Vec::new()
    } else {
        near_duplicates(values)
    };
    Ok(Health {
        evaluated,
        conditions,
        near_duplicates,
        values_hidden,
        suggestions,
    })
}

/// Tallies each condition of one user's explanation tree, and gathers the text values read.
fn walk_explained(
    node: &Json,
    path: &str,
    tallies: &mut Tallies,
    read: &mut HashSet<(String, String)>,
) {
    if let Some(attr) = node.get("attr").and_then(Json::as_str) {
        let tally = tallies.at(path, attr, node["op"].as_str().unwrap_or_default());
        tally.matching += u64::from(node["result"] == true);
        let actual = &node["actual"];
        tally.missing += u64::from(actual.is_null());
        // Department and group conditions read ids, not typed-in text.
        if attr != "department" && attr != "group" {
            let texts: Vec<&str> = match actual {
                Json::String(s) => vec![s.as_str()],
                Json::Array(items) => items.iter().filter_map(Json::as_str).collect(),
                _ => Vec::new(),
            };
            read.extend(texts.into_iter().map(|t| (attr.to_owned(), t.to_owned())));
        }
        return;
    }
    for key in ["all", "any"] {
        if let Some(children) = node.get(key).and_then(Json::as_array) {
            for (i, child) in children.iter().enumerate() {
                walk_explained(child, &format!("{path}/{key}/{i}"), tallies, read);
            }
        }
    }
    if let Some(inner) = node.get("not") {
        walk_explained(inner, &format!("{path}/not"), tallies, read);
    }
}

/// The comparison key of a value: case, spacing and punctuation folded away.
fn folded(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn near_duplicates(values: HashMap<String, HashMap<String, u64>>) -> Vec<NearDuplicates> {
    let mut out = Vec::new();
    for (attr, seen) in values {
        let mut sets: HashMap<String, Vec<ValueCount>> = HashMap::new();
        for (value, users) in seen {
            sets.entry(folded(&value))
                .or_default()
                .push(ValueCount { value, users });
        }
        let mut found: Vec<Vec<ValueCount>> = sets
            .into_values()
            .filter(|set| set.len() > 1)
            .map(|mut set| {
                set.sort_by(|a, b| b.users.cmp(&a.users).then(a.value.cmp(&b.value)));
                set
            })
            .collect();
        found.sort_by(|a, b| a[0].value.cmp(&b[0].value));
        out.extend(
            found
                .into_iter()
                .take(MAX_SETS)
                .map(|values| NearDuplicates {
                    attr: attr.clone(),
                    values,
                }),
        );
    }
    out.sort_by(|a, b| (&a.attr, &a.values[0].value).cmp(&(&b.attr, &b.values[0].value)));
    out
}

/// An `any` with two or more `eq` conditions on one attribute reads better as one `in`.
fn any_of_eq(node: &Json, path: &str, out: &mut Vec<Suggestion>) {
    if let Some(children) = node.get("any").and_then(Json::as_array) {
        let mut by_attr: BTreeMap<&str, Vec<&Json>> = BTreeMap::new();
        for child in children {
            if let (Some(attr), Some("eq")) = (
                child.get("attr").and_then(Json::as_str),
                child.get("op").and_then(Json::as_str),
            ) {
                by_attr.entry(attr).or_default().push(&child["value"]);
            }
        }
        for (attr, values) in by_attr.into_iter().filter(|(_, v)| v.len() > 1) {
            out.push(Suggestion {
                path: format!("{path}/any"),
                kind: SuggestionKind::AnyOfEqIsIn,
                message: format!(
                    "{} conditions \"{attr} is …\" in this group can be one \"{attr} is one of\"",
                    values.len()
                ),
                replacement: Some(json!({"attr": attr, "op": "in", "value": values})),
            });
        }
    }
    for key in ["all", "any"] {
        if let Some(children) = node.get(key).and_then(Json::as_array) {
            for (i, child) in children.iter().enumerate() {
                any_of_eq(child, &format!("{path}/{key}/{i}"), out);
            }
        }
    }
    if let Some(inner) = node.get("not") {
        any_of_eq(inner, &format!("{path}/not"), out);
    }
}
