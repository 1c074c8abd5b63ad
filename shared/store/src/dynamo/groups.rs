//! Groups, title claims, listings and saved rules.

use super::items::{Item, RawItem, from_raw, get_str, get_u64, number, string, to_value};
use super::{Cancelled, DynamoStore, Filters, Read, key, keys, table};
use aws_sdk_dynamodb::types::{
    Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use futures_util::future::try_join_all;
use groups_domain::RuleVersion;
use groups_domain::history::Stamp;
use groups_domain::ports::{GroupQuery, sort_keys};
use groups_domain::{
    AccountId, DepartmentPath, Error, Group, GroupId, GroupKind, GroupStore, MemberChange, Page,
    PageRequest, Result, Scope, SortOrder, UserId,
};
use serde::{Deserialize, Serialize};

/// The item that claims a title for one group, making titles unique per account.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitleClaim {
    group_id: GroupId,
}

pub(super) fn built<T, E: std::fmt::Display>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| Error::Internal(e.to_string()))
}

fn group_item(account: &AccountId, group: &Group) -> Result<RawItem> {
    let title_key = group.title_key();
    let mut item = Item::new(
        "group",
        keys::account(account),
        keys::group(&group.id),
        group,
    )
    .gsi2(
        keys::groups_by_title(account),
        sort_keys::group_by_title(&title_key, &group.id),
    );
    item.title_key = Some(title_key);
    item.owner_path = group.owner_department.as_ref().map(|p| p.key());
    if group.kind == GroupKind::Smart {
        item = item.gsi3(
            keys::smart_group_shard(account, &group.id),
            keys::smart_group(account, &group.id),
        );
    }
    let mut raw = item.to_raw()?;
    // The count lives in its shards (counts.rs), never on the group item.
    raw.remove("memberCount");
    Ok(raw)
}

/// The rule-history item of `group` at its current version, if it has a rule.
fn rule_version_item(account: &AccountId, group: &Group) -> Result<Option<RawItem>> {
    let Some(rule) = &group.rule else {
        return Ok(None);
    };
    let version = RuleVersion {
        version: group.version,
        rule: rule.clone(),
        saved_by: group.updated_by.clone(),
        saved_at: group.updated_at,
    };
    Item::new(
        "ruleVersion",
        keys::group_members(account, &group.id),
        keys::rule_version(group.version),
        version,
    )
    .to_raw()
    .map(Some)
}

impl DynamoStore {
    fn claim_title(&self, account: &AccountId, group: &Group) -> Result<TransactWriteItem> {
        let claim = Item::new(
            "titleClaim",
            keys::account(account),
            keys::title_marker(&group.title_claim_key()),
            TitleClaim {
                group_id: group.id.clone(),
            },
        );
        self.put_if_absent(claim.to_raw()?)
    }

    pub(super) fn put_if_absent(&self, item: RawItem) -> Result<TransactWriteItem> {
        let put = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .build(),
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub(super) fn version_conflict(cancelled: &Cancelled, group: &Group) -> Error {
        match cancelled.old_item(0) {
            None => Error::not_found("group", group.id.as_str()),
            Some(old) => Error::VersionMismatch {
                expected: group.version,
                actual: get_u64(old, "version").unwrap_or_default(),
            },
        }
    }
}

pub(super) fn cursor_id<T>(cursor: &str, parse: impl Fn(&str, String) -> Result<T>) -> Result<T> {
    parse("cursor", cursor.to_owned())
        .map_err(|_| Error::validation("cursor", "is not a cursor of this listing"))
}

impl GroupStore for DynamoStore {
    async fn create_group(&self, account: &AccountId, group: &Group) -> Result<()> {
        let mut actions = vec![
            self.put_if_absent(group_item(account, group)?)?,
            self.claim_title(account, group)?,
        ];
        if let Some(version) = rule_version_item(account, group)? {
            actions.push(self.put_if_absent(version)?);
        }
        actions.extend(self.count_shards_created(account, group)?);
        match self.transact("CreateGroup", actions).await? {
            Ok(()) => Ok(()),
            Err(c) if c.failed(1) => Err(Error::TitleTaken {
                title: group.title.clone(),
            }),
            Err(c) if c.failed(0) => Err(Error::AlreadyExists {
                resource: "group",
                id: group.id.to_string(),
            }),
            Err(_) => Err(Error::Internal(
                "CreateGroup cancelled without a failed condition".into(),
            )),
        }
    }

