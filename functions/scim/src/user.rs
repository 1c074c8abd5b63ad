//! A directory user as a SCIM `User` (RFC 7643 §4.1, with the enterprise extension §4.3), and
//! back. What SCIM carries beyond our core fields lives in the user's profile under fixed
//! names, so rules can use them too (`profile.employeeNumber`, `profile.manager`).

use crate::json::{ENTERPRISE, USER_SCHEMA, boolean, get_ci, text};
use groups_domain::user::ProfileValue;
use groups_domain::{BuiltinRole, DepartmentId, DepartmentTree, RoleRef, User, UserId, UserStatus};
use groups_http::scim::ScimError;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Profile fields SCIM owns: a replace sets or clears each of them, and keeps every other.
const EXTERNAL_ID: &str = "externalId";
const USER_NAME: &str = User::USER_NAME_FIELD;
/// Set when `DELETE` deactivated the user instead of removing them: SCIM shows them no more.
pub const DELETED_AT: &str = "scimDeletedAt";
/// Enterprise attributes kept as text profile fields of the same name (`manager` holds the
/// manager's id).
const ENTERPRISE_TEXT: [&str; 4] = ["employeeNumber", "costCenter", "organization", "division"];
const MANAGER: &str = "manager";
const OWNED: [&str; 8] = [
    EXTERNAL_ID,
    USER_NAME,
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    MANAGER,
    DELETED_AT,
];

fn profile_text(user: &User, key: &str) -> Option<String> {
    match user.profile.get(key) {
        Some(ProfileValue::Text(t)) => Some(t.clone()),
        Some(ProfileValue::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

pub fn is_deleted(user: &User) -> bool {
    // An admin who reactivates the user hands them back to the identity provider.
    user.profile.contains_key(DELETED_AT) && user.status != UserStatus::Active
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The user as SCIM shows them, `meta` included.
pub fn to_scim(user: &User, tree: &DepartmentTree) -> Value {
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id.as_str(),
        "userName": user.login_name(),
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
        },
        "displayName": format!("{} {}", user.first_name, user.last_name),
        "active": user.status == UserStatus::Active,
        "emails": [{"value": user.email, "type": "work", "primary": true}],
    });
    let Some(map) = v.as_object_mut() else {
        return v;
    };
    if let Some(external) = profile_text(user, EXTERNAL_ID) {
        map.insert("externalId".into(), Value::from(external));
    }
    if !user.job_title.is_empty() {
        map.insert("title".into(), Value::from(user.job_title.clone()));
    }
    let mut enterprise = Map::new();
    for key in ENTERPRISE_TEXT {
        if let Some(t) = profile_text(user, key) {
            enterprise.insert(key.into(), Value::from(t));
        }
    }
    if let Some(department) = user
        .department_id()
        .and_then(|id| tree.get(id))
        .map(|d| d.name.clone())
    {
        enterprise.insert("department".into(), Value::from(department));
    }
    if let Some(manager) = profile_text(user, MANAGER) {
        enterprise.insert(MANAGER.into(), json!({ "value": manager }));
    }
    if !enterprise.is_empty() {
        map.insert(ENTERPRISE.into(), Value::Object(enterprise));
        map.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE]));
    }
    let etag = crate::etag::of(&v);
    if let Some(map) = v.as_object_mut() {
        map.insert(
            "meta".into(),
            json!({
                "resourceType": "User",
                "created": rfc3339(user.created_at),
                "lastModified": rfc3339(user.updated_at.unwrap_or(user.created_at)),
                "location": format!("/scim/v2/Users/{}", user.id),
                "version": etag,
            }),
        );
    }
    v
}

/// Where a SCIM body places a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    At(DepartmentId),
    /// A name no department has yet: created under the account's root department, as
    /// identity providers send department names from their own directory.
    Create(String),
}

/// The department an identity provider names: a department id, else a name that exactly one
/// department has (case-insensitively), else a new department of that name.
pub fn department(tree: &DepartmentTree, named: &str) -> Result<Placement, ScimError> {
    if let Ok(id) = DepartmentId::parse("department", named)
        && tree.get(&id).is_some()
    {
        return Ok(Placement::At(id));
    }
    let mut found = tree
        .departments()
        .filter(|d| d.name.trim().eq_ignore_ascii_case(named.trim()));
    match (found.next(), found.next()) {
        (Some(d), None) => Ok(Placement::At(d.id.clone())),
        (Some(_), Some(_)) => Err(ScimError::bad(
            "invalidValue",
            format!("more than one department is named \"{named}\": send its id"),
        )),
        _ => Ok(Placement::Create(named.trim().to_owned())),
    }
}

