//! A synthetic directory for measuring imports: a department tree, a few custom roles, users
//! with profile fields, a few static groups and their memberships. Deterministic (a fixed
//! seed), so a timing can be reproduced with the same file.

use crate::Failure;
use crate::rows::{DepartmentRow, GroupRow, MembershipRow, RoleRow, Row, UserRow};
use serde_json::{Map, Value, json};
use std::io::Write;

const DIVISIONS: [&str; 8] = [
    "Sales",
    "Marketing",
    "Engineering",
    "People",
    "Finance",
    "Operations",
    "Support",
    "Legal",
];
const TEAMS_PER_DIVISION: usize = 4;
const FIRST: [&str; 12] = [
    "Ann", "Ben", "Chloe", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ines", "Jon", "Kemal",
    "Lea",
];
const LAST: [&str; 12] = [
    "Novak", "Schmidt", "Rossi", "Garcia", "Kowalski", "Yilmaz", "Berg", "Dubois", "Silva",
    "Olsen", "Horvat", "Meyer",
];
const TITLES: [&str; 6] = [
    "Analyst",
    "Engineer",
    "Manager",
    "Specialist",
    "Coordinator",
    "Associate",
];
const COUNTRIES: [&str; 6] = ["DE", "FR", "US", "PL", "TR", "BR"];

/// What a sample holds besides its users.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    pub users: usize,
    pub root_id: String,
    pub root_name: String,
}

/// A small linear congruential generator: reproducible without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below.max(1) as u64) as usize
    }
}

fn team_id(division: usize, team: usize) -> String {
    format!("{}-{}", DIVISIONS[division].to_lowercase(), team + 1)
}

/// Writes the sample as JSON Lines, answering the number of rows written.
pub fn write_sample(spec: &SampleSpec, out: &mut impl Write) -> Result<u64, Failure> {
    let mut rows = 0u64;
    let mut put = |out: &mut dyn Write, row: Row| -> Result<(), Failure> {
        let line = row.to_json_line().map_err(|e| Failure(e.to_string()))?;
        writeln!(out, "{line}")?;
        rows += 1;
        Ok(())
    };
    put(out, department(&spec.root_id, &spec.root_name, None))?;
    for (d, name) in DIVISIONS.iter().enumerate() {
        let id = name.to_lowercase();
        put(out, department(&id, name, Some(&spec.root_id)))?;
        for t in 0..TEAMS_PER_DIVISION {
            put(
                out,
                department(&team_id(d, t), &format!("{name} Team {}", t + 1), Some(&id)),
            )?;
        }
    }
    let roles = [
        (
            "trainer",
            "Trainer",
            vec!["groups:view", "groups:members", "users:view"],
            "account",
        ),
        (
            "auditor",
            "Auditor",
            vec!["groups:view", "users:view"],
            "account",
        ),
        (
            "team-lead",
            "Team Lead",
            vec![
                "groups:view",
                "groups:create",
                "groups:edit",
                "groups:members",
                "users:view",
            ],
            "managedDepartments",
        ),
    ];
    for (id, name, permissions, scope) in roles {
        put(
            out,
            Row::Role(RoleRow {
                id: id.into(),
                name: name.into(),
                permissions: permissions.into_iter().map(str::to_owned).collect(),
                scope: scope.into(),
            }),
        )?;
    }
    let groups = [
        ("grp-onboarding", "Onboarding", None),
        ("grp-safety", "Safety Training", None),
        ("grp-leadership", "Leadership", None),
        ("grp-sales-academy", "Sales Academy", Some(0usize)),
        ("grp-engineering-guild", "Engineering Guild", Some(2usize)),
    ];
    for (id, title, owner) in groups {
        put(
            out,
            Row::Group(GroupRow {
                id: id.into(),
                title: title.into(),
                description: Some(format!("{title} (sample)")),
                owner_department_id: owner.map(|d| DIVISIONS[d].to_lowercase()),
            }),
        )?;
    }
    let mut rng = Lcg(0x5eed);
    let mut memberships = Vec::new();
    for n in 1..=spec.users {
        let (division, team) = (rng.next(DIVISIONS.len()), rng.next(TEAMS_PER_DIVISION));
        let department = team_id(division, team);
        let id = format!("u{n:07}");
        let pick = rng.next(1000);
        let (role, managed) = match pick {
            0..=9 => ("team-lead", vec![department.clone()]),
            10..=19 => ("trainer", vec![]),
            20..=24 => ("auditor", vec![]),
            _ => ("learner", vec![]),
        };
        let mut profile = Map::new();
        profile.insert(
            "country".into(),
            json!(COUNTRIES[rng.next(COUNTRIES.len())]),
        );
        profile.insert("level".into(), json!(rng.next(5) + 1));
        let hired =
            time::Date::from_ordinal_date(2015 + rng.next(10) as i32, 1 + rng.next(365) as u16)
                .map(|d| d.to_string())
                .unwrap_or_else(|_| "2020-01-01".into());
        profile.insert("hired".into(), Value::String(hired));
        let (first, last) = (FIRST[rng.next(FIRST.len())], LAST[rng.next(LAST.len())]);
        put(
            out,
            Row::User(UserRow {
                id: id.clone(),
                email: format!(
                    "{}.{}.{n}@sample.example",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
                first_name: first.into(),
                last_name: last.into(),
                department_id: Some(department),
                role: Some(role.into()),
                status: Some(
                    if rng.next(100) < 3 {
                        "inactive"
                    } else {
                        "active"
                    }
                    .into(),
                ),
                job_title: Some(TITLES[rng.next(TITLES.len())].into()),
                managed_department_ids: managed,
                profile: Some(profile),
                created_at: None,
            }),
        )?;
        for (group, _, owner) in groups {
            let chance = match owner {
                None => 10,
                Some(d) if d == division => 30,
                Some(_) => 0,
            };
            if rng.next(100) < chance {
                memberships.push((group, id.clone()));
            }
        }
    }
    for (group, user) in memberships {
        put(
            out,
            Row::Membership(MembershipRow {
                group_id: group.into(),
                user_id: user,
            }),
        )?;
    }
    out.flush()?;
    Ok(rows)
}

fn department(id: &str, name: &str, parent: Option<&str>) -> Row {
    Row::Department(DepartmentRow {
        id: id.into(),
        name: name.into(),
        parent_id: parent.map(str::to_owned),
    })
}
