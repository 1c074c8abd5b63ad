//! Departments (DESIGN §10): list (flat or as a tree), read with counts, create, rename, move
//! and delete. `departments:manage` writes, only inside the caller's scope; a department outside
//! it answers exactly as an unknown one. A move rewrites stored paths in a resumable job
//! ([`crate::department_move`]).

use crate::caller::{Caller, Scope};
use crate::department::{
    Department, DepartmentMove, DepartmentPath, DepartmentTree, MovePhase, MoveStatus,
};
use crate::error::{Error, Result};
use crate::group::title_key;
use crate::ids::DepartmentId;
use crate::page::{Page, PageRequest};
use crate::ports::{GroupQuery, Store, UserQuery};
use crate::role::Permission;
use crate::text::{MAX_NAME_CHARS, clean_line};
use time::OffsetDateTime;

/// How a listing orders departments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// By id.
    #[default]
    Flat,
    /// Depth first, parents before children (by path key, which pages stably).
    Tree,
}

/// A department with the path it lies at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub department: Department,
    pub path: DepartmentPath,
}

/// What a department holds: what stands in the way of deleting it, and what a move carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DepartmentCounts {
    /// Users directly in it.
    pub users: u64,
    /// Users in it and below it.
    pub nested_users: u64,
    pub sub_departments: u64,
    /// Groups it owns.
    pub groups: u64,
    /// Smart groups whose rules name it.
    pub rules: u64,
}

fn require_view(caller: &Caller) -> Result<()> {
    if caller.require(Permission::DepartmentsManage).is_ok()
        || caller.require(Permission::UsersView).is_ok()
    {
        return Ok(());
    }
    caller.require(Permission::GroupsView)
}

/// The department if it exists and lies in the caller's scope; `NotFound` otherwise.
fn visible(tree: &DepartmentTree, scope: &Scope, id: &DepartmentId) -> Result<Located> {
    let not_found = || Error::not_found("department", id.as_str());
    let department = tree.get(id).cloned().ok_or_else(not_found)?;
    let path = tree
        .path_of(id)?
        .filter(|p| scope.covers(Some(p)))
        .ok_or_else(not_found)?;
    Ok(Located { department, path })
}

/// A parent the caller may name: unknown and out-of-scope ids answer alike (400).
fn visible_parent(tree: &DepartmentTree, scope: &Scope, id: &DepartmentId) -> Result<()> {
    visible(tree, scope, id)
        .map(|_| ())
        .map_err(|_| Error::validation("parentId", format!("unknown department {id}")))
}

pub async fn list_departments<S: Store>(
    store: &S,
    caller: &Caller,
    shape: Shape,
    page: &PageRequest,
) -> Result<Page<Located>> {
    require_view(caller)?;
    let tree = store.departments(&caller.account_id).await?;
    let key = |l: &Located| match shape {
        Shape::Flat => l.department.id.to_string(),
        Shape::Tree => l.path.key(),
    };
    let mut visible: Vec<(String, Located)> = tree
        .departments()
        .filter_map(|d| {
            let path = tree.path_of(&d.id).ok().flatten()?;
            caller.scope.covers(Some(&path)).then(|| Located {
                department: d.clone(),
                path,
            })
        })
        .map(|l| (key(&l), l))
        .filter(|(k, _)| page.cursor.as_deref().is_none_or(|c| k.as_str() > c))
        .collect();
    visible.sort_by(|a, b| a.0.cmp(&b.0));
    visible.truncate(page.limit as usize + 1);
    Ok(Page::from_overfetch(visible, page.limit, |(k, _)| k.clone()).map(|(_, l)| l))
}

/// Users of a department (`nested`: and below it), every page counted.
pub(crate) async fn count_users<S: Store>(
    store: &S,
    account: &crate::ids::AccountId,
    path: &DepartmentPath,
    nested: bool,
) -> Result<u64> {
    let mut query = UserQuery {
        department: Some((path.clone(), nested)),
        text: None,
        page: PageRequest::first(crate::page::MAX_LIMIT),
    };
    let mut count = 0;
    loop {
        let page = store.list_users(account, &Scope::Account, &query).await?;
        count += page.items.len() as u64;
        match page.next_cursor {
            Some(c) => query.page.cursor = Some(c),
            None => return Ok(count),
        }
    }
}

async fn count_owned_groups<S: Store>(
    store: &S,
    caller: &Caller,
    id: &DepartmentId,
) -> Result<u64> {
    let scope = Scope::Departments(vec![id.clone()]);
    let mut query = GroupQuery {
        page: PageRequest::first(crate::page::MAX_LIMIT),
        ..GroupQuery::default()
    };
    let mut count = 0;
    loop {
        let page = store
            .list_groups(&caller.account_id, &scope, &query)
            .await?;
        count += page
            .items
            .iter()
            .filter(|g| {
                g.owner_department
                    .as_ref()
                    .is_some_and(|p| p.department_id() == id)
            })
            .count() as u64;
        match page.next_cursor {
            Some(c) => query.page.cursor = Some(c),
            None => return Ok(count),
        }
    }
}

async fn counts<S: Store>(
    store: &S,
    caller: &Caller,
    tree: &DepartmentTree,
    located: &Located,
) -> Result<DepartmentCounts> {
    let id = &located.department.id;
    let smart = store.account_smart_groups(&caller.account_id).await?;
    let rules = smart
        .iter()
        .filter(|g| crate::department_move::rule_names_any(g, std::slice::from_ref(id)))
        .count() as u64;
    Ok(DepartmentCounts {
        users: count_users(store, &caller.account_id, &located.path, false).await?,
        nested_users: count_users(store, &caller.account_id, &located.path, true).await?,
        sub_departments: tree.children(id).len() as u64,
        groups: count_owned_groups(store, caller, id).await?,
        rules,
    })
}

