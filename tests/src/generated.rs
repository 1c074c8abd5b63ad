//! Generated users and rules for benchmarks: deterministic, so every run measures the same data.
//! Users come one at a time, so a benchmark holds only what it keeps.

use groups_domain::{
    DepartmentId, DepartmentPath, ProfileValue, RoleRef, User, UserId, UserStatus,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// xorshift64: fast, deterministic, good enough for spreading attributes.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// (id, parent) of the generated department tree.
pub const DEPARTMENTS: [(&str, Option<&str>); 7] = [
    ("root", None),
    ("sales", Some("root")),
    ("emea", Some("sales")),
    ("apac", Some("sales")),
    ("hr", Some("root")),
    ("interns", Some("hr")),
    ("eng", Some("root")),
];

/// Writes [`DEPARTMENTS`] into `account`.
pub async fn seed_departments<S: groups_domain::Store>(
    store: &S,
    account: &groups_domain::AccountId,
) {
    for (id, parent) in DEPARTMENTS {
        let parse =
            |d: &str| groups_domain::DepartmentId::parse("d", d).expect("generated ids are valid");
        let d = groups_domain::Department::new(parse(id), id, parent.map(parse))
            .expect("valid department");
        store
            .put_department(account, &d)
            .await
            .expect("put department");
    }
}
pub const PATHS: [&[&str]; 6] = [
    &["root", "sales"],
    &["root", "sales", "emea"],
    &["root", "sales", "apac"],
    &["root", "hr"],
    &["root", "hr", "interns"],
    &["root", "eng"],
];
pub const COUNTRIES: [&str; 5] = ["de", "fr", "us", "jp", "br"];
pub const SKILLS: [&str; 4] = ["excel", "crm", "sql", "design"];

fn department(ids: &[&str]) -> DepartmentPath {
    DepartmentPath::new(
        ids.iter()
            .map(|d| DepartmentId::parse("d", *d).expect("generated ids are valid"))
            .collect(),
    )
    .expect("generated paths are valid")
}

/// The generated users, in order: spread over the departments, countries, levels 0–5, up to
/// two skills, 10% inactive, created over the 400 days before `now`.
pub struct Population {
    rng: Rng,
    next: usize,
    now: OffsetDateTime,
}

impl Population {
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            rng: Rng(0x9E37_79B9_7F4A_7C15),
            next: 0,
            now,
        }
    }
}

impl Iterator for Population {
    type Item = User;

    fn next(&mut self) -> Option<User> {
        let (n, rng) = (self.next, &mut self.rng);
        self.next += 1;
        let path = PATHS[rng.below(PATHS.len())];
        let mut profile = BTreeMap::new();
        profile.insert(
            "country".to_owned(),
            ProfileValue::Text(COUNTRIES[rng.below(5)].to_uppercase()),
        );
        profile.insert(
            "level".to_owned(),
            ProfileValue::Number(rng.below(6) as f64),
        );
        profile.insert(
            "skills".to_owned(),
            ProfileValue::List(
                (0..rng.below(3))
                    .map(|_| SKILLS[rng.below(4)].to_owned())
                    .collect(),
            ),
        );
        Some(User {
            id: UserId::parse("id", format!("u{n}")).expect("generated ids are valid"),
            email: format!(
                "user{n}@{}",
                if n % 3 == 0 { "acme.io" } else { "example.com" }
            ),
            first_name: format!("First{n}"),
            last_name: format!("Last{n}"),
            department: Some(department(path)),
            role: RoleRef::parse("role", "learner").expect("learner is a role"),
            status: if rng.below(10) == 0 {
                UserStatus::Inactive
            } else {
                UserStatus::Active
            },
            job_title: "Specialist".into(),
            created_at: self.now - Duration::hours(rng.below(24 * 400) as i64),
            profile,
            managed_department_ids: vec![],
            registered_at: None,
            updated_at: None,
        })
    }
}

/// The `i`-th smart group rule of a refresh benchmark: a department subtree, a country and a
/// level, sometimes a skill or a recent start: each matches about 1% of the users, the way
/// real smart groups (a team in a country at a grade) do.
pub fn narrow_rule(i: usize) -> Value {
    let subtree = ["sales", "hr", "eng", "emea", "apac"][i % 5];
    let mut all = vec![
        json!({"attr": "department", "op": "inSubtree", "value": subtree}),
        json!({"attr": "profile.country", "op": "eq", "value": COUNTRIES[(i / 5) % 5]}),
        json!({"any": [
            {"attr": "profile.level", "op": "eq", "value": (i % 6) as f64},
            {"attr": "profile.level", "op": "eq", "value": ((i + 1) % 6) as f64},
        ]}),
    ];
    match i % 3 {
        0 => all.push(json!({"attr": "status", "op": "eq", "value": "active"})),
        1 => all.push(
            json!({"not": {"attr": "profile.skills", "op": "contains", "value": SKILLS[i % 4]}}),
        ),
        _ => all.push(json!({"attr": "createdAt", "op": "withinLastDays", "value": 200 + i})),
    }
    json!({ "all": all })
}

/// A team rule for the refresh at scale: [`narrow_rule`] with one level instead of two and
/// only the company's own mail domain, so each matches about 0.2% of the users (a team of
/// 200 in 100,000): DynamoDB Local writes memberships at tens per second, and a full refresh
/// of realistic teams is what the schedule runs.
pub fn team_rule(i: usize) -> Value {
    let subtree = ["sales", "hr", "eng", "emea", "apac"][i % 5];
    json!({"all": [
        {"attr": "department", "op": "inSubtree", "value": subtree},
        {"attr": "profile.country", "op": "eq", "value": COUNTRIES[(i / 5) % 5]},
        {"attr": "profile.level", "op": "eq", "value": (i % 6) as f64},
        {"attr": "email", "op": "endsWith", "value": "acme.io"},
    ]})
}