    async fn get_group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>> {
        Ok(self
            .get_groups(account, std::slice::from_ref(id))
            .await?
            .into_iter()
            .next())
    }

    async fn move_group_department(
        &self,
        account: &AccountId,
        group: &GroupId,
        from: &DepartmentPath,
        to: &DepartmentPath,
    ) -> Result<bool> {
        self.repath(
            key(keys::account(account), keys::group(group)),
            ("ownerDepartment", "ownerPath"),
            to,
            to.key(),
            from.key(),
        )
        .await
    }

    async fn update_group(&self, account: &AccountId, current: &Group, next: &Group) -> Result<()> {
        let new_key = next.title_key();
        let (old_claim, new_claim) = (current.title_claim_key(), next.title_claim_key());
        // As on create: an active group's item holds no mode, and one without a scheduled rule
        // no `scheduled`.
        let mut set = String::from(
            "#title = :title, #description = :description, #rule = :rule, #updatedBy = :updatedBy, \
             #updatedAt = :updatedAt, #version = :next, #titleKey = :titleKey, #gsi2sk = :gsi2sk, \
             #evaluation = :evaluation",
        );
        let mut remove = Vec::new();
        if next.mode.is_active() {
            remove.push("#mode");
        } else {
            set.push_str(", #mode = :mode");
        }
        if next.scheduled.is_none() {
            remove.push("#scheduled");
        } else {
            set.push_str(", #scheduled = :scheduled");
        }
        if next.provisioning.is_none() {
            remove.push("#provisioning");
        } else {
            set.push_str(", #provisioning = :provisioning");
        }
        let mut expression = format!("SET {set}");
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::account(account), keys::group(&current.id))))
            .update_expression(expression)
            .expression_attribute_names("#mode", "mode")
            .expression_attribute_names("#scheduled", "scheduled")
            .expression_attribute_names("#provisioning", "provisioning")
            .condition_expression("#version = :expected")
            .expression_attribute_names("#title", "title")
            .expression_attribute_names("#description", "description")
            .expression_attribute_names("#rule", "rule")
            .expression_attribute_names("#updatedBy", "updatedBy")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#titleKey", "titleKey")
            .expression_attribute_names("#gsi2sk", table::GSI2SK)
            .expression_attribute_names("#evaluation", "evaluation")
            .expression_attribute_values(":evaluation", to_value(&next.evaluation)?)
            .expression_attribute_values(":title", string(&next.title))
            .expression_attribute_values(":description", string(&next.description))
            .expression_attribute_values(":rule", to_value(&next.rule)?)
            .expression_attribute_values(":updatedBy", string(next.updated_by.as_str()))
            .expression_attribute_values(":updatedAt", to_value(&TimeValue(next.updated_at))?)
            .expression_attribute_values(":next", number(next.version))
            .expression_attribute_values(":expected", number(current.version))
            .expression_attribute_values(":titleKey", string(&new_key))
            .expression_attribute_values(
                ":gsi2sk",
                string(sort_keys::group_by_title(&new_key, &current.id)),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if !next.mode.is_active() {
            update = update.expression_attribute_values(":mode", to_value(&next.mode)?);
        }
        if let Some(scheduled) = &next.scheduled {
            update = update.expression_attribute_values(":scheduled", to_value(scheduled)?);
        }
        if let Some(provisioning) = &next.provisioning {
            update = update.expression_attribute_values(":provisioning", to_value(provisioning)?);
        }
        let update = built(update.build())?;
        let mut actions = vec![TransactWriteItem::builder().update(update).build()];
        // The rule's history entry comes right after the update, before any title claim.
        let rule_changed = next.rule.is_some() && next.rule != current.rule;
        let history = if rule_changed {
            rule_version_item(account, next)?
        } else {
            None
        };
        let claim_index = if history.is_some() { 3 } else { 2 };
        if let Some(version) = history {
            actions.push(self.put_if_absent(version)?);
        }
        if old_claim != new_claim {
            let release = built(
                Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(
                        keys::account(account),
                        keys::title_marker(&old_claim),
                    )))
                    .condition_expression("groupId = :id")
                    .expression_attribute_values(":id", string(current.id.as_str()))
                    .build(),
            )?;
            actions.push(TransactWriteItem::builder().delete(release).build());
            actions.push(self.claim_title(account, next)?);
        }
        match self.transact("UpdateGroup", actions).await? {
            Ok(()) => Ok(()),
            Err(c) if c.failed(0) => Err(Self::version_conflict(&c, current)),
            Err(c) if c.failed(claim_index) => Err(Error::TitleTaken {
                title: next.title.clone(),
            }),
            Err(_) => Err(Error::Internal(format!(
                "title claim of group {} is missing",
                current.id
            ))),
        }
    }

    async fn delete_group(
        &self,
        account: &AccountId,
        group: &Group,
        stamp: &Stamp,
    ) -> Result<Vec<UserId>> {
        let remove = built(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(keys::account(account), keys::group(&group.id))))
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", number(group.version))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build(),
        )?;
        let release = built(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(
                    keys::account(account),
                    keys::title_marker(&group.title_claim_key()),
                )))
                .condition_expression("groupId = :id")
                .expression_attribute_values(":id", string(group.id.as_str()))
                .build(),
        )?;
        let mut actions = vec![
            TransactWriteItem::builder().delete(remove).build(),
            TransactWriteItem::builder().delete(release).build(),
        ];
        actions.extend(self.count_shards_deleted(account, &group.id)?);
        match self.transact("DeleteGroup", actions).await? {
            Ok(()) => {}
            Err(c) if c.failed(0) => return Err(Self::version_conflict(&c, group)),
            Err(_) => {
                return Err(Error::Internal(format!(
                    "title claim of group {} is missing",
                    group.id
                )));
            }
        }
        // The group and its count shards are gone, so no membership can be added any more
        // (inserts are conditioned on a shard); now clear the ones it had.
        self.delete_all_members(account, &group.id, stamp).await
    }

    async fn list_groups(
        &self,
        account: &AccountId,
        scope: &Scope,
        query: &GroupQuery,
    ) -> Result<Page<Group>> {
        let gsi_pk = keys::groups_by_title(account);
        let mut filters = Filters::default();
        if let Some(kind) = query.kind {
            filters.add("kind = :kind", &[(":kind", kind.as_str().to_owned())]);
        }
        if let Some(q) = &query.title_contains {
            filters.add(
                "contains(titleKey, :q)",
                &[(":q", groups_domain::group::title_key(q))],
            );
        }
        filters.scope(scope, "ownerPath");
        let start = match query.page.cursor.as_deref() {
            None => None,
            Some(c) => {
                let id = sort_keys::group_id_of_title_key(c).ok_or_else(|| {
                    Error::validation("cursor", "is not a cursor of this listing")
                })?;
                let id = cursor_id(id, GroupId::parse)?;
                let mut start = key(keys::account(account), keys::group(&id));
                start.insert(table::GSI2PK.into(), string(&gsi_pk));
                start.insert(table::GSI2SK.into(), string(c));
                Some(start)
            }
        };
        let want = query.page.limit as usize + 1;
        let items = self
            .query_collect(want, start, |start| {
                let q = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(table::GSI2)
                    .key_condition_expression("GSI2PK = :pk")
                    .expression_attribute_values(":pk", string(&gsi_pk))
                    .scan_index_forward(query.order == SortOrder::Ascending)
                    .set_exclusive_start_key(start);
                filters.apply(q, want)
            })
            .await?;
        let mut page: Page<Group> = super::items::page(items, query.page.limit, table::GSI2SK, "")?;
        // A listing is for display: its counts may lag a write by a second, for half the reads.
        page.items = self.with_counts(account, page.items, Read::MayLag).await?;
        Ok(page)
    }

    /// Groups and their count shards, read together (one BatchGetItem per 20 groups).
    async fn get_groups(&self, account: &AccountId, ids: &[GroupId]) -> Result<Vec<Group>> {
        let pk = keys::account(account);
        let mut keys: Vec<RawItem> = ids
            .iter()
            .map(|id| key(pk.clone(), keys::group(id)))
            .collect();
        keys.extend(Self::count_keys(account, ids));
        let (shards, groups): (Vec<RawItem>, Vec<RawItem>) = self
            .batch_get_all(keys, Read::Latest)
            .await?
            .into_iter()
            .partition(Self::is_count_shard);
        let mut groups = groups
            .into_iter()
            .map(from_raw)
            .collect::<Result<Vec<Group>>>()?;
        Self::set_counts(account, &mut groups, &Self::sum_counts(&shards))?;
        Ok(groups)
    }

    async fn member_counts(&self, account: &AccountId, ids: &[GroupId]) -> Result<Vec<u64>> {
        self.counts_of(account, ids).await
    }

    /// Each of the account's GSI3 keys read in parallel, merged in group order.
    async fn account_smart_groups(&self, account: &AccountId) -> Result<Vec<Group>> {
        let prefix = format!("{account}#");
        let shards = try_join_all(keys::account_smart_groups(account).map(|pk| {
            let prefix = &prefix;
            async move {
                self.query_collect(usize::MAX, None, |start| {
                    self.client
                        .query()
                        .table_name(&self.table)
                        .index_name(table::GSI3)
                        .key_condition_expression("GSI3PK = :pk AND begins_with(GSI3SK, :prefix)")
                        .expression_attribute_values(":pk", string(&pk))
                        .expression_attribute_values(":prefix", string(prefix))
                        .set_exclusive_start_key(start)
                })
                .await
            }
        }))
        .await?;
        let mut items: Vec<_> = shards.into_iter().flatten().collect();
        items.sort_by(|x, y| get_str(x, table::GSI3SK).cmp(&get_str(y, table::GSI3SK)));
        items.into_iter().map(from_raw).collect()
    }

    /// A skip scan of each shard of the smart-group index, merged in account order: one small
    /// query per shard to start, then one per shard that held the account taken (an account's
    /// groups are in several shards).
    async fn smart_group_accounts(&self, page: &PageRequest) -> Result<Page<AccountId>> {
        let after = page.cursor.clone();
        let mut next: Vec<(u64, Option<String>)> = Vec::new();
        for shard in 0..keys::SMART_SHARDS {
            next.push((
                shard,
                self.next_smart_account(shard, after.as_deref()).await?,
            ));
        }
        let mut accounts = Vec::new();
        while accounts.len() <= page.limit as usize {
            let Some(taken) = next.iter().filter_map(|(_, a)| a.clone()).min() else {
                break;
            };
            for (shard, slot) in next.iter_mut() {
                if slot.as_deref() == Some(taken.as_str()) {
                    *slot = self.next_smart_account(*shard, Some(&taken)).await?;
                }
            }
            accounts.push(AccountId::parse("account", taken)?);
        }
        Ok(Page::from_overfetch(accounts, page.limit, |a| {
            a.to_string()
        }))
    }

    async fn save_overrides(
        &self,
        account: &AccountId,
        current: &Group,
        next: &Group,
        change: Option<&MemberChange>,
        stamp: &Stamp,
    ) -> Result<bool> {
        self.write_overrides(account, current, next, change, stamp)
            .await
    }

    async fn list_rule_versions(
        &self,
        account: &AccountId,
        group: &GroupId,
        page: &PageRequest,
    ) -> Result<Page<RuleVersion>> {
        let pk = keys::group_members(account, group);
        let start = page
            .cursor
            .as_deref()
            .map(|c| key(pk.clone(), format!("{}{c}", keys::RULE_VERSION_PREFIX)));
        let items = self
            .query_collect(page.limit as usize + 1, start, |start| {
                self.partition_query(&pk, keys::RULE_VERSION_PREFIX)
                    .scan_index_forward(false)
                    .limit(page.limit as i32 + 1)
                    .set_exclusive_start_key(start)
            })
            .await?;
        super::items::page(items, page.limit, table::SK, keys::RULE_VERSION_PREFIX)
    }
}

