//! Users, departments and custom roles.

use super::items::{Item, RawItem, from_raw, get_str, number, string};
use super::{DynamoStore, Filters, Read, errors, key, keys, table};
use crate::listing::{check_cursor_prefix, department_prefix};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, builders::PutItemFluentBuilder};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};
use futures_util::future::try_join_all;
use groups_domain::ports::{UserGuard, UserQuery, sort_keys, user_search_key};
use groups_domain::{
    AccountId, CustomRole, Department, DepartmentPath, DepartmentTree, DirectoryStore, Error, Page,
    PageRequest, Result, RoleId, Scope, User, UserId, UserStatus,
};
use std::collections::HashMap;

fn department_changed(department: &Department) -> Error {
    Error::Conflict(format!(
        "department {} changed while this request was decided; read it again and retry",
        department.id
    ))
}

/// The stored department must still be at `revision` (items written before revisions
/// existed read as 0).
fn revision_condition(put: PutItemFluentBuilder, revision: u64) -> PutItemFluentBuilder {
    put.expression_attribute_names("#revision", "revision")
        .expression_attribute_values(":revision", number(revision))
        .condition_expression(if revision == 0 {
            "attribute_exists(PK) AND (attribute_not_exists(#revision) OR #revision = :revision)"
        } else {
            "attribute_exists(PK) AND #revision = :revision"
        })
}

impl DynamoStore {
    pub(super) async fn put_item(&self, op: &str, item: RawItem) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| errors::sdk(op, e))?;
        Ok(())
    }

    /// Writes many users at once (an HR import, a benchmark's seed): BatchWriteItem, 25 users
    /// a call, instead of a PutItem each. Same items as [`DirectoryStore::put_user`].
    pub async fn import_users(&self, account: &AccountId, users: &[User]) -> Result<()> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        for chunk in users.chunks(25) {
            let requests = chunk
                .iter()
                .map(|user| {
                    PutRequest::builder()
                        .set_item(Some(user_item(account, user)?))
                        .build()
                        .map(|p| WriteRequest::builder().put_request(p).build())
                        .map_err(|e| Error::Internal(e.to_string()))
                })
                .collect::<Result<Vec<_>>>()?;
            self.batch_write(requests).await?;
        }
        Ok(())
    }

    pub(super) async fn get_item(&self, pk: String, sk: String) -> Result<Option<RawItem>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| errors::sdk("GetItem", e))?;
        Ok(out.item)
    }
}

/// The condition expression of a guarded write's own item.
struct UserCondition {
    expression: Option<String>,
    names: Option<HashMap<String, String>>,
    values: Option<HashMap<String, AttributeValue>>,
}

impl UserCondition {
    fn of(id: &UserId, guard: &UserGuard) -> Self {
        match &guard.unchanged_since {
            None => Self {
                expression: None,
                names: None,
                values: None,
            },
            Some(None) => Self {
                expression: Some("attribute_not_exists(PK)".into()),
                names: None,
                values: None,
            },
            Some(Some(expected)) => {
                let department = match &expected.department {
                    Some(_) => "GSI1SK = :department".to_owned(),
                    None => "attribute_not_exists(GSI1SK)".to_owned(),
                };
                let mut values = HashMap::from([
                    (":role".to_owned(), string(expected.role.as_str())),
                    (":status".to_owned(), status_value(expected.status)),
                ]);
                if let Some(path) = &expected.department {
                    values.insert(
                        ":department".to_owned(),
                        string(sort_keys::user_by_department(path, id)),
                    );
                }
                Self {
                    expression: Some(format!(
                        "attribute_exists(PK) AND #role = :role AND #status = :status AND {department}"
                    )),
                    names: Some(HashMap::from([
                        ("#role".to_owned(), "role".to_owned()),
                        ("#status".to_owned(), "status".to_owned()),
                    ])),
                    values: Some(values),
                }
            }
        }
    }
}

fn status_value(status: UserStatus) -> AttributeValue {
    string(match status {
        UserStatus::Active => "active",
        UserStatus::Inactive => "inactive",
    })
}

impl DynamoStore {
    /// Runs a guarded user write: alone with its condition, or in a transaction with a check
    /// that the guard's Owner is still an active Owner.
    async fn guarded(
        &self,
        account: &AccountId,
        id: &UserId,
        guard: &UserGuard,
        write: TransactWriteItem,
    ) -> Result<()> {
        let mut actions = Vec::new();
        if let Some(owner) = &guard.active_owner {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key(keys::account(account), keys::user(owner))))
                .condition_expression("#role = :owner AND #status = :active")
                .expression_attribute_names("#role", "role")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":owner", string("owner"))
                .expression_attribute_values(":active", status_value(UserStatus::Active))
                .build()
                .map_err(|e| Error::Internal(e.to_string()))?;
            actions.push(TransactWriteItem::builder().condition_check(check).build());
        }
        let write_index = actions.len();
        actions.push(write);
        match self.transact("WriteUser", actions).await? {
            Ok(()) => Ok(()),
            Err(c) if guard.active_owner.is_some() && c.failed(0) => Err(UserGuard::owner_error()),
            Err(c) if c.failed(write_index) => Err(UserGuard::changed_error(id)),
            Err(_) => Err(Error::Internal(
                "WriteUser cancelled without a failed condition".into(),
            )),
        }
    }
}

