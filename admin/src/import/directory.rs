//! Departments and custom roles: checked as the API checks them (DESIGN §10), written one at a
//! time (an account has few), never moved or deleted by an import.

use super::{Ctx, Phase, RowError, RowResult, refuse, settle};
use crate::Failure;
use crate::input::SourcedRow;
use crate::report::{Outcome, Refusal};
use crate::rows::{DepartmentRow, RoleRow, Row};
use groups_domain::group::title_key;
use groups_domain::{
    AccountId, BuiltinRole, CustomRole, Department, DepartmentId, DepartmentTree, Error,
    PageRequest, Permission, PermissionSet, RoleId, RoleScope, Store,
};
use std::collections::{HashMap, VecDeque};

/// Departments whose parent is another row come after it; unreadable rows and cycles keep
/// file order (a cycle's rows are then refused for their unknown parent).
pub(super) fn order_departments(rows: Vec<&SourcedRow>) -> Vec<&SourcedRow> {
    let parsed = |r: &SourcedRow| match &r.row {
        Ok(Row::Department(d)) => Some(d.clone()),
        _ => None,
    };
    let mut first: HashMap<String, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(d) = parsed(r) {
            first.entry(d.id).or_insert(i);
        }
    }
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut ready = VecDeque::new();
    let mut out: Vec<usize> = Vec::with_capacity(rows.len());
    let mut placed = vec![false; rows.len()];
    for (i, r) in rows.iter().enumerate() {
        let parent = parsed(r)
            .and_then(|d| d.parent_id)
            .and_then(|p| first.get(&p).copied());
        match parent {
            Some(p) if p != i && parsed(r).is_some() => children.entry(p).or_default().push(i),
            _ if parsed(r).is_none() => {
                placed[i] = true;
                out.push(i);
            }
            _ => ready.push_back(i),
        }
    }
    while let Some(i) = ready.pop_front() {
        placed[i] = true;
        out.push(i);
        ready.extend(children.remove(&i).unwrap_or_default());
    }
    out.extend((0..rows.len()).filter(|i| !placed[*i]));
    out.into_iter().map(|i| rows[i]).collect()
}

pub(super) struct Departments {
    all: Vec<Department>,
    tree: DepartmentTree,
}

impl Departments {
    pub async fn load<S: Store>(store: &S, account: &AccountId) -> Result<Self, Failure> {
        let tree = store.departments(account).await?;
        // Users and groups carry department paths: a path rewrite in progress would race them.
        if let Some(moving) = tree.moving() {
            return Err(Failure(format!(
                "department {} of account {account} is still moving; import when its move is done",
                moving.id
            )));
        }
        Ok(Self {
            all: tree.departments().cloned().collect(),
            tree,
        })
    }

    async fn one<S: Store>(&mut self, ctx: &Ctx<'_, S>, row: &DepartmentRow) -> RowResult {
        let id = DepartmentId::parse("id", &row.id)?;
        let parent = row
            .parent_id
            .as_deref()
            .map(|p| DepartmentId::parse("parentId", p))
            .transpose()?;
        let next = Department::new(id, &row.name, parent)?;
        if let Some(stored) = self.tree.get(&next.id).cloned() {
            if stored.parent_id != next.parent_id {
                return Err(refuse(
                    Some("parentId"),
                    format!(
                        "department {} lies under {} in the table; an import does not move departments (PATCH /departments/{} moves one with its users and groups)",
                        next.id,
                        stored
                            .parent_id
                            .as_ref()
                            .map_or("nothing (it is the root)".into(), ToString::to_string),
                        next.id
                    ),
                ));
            }
            if stored.name == next.name {
                return Ok(Outcome::Unchanged);
            }
            self.check_sibling_name(&next)?;
            let renamed = Department {
                name: next.name,
                revision: stored.revision + 1,
                ..stored.clone()
            };
            self.save(ctx, renamed, Some(stored.revision)).await?;
            return Ok(Outcome::Changed);
        }
        if next.parent_id.is_none()
            && let Some(root) = self.all.iter().find(|d| d.parent_id.is_none())
        {
            return Err(refuse(
                Some("parentId"),
                format!(
                    "must name a department: the account already has the root {}",
                    root.id
                ),
            ));
        }
        self.check_sibling_name(&next)?;
        self.tree.check_put(&next)?;
        self.save(ctx, next, None).await?;
        Ok(Outcome::Created)
    }

