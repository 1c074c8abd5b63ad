//! The demo account the local server starts with, like the console screen: a department tree,
//! about forty learners, one user per role, and the groups Business Services (8), Direct
//! Sales (7), Interns (9) and SMM (8).

use groups_domain::scim_token::{self, OnDelete};
use groups_domain::service::{self, NewGroup};
use groups_domain::{
    AccountId, BuiltinRole, Caller, CustomRole, Department, DepartmentId, GroupKind, GroupQuery,
    Permission, PermissionSet, ProfileValue, Result, RoleId, RoleRef, RoleScope, Scope, Store,
    User, UserId, UserStatus,
};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

pub const ACCOUNT: &str = "acme";

/// The demo SCIM token's id and secret: fixed, so scripts and identity-provider trials can use
/// it across restarts. A local-server fixture only; deployments issue tokens with
/// `POST /scim-tokens`.
pub const SCIM_TOKEN_ID: &str = "scim-demo";
const SCIM_SECRET: &str = "5c1a0000d3a0000000000000000000000000000000000000000000000000cafe";

/// The bearer value of the demo SCIM token.
pub fn scim_token() -> String {
    format!("scim.{ACCOUNT}.{SCIM_TOKEN_ID}.{SCIM_SECRET}")
}

/// The users who hold each role, by the key `/dev/tokens` serves them under.
pub const ROLE_USERS: [(&str, &str); 5] = [
    ("owner", "owner"),
    ("admin", "admin"),
    ("departmentAdmin", "dept-admin"),
    ("learner", "learner"),
    ("trainer", "trainer"),
];

const DEPARTMENTS: [(&str, &str, Option<&str>); 8] = [
    ("acme", "Acme Corp", None),
    ("sales", "Sales", Some("acme")),
    ("sales-emea", "Sales EMEA", Some("sales")),
    ("sales-apac", "Sales APAC", Some("sales")),
    ("marketing", "Marketing", Some("acme")),
    ("hr", "People", Some("acme")),
    ("engineering", "Engineering", Some("acme")),
    ("interns", "Interns", Some("hr")),
];

const FIRST: [&str; 10] = [
    "Ava", "Ben", "Chloe", "Dan", "Eve", "Finn", "Grace", "Hugo", "Ivy", "Jonas",
];
const LAST: [&str; 8] = [
    "Berg", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
];
const COUNTRIES: [&str; 5] = ["DE", "FR", "US", "JP", "BR"];

fn id<T>(parse: fn(&str, String) -> Result<T>, value: &str) -> Result<T> {
    parse("seed", value.to_owned())
}