impl DynamoStore {
    /// The first account after `after` with a smart group in one shard of the index.
    async fn next_smart_account(&self, shard: u64, after: Option<&str>) -> Result<Option<String>> {
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(table::GSI3)
            .expression_attribute_values(":pk", string(keys::smart_groups(shard)))
            .projection_expression("GSI3SK")
            .limit(1);
        q = match after {
            // `$` sorts right after `#`: past every group of that account.
            Some(a) => q
                .key_condition_expression("GSI3PK = :pk AND GSI3SK > :after")
                .expression_attribute_values(":after", string(format!("{a}$"))),
            None => q.key_condition_expression("GSI3PK = :pk"),
        };
        let out = q.send().await.map_err(|e| super::errors::sdk("Query", e))?;
        let Some(item) = out.items.unwrap_or_default().into_iter().next() else {
            return Ok(None);
        };
        get_str(&item, table::GSI3SK)
            .and_then(|k| k.split_once('#'))
            .map(|(a, _)| Some(a.to_owned()))
            .ok_or_else(|| super::items::missing(table::GSI3SK))
    }
}

/// Serializes a timestamp exactly as the entities do (RFC 3339).
#[derive(Serialize)]
pub(super) struct TimeValue(
    #[serde(with = "time::serde::rfc3339")] pub(super) time::OffsetDateTime,
);