    /// Siblings may not share a name in any case, as the API refuses.
    fn check_sibling_name(&self, next: &Department) -> Result<(), RowError> {
        let key = title_key(&next.name);
        let taken = self
            .all
            .iter()
            .any(|d| d.parent_id == next.parent_id && d.id != next.id && title_key(&d.name) == key);
        if taken {
            return Err(refuse(
                Some("name"),
                format!(
                    "a department named \"{}\" already exists under the same parent",
                    next.name
                ),
            ));
        }
        Ok(())
    }

    async fn save<S: Store>(
        &mut self,
        ctx: &Ctx<'_, S>,
        department: Department,
        previous: Option<u64>,
    ) -> Result<(), RowError> {
        ctx.store
            .save_department(ctx.account, &department, previous)
            .await?;
        self.all.retain(|d| d.id != department.id);
        self.all.push(department);
        self.tree = DepartmentTree::new(self.all.clone());
        Ok(())
    }
}

super::row_by_row_phase!(Departments, Department, "not a department row");

pub(super) struct Roles {
    stored: HashMap<RoleId, CustomRole>,
}

impl Roles {
    pub async fn load<S: Store>(store: &S, account: &AccountId) -> Result<Self, Failure> {
        Ok(Self {
            stored: all_roles(store, account)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect(),
        })
    }

    async fn one<S: Store>(&mut self, ctx: &Ctx<'_, S>, row: &RoleRow) -> RowResult {
        let id = RoleId::parse("id", &row.id)?;
        if BuiltinRole::ALL.iter().any(|b| b.name() == id.as_str()) {
            return Err(refuse(
                Some("id"),
                format!("{id} is a built-in role's name"),
            ));
        }
        let permissions = row
            .permissions
            .iter()
            .enumerate()
            .map(|(i, p)| Permission::parse(&format!("permissions/{i}"), p))
            .collect::<Result<Vec<_>, Error>>()?;
        let scope = match row.scope.as_str() {
            "account" => RoleScope::Account,
            "managedDepartments" => RoleScope::ManagedDepartments,
            _ => {
                return Err(refuse(
                    Some("scope"),
                    "must be \"account\" or \"managedDepartments\"",
                ));
            }
        };
        let role = CustomRole::new(id, &row.name, PermissionSet::of(&permissions), scope)?;
        let key = title_key(&role.name);
        if let Some(other) = self
            .stored
            .values()
            .find(|r| r.id != role.id && title_key(&r.name) == key)
        {
            return Err(refuse(
                Some("name"),
                format!("role {} is already named \"{}\"", other.id, other.name),
            ));
        }
        let outcome = match self.stored.get(&role.id) {
            Some(stored) if stored == &role => return Ok(Outcome::Unchanged),
            Some(_) => Outcome::Changed,
            None => Outcome::Created,
        };
        ctx.store.put_role(ctx.account, &role).await?;
        self.stored.insert(role.id.clone(), role);
        Ok(outcome)
    }
}

super::row_by_row_phase!(Roles, Role, "not a role row");

/// Every custom role of the account.
pub(crate) async fn all_roles<S: Store>(
    store: &S,
    account: &AccountId,
) -> Result<Vec<CustomRole>, Error> {
    let mut page = PageRequest::first(groups_domain::page::MAX_LIMIT);
    let mut out = Vec::new();
    loop {
        let roles = store.list_roles(account, &page).await?;
        out.extend(roles.items);
        match roles.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return Ok(out),
        }
    }
}