/// One department with its counts (and its last move, on the department).
pub async fn get_department<S: Store>(
    store: &S,
    caller: &Caller,
    id: &DepartmentId,
) -> Result<(Located, DepartmentCounts)> {
    require_view(caller)?;
    let tree = store.departments(&caller.account_id).await?;
    let located = visible(&tree, &caller.scope, id)?;
    let counts = counts(store, caller, &tree, &located).await?;
    Ok((located, counts))
}

/// Refuses a name a sibling already has (any case): people pick departments by name.
fn check_sibling_name(
    tree: &DepartmentTree,
    parent: Option<&DepartmentId>,
    name: &str,
    except: &DepartmentId,
) -> Result<()> {
    let key = title_key(name);
    let taken = tree
        .departments()
        .any(|d| d.parent_id.as_ref() == parent && &d.id != except && title_key(&d.name) == key);
    if taken {
        return Err(Error::Conflict(format!(
            "a department named \"{name}\" already exists under the same parent"
        )));
    }
    Ok(())
}

/// What `POST /departments` carries.
#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub id: Option<DepartmentId>,
    pub name: String,
    pub parent_id: Option<DepartmentId>,
}

pub async fn create_department<S: Store>(
    store: &S,
    caller: &Caller,
    input: NewDepartment,
) -> Result<Located> {
    caller.require(Permission::DepartmentsManage)?;
    let tree = store.departments(&caller.account_id).await?;
    match &input.parent_id {
        Some(parent) => visible_parent(&tree, &caller.scope, parent)?,
        // Only the first department of an account is a root, created by an account-wide caller.
        None if tree.is_empty() && caller.scope == Scope::Account => {}
        None => return Err(Error::validation("parentId", "must name a department")),
    }
    let id = input.id.unwrap_or_else(DepartmentId::generate);
    if tree.get(&id).is_some() {
        return Err(Error::AlreadyExists {
            resource: "department",
            id: id.to_string(),
        });
    }
    let department = Department::new(id, &input.name, input.parent_id)?;
    check_sibling_name(
        &tree,
        department.parent_id.as_ref(),
        &department.name,
        &department.id,
    )?;
    let path = tree.check_put(&department)?;
    store
        .save_department(&caller.account_id, &department, None)
        .await?;
    Ok(Located { department, path })
}

/// What `PATCH /departments/{id}` carries: a new name, a new parent, or both.
#[derive(Debug, Clone, Default)]
pub struct DepartmentChange {
    pub name: Option<String>,
    pub parent_id: Option<DepartmentId>,
}

/// Renames and/or moves a department. A move is recorded on the department and carried out by
/// [`crate::department_move::run_slice`] (the stream starts it); the answer shows it running.
pub async fn update_department<S: Store>(
    store: &S,
    caller: &Caller,
    id: &DepartmentId,
    change: DepartmentChange,
    now: OffsetDateTime,
) -> Result<Located> {
    caller.require(Permission::DepartmentsManage)?;
    let tree = store.departments(&caller.account_id).await?;
    let current = visible(&tree, &caller.scope, id)?;
    let mut next = current.department.clone();
    if let Some(name) = &change.name {
        next.name = clean_line("name", name, MAX_NAME_CHARS)?;
    }
    let moves = change
        .parent_id
        .as_ref()
        .is_some_and(|p| Some(p) != current.department.parent_id.as_ref());
    if moves {
        if current.department.parent_id.is_none() {
            return Err(Error::validation(
                "parentId",
                "the root department cannot move",
            ));
        }
        if let Some(parent) = &change.parent_id {
            visible_parent(&tree, &caller.scope, parent)?;
        }
        if let Some(running) = tree.moving() {
            return Err(Error::Conflict(format!(
                "department {} is still moving; retry when its move is done",
                running.id
            )));
        }
        next.parent_id = change.parent_id.clone();
    }
    check_sibling_name(&tree, next.parent_id.as_ref(), &next.name, &next.id)?;
    let path = tree.check_put(&next)?;
    if moves {
        next.move_job = Some(DepartmentMove {
            status: MoveStatus::Running,
            phase: MovePhase::Users,
            from_path: current.path.clone(),
            to_path: path.clone(),
            slice: 0,
            users_moved: 0,
            groups_moved: 0,
            groups_reevaluated: 0,
            started_at: now,
            finished_at: None,
        });
    }
    next.revision = current.department.revision + 1;
    store
        .save_department(&caller.account_id, &next, Some(current.department.revision))
        .await?;
    Ok(Located {
        department: next,
        path,
    })
}

/// Deletes an empty department: no users, sub-departments, owned groups or rules naming it
/// (else `InUse` with the counts).
pub async fn delete_department<S: Store>(
    store: &S,
    caller: &Caller,
    id: &DepartmentId,
) -> Result<()> {
    caller.require(Permission::DepartmentsManage)?;
    let tree = store.departments(&caller.account_id).await?;
    let located = visible(&tree, &caller.scope, id)?;
    if located.department.is_moving() {
        return Err(Error::Conflict(format!(
            "department {id} is still moving; retry when its move is done"
        )));
    }
    let c = counts(store, caller, &tree, &located).await?;
    if c.nested_users + c.sub_departments + c.groups + c.rules > 0 {
        return Err(Error::InUse {
            message: format!(
                "department {id} still has {} users, {} sub-departments and {} groups, and {} smart-group rules name it",
                c.nested_users, c.sub_departments, c.groups, c.rules
            ),
            counts: vec![
                ("users", c.nested_users),
                ("subDepartments", c.sub_departments),
                ("groups", c.groups),
                ("rules", c.rules),
            ],
        });
    }
    store
        .delete_department(&caller.account_id, &located.department)
        .await
}
