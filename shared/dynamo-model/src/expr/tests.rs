//! The parser and evaluator against DynamoDB's documented semantics.

use super::{Placeholders, eval, parser, update};
use crate::value::{Item, Value, item_from_json};
use serde_json::{Value as Json, json};

fn item(v: Json) -> Item {
    item_from_json(&v).expect("item")
}

fn placeholders(names: Json, values: Json) -> Placeholders {
    let mut req = json!({});
    if names.as_object().is_some_and(|o| !o.is_empty()) {
        req["ExpressionAttributeNames"] = names;
    }
    if values.as_object().is_some_and(|o| !o.is_empty()) {
        req["ExpressionAttributeValues"] = values;
    }
    Placeholders::of(&req).expect("placeholders")
}

fn sample() -> Item {
    item(json!({
        "PK": {"S": "A#1"}, "n": {"N": "10"}, "s": {"S": "hello world"},
        "tags": {"SS": ["a", "b"]}, "nums": {"NS": ["1", "2.50"]},
        "lst": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"deep": {"S": "d"}}}]},
        "mp": {"M": {"status": {"S": "queued"}, "nest": {"M": {"v": {"N": "3"}}}}},
        "flag": {"BOOL": true}, "nothing": {"NULL": true}
    }))
}

/// Evaluates `text` on the sample item with the given values.
fn check(text: &str, names: Json, values: Json) -> bool {
    let mut ph = placeholders(names, values);
    let cond = parser::condition(text, &mut ph, "ConditionExpression").expect(text);
    ph.finish().expect("every placeholder used");
    eval::condition(&sample(), &cond).expect("evaluates")
}

#[test]
fn comparisons_between_and_in() {
    assert!(check("n = :ten", json!({}), json!({":ten": {"N": "10.0"}})));
    assert!(check("n > :nine", json!({}), json!({":nine": {"N": "9"}})));
    assert!(!check("n < :nine", json!({}), json!({":nine": {"N": "9"}})));
    // Numbers compare numerically, not as strings.
    assert!(check("n < :big", json!({}), json!({":big": {"N": "100"}})));
    assert!(check(
        "n BETWEEN :a AND :b",
        json!({}),
        json!({":a": {"N": "9"}, ":b": {"N": "10"}})
    ));
    assert!(check("s >= :s", json!({}), json!({":s": {"S": "hello"}})));
    assert!(check(
        "#m.#st IN (:q, :r)",
        json!({"#m": "mp", "#st": "status"}),
        json!({":q": {"S": "queued"}, ":r": {"S": "running"}})
    ));
    // Different types are never equal, and never ordered.
    assert!(!check("n = :s", json!({}), json!({":s": {"S": "10"}})));
    assert!(!check("n < :s", json!({}), json!({":s": {"S": "10"}})));
    assert!(check("n <> :s", json!({}), json!({":s": {"S": "10"}})));
    // A gone_attr attribute compares false.
    assert!(!check(
        "gone_attr = :s",
        json!({}),
        json!({":s": {"S": "x"}})
    ));
    assert!(!check(
        "gone_attr < :s",
        json!({}),
        json!({":s": {"S": "x"}})
    ));
}

#[test]
fn functions() {
    assert!(check("attribute_exists(PK)", json!({}), json!({})));
    assert!(check("attribute_not_exists(nope)", json!({}), json!({})));
    assert!(check("attribute_exists(mp.nest.v)", json!({}), json!({})));
    assert!(check("attribute_exists(lst[2].deep)", json!({}), json!({})));
    assert!(!check("attribute_exists(lst[3])", json!({}), json!({})));
    assert!(check(
        "attribute_type(tags, :t)",
        json!({}),
        json!({":t": {"S": "SS"}})
    ));
    assert!(check(
        "begins_with(s, :p)",
        json!({}),
        json!({":p": {"S": "hell"}})
    ));
    assert!(check(
        "contains(s, :p)",
        json!({}),
        json!({":p": {"S": "o w"}})
    ));
    assert!(check(
        "contains(tags, :p)",
        json!({}),
        json!({":p": {"S": "b"}})
    ));
    assert!(check(
        "contains(nums, :p)",
        json!({}),
        json!({":p": {"N": "2.5"}})
    ));
    assert!(check(
        "contains(lst, :p)",
        json!({}),
        json!({":p": {"S": "x"}})
    ));
    assert!(!check(
        "contains(tags, :p)",
        json!({}),
        json!({":p": {"S": "c"}})
    ));
    assert!(check("size(s) = :n", json!({}), json!({":n": {"N": "11"}})));
    assert!(check(
        "size(lst) > :n",
        json!({}),
        json!({":n": {"N": "2"}})
    ));
    assert!(check(
        "size(tags) = :n",
        json!({}),
        json!({":n": {"N": "2"}})
    ));
}