/// Seeds the demo account (idempotent: existing groups are kept as they are).
pub async fn seed<S: Store>(store: &S) -> Result<AccountId> {
    let account = id(AccountId::parse, ACCOUNT)?;
    for (dep, name, parent) in DEPARTMENTS {
        let parent = parent.map(|p| id(DepartmentId::parse, p)).transpose()?;
        store
            .put_department(
                &account,
                &Department::new(id(DepartmentId::parse, dep)?, name, parent)?,
            )
            .await?;
    }
    let tree = store.departments(&account).await?;
    let trainer = CustomRole::new(
        id(RoleId::parse, "trainer")?,
        "Trainer",
        PermissionSet::of(&[
            Permission::GroupsView,
            Permission::GroupsMembers,
            Permission::UsersView,
        ]),
        RoleScope::ManagedDepartments,
    )?;
    store.put_role(&account, &trainer).await?;

    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let placements = [
        "sales-emea",
        "sales-apac",
        "sales",
        "marketing",
        "hr",
        "engineering",
        "interns",
    ];
    let mut users = Vec::new();
    for n in 1..=40 {
        let department = placements[n % placements.len()];
        let user_id = format!("u{n:02}");
        let (first, last) = (
            FIRST[n % FIRST.len()].to_owned(),
            LAST[(n / 3) % LAST.len()].to_owned(),
        );
        let age_days = (n as i64 * 9) % 400;
        let mut profile = BTreeMap::new();
        profile.insert(
            "country".to_owned(),
            ProfileValue::Text(COUNTRIES[n % COUNTRIES.len()].into()),
        );
        profile.insert("level".to_owned(), ProfileValue::Number((n % 5 + 1) as f64));
        profile.insert(
            "hireDate".to_owned(),
            ProfileValue::Date(now - Duration::days(age_days * 3)),
        );
        profile.insert(
            "skills".to_owned(),
            ProfileValue::List(if n % 2 == 0 {
                vec!["excel".into(), "crm".into()]
            } else {
                vec!["design".into()]
            }),
        );
        users.push(User {
            id: id(UserId::parse, &user_id)?,
            email: format!(
                "{}.{}{n}@acme.example",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            first_name: first,
            last_name: last,
            department: tree.path_of(&id(DepartmentId::parse, department)?)?,
            role: RoleRef::Builtin(BuiltinRole::Learner),
            status: if n % 13 == 0 {
                UserStatus::Inactive
            } else {
                UserStatus::Active
            },
            job_title: if department == "interns" {
                "Intern".into()
            } else {
                "Specialist".into()
            },
            created_at: now - Duration::days(age_days),
            profile,
            managed_department_ids: Vec::new(),
            registered_at: None,
            updated_at: None,
        });
    }
    let role_user = |user_id: &str,
                     first: &str,
                     role: RoleRef,
                     department: &str,
                     managed: &[&str]|
     -> Result<User> {
        Ok(User {
            id: id(UserId::parse, user_id)?,
            email: format!("{user_id}@acme.example"),
            first_name: first.into(),
            last_name: "Demo".into(),
            department: tree.path_of(&id(DepartmentId::parse, department)?)?,
            role,
            status: UserStatus::Active,
            job_title: "Administrator".into(),
            created_at: now - Duration::days(365),
            profile: BTreeMap::new(),
            managed_department_ids: managed
                .iter()
                .map(|d| id(DepartmentId::parse, d))
                .collect::<Result<_>>()?,
            registered_at: None,
            updated_at: None,
        })
    };
    users.push(role_user(
        "owner",
        "Olivia",
        RoleRef::Builtin(BuiltinRole::Owner),
        "acme",
        &[],
    )?);
    users.push(role_user(
        "admin",
        "Adam",
        RoleRef::Builtin(BuiltinRole::Admin),
        "acme",
        &[],
    )?);
    users.push(role_user(
        "dept-admin",
        "Dana",
        RoleRef::Builtin(BuiltinRole::DepartmentAdmin),
        "sales",
        &["sales"],
    )?);
    users.push(role_user(
        "learner",
        "Leo",
        RoleRef::Builtin(BuiltinRole::Learner),
        "engineering",
        &[],
    )?);
    users.push(role_user(
        "trainer",
        "Tara",
        RoleRef::Custom(trainer.id.clone()),
        "marketing",
        &["marketing"],
    )?);
    for user in &users {
        store.put_user(&account, &user.clone().validate()?).await?;
    }

    let owner = Caller::resolve(
        account.clone(),
        id(UserId::parse, "owner")?,
        RoleRef::Builtin(BuiltinRole::Owner),
        None,
        vec![],
    );
    // The demo identity provider's SCIM token (`scim` in `/dev/tokens`); idempotent.
    let demo = scim_token::with_secret(
        &account,
        SCIM_TOKEN_ID,
        "Demo identity provider",
        OnDelete::Deactivate,
        &owner.user_id,
        SCIM_SECRET,
        now,
    )?;
    store.put_scim_token(&account, &demo.token).await?;
    let existing = store
        .list_groups(&account, &Scope::Account, &GroupQuery::default())
        .await?;
    if !existing.items.is_empty() {
        return Ok(account);
    }
    let groups: [(&str, Option<&str>, &[usize]); 4] = [
        (
            "Business Services",
            Some("sales"),
            &[2, 3, 9, 10, 16, 17, 23, 24],
        ),
        ("Direct Sales", Some("sales"), &[1, 8, 15, 22, 29, 36, 2]),
        ("Interns", None, &[7, 14, 21, 28, 35, 6, 13, 20, 27]),
        ("SMM", Some("marketing"), &[4, 11, 18, 25, 32, 39, 3, 10]),
    ];
    for (title, owner_department, members) in groups {
        let new = NewGroup {
            title: title.into(),
            description: format!("{title} team"),
            kind: GroupKind::Static,
            rule: None,
            owner_department_id: owner_department
                .map(|d| id(DepartmentId::parse, d))
                .transpose()?,
        };
        let group = service::create_group(store, &owner, new, now).await?;
        let ids = members
            .iter()
            .map(|n| id(UserId::parse, &format!("u{n:02}")))
            .collect::<Result<Vec<_>>>()?;
        service::add_members(store, &owner, &group.id, &ids, now).await?;
    }
    Ok(account)
}