fn user_item(account: &AccountId, user: &User) -> Result<RawItem> {
    let mut item = Item::new("user", keys::account(account), keys::user(&user.id), user);
    item.search_key = Some(user_search_key(user));
    item = item.gsi2(
        keys::user_login(account, &user.login_key()),
        keys::user(&user.id),
    );
    if let Some(path) = &user.department {
        item = item.gsi1(
            keys::user_department_shard(account, &user.id),
            sort_keys::user_by_department(path, &user.id),
        );
    }
    item.to_raw()
}

impl DirectoryStore for DynamoStore {
    async fn put_department(&self, account: &AccountId, department: &Department) -> Result<()> {
        let item = Item::new(
            "department",
            keys::account(account),
            keys::department(department.id.as_str()),
            department,
        );
        self.put_item("PutItem", item.to_raw()?).await
    }

    async fn departments(&self, account: &AccountId) -> Result<DepartmentTree> {
        let pk = keys::account(account);
        let items = self
            .query_collect(usize::MAX, None, |start| {
                self.partition_query(&pk, keys::DEPARTMENT_PREFIX)
                    .set_exclusive_start_key(start)
            })
            .await?;
        let departments = items
            .into_iter()
            .map(from_raw::<Department>)
            .collect::<Result<Vec<_>>>()?;
        Ok(DepartmentTree::new(departments))
    }

