//! The engine and the plain reference evaluator agree on every (user, rule) pair: 10,000
//! generated users × 200 generated rules.

use groups_domain::rule::{Facts, Rule};
use groups_domain::{
    DepartmentId, DepartmentPath, GroupId, ProfileValue, RoleRef, User, UserId, UserStatus,
};
use groups_tests::reference::{World, evaluate};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const PATHS: [&[&str]; 6] = [
    &["root"],
    &["root", "sales"],
    &["root", "sales", "emea"],
    &["root", "sales", "apac"],
    &["root", "hr"],
    &["root", "hr", "interns"],
];
const DEPARTMENTS: [&str; 7] = ["root", "sales", "emea", "apac", "hr", "interns", "nowhere"];
const DOMAINS: [&str; 4] = ["acme.io", "ACME.io", "example.com", "globex.de"];
const TITLES: [&str; 6] = [
    "Account Manager",
    "account executive",
    "Engineer",
    "Über Lead",
    "",
    "Sales Rep",
];
const COUNTRIES: [&str; 5] = ["DE", "de", "FR", "US", "Ö"];
const SKILLS: [&str; 5] = ["Excel", "crm", "SQL", "design", "ÉLAN"];
const ROLES: [&str; 4] = ["learner", "admin", "trainer", "departmentAdmin"];
const GROUPS: [&str; 3] = ["grp-a", "grp-b", "grp-c"];

fn user(rng: &mut Rng, n: usize) -> User {
    let dep = |s: &&str| DepartmentId::parse("d", *s).expect("id");
    let department = if rng.chance(10) {
        None
    } else {
        Some(DepartmentPath::new(rng.pick(&PATHS).iter().map(dep).collect()).expect("path"))
    };
    let mut profile = BTreeMap::new();
    if rng.chance(80) {
        profile.insert(
            "country".to_owned(),
            ProfileValue::Text((*rng.pick(&COUNTRIES)).into()),
        );
    }
    if rng.chance(80) {
        profile.insert(
            "level".to_owned(),
            ProfileValue::Number(rng.below(6) as f64 + if rng.chance(20) { 0.5 } else { 0.0 }),
        );
    }
    if rng.chance(80) {
        profile.insert(
            "hired".to_owned(),
            ProfileValue::Date(NOW - Duration::hours(rng.below(24 * 400) as i64 - 24)),
        );
    }
    if rng.chance(80) {
        let skills = (0..rng.below(4))
            .map(|_| (*rng.pick(&SKILLS)).to_owned())
            .collect();
        profile.insert("skills".to_owned(), ProfileValue::List(skills));
    }
    if rng.chance(30) {
        // A field whose type differs between users.
        profile.insert(
            "mixed".to_owned(),
            if rng.chance(50) {
                ProfileValue::Number(2.0)
            } else {
                ProfileValue::Text("2".into())
            },
        );
    }
    User {
        id: UserId::parse("id", format!("u{n}")).expect("id"),
        email: format!("user{n}@{}", rng.pick(&DOMAINS)),
        first_name: "F".into(),
        last_name: "L".into(),
        department,
        role: RoleRef::parse("role", ROLES[rng.below(ROLES.len())]).expect("role"),
        status: if rng.chance(80) {
            UserStatus::Active
        } else {
            UserStatus::Inactive
        },
        job_title: (*rng.pick(&TITLES)).into(),
        created_at: NOW - Duration::hours(rng.below(24 * 400) as i64),
        profile,
        managed_department_ids: vec![],
        registered_at: None,
        updated_at: None,
    }
}

fn date_value(rng: &mut Rng) -> Value {
    let at = NOW - Duration::days(rng.below(400) as i64);
    if rng.chance(50) {
        json!(format!("{}", at.date()))
    } else {
        json!(
            at.to_offset(time::UtcOffset::from_hms(2, 0, 0).expect("offset"))
                .format(&time::format_description::well_known::Rfc3339)
                .expect("format")
        )
    }
}

