//! A group's member count, one small item in each of its [`keys::MEMBER_SHARDS`] membership
//! partitions. A membership transaction updates the count of the shard its memberships are in
//! (conditioned on it, which also proves the group exists and is of the expected kind), never
//! the group item, so writers of one group rarely meet on one item, every transaction stays
//! within one partition key, and no membership change rewrites the group's index copies.
//! Reads sum the shards, so the count stays exact.

use super::groups::built;
use super::items::{RawItem, get_str, number, string, to_value};
use super::{DynamoStore, Read, key, keys, table};
use aws_sdk_dynamodb::types::{
    Delete, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use groups_domain::history::MemberWrite;
use groups_domain::{AccountId, Error, Group, GroupId, GroupKind, Result};
use std::collections::HashMap;

fn shard_key(account: &AccountId, group: &GroupId, shard: u64) -> RawItem {
    key(
        keys::member_shard(account, group, shard),
        keys::COUNT.to_owned(),
    )
}

impl DynamoStore {
    /// Records the leaves of a deleted group's members in its history, a page at a time, on
    /// an item of the shard's own that the group's cleanup deletes last.
    pub(super) async fn record_deleted_page(
        &self,
        account: &AccountId,
        group: &GroupId,
        shard: u64,
        write: &MemberWrite,
    ) -> Result<()> {
        let mut item = key(
            keys::member_shard(account, group, shard),
            keys::DELETED.to_owned(),
        );
        item.insert("entity".into(), string("deletedMembers"));
        item.insert(keys::LAST_WRITE.into(), to_value(write)?);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| super::errors::sdk("PutItem", e))?;
        Ok(())
    }

    /// Puts of a new group's shards, each at zero (for the group's create transaction).
    pub(super) fn count_shards_created(
        &self,
        account: &AccountId,
        group: &Group,
    ) -> Result<Vec<TransactWriteItem>> {
        (0..keys::MEMBER_SHARDS)
            .map(|shard| {
                let mut item = shard_key(account, &group.id, shard);
                item.insert("entity".into(), string("memberCount"));
                item.insert("kind".into(), string(group.kind.as_str()));
                item.insert("count".into(), number(0));
                self.put_if_absent(item)
            })
            .collect()
    }

    /// Deletes of a group's shards (for its delete transaction: from then on no membership
    /// write can succeed).
    pub(super) fn count_shards_deleted(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<TransactWriteItem>> {
        (0..keys::MEMBER_SHARDS)
            .map(|shard| {
                let delete = built(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(shard_key(account, group, shard)))
                        .build(),
                )?;
                Ok(TransactWriteItem::builder().delete(delete).build())
            })
            .collect()
    }

    /// Adds `delta` to one shard, if the group exists and is of `kind`; a cancelled update
    /// returns the shard (absent: no such group).
    pub(super) fn count_update(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        shard: u64,
        delta: i64,
        write: &MemberWrite,
    ) -> Result<TransactWriteItem> {
        // The write and its cause ride on the count item it updates anyway: its stream record
        // is the history's source (no extra item per membership change).
        let update = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(shard_key(account, group, shard)))
                .update_expression("ADD #count :delta SET #lastWrite = :write")
                .expression_attribute_names("#lastWrite", keys::LAST_WRITE)
                .expression_attribute_values(":write", to_value(write)?)
                .condition_expression("attribute_exists(PK) AND kind = :kind")
                .expression_attribute_names("#count", "count")
                .expression_attribute_values(":delta", number(delta))
                .expression_attribute_values(":kind", string(kind.as_str()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build(),
        )?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The shard keys of `groups`, to read alongside (or after) the groups themselves.
    pub(super) fn count_keys<'g>(
        account: &AccountId,
        groups: impl IntoIterator<Item = &'g GroupId>,
    ) -> Vec<RawItem> {
        groups
            .into_iter()
            .flat_map(|g| (0..keys::MEMBER_SHARDS).map(move |s| shard_key(account, g, s)))
            .collect()
    }

    /// Each group's count, summed from shard items (keyed by [`keys::group_members`]).
    pub(super) fn sum_counts(shards: &[RawItem]) -> HashMap<String, i64> {
        let mut counts: HashMap<String, i64> = HashMap::new();
        for shard in shards {
            let (Some(pk), Some(count)) = (
                get_str(shard, table::PK),
                shard
                    .get("count")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse::<i64>().ok()),
            ) else {
                continue;
            };
            let group_pk = pk.rsplit_once('#').map_or(pk, |(group, _)| group);
            *counts.entry(group_pk.to_owned()).or_default() += count;
        }
        counts
    }

    /// Whether a raw item is a count shard.
    pub(super) fn is_count_shard(raw: &RawItem) -> bool {
        get_str(raw, table::SK) == Some(keys::COUNT)
    }

    /// One group's count from summed shards (0 for a group with none).
    fn count_of(sums: &HashMap<String, i64>, account: &AccountId, id: &GroupId) -> Result<u64> {
        let sum = sums
            .get(&keys::group_members(account, id))
            .copied()
            .unwrap_or(0);
        u64::try_from(sum)
            .map_err(|_| Error::Internal(format!("group {id} has a negative member count")))
    }

    /// Sets each group's count from summed shards.
    pub(super) fn set_counts(
        account: &AccountId,
        groups: &mut [Group],
        sums: &HashMap<String, i64>,
    ) -> Result<()> {
        for group in groups {
            group.member_count = Self::count_of(sums, account, &group.id)?;
        }
        Ok(())
    }

    /// Fills the counts of `groups` (one BatchGetItem per 25 groups).
    pub(super) async fn with_counts(
        &self,
        account: &AccountId,
        mut groups: Vec<Group>,
        read: Read,
    ) -> Result<Vec<Group>> {
        if groups.is_empty() {
            return Ok(groups);
        }
        let keys = Self::count_keys(account, groups.iter().map(|g| &g.id));
        let shards = self.batch_get_all(keys, read).await?;
        Self::set_counts(account, &mut groups, &Self::sum_counts(&shards))?;
        Ok(groups)
    }

    /// The counts of `ids`, in order (0 for a group that doesn't exist).
    pub(super) async fn counts_of(&self, account: &AccountId, ids: &[GroupId]) -> Result<Vec<u64>> {
        let keys = Self::count_keys(account, ids);
        let sums = Self::sum_counts(&self.batch_get_all(keys, Read::Latest).await?);
        ids.iter()
            .map(|id| Self::count_of(&sums, account, id))
            .collect()
    }
}
