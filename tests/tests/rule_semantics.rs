//! The text, emptiness, enumeration and date semantics DESIGN.md §3 pins down, held to the
//! reference evaluator on generated users and rules whose strings are drawn from tricky
//! pieces: Greek final sigma, German sharp s (small and capital), Turkish dotted and dotless
//! i, combining marks, the `ﬁ` ligature, the Kelvin sign, plain ASCII and empty strings.
//!
//! A handful of explicit cases come first: the examples DESIGN.md names, each checked against
//! both the engine and the reference.

use groups_domain::rule::{Facts, Rule};
use groups_domain::user::parse_date;
use groups_domain::{GroupId, ProfileValue, RoleRef, User, UserId, UserStatus};
use groups_tests::generated::Rng;
use groups_tests::reference::{World, evaluate};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

const SEEDS: [u64; 3] = [
    0x0DD5_EED5_0000_0001,
    0x5EED_CAFE_F00D_0002,
    0x9E37_79B9_7F4A_7C15,
];
const USERS_PER_SEED: usize = 256;
const RULES_PER_SEED: usize = 400;

/// The pieces user texts and condition values are built from.
const PIECES: [&str; 33] = [
    // Greek: final and non-final sigma.
    "ΟΔΟΣ",
    "οδος",
    "οδοσ",
    "Σ",
    "ς",
    "σ",
    // German: sharp s, small and capital.
    "Straße",
    "STRASSE",
    "strasse",
    "ẞ",
    // Turkish: dotted capital İ folds to i + U+0307, dotless ı stays ı.
    "İstanbul",
    "istanbul",
    "ISTANBUL",
    "ıstanbul",
    "I",
    "ı",
    "İ",
    "i",
    // Combining marks are not normalised: precomposed é differs from e + U+0301.
    "é",
    "e\u{301}",
    "É",
    // Ligature and Kelvin sign.
    "ﬁle",
    "FILE",
    "\u{212A}",
    "k",
    "K",
    // Plain ASCII.
    "file",
    "Sales",
    "sales rep",
    "x",
    "ss",
    "SS",
    // Empty.
    "",
];

/// Email domains: the local part comes from [`PIECES`].
const DOMAINS: [&str; 6] = [
    "acme.io",
    "ACME.IO",
    "straße.de",
    "STRASSE.DE",
    "\u{212A}.io",
    "k.io",
];

/// Builtin roles and two custom role ids that fold interestingly against tricky values.
const ROLES: [&str; 5] = [
    "learner",
    "admin",
    "departmentAdmin",
    "Trainer-K",
    "strasse",
];
const ROLE_VALUES: [&str; 10] = [
    "learner",
    "LEARNER",
    "Admin",
    "departmentadmin",
    "DEPARTMENTADMIN",
    "trainer-\u{212A}",
    "TRAINER-k",
    "STRAẞE",
    "straße",
    "ıearner",
];

/// The instants users hold (created-at and date-valued profile fields).
const DATES: [OffsetDateTime; 5] = [
    datetime!(2024-01-01 0:00 UTC),
    datetime!(2024-02-29 0:00 UTC),
    datetime!(2024-02-29 13:45 UTC),
    datetime!(2025-12-31 23:59:59 UTC),
    datetime!(2026-11-26 0:00 UTC),
];

/// Date values of conditions: the same instants written several ways, and one held by no user.
const DATE_VALUES: [&str; 11] = [
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "2024-01-01T02:00:00+02:00",
    "2024-02-29",
    "2024-02-29T13:45:00Z",
    "2024-02-29T15:45:00+02:00",
    "2025-12-31T23:59:59Z",
    "2026-01-01T00:59:59+01:00",
    "2026-11-26",
    "2026-11-26T00:00:00.000Z",
    "2023-06-15",
];

const PATTERNS: [&str; 6] = ["^$", "(?i)^str", "ß", "^İ", "(?i)σ$", "\u{301}"];

const TEXT_OPS: [&str; 10] = [
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

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len())]
}

fn chance(rng: &mut Rng, percent: usize) -> bool {
    rng.below(100) < percent
}