#[test]
fn logic_and_precedence() {
    // A long chain (up to the 4 KB expression limit) evaluates without deep recursion trouble.
    let chain = vec!["n = :ten"; 300].join(" AND ");
    assert!(check(&chain, json!({}), json!({":ten": {"N": "10"}})));
    let vals = || json!({":x": {"N": "1"}, ":ten": {"N": "10"}});
    // OR binds loosest: (false AND …) OR true.
    assert!(check("n = :x AND n = :x OR n = :ten", json!({}), vals()));
    // NOT binds tighter than AND.
    assert!(check("NOT n = :x AND n = :ten", json!({}), vals()));
    assert!(!check("NOT (n = :x OR n = :ten)", json!({}), vals()));
    assert!(check(
        "(((n = :ten)))",
        json!({}),
        json!({":ten": {"N": "10"}})
    ));
    assert!(check("n = :ten and not n = :x", json!({}), vals()));
}

fn parse_error(text: &str, names: Json, values: Json) -> String {
    let mut ph = placeholders(names, values);
    match parser::condition(text, &mut ph, "ConditionExpression").and_then(|_| ph.finish()) {
        Ok(()) => panic!("{text} parsed"),
        Err(e) => e.message,
    }
}

#[test]
fn refusals() {
    let deep = format!("{}a = :s{}", "(".repeat(1000), ")".repeat(1000));
    assert!(parse_error(&deep, json!({}), json!({":s": {"S": "x"}})).contains("nested too deeply"));
    let nots = format!("{}a = :s", "NOT ".repeat(1000));
    assert!(parse_error(&nots, json!({}), json!({":s": {"S": "x"}})).contains("nested too deeply"));
    assert!(
        parse_error("status = :s", json!({}), json!({":s": {"S": "x"}}))
            .contains("reserved keyword")
    );
    assert!(parse_error("#a = :s", json!({}), json!({":s": {"S": "x"}})).contains("not defined"));
    assert!(parse_error("a = :s", json!({}), json!({})).contains("not defined"));
    assert!(
        parse_error("a = :s", json!({"#b": "b"}), json!({":s": {"S": "x"}})).contains("unused")
    );
    assert!(
        parse_error(
            "a = :s",
            json!({}),
            json!({":s": {"S": "x"}, ":t": {"S": "y"}})
        )
        .contains("unused")
    );
    assert!(parse_error("a = ", json!({}), json!({})).contains("Syntax error"));
    assert!(parse_error("(a = :s", json!({}), json!({":s": {"S": "x"}})).contains("Syntax error"));
    assert!(parse_error("nope(a)", json!({}), json!({})).contains("Invalid function name"));
    assert!(
        parse_error("a = :s $", json!({}), json!({":s": {"S": "x"}})).contains("Invalid character")
    );
}

fn apply(text: &str, names: Json, values: Json, on: &Item) -> Result<Item, String> {
    let mut ph = placeholders(names, values);
    let u = update(text, &mut ph).map_err(|e| e.message)?;
    ph.finish().map_err(|e| e.message)?;
    update::apply(on, &u, &["PK"]).map_err(|e| e.message)
}

fn update(text: &str, ph: &mut Placeholders) -> crate::error::ApiResult<super::Update> {
    parser::update(text, ph)
}