fn condition(rng: &mut Rng) -> Value {
    let text_ops = [
        "eq",
        "ne",
        "in",
        "notIn",
        "startsWith",
        "endsWith",
        "contains",
        "exists",
        "isEmpty",
        "matches",
    ];
    match rng.below(11) {
        0 => {
            let op = *rng.pick(&["eq", "ne", "in", "notIn", "inSubtree", "exists", "isEmpty"]);
            let value = match op {
                "in" | "notIn" => json!([rng.pick(&DEPARTMENTS), rng.pick(&DEPARTMENTS)]),
                "exists" | "isEmpty" => Value::Null,
                _ => json!(rng.pick(&DEPARTMENTS)),
            };
            json!({"attr": "department", "op": op, "value": value})
        }
        1 => {
            json!({"attr": "group", "op": rng.pick(&["memberOf", "notMemberOf"]), "value": rng.pick(&GROUPS)})
        }
        2 => {
            json!({"attr": "status", "op": rng.pick(&["eq", "ne"]), "value": rng.pick(&["active", "inactive"])})
        }
        3 => {
            json!({"attr": "role", "op": rng.pick(&["eq", "ne", "startsWith"]), "value": rng.pick(&ROLES)})
        }
        4 | 5 => {
            let attr = *rng.pick(&["email", "emailDomain", "jobTitle", "profile.country"]);
            let op = *rng.pick(&text_ops);
            let pool: &[&str] = match attr {
                "jobTitle" => &["account", "Manager", "über", "sales rep", "engineer"],
                "profile.country" => &["de", "FR", "ö", "u"],
                _ => &["acme.io", "user1", "EXAMPLE.com", ".de", "user"],
            };
            let value = match op {
                "in" | "notIn" => json!([rng.pick(pool), rng.pick(pool)]),
                "exists" | "isEmpty" => Value::Null,
                "matches" => {
                    json!(rng.pick(&["^user1", "(?i)acme", "Manager$", "[0-9]{2}@", "^$"]))
                }
                _ => json!(rng.pick(pool)),
            };
            json!({"attr": attr, "op": op, "value": value})
        }
        6 => {
            let op = *rng.pick(&[
                "before",
                "after",
                "withinLastDays",
                "moreThanDaysAgo",
                "exists",
            ]);
            let attr = *rng.pick(&["createdAt", "profile.hired"]);
            let value = match op {
                "before" | "after" => date_value(rng),
                "exists" => Value::Null,
                _ => json!(rng.below(400)),
            };
            json!({"attr": attr, "op": op, "value": value})
        }
        7 => {
            let attr = *rng.pick(&["profile.level", "profile.mixed", "profile.country"]);
            let op = *rng.pick(&["gt", "gte", "lt", "lte", "eq", "ne", "in"]);
            let value = if op == "in" {
                json!([rng.below(6), 2])
            } else {
                json!(rng.below(6))
            };
            json!({"attr": attr, "op": op, "value": value})
        }
        8 => {
            let op = *rng.pick(&[
                "contains",
                "eq",
                "in",
                "notIn",
                "ne",
                "isEmpty",
                "exists",
                "startsWith",
            ]);
            let value = match op {
                "in" | "notIn" => json!([rng.pick(&SKILLS), "none"]),
                "isEmpty" | "exists" => Value::Null,
                _ => json!(rng.pick(&["excel", "CRM", "sql", "élan", "des"])),
            };
            json!({"attr": "profile.skills", "op": op, "value": value})
        }
        9 => {
            json!({"attr": "profile.mixed", "op": rng.pick(&["eq", "startsWith", "exists"]), "value": "2"})
        }
        _ => {
            let op = *rng.pick(&text_ops);
            let value = if op == "in" || op == "notIn" {
                json!(["x"])
            } else {
                json!("x")
            };
            json!({"attr": "profile.absent", "op": op, "value": value})
        }
    }
}

fn rule(rng: &mut Rng, depth: usize) -> Value {
    if depth >= 3 || rng.chance(35) {
        let mut c = condition(rng);
        if c["value"].is_null() || c["op"] == "exists" || c["op"] == "isEmpty" {
            c.as_object_mut().expect("object").remove("value");
        }
        return c;
    }
    match rng.below(3) {
        0 => json!({"not": rule(rng, depth + 1)}),
        1 => {
            json!({"all": (0..1 + rng.below(4)).map(|_| rule(rng, depth + 1)).collect::<Vec<_>>()})
        }
        _ => {
            json!({"any": (0..1 + rng.below(4)).map(|_| rule(rng, depth + 1)).collect::<Vec<_>>()})
        }
    }
}

struct SetFacts<'a>(&'a HashSet<(String, String)>);

impl Facts for SetFacts<'_> {
    fn now(&self) -> OffsetDateTime {
        NOW
    }
    fn is_member(&self, group: &GroupId, user: &UserId) -> bool {
        self.0.contains(&(group.to_string(), user.to_string()))
    }
}

#[test]
fn the_engine_agrees_with_the_reference_on_10k_users_and_200_rules() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let users: Vec<User> = (0..10_000).map(|n| user(&mut rng, n)).collect();
    let mut memberships = HashSet::new();
    for u in &users {
        for g in GROUPS {
            if rng.chance(30) {
                memberships.insert((g.to_owned(), u.id.to_string()));
            }
        }
    }
    let world = World {
        now: NOW,
        memberships: &memberships,
    };
    let facts = SetFacts(&memberships);
    let mut checked = 0;
    let mut matched = 0;
    for r in 0..200 {
        let json = rule(&mut rng, 0);
        let compiled = Rule::compile(&json).unwrap_or_else(|e| panic!("rule {r} {json}: {e}"));
        for u in &users {
            let engine = compiled.matches(u, &facts);
            let reference = evaluate(u, &json, &world);
            assert_eq!(engine, reference, "rule {r} {json} on {u:?}");
            checked += 1;
            matched += usize::from(engine);
        }
    }
    assert_eq!(checked, 2_000_000);
    // The generated rules are neither all-true nor all-false.
    assert!(
        matched > 100_000 && matched < 1_900_000,
        "{matched} matches"
    );
}