fn check_schemas(body: &Value) -> Result<(), ScimError> {
    let listed = get_ci(body, "schemas").and_then(Value::as_array);
    let has_user = listed.is_some_and(|s| {
        s.iter()
            .filter_map(Value::as_str)
            .any(|s| s.eq_ignore_ascii_case(USER_SCHEMA))
    });
    if has_user {
        Ok(())
    } else {
        Err(ScimError::bad(
            "invalidSyntax",
            format!("schemas must list {USER_SCHEMA}"),
        ))
    }
}

fn email_of(body: &Value, user_name: &str) -> Result<String, ScimError> {
    let emails: Vec<&Value> = get_ci(body, "emails")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let pick = emails
        .iter()
        .find(|e| get_ci(e, "primary").and_then(boolean) == Some(true))
        .or_else(|| {
            emails
                .iter()
                .find(|e| text(get_ci(e, "type")).is_some_and(|t| t.eq_ignore_ascii_case("work")))
        })
        .or_else(|| emails.first())
        .and_then(|e| text(get_ci(e, "value")));
    let candidate = pick.unwrap_or_else(|| user_name.to_owned());
    groups_domain::user::check_email(&candidate).map_err(|_| {
        ScimError::bad(
            "invalidValue",
            "a user needs an email address: a userName that is one, or emails[].value",
        )
    })
}

/// What a SCIM body asks a user to be: the user (on `base`'s role, departments managed and
/// other profile fields when replacing) and the department to place them in.
pub fn from_scim(
    body: &Value,
    base: Option<&User>,
    id: UserId,
    tree: &DepartmentTree,
    now: OffsetDateTime,
) -> Result<(User, Option<Placement>), ScimError> {
    check_schemas(body)?;
    let user_name = text(get_ci(body, "userName"))
        .ok_or_else(|| ScimError::bad("invalidValue", "userName is required"))?;
    let email = email_of(body, &user_name)?;
    let name = get_ci(body, "name");
    let display = text(get_ci(body, "displayName"));
    let (display_first, display_rest) = match display.as_deref().map(|d| d.split_once(' ')) {
        Some(Some((f, r))) => (Some(f.to_owned()), Some(r.trim().to_owned())),
        Some(None) => (display.clone(), None),
        None => (None, None),
    };
    let first_name = name
        .and_then(|n| text(get_ci(n, "givenName")))
        .or(display_first)
        .unwrap_or_else(|| email.split('@').next().unwrap_or("-").to_owned());
    let last_name = name
        .and_then(|n| text(get_ci(n, "familyName")))
        .or(display_rest)
        .unwrap_or_else(|| "-".to_owned());
    let active = match get_ci(body, "active") {
        None | Some(Value::Null) => true,
        Some(v) => {
            boolean(v).ok_or_else(|| ScimError::bad("invalidValue", "active is true or false"))?
        }
    };
    let mut profile = base.map(|b| b.profile.clone()).unwrap_or_default();
    for key in OWNED {
        profile.remove(key);
    }
    let mut set = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            profile.insert(key.to_owned(), ProfileValue::Text(v));
        }
    };
    set(EXTERNAL_ID, text(get_ci(body, "externalId")));
    set(USER_NAME, (user_name != email).then_some(user_name));
    let extension = get_ci(body, ENTERPRISE);
    let mut department_id = None;
    if let Some(ext) = extension {
        if !ext.is_object() && !ext.is_null() {
            return Err(ScimError::bad(
                "invalidSyntax",
                format!("{ENTERPRISE} is an object"),
            ));
        }
        for key in ENTERPRISE_TEXT {
            set(key, text(get_ci(ext, key)));
        }
        let manager = match get_ci(ext, MANAGER) {
            Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(m @ Value::Object(_)) => text(get_ci(m, "value")),
            _ => None,
        };
        set(MANAGER, manager);
        if let Some(named) = text(get_ci(ext, "department")) {
            department_id = Some(department(tree, &named)?);
        }
    }
    let user = User {
        id,
        email,
        first_name,
        last_name,
        department: None,
        role: base
            .map(|b| b.role.clone())
            .unwrap_or(RoleRef::Builtin(BuiltinRole::Learner)),
        status: if active {
            UserStatus::Active
        } else {
            UserStatus::Inactive
        },
        job_title: text(get_ci(body, "title")).unwrap_or_default(),
        created_at: base.map_or(now, |b| b.created_at),
        profile,
        managed_department_ids: base
            .map(|b| b.managed_department_ids.clone())
            .unwrap_or_default(),
        registered_at: None,
        updated_at: None,
    };
    Ok((user, department_id))
}
