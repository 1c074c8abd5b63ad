//! Every operator against every attribute type, with the edge cases: missing fields, empty
//! lists, case, time zones, and the boundaries of relative dates.

use super::*;
use crate::department::DepartmentPath;
use crate::ids::DepartmentId;
use crate::role::{BuiltinRole, RoleRef};
use crate::user::{ProfileValue, UserStatus};
use std::collections::BTreeMap;
use time::macros::datetime;

struct TestFacts {
    now: OffsetDateTime,
    members: Vec<(String, String)>,
}

impl Facts for TestFacts {
    fn now(&self) -> OffsetDateTime {
        self.now
    }
    fn is_member(&self, group: &GroupId, user: &UserId) -> bool {
        self.members
            .iter()
            .any(|(g, u)| g == group.as_str() && u == user.as_str())
    }
}

const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

fn facts() -> TestFacts {
    TestFacts {
        now: NOW,
        members: vec![("grp-interns".into(), "ann".into())],
    }
}

fn ann() -> User {
    let dep = |s: &str| DepartmentId::parse("d", s).expect("id");
    let mut profile = BTreeMap::new();
    profile.insert("country".to_owned(), ProfileValue::Text("DE".into()));
    profile.insert("level".to_owned(), ProfileValue::Number(3.0));
    profile.insert(
        "hired".to_owned(),
        ProfileValue::Date(datetime!(2026-11-16 12:00 UTC)),
    );
    profile.insert(
        "skills".to_owned(),
        ProfileValue::List(vec!["Excel".into(), "CRM".into()]),
    );
    profile.insert("badges".to_owned(), ProfileValue::List(vec![]));
    profile.insert("nickname".to_owned(), ProfileValue::Text(String::new()));
    User {
        id: UserId::parse("u", "ann").expect("id"),
        email: "Ann.Lee@Acme.IO".into(),
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        department: Some(
            DepartmentPath::new(vec![dep("root"), dep("sales"), dep("emea")]).expect("path"),
        ),
        role: RoleRef::Builtin(BuiltinRole::Learner),
        status: UserStatus::Active,
        job_title: "Account Manager".into(),
        created_at: datetime!(2026-10-27 12:00 UTC),
        profile,
        managed_department_ids: vec![],
        registered_at: None,
        updated_at: None,
    }
}