#[test]
fn update_expressions() {
    let base = sample();
    let out = apply(
        "SET n = n + :one, m2 = if_not_exists(m2, :zero), lst = list_append(lst, :more), mp.nest.v = :one \
         REMOVE flag ADD tags :c, tally :one DELETE nums :two",
        json!({}),
        json!({":one": {"N": "1"}, ":zero": {"N": "0"}, ":more": {"L": [{"S": "y"}]},
               ":c": {"SS": ["c"]}, ":two": {"NS": ["2.5"]}}),
        &base,
    )
    .expect("update");
    assert_eq!(out["n"], Value::N("11".into()));
    assert_eq!(out["m2"], Value::N("0".into()));
    assert_eq!(out["tally"], Value::N("1".into()));
    assert!(!out.contains_key("flag"));
    assert_eq!(
        out["tags"],
        Value::Ss(vec!["b".into(), "a".into(), "c".into()])
    );
    assert_eq!(out["nums"], Value::Ns(vec!["1".into()]));
    let Value::L(lst) = &out["lst"] else {
        panic!("lst")
    };
    assert_eq!(lst.len(), 4);
    assert_eq!(lst[3], Value::S("y".into()));
    // Removing two list elements removes the ones the indexes named before the update.
    let removed = apply("REMOVE lst[0], lst[1]", json!({}), json!({}), &base).expect("remove");
    let Value::L(lst) = &removed["lst"] else {
        panic!("lst")
    };
    assert_eq!(lst.len(), 1);
    assert!(matches!(lst[0], Value::M(_)));
    let Value::M(mp) = &out["mp"] else {
        panic!("mp")
    };
    let Value::M(nest) = &mp["nest"] else {
        panic!("nest")
    };
    assert_eq!(nest["v"], Value::N("1".into()));

    let sub = apply(
        "SET n = n - :x",
        json!({}),
        json!({":x": {"N": "10.5"}}),
        &base,
    )
    .expect("minus");
    assert_eq!(sub["n"], Value::N("-0.5".into()));
    // Deleting every element removes the attribute.
    let gone = apply(
        "DELETE tags :t",
        json!({}),
        json!({":t": {"SS": ["a", "b"]}}),
        &base,
    )
    .expect("delete");
    assert!(!gone.contains_key("tags"));
    // Setting a lst index past the end appends.
    let appended = apply(
        "SET lst[9] = :x",
        json!({}),
        json!({":x": {"S": "z"}}),
        &base,
    )
    .expect("set");
    let Value::L(l) = &appended["lst"] else {
        panic!("lst")
    };
    assert_eq!(l.len(), 4);
}

#[test]
fn update_refusals() {
    let base = sample();
    let err = |t: &str, n: Json, v: Json| apply(t, n, v, &base).expect_err(t);
    assert!(err("SET PK = :x", json!({}), json!({":x": {"S": "y"}})).contains("part of the key"));
    assert!(err("SET a = :x, a.b = :x", json!({}), json!({":x": {"S": "y"}})).contains("overlap"));
    assert!(
        err(
            "SET a = :x SET b = :x",
            json!({}),
            json!({":x": {"S": "y"}})
        )
        .contains("only be used once")
    );
    assert!(err("SET s = s + :x", json!({}), json!({":x": {"N": "1"}})).contains("operand"));
    assert!(
        err("SET a = nope + :x", json!({}), json!({":x": {"N": "1"}})).contains("does not exist")
    );
    assert!(
        err(
            "SET nowhere.such = :x",
            json!({}),
            json!({":x": {"N": "1"}})
        )
        .contains("invalid for update")
    );
    assert!(err("ADD s :x", json!({}), json!({":x": {"N": "1"}})).contains("operand"));
}

#[test]
fn projections_keep_nested_structure() {
    let mut ph = placeholders(json!({"#m": "mp"}), json!({}));
    let paths =
        parser::projection("PK, #m.nest.v, lst[2].deep, absent", &mut ph).expect("projection");
    ph.finish().expect("used");
    let out = eval::project(&sample(), &paths);
    assert_eq!(
        crate::value::item_to_json(&out),
        json!({
            "PK": {"S": "A#1"},
            "mp": {"M": {"nest": {"M": {"v": {"N": "3"}}}}},
            "lst": {"L": [{"M": {"deep": {"S": "d"}}}]}
        })
    );
}
