//! Users, departments and custom roles in memory.

use super::{MemoryStore, check_guard, finish, page_after};
use crate::listing::{check_cursor_prefix, department_prefix};
use groups_domain::ports::{Change, UserGuard, UserQuery, sort_keys, user_matches};
use groups_domain::{
    AccountId, CustomRole, Department, DepartmentTree, DirectoryStore, Error, Page, Result, RoleId,
    Scope, User, UserId,
};
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

    async fn get_users(&self, account: &AccountId, ids: &[UserId]) -> Result<Vec<User>> {
        Ok(self.with(account, |a| {
            ids.iter()
                .filter_map(|id| a.users.get(id.as_str()).cloned())
                .collect()
        }))
    }
}