fn check(rule: Json) -> bool {
    let compiled = Rule::compile(&rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
    compiled.matches(&ann(), &facts())
}

fn cond(attr: &str, op: &str, value: Json) -> Json {
    if value.is_null() {
        json!({"attr": attr, "op": op})
    } else {
        json!({"attr": attr, "op": op, "value": value})
    }
}

#[test]
fn text_attributes_compare_ignoring_case() {
    let cases = [
        ("email", "eq", json!("ann.lee@acme.io"), true),
        ("email", "ne", json!("ANN.LEE@ACME.IO"), false),
        ("email", "ne", json!("bob@acme.io"), true),
        ("emailDomain", "eq", json!("ACME.io"), true),
        ("emailDomain", "in", json!(["x.io", "acme.io"]), true),
        ("emailDomain", "notIn", json!(["acme.io"]), false),
        ("jobTitle", "startsWith", json!("account"), true),
        ("jobTitle", "endsWith", json!("MANAGER"), true),
        ("jobTitle", "contains", json!("nt ma"), true),
        ("jobTitle", "contains", json!("director"), false),
        ("jobTitle", "exists", Json::Null, true),
        ("jobTitle", "isEmpty", Json::Null, false),
        ("jobTitle", "matches", json!("^Account"), true),
        ("jobTitle", "matches", json!("^account"), false),
        ("jobTitle", "matches", json!("(?i)^account"), true),
        ("role", "eq", json!("learner"), true),
        ("role", "in", json!(["admin", "owner"]), false),
        ("status", "eq", json!("active"), true),
        ("status", "ne", json!("inactive"), true),
        ("status", "in", json!(["inactive"]), false),
    ];
    for (attr, op, value, expected) in cases {
        assert_eq!(
            check(cond(attr, op, value.clone())),
            expected,
            "{attr} {op} {value}"
        );
    }
}

#[test]
fn departments_match_only_or_this_and_nested() {
    let cases = [
        ("eq", json!("emea"), true),
        ("eq", json!("sales"), false),
        ("ne", json!("sales"), true),
        ("in", json!(["hr", "emea"]), true),
        ("notIn", json!(["emea"]), false),
        ("inSubtree", json!("sales"), true),
        ("inSubtree", json!("root"), true),
        ("inSubtree", json!("hr"), false),
        ("exists", Json::Null, true),
    ];
    for (op, value, expected) in cases {
        assert_eq!(
            check(cond("department", op, value.clone())),
            expected,
            "department {op} {value}"
        );
    }
}

#[test]
fn group_membership() {
    assert!(check(cond("group", "memberOf", json!("grp-interns"))));
    assert!(!check(cond("group", "memberOf", json!("grp-other"))));
    assert!(check(cond("group", "notMemberOf", json!("grp-other"))));
    assert!(!check(cond("group", "notMemberOf", json!("grp-interns"))));
}

#[test]
fn profile_fields_of_each_type() {
    let cases = [
        ("profile.country", "eq", json!("de"), true),
        ("profile.country", "in", json!(["FR", "DE"]), true),
        ("profile.country", "startsWith", json!("D"), true),
        ("profile.level", "eq", json!(3), true),
        ("profile.level", "gt", json!(2.5), true),
        ("profile.level", "gte", json!(3), true),
        ("profile.level", "lt", json!(3), false),
        ("profile.level", "lte", json!(3), true),
        ("profile.level", "in", json!([1, 3]), true),
        ("profile.level", "ne", json!(4), true),
        // A type mismatch evaluates to false.
        ("profile.country", "gt", json!(1), false),
        ("profile.level", "startsWith", json!("3"), false),
        ("profile.country", "before", json!("2026-01-01"), false),
        // Lists: contains/eq/in hold when an element matches.
        ("profile.skills", "contains", json!("excel"), true),
        ("profile.skills", "contains", json!("exc"), false),
        ("profile.skills", "eq", json!("crm"), true),
        ("profile.skills", "in", json!(["sql", "CRM"]), true),
        ("profile.skills", "notIn", json!(["sql"]), true),
        ("profile.skills", "ne", json!("excel"), false),
        ("profile.skills", "startsWith", json!("ex"), true),
        ("profile.skills", "matches", json!("^C"), true),
        ("profile.skills", "isEmpty", Json::Null, false),
        ("profile.badges", "isEmpty", Json::Null, true),
        ("profile.badges", "exists", Json::Null, false),
        ("profile.badges", "contains", json!("gold"), false),
        ("profile.nickname", "isEmpty", Json::Null, true),
        // An empty text counts as missing.
        ("profile.nickname", "eq", json!(""), false),
        ("profile.nickname", "ne", json!(""), true),
        ("profile.nickname", "exists", Json::Null, false),
        ("profile.nickname", "matches", json!("^$"), false),
    ];
    for (attr, op, value, expected) in cases {
        assert_eq!(
            check(cond(attr, op, value.clone())),
            expected,
            "{attr} {op} {value}"
        );
    }
}

#[test]
fn a_missing_field_is_false_except_for_negations_and_is_empty() {
    let cases = [
        ("eq", json!("x"), false),
        ("ne", json!("x"), true),
        ("in", json!(["x"]), false),
        ("notIn", json!(["x"]), true),
        ("startsWith", json!("x"), false),
        ("endsWith", json!("x"), false),
        ("contains", json!("x"), false),
        ("matches", json!(".*"), false),
        ("exists", Json::Null, false),
        ("isEmpty", Json::Null, true),
        ("gt", json!(0), false),
        ("lte", json!(0), false),
        ("before", json!("2100-01-01"), false),
        ("after", json!("1900-01-01"), false),
        ("withinLastDays", json!(10000), false),
        ("moreThanDaysAgo", json!(0), false),
    ];
    for (op, value, expected) in cases {
        assert_eq!(
            check(cond("profile.missing", op, value.clone())),
            expected,
            "missing {op} {value}"
        );
    }
}

#[test]
fn dates_compare_in_utc_with_relative_windows_inclusive() {
    // createdAt is 2026-10-27T12:00Z, exactly 30 days before NOW.
    let cases = [
        ("createdAt", "before", json!("2026-10-28"), true),
        ("createdAt", "after", json!("2026-10-27"), true),
        ("createdAt", "after", json!("2026-10-27T12:00:00Z"), false),
        // 13:00+01:00 is 12:00 UTC: the same instant, so neither before nor after.
        (
            "createdAt",
            "before",
            json!("2026-10-27T13:00:00+01:00"),
            false,
        ),
        (
            "createdAt",
            "after",
            json!("2026-10-27T13:00:00+01:00"),
            false,
        ),
        (
            "createdAt",
            "after",
            json!("2026-10-27T12:59:59+01:00"),
            true,
        ),
        ("createdAt", "withinLastDays", json!(30), true),
        ("createdAt", "withinLastDays", json!(29), false),
        ("createdAt", "moreThanDaysAgo", json!(30), false),
        ("createdAt", "moreThanDaysAgo", json!(29), true),
        ("createdAt", "exists", Json::Null, true),
        ("profile.hired", "withinLastDays", json!(10), true),
        ("profile.hired", "withinLastDays", json!(9), false),
        (
            "profile.hired",
            "after",
            json!("2026-11-16T11:59:59Z"),
            true,
        ),
        ("profile.hired", "eq", json!("2026-11-16T12:00:00Z"), true),
    ];
    for (attr, op, value, expected) in cases {
        assert_eq!(
            check(cond(attr, op, value.clone())),
            expected,
            "{attr} {op} {value}"
        );
    }
    // A date in the future is not "within the last N days".
    let mut future = ann();
    future.created_at = NOW + time::Duration::seconds(1);
    let rule = Rule::compile(&cond("createdAt", "withinLastDays", json!(1))).expect("rule");
    assert!(!rule.matches(&future, &facts()));
}

#[test]
fn combinators_nest() {
    let rule = json!({"all": [
        {"any": [
            {"attr": "department", "op": "inSubtree", "value": "hr"},
            {"attr": "group", "op": "memberOf", "value": "grp-interns"}
        ]},
        {"not": {"attr": "profile.country", "op": "eq", "value": "FR"}},
        {"attr": "createdAt", "op": "withinLastDays", "value": 30}
    ]});
    assert!(check(rule.clone()));
    let compiled = Rule::compile(&rule).expect("rule");
    assert_eq!(
        compiled.referenced_groups(),
        [GroupId::parse("g", "grp-interns").expect("id")]
    );
    let explained = compiled.explain(&ann(), &facts());
    assert_eq!(explained["result"], true);
    assert_eq!(explained["all"][0]["any"][0]["result"], false);
    assert_eq!(explained["all"][0]["any"][0]["actual"], "emea");
    assert_eq!(explained["all"][0]["any"][1]["result"], true);
    assert_eq!(explained["all"][1]["not"]["result"], false);
    assert_eq!(explained["all"][1]["result"], true);
}

fn error_at(rule: Json) -> String {
    match Rule::compile(&rule) {
        Err(Error::Validation { field, .. }) => field,
        other => panic!("{rule} gave {other:?}"),
    }
}

#[test]
fn validation_names_the_offending_node() {
    assert_eq!(
        error_at(
            json!({"all": [{"attr": "email", "op": "eq", "value": "a"}, {"attr": "email", "op": "gt", "value": 1}]})
        ),
        "/all/1/op"
    );
    assert_eq!(
        error_at(json!({"any": [{"attr": "colour", "op": "eq", "value": "a"}]})),
        "/any/0/attr"
    );
    assert_eq!(
        error_at(json!({"attr": "email", "op": "like", "value": "a"})),
        "/op"
    );
    assert_eq!(error_at(json!({"attr": "email", "op": "eq"})), "/value");
    assert_eq!(
        error_at(json!({"attr": "email", "op": "exists", "value": "x"})),
        "/value"
    );
    assert_eq!(
        error_at(json!({"attr": "email", "op": "eq", "value": "a", "extra": 1})),
        "/extra"
    );
    assert_eq!(error_at(json!({"all": []})), "/all");
    assert_eq!(error_at(json!({"all": [1]})), "/all/0");
    assert_eq!(
        error_at(json!({"all": [{"attr": "email", "op": "eq", "value": "a"}], "any": []})),
        ""
    );
    assert_eq!(
        error_at(json!({"attr": "status", "op": "eq", "value": "away"})),
        "/value"
    );
    assert_eq!(
        error_at(json!({"attr": "createdAt", "op": "before", "value": "yesterday"})),
        "/value"
    );
    assert_eq!(
        error_at(json!({"attr": "createdAt", "op": "withinLastDays", "value": -1})),
        "/value"
    );
    assert_eq!(
        error_at(json!({"attr": "createdAt", "op": "withinLastDays", "value": 1.5})),
        "/value"
    );
    assert_eq!(
        error_at(json!({"attr": "group", "op": "memberOf", "value": "../x"})),
        "/value"
    );
    assert_eq!(
        error_at(json!({"attr": "group", "op": "eq", "value": "g"})),
        "/op"
    );
    assert_eq!(
        error_at(json!({"attr": "profile.", "op": "eq", "value": "a"})),
        "/attr"
    );
    assert_eq!(
        error_at(json!({"attr": "profile.a.b", "op": "eq", "value": "a"})),
        "/attr"
    );
    assert_eq!(
        error_at(json!({"attr": "email", "op": "in", "value": []})),
        "/value"
    );
    assert_eq!(
        error_at(json!({"attr": "email", "op": "matches", "value": "(unclosed"})),
        "/value"
    );
    assert_eq!(error_at(json!("email = a")), "");
}

#[test]
fn limits_hold() {
    let mut deep = json!({"attr": "email", "op": "exists"});
    for _ in 0..MAX_DEPTH {
        deep = json!({"not": deep});
    }
    assert!(Rule::compile(&deep).is_ok(), "depth {MAX_DEPTH} is allowed");
    let too_deep = json!({"not": deep});
    assert!(Rule::compile(&too_deep).is_err());
    let wide = |n: usize| json!({"any": vec![json!({"attr": "email", "op": "exists"}); n]});
    assert!(Rule::compile(&wide(MAX_CONDITIONS)).is_ok());
    assert_eq!(
        error_at(wide(MAX_CONDITIONS + 1)),
        format!("/any/{MAX_CONDITIONS}")
    );
    // Huge patterns and patterns that compile to huge automata are refused.
    let long = "a".repeat(operators::MAX_REGEX_CHARS + 1);
    assert_eq!(error_at(cond("email", "matches", json!(long))), "/value");
    assert_eq!(
        error_at(cond("email", "matches", json!("(\\w{50}){50}"))),
        "/value"
    );
    let many = json!(
        (0..=operators::MAX_LIST_VALUES)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(error_at(cond("email", "in", many)), "/value");
}