/// `s` as it is, upper-cased, lower-cased (with the final-sigma rule), each character in a
/// random case, or with its first character upper-cased.
fn variant(rng: &mut Rng, s: &str) -> String {
    match rng.below(5) {
        0 => s.to_owned(),
        1 => s.to_uppercase(),
        2 => s.to_lowercase(),
        3 => s
            .chars()
            .flat_map(|c| -> Vec<char> {
                if chance(rng, 50) {
                    c.to_uppercase().collect()
                } else {
                    c.to_lowercase().collect()
                }
            })
            .collect(),
        _ => {
            let mut chars = s.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        }
    }
}

/// A text made of one or two pieces (possibly empty).
fn text(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => String::new(),
        1..=6 => (*pick(rng, &PIECES)).to_owned(),
        _ => {
            let a = *pick(rng, &PIECES);
            let b = *pick(rng, &PIECES);
            let sep = *pick(rng, &["", " "]);
            format!("{a}{sep}{b}")
        }
    }
}

/// A non-empty slice of a text (a prefix, suffix or middle), in some case.
fn part(rng: &mut Rng) -> String {
    let chars: Vec<char> = loop {
        let t = text(rng);
        if !t.is_empty() {
            break t.chars().collect();
        }
    };
    let start = match rng.below(3) {
        0 => 0,
        _ => rng.below(chars.len()),
    };
    let end = match rng.below(3) {
        0 => chars.len(),
        _ => start + 1 + rng.below(chars.len() - start),
    };
    let slice: String = chars[start..end].iter().collect();
    variant(rng, &slice)
}

fn date(rng: &mut Rng) -> OffsetDateTime {
    *pick(rng, &DATES)
}

fn user(rng: &mut Rng, n: usize) -> User {
    let mut profile = BTreeMap::new();
    if chance(rng, 85) {
        profile.insert("title".to_owned(), ProfileValue::Text(text(rng)));
    }
    if chance(rng, 85) {
        let items = (0..rng.below(4)).map(|_| text(rng)).collect();
        profile.insert("tags".to_owned(), ProfileValue::List(items));
    }
    if chance(rng, 80) {
        profile.insert("hired".to_owned(), ProfileValue::Date(date(rng)));
    }
    // A field whose type differs between users.
    match rng.below(5) {
        0 => {}
        1 => {
            profile.insert("note".to_owned(), ProfileValue::Text(text(rng)));
        }
        2 => {
            profile.insert("note".to_owned(), ProfileValue::Date(date(rng)));
        }
        3 => {
            let items = (0..rng.below(3)).map(|_| text(rng)).collect();
            profile.insert("note".to_owned(), ProfileValue::List(items));
        }
        _ => {
            profile.insert("note".to_owned(), ProfileValue::Number(2.0));
        }
    }
    User {
        id: UserId::parse("id", format!("u{n}")).expect("generated ids are valid"),
        email: format!("{}@{}", text(rng), pick(rng, &DOMAINS)),
        first_name: "F".into(),
        last_name: "L".into(),
        department: None,
        role: RoleRef::parse("role", pick::<&str>(rng, &ROLES)).expect("generated roles are valid"),
        status: if chance(rng, 50) {
            UserStatus::Active
        } else {
            UserStatus::Inactive
        },
        job_title: text(rng),
        created_at: date(rng),
        profile,
        managed_department_ids: vec![],
        registered_at: None,
        updated_at: None,
    }
}

/// An equality value for a text attribute: a whole text in some case.
fn whole(rng: &mut Rng, attr: &str) -> String {
    match attr {
        "email" => {
            let local = text(rng);
            let domain = *pick(rng, &DOMAINS);
            format!("{}@{}", variant(rng, &local), variant(rng, domain))
        }
        "emailDomain" => {
            let domain = *pick(rng, &DOMAINS);
            variant(rng, domain)
        }
        "role" => (*pick(rng, &ROLE_VALUES)).to_owned(),
        _ => {
            let t = text(rng);
            variant(rng, &t)
        }
    }
}

