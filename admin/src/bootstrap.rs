//! Creates an account's root department and first Account Owner, idempotently: a rerun with
//! the same values writes nothing, and anything that disagrees with the table is refused in
//! words before a single write.

use crate::Failure;
use crate::report::Outcome;
use groups_domain::ports::{UserGuard, is_active_owner};
use groups_domain::{
    AccountId, BuiltinRole, Department, DepartmentId, DirectoryStore, Error, RoleRef, User, UserId,
    UserStatus,
};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// What the operator asked for, as typed.
#[derive(Debug, Clone)]
pub struct BootstrapRequest {
    pub root_id: String,
    pub root_name: String,
    /// The identity provider's subject: the authorizer maps the token's `sub` to this user id.
    pub owner_subject: String,
    pub owner_email: String,
    pub owner_first_name: String,
    pub owner_last_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapOutcome {
    pub root: Outcome,
    pub owner: Outcome,
}

/// Names a domain field by the flag that set it.
fn flag_of(field: &str) -> &str {
    match field {
        "id" => "--root-id",
        "name" => "--root-name",
        "email" => "--owner-email",
        "firstName" => "--owner-first-name",
        "lastName" => "--owner-last-name",
        "owner" => "--owner-subject",
        other => other,
    }
}

fn invalid(e: Error) -> Failure {
    match e {
        Error::Validation { field, message } => Failure(format!("{}: {message}", flag_of(&field))),
        other => Failure(other.to_string()),
    }
}

pub async fn bootstrap<S: DirectoryStore>(
    store: &S,
    account: &AccountId,
    request: &BootstrapRequest,
    now: OffsetDateTime,
) -> Result<BootstrapOutcome, Failure> {
    let root_id = DepartmentId::parse("id", &request.root_id).map_err(invalid)?;
    let root = Department::new(root_id, &request.root_name, None).map_err(invalid)?;
    let owner_id = UserId::parse("owner", &request.owner_subject).map_err(invalid)?;
    let tree = store.departments(account).await?;
    let root_outcome = match tree.get(&root.id) {
        Some(existing) => {
            if let Some(parent) = &existing.parent_id {
                return Err(Failure(format!(
                    "department {} of account {account} exists but is not the root: it lies under {parent}; nothing was written",
                    root.id
                )));
            }
            if existing.name != root.name {
                return Err(Failure(format!(
                    "the root department {} of account {account} is named \"{}\", not \"{}\"; rename it through PATCH /departments/{} or bootstrap with its name; nothing was written",
                    root.id, existing.name, root.name, root.id
                )));
            }
            Outcome::Unchanged
        }
        None => {
            if let Some(other) = tree.departments().find(|d| d.parent_id.is_none()) {
                return Err(Failure(format!(
                    "account {account} already has the root department {} (\"{}\"); an account has one root, so bootstrap with --root-id {} --root-name \"{}\"; nothing was written",
                    other.id, other.name, other.id, other.name
                )));
            }
            if !tree.is_empty() {
                return Err(Failure(format!(
                    "account {account} has {} departments but no root: the tree is broken; nothing was written",
                    tree.len()
                )));
            }
            Outcome::Created
        }
    };
    let owner = User {
        id: owner_id.clone(),
        email: request.owner_email.clone(),
        first_name: request.owner_first_name.clone(),
        last_name: request.owner_last_name.clone(),
        department: Some(groups_domain::DepartmentPath::new(vec![root.id.clone()])?),
        role: RoleRef::Builtin(BuiltinRole::Owner),
        status: UserStatus::Active,
        job_title: String::new(),
        created_at: now,
        profile: BTreeMap::new(),
        managed_department_ids: Vec::new(),
        registered_at: Some(now),
        updated_at: None,
    }
    .validate()
    .map_err(invalid)?;
    let owner_outcome = match store.get_user(account, &owner_id).await? {
        None => Outcome::Created,
        Some(existing) if !is_active_owner(&existing) => {
            let status = match existing.status {
                UserStatus::Active => "active",
                UserStatus::Inactive => "inactive",
            };
            return Err(Failure(format!(
                "user {owner_id} already exists in account {account} as an {status} {}, not an active Account Owner; bootstrap never changes an existing user (an Owner does, through PUT /users/{owner_id}); nothing was written",
                existing.role.as_str()
            )));
        }
        Some(existing) => {
            let same = existing.email == owner.email
                && existing.first_name == owner.first_name
                && existing.last_name == owner.last_name;
            if !same {
                return Err(Failure(format!(
                    "user {owner_id} is already an active Account Owner of account {account}, as {} {} <{}>; bootstrap does not change them (PUT /users/{owner_id} does); nothing was written",
                    existing.first_name, existing.last_name, existing.email
                )));
            }
            Outcome::Unchanged
        }
    };
    // Both writes are conditioned on what was read, so a concurrent bootstrap cannot overwrite.
    if root_outcome == Outcome::Created {
        store.save_department(account, &root, None).await?;
    }
    if owner_outcome == Outcome::Created {
        let guard = UserGuard {
            unchanged_since: Some(None),
            active_owner: None,
        };
        store.write_user(account, &owner, &guard).await?;
    }
    Ok(BootstrapOutcome {
        root: root_outcome,
        owner: owner_outcome,
    })
}
