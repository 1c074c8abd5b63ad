//! The rule engine against CEL (the `cel` crate, the language of Google Workspace's dynamic
//! groups) on the same 100,000 generated users and equivalent rules of 5, 20 and 50
//! conditions: nested, with department subtrees and relative dates. Run with
//! `cargo bench -p groups-tests --bench rules`; BENCHMARKS.md records the results.

use cel::{Context, Program, Value as Cel};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use groups_domain::rule::{Facts, Rule};
use groups_domain::{GroupId, ProfileValue, User, UserId, UserStatus};
use groups_tests::generated::{COUNTRIES, Population, SKILLS};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::hint::black_box;
use time::OffsetDateTime;
use time::macros::datetime;

const USERS: usize = 100_000;
const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

fn users() -> Vec<User> {
    Population::new(NOW).take(USERS).collect()
}

/// One condition, as our rule JSON and as the equivalent CEL.
fn condition(i: usize) -> (Value, String) {
    let country = COUNTRIES[i % 5];
    match i % 7 {
        0 => (
            json!({"attr": "department", "op": "inSubtree", "value": "sales"}),
            "\"sales\" in user.deptPath".into(),
        ),
        1 => (
            json!({"attr": "profile.country", "op": "in", "value": [country, "fr"]}),
            format!("user.country in [\"{country}\", \"fr\"]"),
        ),
        2 => (
            json!({"attr": "createdAt", "op": "withinLastDays", "value": 30 + i}),
            format!(
                "user.createdAt >= now - {} && user.createdAt <= now",
                (30 + i) * 86_400
            ),
        ),
        3 => (
            json!({"attr": "profile.level", "op": "gte", "value": (i % 5) as f64}),
            format!("user.level >= {}.0", i % 5),
        ),
        4 => (
            json!({"attr": "email", "op": "endsWith", "value": "acme.io"}),
            "user.email.endsWith(\"acme.io\")".into(),
        ),
        5 => (
            json!({"attr": "profile.skills", "op": "contains", "value": SKILLS[i % 4]}),
            format!("\"{}\" in user.skills", SKILLS[i % 4]),
        ),
        _ => (
            json!({"attr": "status", "op": "eq", "value": "active"}),
            "user.status == \"active\"".into(),
        ),
    }
}

/// A nested rule of `n` conditions: groups of three under `any`, every other group negated,
/// all under `all`.
fn rule(n: usize) -> (Value, String) {
    let mut json_groups = Vec::new();
    let mut cel_groups = Vec::new();
    for (g, chunk) in (0..n).collect::<Vec<_>>().chunks(3).enumerate() {
        let (jsons, cels): (Vec<Value>, Vec<String>) = chunk.iter().map(|i| condition(*i)).unzip();
        let any_json = json!({"any": jsons});
        let any_cel = format!("({})", cels.join(" || "));
        if g % 2 == 1 {
            json_groups.push(json!({"not": any_json}));
            cel_groups.push(format!("!{any_cel}"));
        } else {
            json_groups.push(any_json);
            cel_groups.push(any_cel);
        }
    }
    (json!({"all": json_groups}), cel_groups.join(" && "))
}

struct NoGroups;
impl Facts for NoGroups {
    fn now(&self) -> OffsetDateTime {
        NOW
    }
    fn is_member(&self, _: &GroupId, _: &UserId) -> bool {
        false
    }
}

/// The user as CEL sees it, lower-cased where our engine compares ignoring case.
fn cel_user(u: &User) -> Cel {
    let text = |k: &str| match u.profile.get(k) {
        Some(ProfileValue::Text(t)) => Cel::from(t.to_lowercase()),
        _ => Cel::Null,
    };
    let mut m: HashMap<String, Cel> = HashMap::new();
    m.insert(
        "deptPath".into(),
        Cel::from(
            u.department
                .iter()
                .flat_map(|p| p.ids())
                .map(|d| d.to_string())
                .collect::<Vec<_>>(),
        ),
    );
    m.insert("country".into(), text("country"));
    m.insert(
        "level".into(),
        match u.profile.get("level") {
            Some(ProfileValue::Number(n)) => Cel::Float(*n),
            _ => Cel::Null,
        },
    );
    m.insert(
        "skills".into(),
        match u.profile.get("skills") {
            Some(ProfileValue::List(l)) => {
                Cel::from(l.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>())
            }
            _ => Cel::from(Vec::<String>::new()),
        },
    );
    m.insert("email".into(), Cel::from(u.email.to_lowercase()));
    m.insert(
        "status".into(),
        Cel::from(if u.status == UserStatus::Active {
            "active"
        } else {
            "inactive"
        }),
    );
    m.insert("createdAt".into(), Cel::Int(u.created_at.unix_timestamp()));
    Cel::from(m)
}

fn bench(c: &mut Criterion) {
    let users = users();
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.throughput(Throughput::Elements(USERS as u64));
    for n in [5, 20, 50] {
        let (json, cel_source) = rule(n);
        let compiled = Rule::compile(&json).expect("rule");
        let program = Program::compile(&cel_source).expect("cel");
        // Both agree before anything is timed.
        let root = Context::default();
        for u in users.iter().take(2_000) {
            let mut ctx = root.new_inner_scope();
            ctx.add_variable_from_value("user", cel_user(u));
            ctx.add_variable_from_value("now", Cel::Int(NOW.unix_timestamp()));
            let cel = matches!(program.execute(&ctx), Ok(Cel::Bool(true)));
            assert_eq!(
                compiled.matches(u, &NoGroups),
                cel,
                "{n} conditions disagree on {u:?}"
            );
        }
        group.bench_function(format!("engine/{n}"), |b| {
            b.iter(|| {
                users
                    .iter()
                    .filter(|u| compiled.matches(black_box(u), &NoGroups))
                    .count()
            })
        });
        group.bench_function(format!("cel/{n}"), |b| {
            b.iter(|| {
                users
                    .iter()
                    .filter(|u| {
                        let mut ctx = root.new_inner_scope();
                        ctx.add_variable_from_value("user", cel_user(black_box(u)));
                        ctx.add_variable_from_value("now", Cel::Int(NOW.unix_timestamp()));
                        matches!(program.execute(&ctx), Ok(Cel::Bool(true)))
                    })
                    .count()
            })
        });
        // CEL with the user's map built outside the timing: the language's own cost.
        let maps: Vec<Cel> = users.iter().map(cel_user).collect();
        group.bench_function(format!("cel-prebuilt/{n}"), |b| {
            b.iter(|| {
                maps.iter()
                    .filter(|m| {
                        let mut ctx = root.new_inner_scope();
                        ctx.add_variable_from_value("user", (*m).clone());
                        ctx.add_variable_from_value("now", Cel::Int(NOW.unix_timestamp()));
                        matches!(program.execute(&ctx), Ok(Cel::Bool(true)))
                    })
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