/// The value of a text condition, `None` for operators that take none.
fn text_value(rng: &mut Rng, attr: &str, op: &str) -> Option<Value> {
    Some(match op {
        "eq" | "ne" => json!(whole(rng, attr)),
        "in" | "notIn" => {
            json!(
                (0..1 + rng.below(4))
                    .map(|_| whole(rng, attr))
                    .collect::<Vec<_>>()
            )
        }
        "startsWith" | "endsWith" | "contains" => match attr {
            "email" | "emailDomain" if op == "endsWith" && chance(rng, 60) => {
                let domain = *pick(rng, &DOMAINS);
                json!(variant(rng, domain))
            }
            "role" => {
                let role = *pick(rng, &ROLE_VALUES);
                let cut = 1 + rng.below(role.chars().count());
                json!(role.chars().take(cut).collect::<String>())
            }
            _ => json!(part(rng)),
        },
        "matches" => json!(pick(rng, &PATTERNS)),
        _ => return None,
    })
}

fn date_value(rng: &mut Rng) -> String {
    (*pick(rng, &DATE_VALUES)).to_owned()
}

/// A status value in random case, now and then one that folding does not turn into a status.
fn status_value(rng: &mut Rng) -> String {
    if chance(rng, 3) {
        return (*pick(rng, &["İNACTIVE", "ınactive", "actives", ""])).to_owned();
    }
    let s = *pick(rng, &["active", "inactive"]);
    s.chars()
        .map(|c| {
            if chance(rng, 50) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn condition(rng: &mut Rng) -> Value {
    let (attr, op, value): (&str, &str, Option<Value>) = match rng.below(40) {
        // Text attributes with text operators.
        0..=24 => {
            let attr = *pick(
                rng,
                &[
                    "jobTitle",
                    "jobTitle",
                    "email",
                    "emailDomain",
                    "role",
                    "profile.title",
                    "profile.title",
                    "profile.tags",
                    "profile.tags",
                    "profile.note",
                    "profile.absent",
                ],
            );
            let op = *pick(rng, &TEXT_OPS);
            (attr, op, text_value(rng, attr, op))
        }
        // Enumerated status.
        25..=28 => {
            let op = *pick(rng, &["eq", "ne", "in", "notIn", "exists", "isEmpty"]);
            let value = match op {
                "eq" | "ne" => Some(json!(status_value(rng))),
                "in" | "notIn" => Some(json!(
                    (0..1 + rng.below(3))
                        .map(|_| status_value(rng))
                        .collect::<Vec<_>>()
                )),
                _ => None,
            };
            ("status", op, value)
        }
        // Date equality, with 1 to 4 values in lists.
        29..=35 => {
            let attr = *pick(
                rng,
                &[
                    "createdAt",
                    "profile.hired",
                    "profile.hired",
                    "profile.note",
                ],
            );
            let op = *pick(rng, &["eq", "ne", "in", "notIn"]);
            let value = if op == "in" || op == "notIn" {
                json!(
                    (0..1 + rng.below(4))
                        .map(|_| date_value(rng))
                        .collect::<Vec<_>>()
                )
            } else {
                json!(date_value(rng))
            };
            (attr, op, Some(value))
        }
        // Other date operators.
        36..=38 => {
            let attr = *pick(rng, &["createdAt", "profile.hired", "profile.note"]);
            let op = *pick(
                rng,
                &[
                    "before",
                    "after",
                    "withinLastDays",
                    "moreThanDaysAgo",
                    "exists",
                    "isEmpty",
                ],
            );
            let value = match op {
                "before" | "after" => Some(json!(date_value(rng))),
                "withinLastDays" | "moreThanDaysAgo" => {
                    Some(json!(*pick(rng, &[0, 1, 30, 300, 1000, 3000])))
                }
                _ => None,
            };
            (attr, op, value)
        }
        // Conditions the engine should reject on save (or, on a profile field, evaluate).
        _ => match rng.below(6) {
            0 => ("email", "gt", Some(json!(3))),
            1 => ("jobTitle", "startsWith", Some(json!(""))),
            2 => ("status", "contains", Some(json!("act"))),
            3 => ("createdAt", "eq", Some(json!("ΟΔΟΣ"))),
            4 => ("profile.title", "gt", Some(json!(1))),
            _ => ("jobTitle", "matches", Some(json!("(unclosed"))),
        },
    };
    let mut c = json!({"attr": attr, "op": op});
    if let Some(value) = value {
        c["value"] = value;
    }
    c
}

fn rule(rng: &mut Rng, depth: usize) -> Value {
    if depth >= 3 || chance(rng, 40) {
        return condition(rng);
    }
    match rng.below(3) {
        0 => json!({"not": rule(rng, depth + 1)}),
        1 => {
            json!({"all": (0..1 + rng.below(3)).map(|_| rule(rng, depth + 1)).collect::<Vec<_>>()})
        }
        _ => {
            json!({"any": (0..1 + rng.below(3)).map(|_| rule(rng, depth + 1)).collect::<Vec<_>>()})
        }
    }
}

/// The conditions of a rule, in order.
fn leaves(rule: &Value) -> Vec<&Value> {
    if let Some(inner) = rule.get("not") {
        return leaves(inner);
    }
    if let Some(items) = rule
        .get("all")
        .or_else(|| rule.get("any"))
        .and_then(Value::as_array)
    {
        return items.iter().flat_map(leaves).collect();
    }
    vec![rule]
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

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("dates format as RFC 3339")
}

/// The user's field a condition reads, as Rust that can be pasted into a unit test.
fn shown(user: &User, attr: &str) -> String {
    match attr {
        "jobTitle" => format!("job_title: {:?}.into()", user.job_title),
        "email" | "emailDomain" => format!("email: {:?}.into()", user.email),
        "status" => format!("status: UserStatus::{:?}", user.status),
        "role" => format!("role: RoleRef::parse(\"role\", {:?})", user.role.as_str()),
        "createdAt" => format!(
            "created_at: parse_date({:?}).expect(\"date\")",
            rfc3339(user.created_at)
        ),
        _ => {
            let field = attr.trim_start_matches("profile.");
            let value = match user.profile.get(field) {
                None => "absent".to_owned(),
                Some(ProfileValue::Text(t)) => format!("ProfileValue::Text({t:?}.into())"),
                Some(ProfileValue::Number(n)) => format!("ProfileValue::Number({n:?})"),
                Some(ProfileValue::Date(d)) => format!(
                    "ProfileValue::Date(parse_date({:?}).expect(\"date\"))",
                    rfc3339(*d)
                ),
                Some(ProfileValue::List(l)) => format!(
                    "ProfileValue::List(vec![{}])",
                    l.iter()
                        .map(|s| format!("{s:?}.into()"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            format!("profile[{field:?}]: {value}")
        }
    }
}

/// A minimal repro of a disagreement: the first condition that disagrees on its own, and the
/// one field of the user it reads.
fn repro(seed: u64, index: usize, json: &Value, user: &User, world: &World<'_>) -> String {
    let mut out = format!(
        "seed {seed:#x}, rule #{index}, user {}: the engine and the reference disagree\nrule: {json}\n",
        user.id
    );
    for leaf in leaves(json) {
        let compiled = Rule::compile(leaf).expect("a condition of a compiled rule compiles");
        let engine = compiled.matches(user, &NoGroups);
        let reference = evaluate(user, leaf, world);
        if engine != reference {
            let attr = leaf["attr"].as_str().unwrap_or_default();
            out.push_str(&format!(
                "condition: {leaf}\nuser field: {}\nengine says {engine}, reference says {reference}",
                shown(user, attr)
            ));
            return out;
        }
    }
    out.push_str("no single condition disagrees: the combinators do. Fields read:\n");
    for leaf in leaves(json) {
        let attr = leaf["attr"].as_str().unwrap_or_default();
        out.push_str(&format!("  {leaf}: {}\n", shown(user, attr)));
    }
    out
}

#[test]
fn the_engine_agrees_with_the_reference_on_tricky_text_dates_and_emptiness() {
    let memberships = HashSet::new();
    let world = World {
        now: NOW,
        memberships: &memberships,
    };
    let (mut checks, mut matched, mut rules, mut rejected) = (0usize, 0usize, 0usize, 0usize);
    // Outcomes of single-condition rules per operator: (true, false).
    let mut outcomes: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for seed in SEEDS {
        let mut rng = Rng(seed);
        let users: Vec<User> = (0..USERS_PER_SEED).map(|n| user(&mut rng, n)).collect();
        for index in 0..RULES_PER_SEED {
            let json = rule(&mut rng, 0);
            rules += 1;
            let Ok(compiled) = Rule::compile(&json) else {
                rejected += 1;
                continue;
            };
            let single = json.get("attr").is_some();
            for u in &users {
                let engine = compiled.matches(u, &NoGroups);
                let reference = evaluate(u, &json, &world);
                if engine != reference {
                    panic!("{}", repro(seed, index, &json, u, &world));
                }
                checks += 1;
                matched += usize::from(engine);
                if single {
                    let key = format!(
                        "{} {}",
                        json["attr"].as_str().unwrap_or_default(),
                        json["op"].as_str().unwrap_or_default()
                    );
                    let entry = outcomes.entry(key).or_default();
                    if engine {
                        entry.0 += 1;
                    } else {
                        entry.1 += 1;
                    }
                }
            }
        }
    }
    println!(
        "{checks} checks, {matched} matched; {rejected} of {rules} generated rules rejected on compile"
    );
    assert!(checks >= 200_000, "only {checks} checks");
    assert!(rejected > 0, "no generated rule was invalid");
    assert!(
        rejected * 5 < rules,
        "{rejected} of {rules} generated rules were rejected: most should compile"
    );
    assert!(
        matched > checks / 20 && matched < checks - checks / 20,
        "{matched} of {checks} matched: the rules should split the users"
    );
    // The tricky comparisons are exercised both ways, not vacuously false.
    for key in [
        "jobTitle eq",
        "jobTitle in",
        "jobTitle startsWith",
        "jobTitle endsWith",
        "jobTitle contains",
        "jobTitle matches",
        "email eq",
        "profile.tags contains",
        "profile.tags eq",
        "profile.title eq",
        "status eq",
        "role eq",
        "createdAt in",
        "profile.hired in",
    ] {
        let (yes, no) = outcomes.get(key).copied().unwrap_or_default();
        assert!(yes > 0 && no > 0, "{key}: {yes} true, {no} false");
    }
}

fn plain_user() -> User {
    User {
        id: UserId::parse("id", "u1").expect("id"),
        email: "ann@acme.io".into(),
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        department: None,
        role: RoleRef::parse("role", "learner").expect("role"),
        status: UserStatus::Active,
        job_title: "Engineer".into(),
        created_at: datetime!(2024-02-29 0:00 UTC),
        profile: BTreeMap::new(),
        managed_department_ids: vec![],
        registered_at: None,
        updated_at: None,
    }
}

/// The engine's answer, checked against the reference's.
fn both(rule: Value, user: &User) -> bool {
    let memberships = HashSet::new();
    let world = World {
        now: NOW,
        memberships: &memberships,
    };
    let compiled = Rule::compile(&rule).unwrap_or_else(|e| panic!("{rule} compiles: {e}"));
    let engine = compiled.matches(user, &NoGroups);
    assert_eq!(
        engine,
        evaluate(user, &rule, &world),
        "engine and reference on {rule}"
    );
    engine
}

fn titled(title: &str) -> User {
    User {
        job_title: title.into(),
        ..plain_user()
    }
}

#[test]
fn the_named_examples_hold() {
    let eq = |value: &str| json!({"attr": "jobTitle", "op": "eq", "value": value});
    // Final sigma, in any case.
    assert!(both(eq("οδοσ"), &titled("ΟΔΟΣ")));
    assert!(both(eq("ΟΔΟΣ"), &titled("οδος")));
    assert!(both(
        json!({"attr": "jobTitle", "op": "endsWith", "value": "ΟΣ"}),
        &titled("οδος")
    ));
    // Sharp s, small and capital.
    assert!(both(eq("STRASSE"), &titled("Straße")));
    assert!(both(eq("Straße"), &titled("STRASSE")));
    assert!(both(eq("ss"), &titled("ẞ")));
    assert!(both(eq("ß"), &titled("ẞ")));
    // Turkish: İ folds to i + U+0307, ı stays ı.
    assert!(both(eq("i\u{307}stanbul"), &titled("İstanbul")));
    assert!(!both(eq("istanbul"), &titled("İstanbul")));
    assert!(!both(eq("ISTANBUL"), &titled("ıstanbul")));
    assert!(both(eq("ISTANBUL"), &titled("istanbul")));
    // Ligature and Kelvin sign.
    assert!(both(eq("FILE"), &titled("ﬁle")));
    assert!(both(eq("k"), &titled("\u{212A}")));
    // Combining marks are not normalised.
    assert!(!both(eq("e\u{301}"), &titled("é")));
    assert!(both(eq("É"), &titled("é")));
    // Enumerated status ignores case.
    let inactive = User {
        status: UserStatus::Inactive,
        ..plain_user()
    };
    let status = json!({"attr": "status", "op": "eq", "value": "INACTIVE"});
    assert!(both(status.clone(), &inactive));
    assert!(!both(status, &plain_user()));
    assert!(both(
        json!({"attr": "status", "op": "in", "value": ["ACTIVE", "Inactive"]}),
        &inactive
    ));
    assert!(Rule::compile(&json!({"attr": "status", "op": "eq", "value": "İNACTIVE"})).is_err());
    // An empty job title counts as missing.
    let untitled = titled("");
    assert!(!both(
        json!({"attr": "jobTitle", "op": "matches", "value": "^$"}),
        &untitled
    ));
    assert!(both(
        json!({"attr": "jobTitle", "op": "isEmpty"}),
        &untitled
    ));
    assert!(!both(
        json!({"attr": "jobTitle", "op": "exists"}),
        &untitled
    ));
    assert!(both(
        json!({"attr": "jobTitle", "op": "ne", "value": "x"}),
        &untitled
    ));
    assert!(both(
        json!({"attr": "jobTitle", "op": "notIn", "value": ["x", "y"]}),
        &untitled
    ));
    assert!(!both(eq(""), &untitled));
    // `matches` is case-sensitive unless it says (?i).
    assert!(!both(
        json!({"attr": "jobTitle", "op": "matches", "value": "^str"}),
        &titled("Straße")
    ));
    assert!(both(
        json!({"attr": "jobTitle", "op": "matches", "value": "(?i)^str"}),
        &titled("Straße")
    ));
    // Lists: any element, empty list missing.
    let tagged = |items: &[&str]| User {
        profile: BTreeMap::from([(
            "tags".to_owned(),
            ProfileValue::List(items.iter().map(|s| (*s).to_owned()).collect()),
        )]),
        ..plain_user()
    };
    let tags = |op: &str, value: Value| json!({"attr": "profile.tags", "op": op, "value": value});
    assert!(both(
        tags("contains", json!("strasse")),
        &tagged(&["x", "Straße"])
    ));
    assert!(both(tags("eq", json!("ΟΔΟΣ")), &tagged(&["x", "οδος"])));
    assert!(both(tags("in", json!(["y", "FILE"])), &tagged(&["ﬁle"])));
    assert!(!both(tags("contains", json!("x")), &tagged(&[])));
    assert!(both(tags("notIn", json!(["x"])), &tagged(&[])));
    assert!(both(
        json!({"attr": "profile.tags", "op": "isEmpty"}),
        &tagged(&[])
    ));
    // Dates compare as dates, with any number of values.
    let (d1, d2) = ("2024-01-01", "2024-02-29");
    let user = plain_user();
    assert_eq!(parse_date(d2), Some(user.created_at));
    assert!(both(
        json!({"attr": "createdAt", "op": "in", "value": [d1, d2]}),
        &user
    ));
    assert!(!both(
        json!({"attr": "createdAt", "op": "notIn", "value": [d1, d2]}),
        &user
    ));
    assert!(both(
        json!({"attr": "createdAt", "op": "in", "value": [d1, "2024-02-29T02:00:00+02:00"]}),
        &user
    ));
    assert!(both(
        json!({"attr": "createdAt", "op": "eq", "value": d2}),
        &user
    ));
    let hired = User {
        profile: BTreeMap::from([(
            "hired".to_owned(),
            ProfileValue::Date(parse_date(d2).expect("date")),
        )]),
        ..plain_user()
    };
    assert!(both(
        json!({"attr": "profile.hired", "op": "in", "value": [d1, d2]}),
        &hired
    ));
    assert!(!both(
        json!({"attr": "profile.hired", "op": "notIn", "value": [d1, d2, "2025-01-01"]}),
        &hired
    ));
    assert!(both(
        json!({"attr": "profile.hired", "op": "ne", "value": d1}),
        &hired
    ));
}

/// Every date value the generator writes parses, and those meant to name a user's instant do.
#[test]
fn the_generated_date_values_parse() {
    for value in DATE_VALUES {
        let at = parse_date(value).unwrap_or_else(|| panic!("{value} parses"));
        assert_eq!(DATES.contains(&at), value != "2023-06-15", "{value}");
    }
}
