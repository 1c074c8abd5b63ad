//! The OpenAPI document and the registered functions describe the same routes, one to one.

use groups_local::registry::descriptors;
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn every_routed_path_is_documented_and_every_documented_path_is_routed() {
    let spec: Value = serde_json::from_str(groups_http::OPENAPI).expect("valid JSON");
    assert_eq!(spec["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get(method) {
                documented.insert(format!("{} {path}", method.to_uppercase()));
                assert!(
                    op["operationId"].is_string(),
                    "{method} {path} has an operationId"
                );
                assert!(
                    op["responses"].is_object(),
                    "{method} {path} documents responses"
                );
            }
        }
    }
    let routed: BTreeSet<String> = descriptors()
        .iter()
        .flat_map(|d| {
            d.routes()
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
        })
        .collect();
    assert_eq!(routed, documented);
    // Each route belongs to exactly one function.
    let total: usize = descriptors().iter().map(|d| d.routes().len()).sum();
    assert_eq!(total, routed.len());
}

#[test]
fn every_reference_resolves() {
    let spec: Value = serde_json::from_str(groups_http::OPENAPI).expect("valid JSON");
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&spec, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(spec.pointer(pointer).is_some(), "{r} resolves");
    }
}

/// A field that admits `null` by type must admit it by `enum` too: the server reads `null` as
/// "absent" (schemathesis caught `{"scope": null}` documented as invalid yet accepted).
#[test]
fn a_nullable_enum_lists_null() {
    let spec: Value = serde_json::from_str(groups_http::OPENAPI).expect("valid JSON");
    fn check(value: &Value, at: &str, bad: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                let nullable = map
                    .get("type")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.contains(&Value::from("null")));
                let enum_refuses_null = map
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|options| !options.contains(&Value::Null));
                if nullable && enum_refuses_null {
                    bad.push(at.to_string());
                }
                for (k, v) in map {
                    check(v, &format!("{at}/{k}"), bad);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    check(v, &format!("{at}/{i}"), bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    check(&spec, "", &mut bad);
    assert!(bad.is_empty(), "nullable enums without null: {bad:?}");
}