    async fn save_department(
        &self,
        account: &AccountId,
        department: &Department,
        previous: Option<u64>,
    ) -> Result<()> {
        let item = Item::new(
            "department",
            keys::account(account),
            keys::department(department.id.as_str()),
            department,
        );
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.to_raw()?));
        put = match previous {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(revision) => revision_condition(put, revision),
        };
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => Err(match previous {
                    None => Error::AlreadyExists {
                        resource: "department",
                        id: department.id.to_string(),
                    },
                    Some(_) => department_changed(department),
                }),
                _ => Err(errors::sdk("PutItem", e)),
            },
        }
    }

    async fn delete_department(&self, account: &AccountId, department: &Department) -> Result<()> {
        let mut delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::account(account),
                keys::department(department.id.as_str()),
            )))
            .expression_attribute_names("#revision", "revision")
            .expression_attribute_values(":revision", number(department.revision));
        delete = delete.condition_expression(if department.revision == 0 {
            "attribute_exists(PK) AND (attribute_not_exists(#revision) OR #revision = :revision)"
        } else {
            "attribute_exists(PK) AND #revision = :revision"
        });
        match delete.send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(_)) => {
                    Err(department_changed(department))
                }
                _ => Err(errors::sdk("DeleteItem", e)),
            },
        }
    }

    async fn list_roles(
        &self,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<CustomRole>> {
        let pk = keys::account(account);
        let start = page
            .cursor
            .as_deref()
            .map(|c| key(pk.clone(), format!("{}{c}", keys::ROLE_PREFIX)));
        let items = self
            .query_collect(page.limit as usize + 1, start, |start| {
                self.partition_query(&pk, keys::ROLE_PREFIX)
                    .limit(page.limit as i32 + 1)
                    .set_exclusive_start_key(start)
            })
            .await?;
        super::items::page(items, page.limit, table::SK, keys::ROLE_PREFIX)
    }

    async fn delete_role(&self, account: &AccountId, id: &RoleId) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::account(account), keys::role(id.as_str()))))
            .send()
            .await
            .map_err(|e| errors::sdk("DeleteItem", e))?;
        Ok(())
    }

    async fn move_user_department(
        &self,
        account: &AccountId,
        user: &UserId,
        from: &DepartmentPath,
        to: &DepartmentPath,
    ) -> Result<bool> {
        self.repath(
            key(keys::account(account), keys::user(user)),
            ("department", table::GSI1SK),
            to,
            sort_keys::user_by_department(to, user),
            sort_keys::user_by_department(from, user),
        )
        .await
    }

    async fn put_role(&self, account: &AccountId, role: &CustomRole) -> Result<()> {
        let item = Item::new(
            "role",
            keys::account(account),
            keys::role(role.id.as_str()),
            role,
        );
        self.put_item("PutItem", item.to_raw()?).await
    }

    async fn get_role(&self, account: &AccountId, id: &RoleId) -> Result<Option<CustomRole>> {
        self.get_item(keys::account(account), keys::role(id.as_str()))
            .await?
            .map(from_raw)
            .transpose()
    }

    async fn write_user(&self, account: &AccountId, user: &User, guard: &UserGuard) -> Result<()> {
        let item = user_item(account, user)?;
        if guard.is_none() {
            return self.put_item("PutItem", item).await;
        }
        let condition = UserCondition::of(&user.id, guard);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.expression.clone())
            .set_expression_attribute_names(condition.names.clone())
            .set_expression_attribute_values(condition.values.clone())
            .build()
            .map_err(|e| Error::Internal(e.to_string()))?;
        self.guarded(
            account,
            &user.id,
            guard,
            TransactWriteItem::builder().put(put).build(),
        )
        .await
    }

    async fn get_user(&self, account: &AccountId, id: &UserId) -> Result<Option<User>> {
        self.get_item(keys::account(account), keys::user(id))
            .await?
            .map(from_raw)
            .transpose()
    }

    async fn list_users(
        &self,
        account: &AccountId,
        scope: &Scope,
        query: &UserQuery,
    ) -> Result<Page<User>> {
        let mut filters = Filters::default();
        if let Some(text) = &query.text {
            filters.add("contains(searchKey, :q)", &[(":q", text.to_lowercase())]);
        }
        filters.scope_in_list(scope, "department");
        let page = &query.page;
        let want = page.limit as usize + 1;
        let Some((department, nested)) = &query.department else {
            let pk = keys::account(account);
            let start = page
                .cursor
                .as_deref()
                .map(|c| key(pk.clone(), format!("{}{c}", keys::USER_PREFIX)));
            let items = self
                .query_collect(want, start, |start| {
                    let q = self
                        .partition_query(&pk, keys::USER_PREFIX)
                        .set_exclusive_start_key(start);
                    filters.apply(q, want)
                })
                .await?;
            return super::items::page(items, page.limit, table::SK, keys::USER_PREFIX);
        };
        let prefix = department_prefix(department, *nested);
        check_cursor_prefix(page, &prefix)?;
        let after = match page.cursor.as_deref() {
            None => None,
            Some(c) => {
                let id = sort_keys::user_id_of_department_key(c)
                    .and_then(|id| UserId::parse("cursor", id).ok())
                    .ok_or_else(|| {
                        Error::validation("cursor", "is not a cursor of this listing")
                    })?;
                Some((id, c))
            }
        };
        // Each shard read from the cursor on (in parallel), merged in index order.
        let shards = try_join_all((0..keys::USER_SHARDS).map(|shard| {
            let gsi_pk = keys::users_by_department(account, shard);
            let start = after.as_ref().map(|(id, c)| {
                let mut start = key(keys::account(account), keys::user(id));
                start.insert(table::GSI1PK.into(), string(&gsi_pk));
                start.insert(table::GSI1SK.into(), string(*c));
                start
            });
            let (filters, prefix) = (&filters, &prefix);
            async move {
                self.query_collect(want, start, |start| {
                    let q = self
                        .client
                        .query()
                        .table_name(&self.table)
                        .index_name(table::GSI1)
                        .key_condition_expression("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)")
                        .expression_attribute_values(":pk", string(&gsi_pk))
                        .expression_attribute_values(":prefix", string(prefix))
                        .set_exclusive_start_key(start);
                    filters.apply(q, want)
                })
                .await
            }
        }))
        .await?;
        let mut items: Vec<_> = shards.into_iter().flatten().collect();
        items.sort_by(|x, y| get_str(x, table::GSI1SK).cmp(&get_str(y, table::GSI1SK)));
        items.truncate(want);
        super::items::page(items, page.limit, table::GSI1SK, "")
    }

    async fn remove_user(&self, account: &AccountId, id: &UserId, guard: &UserGuard) -> Result<()> {
        if guard.is_none() {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(keys::account(account), keys::user(id))))
                .send()
                .await
                .map_err(|e| errors::sdk("DeleteItem", e))?;
            return Ok(());
        }
        let condition = UserCondition::of(id, guard);
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::account(account), keys::user(id))))
            .set_condition_expression(condition.expression.clone())
            .set_expression_attribute_names(condition.names.clone())
            .set_expression_attribute_values(condition.values.clone())
            .build()
            .map_err(|e| Error::Internal(e.to_string()))?;
        self.guarded(
            account,
            id,
            guard,
            TransactWriteItem::builder().delete(delete).build(),
        )
        .await
    }

    async fn users_by_login(&self, account: &AccountId, key: &str) -> Result<Vec<User>> {
        let pk = keys::user_login(account, key);
        let items = self
            .query_collect(usize::MAX, None, |start| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name(table::GSI2)
                    .key_condition_expression("GSI2PK = :pk")
                    .expression_attribute_values(":pk", string(&pk))
                    .set_exclusive_start_key(start)
            })
            .await?;
        let users: Vec<User> = items.into_iter().map(from_raw).collect::<Result<_>>()?;
        Ok(users.into_iter().filter(|u| u.login_key() == key).collect())
    }

    async fn get_users(&self, account: &AccountId, ids: &[UserId]) -> Result<Vec<User>> {
        let pk = keys::account(account);
        let keys = ids
            .iter()
            .map(|id| key(pk.clone(), keys::user(id)))
            .collect();
        // Names for a members page: a moment's lag is fine, and costs half.
        self.batch_get_all(keys, Read::MayLag)
            .await?
            .into_iter()
            .map(from_raw)
            .collect()
    }
}
