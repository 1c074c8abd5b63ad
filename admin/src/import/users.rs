//! Users: each row checked as `PUT /users/{id}` checks a record (ids, department and managed
//! departments that exist, a role that exists, `User::validate`), then a batch is read (100
//! per call) to tell created, changed and unchanged apart, and written in bulk.

use super::{Ctx, Phase, RowError, refuse, settle};
use crate::Failure;
use crate::batch::UserBatches;
use crate::input::SourcedRow;
use crate::report::{Outcome, Refusal};
use crate::rows::{Row, UserRow};
use groups_domain::ports::is_active_owner;
use groups_domain::user::{ProfileValue, parse_date};
use groups_domain::{
    AccountId, DepartmentId, DepartmentTree, RoleId, RoleRef, Store, User, UserId, UserStatus,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::OffsetDateTime;

pub(super) struct Users {
    tree: DepartmentTree,
    roles: HashSet<RoleId>,
}

/// A checked row: the user as the row asks for it, and whether it named a creation time.
struct Candidate {
    user: User,
    created_at: Option<OffsetDateTime>,
}

impl Users {
    pub async fn load<S: Store>(store: &S, account: &AccountId) -> Result<Self, Failure> {
        let roles = super::directory::all_roles(store, account).await?;
        Ok(Self {
            tree: store.departments(account).await?,
            roles: roles.into_iter().map(|r| r.id).collect(),
        })
    }

    fn department(&self, field: &str, id: &str) -> Result<groups_domain::DepartmentPath, RowError> {
        let id = DepartmentId::parse(field, id)?;
        self.tree
            .path_of(&id)?
            .ok_or_else(|| refuse(Some(field), format!("unknown department {id}")))
    }

    fn check(&self, row: &UserRow, now: OffsetDateTime) -> Result<Candidate, RowError> {
        let department = row
            .department_id
            .as_deref()
            .map(|d| self.department("departmentId", d))
            .transpose()?;
        let mut managed = Vec::with_capacity(row.managed_department_ids.len());
        for (i, d) in row.managed_department_ids.iter().enumerate() {
            let field = format!("managedDepartmentIds/{i}");
            managed.push(self.department(&field, d)?.department_id().clone());
        }
        let role = RoleRef::parse("role", row.role.as_deref().unwrap_or("learner"))?;
        if let RoleRef::Custom(id) = &role
            && !self.roles.contains(id)
        {
            return Err(refuse(Some("role"), format!("unknown role {id}")));
        }
        let status = match row.status.as_deref().unwrap_or("active") {
            "active" => UserStatus::Active,
            "inactive" => UserStatus::Inactive,
            _ => return Err(refuse(Some("status"), "must be \"active\" or \"inactive\"")),
        };
        let mut profile = BTreeMap::new();
        for (key, value) in row.profile.iter().flatten() {
            let value: ProfileValue = serde_json::from_value(value.clone())
                .map_err(|e| refuse(Some(&format!("profile/{key}")), e.to_string()))?;
            profile.insert(key.clone(), value);
        }
        let created_at = match row.created_at.as_deref() {
            None => None,
            Some(text) => Some(parse_date(text).ok_or_else(|| {
                refuse(
                    Some("createdAt"),
                    "must be an RFC 3339 instant or YYYY-MM-DD",
                )
            })?),
        };
        let user = User {
            id: UserId::parse("id", &row.id)?,
            email: row.email.clone(),
            first_name: row.first_name.clone(),
            last_name: row.last_name.clone(),
            department,
            role,
            status,
            job_title: row.job_title.clone().unwrap_or_default(),
            created_at: created_at.unwrap_or(now),
            profile,
            managed_department_ids: managed,
            registered_at: Some(now),
            updated_at: None,
        }
        .validate()?;
        Ok(Candidate { user, created_at })
    }
}

/// What happens to a checked row, given the stored record.
fn decide(mut candidate: Candidate, stored: Option<&User>) -> Result<(Outcome, User), RowError> {
    let Some(stored) = stored else {
        return Ok((Outcome::Created, candidate.user));
    };
    // An account always keeps an active Owner: demoting one is an Owner's call, not an import's.
    if is_active_owner(stored) && !is_active_owner(&candidate.user) {
        return Err(refuse(
            Some("role"),
            format!(
                "user {} is an active Account Owner; an import does not demote or deactivate Owners (an Owner does, through PUT /users/{})",
                stored.id, stored.id
            ),
        ));
    }
    // A resent record keeps its creation and registration times, as PUT /users keeps them.
    candidate.user.created_at = candidate.created_at.unwrap_or(stored.created_at);
    candidate.user.registered_at = stored.registered_at;
    if &candidate.user == stored {
        Ok((Outcome::Unchanged, candidate.user))
    } else {
        Ok((Outcome::Changed, candidate.user))
    }
}

impl<S: Store + UserBatches> Phase<S> for Users {
    fn batch_size(&self, ctx: &Ctx<'_, S>) -> usize {
        ctx.user_batch
    }

    async fn apply(
        &mut self,
        ctx: &mut Ctx<'_, S>,
        rows: &[&SourcedRow],
    ) -> Result<Vec<Result<Outcome, Refusal>>, Failure> {
        let checked: Vec<Result<Candidate, RowError>> = rows
            .iter()
            .map(|row| match &row.row {
                Ok(Row::User(u)) => self.check(u, ctx.now),
                _ => Err(refuse(None, "not a user row")),
            })
            .collect();
        let ids: Vec<UserId> = checked
            .iter()
            .filter_map(|c| c.as_ref().ok().map(|c| c.user.id.clone()))
            .collect();
        let stored: HashMap<UserId, User> = ctx
            .store
            .read_users(ctx.account, &ids)
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut writes = Vec::new();
        for candidate in checked {
            let decided = candidate.and_then(|c| {
                let stored = stored.get(&c.user.id);
                decide(c, stored)
            });
            outcomes.push(settle(decided.map(|(outcome, user)| {
                if outcome != Outcome::Unchanged {
                    writes.push(user.clone());
                }
                ctx.known_users.insert(user.id);
                outcome
            }))?);
        }
        ctx.store.write_users(ctx.account, &writes).await?;
        Ok(outcomes)
    }
}
