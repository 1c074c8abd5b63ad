//! Users, departments and custom roles in memory.

use super::{MemoryStore, check_guard, finish, page_after};
use crate::listing::{check_cursor_prefix, department_prefix};
use groups_domain::department::move_slice_started;
use groups_domain::ports::{Change, UserGuard, UserQuery, sort_keys, user_matches};
use groups_domain::{
    AccountId, CustomRole, Department, DepartmentId, DepartmentPath, DepartmentTree,
    DirectoryStore, Error, Page, PageRequest, Result, RoleId, Scope, User, UserId,
};

fn department_changed(id: &DepartmentId) -> Error {
    Error::Conflict(format!(
        "department {id} changed while this request was decided; read it again and retry"
    ))
}
use std::collections::BTreeMap;

impl DirectoryStore for MemoryStore {
    async fn put_department(&self, account: &AccountId, department: &Department) -> Result<()> {
        self.with(account, |a| {
            a.departments
                .insert(department.id.to_string(), department.clone());
        });
        Ok(())
    }

    async fn departments(&self, account: &AccountId) -> Result<DepartmentTree> {
        Ok(self.with(account, |a| {
            DepartmentTree::new(a.departments.values().cloned().collect())
        }))
    }

    async fn save_department(
        &self,
        account: &AccountId,
        department: &Department,
        previous: Option<u64>,
    ) -> Result<()> {
        let before = self.with(account, |a| {
            let stored = a.departments.get(department.id.as_str()).cloned();
            match (&stored, previous) {
                (Some(_), None) => {
                    return Err(Error::AlreadyExists {
                        resource: "department",
                        id: department.id.to_string(),
                    });
                }
                (Some(s), Some(p)) if s.revision == p => {}
                (None, None) => {}
                _ => return Err(department_changed(&department.id)),
            }
            a.departments
                .insert(department.id.to_string(), department.clone());
            Ok(stored)
        })?;
        if move_slice_started(before.as_ref(), Some(department)) {
            self.emit(Change::DepartmentMove {
                account: account.clone(),
                department: department.id.clone(),
            });
        }
        Ok(())
    }

    async fn delete_department(&self, account: &AccountId, department: &Department) -> Result<()> {
        self.with(account, |a| {
            match a.departments.get(department.id.as_str()) {
                Some(s) if s.revision == department.revision => {}
                _ => return Err(department_changed(&department.id)),
            }
            a.departments.remove(department.id.as_str());
            Ok(())
        })
    }

    async fn list_roles(
        &self,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<CustomRole>> {
        Ok(self.with(account, |a| {
            finish(page_after(&a.roles, page, |_| true), page.limit)
        }))
    }

    async fn delete_role(&self, account: &AccountId, id: &RoleId) -> Result<()> {
        self.with(account, |a| a.roles.remove(id.as_str()));
        Ok(())
    }

    async fn move_user_department(
        &self,
        account: &AccountId,
        user: &UserId,
        from: &DepartmentPath,
        to: &DepartmentPath,
    ) -> Result<bool> {
        let moved = self.with(account, |a| match a.users.get_mut(user.as_str()) {
            Some(u) if u.department.as_ref() == Some(from) => {
                u.department = Some(to.clone());
                true
            }
            _ => false,
        });
        if moved {
            self.emit(Change::User {
                account: account.clone(),
                user: user.clone(),
            });
        }
        Ok(moved)
    }

    async fn put_role(&self, account: &AccountId, role: &CustomRole) -> Result<()> {
        self.with(account, |a| {
            a.roles.insert(role.id.to_string(), role.clone());
        });
        Ok(())
    }

    async fn get_role(&self, account: &AccountId, id: &RoleId) -> Result<Option<CustomRole>> {
        Ok(self.with(account, |a| a.roles.get(id.as_str()).cloned()))
    }

    async fn write_user(&self, account: &AccountId, user: &User, guard: &UserGuard) -> Result<()> {
        self.with(account, |a| {
            check_guard(a, &user.id, guard)?;
            a.users.insert(user.id.to_string(), user.clone());
            Ok::<_, Error>(())
        })?;
        self.emit(Change::User {
            account: account.clone(),
            user: user.id.clone(),
        });
        Ok(())
    }

    async fn remove_user(&self, account: &AccountId, id: &UserId, guard: &UserGuard) -> Result<()> {
        let existed = self.with(account, |a| {
            check_guard(a, id, guard)?;
            Ok::<_, Error>(a.users.remove(id.as_str()).is_some())
        })?;
        if existed {
            self.emit(Change::User {
                account: account.clone(),
                user: id.clone(),
            });
        }
        Ok(())
    }

    async fn get_user(&self, account: &AccountId, id: &UserId) -> Result<Option<User>> {
        Ok(self.with(account, |a| a.users.get(id.as_str()).cloned()))
    }

    async fn list_users(
        &self,
        account: &AccountId,
        scope: &Scope,
        query: &UserQuery,
    ) -> Result<Page<User>> {
        let prefix = query
            .department
            .as_ref()
            .map(|(path, nested)| department_prefix(path, *nested));
        if let Some(prefix) = &prefix {
            check_cursor_prefix(&query.page, prefix)?;
        }
        let keep = |u: &User| user_matches(u, scope, query);
        Ok(self.with(account, |a| match &prefix {
            None => finish(page_after(&a.users, &query.page, keep), query.page.limit),
            Some(prefix) => {
                // The same sort key the DynamoDB index uses: path, then user id.
                let by_key: BTreeMap<String, User> = a
                    .users
                    .values()
                    .filter_map(|u| {
                        let key = sort_keys::user_by_department(u.department.as_ref()?, &u.id);
                        key.starts_with(prefix.as_str()).then(|| (key, u.clone()))
                    })
                    .collect();
                finish(page_after(&by_key, &query.page, keep), query.page.limit)
            }
        }))
    }

    async fn users_by_login(&self, account: &AccountId, key: &str) -> Result<Vec<User>> {
        // The map is ordered by id, as the index's sort key orders DynamoDB's answer.
        Ok(self.with(account, |a| {
            a.users
                .values()
                .filter(|u| u.login_key() == key)
                .cloned()
                .collect()
        }))
    }

    async fn get_users(&self, account: &AccountId, ids: &[UserId]) -> Result<Vec<User>> {
        Ok(self.with(account, |a| {
            ids.iter()
                .filter_map(|id| a.users.get(id.as_str()).cloned())
                .collect()
        }))
    }
}
