//! Memberships of groups, spread over [`keys::MEMBER_SHARDS`] partitions by user: written in
//! transactions with their shard's count, so counts stay exact.

use super::groups::{built, cursor_id};
use super::items::{Item, from_raw, get_str, string};
use super::{DynamoStore, Read, key, keys, table};
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use futures_util::future::try_join_all;
use groups_domain::events::MembershipChange;
use groups_domain::group::kind_mismatch;
use groups_domain::history::{MemberWrite, Stamp};
use groups_domain::{
    AccountId, Error, Group, GroupId, GroupKind, Membership, MembershipStore, Page, PageRequest,
    Result, User, UserId,
};
use std::collections::HashSet;

/// Most memberships one transaction writes: 100 items, one of which updates a count shard.
const MEMBERS_PER_TRANSACTION: usize = 99;
/// Most keys one BatchGetItem reads.
const KEYS_PER_BATCH_GET: usize = 100;

impl DynamoStore {
    /// Writes `users`' memberships, each shard's in transactions of its own partition (with
    /// that shard's count), the shards in parallel. Answers the users whose membership changed,
    /// in the order given.
    #[allow(clippy::too_many_arguments)]
    async fn change_memberships(
        &self,
        change: MembershipChange,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        users: Vec<UserId>,
        stamp: &Stamp,
        write: impl Fn(&UserId) -> Result<TransactWriteItem> + Sync,
    ) -> Result<Vec<UserId>> {
        let mut shards: Vec<Vec<UserId>> = vec![Vec::new(); keys::MEMBER_SHARDS as usize];
        for user in &users {
            shards[keys::member_shard_of(user) as usize].push(user.clone());
        }
        let write = &write;
        let applied = try_join_all(shards.into_iter().enumerate().map(|(shard, users)| {
            self.change_shard(
                change,
                account,
                group,
                kind,
                shard as u64,
                users,
                stamp,
                write,
            )
        }))
        .await?;
        let applied: HashSet<UserId> = applied.into_iter().flatten().collect();
        Ok(users.into_iter().filter(|u| applied.contains(u)).collect())
    }

    #[allow(clippy::too_many_arguments)]
    async fn change_shard(
        &self,
        change: MembershipChange,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        shard: u64,
        users: Vec<UserId>,
        stamp: &Stamp,
        write: &(impl Fn(&UserId) -> Result<TransactWriteItem> + Sync),
    ) -> Result<Vec<UserId>> {
        let (op, sign) = match change {
            MembershipChange::Joined => ("AddMembers", 1),
            MembershipChange::Left => ("RemoveMembers", -1),
        };
        let mut applied = Vec::new();
        for chunk in users.chunks(MEMBERS_PER_TRANSACTION) {
            let mut pending = chunk.to_vec();
            while !pending.is_empty() {
                let delta = sign * pending.len() as i64;
                let written = MemberWrite {
                    change,
                    at: stamp.at,
                    cause: stamp.cause.clone(),
                    users: pending.clone(),
                };
                let mut actions =
                    vec![self.count_update(account, group, kind, shard, delta, &written)?];
                for user in &pending {
                    actions.push(write(user)?);
                }
                match self.transact(op, actions).await? {
                    Ok(()) => {
                        applied.append(&mut pending);
                    }
                    Err(cancelled) => {
                        if cancelled.failed(0) {
                            return Err(match cancelled.old_item(0) {
                                None => Error::not_found("group", group.as_str()),
                                Some(_) => kind_mismatch(group, kind),
                            });
                        }
                        // Drop the memberships whose condition failed (already there, or
                        // already gone) and apply the rest.
                        let before = pending.len();
                        let mut index = 0;
                        pending.retain(|_| {
                            index += 1;
                            !cancelled.failed(index)
                        });
                        if pending.len() == before {
                            return Err(Error::Internal(format!(
                                "{op} cancelled without a failed condition"
                            )));
                        }
                    }
                }
            }
        }
        Ok(applied)
    }

    /// Puts a membership that must not exist yet.
    pub(super) fn membership_put(
        &self,
        account: &AccountId,
        group: &GroupId,
        m: &Membership,
    ) -> Result<TransactWriteItem> {
        let user = &m.user_id;
        let item = Item::new(
            "membership",
            keys::membership_partition(account, group, user),
            keys::member(user),
            m,
        )
        .gsi1(keys::user_groups(account, user), keys::group(group));
        self.put_if_absent(item.to_raw()?)
    }

    /// Deletes a membership that must exist.
    pub(super) fn membership_delete(
        &self,
        account: &AccountId,
        group: &GroupId,
        user: &UserId,
    ) -> Result<TransactWriteItem> {
        let delete = built(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(
                    keys::membership_partition(account, group, user),
                    keys::member(user),
                )))
                .condition_expression("attribute_exists(PK)")
                .build(),
        )?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Deletes every item of a deleted group: its rule versions, then each member shard, each
    /// page of members recorded first for the history (with `stamp`). Answers the members it had.
    pub(super) async fn delete_all_members(
        &self,
        account: &AccountId,
        group: &GroupId,
        stamp: &Stamp,
    ) -> Result<Vec<UserId>> {
        let mut members = Vec::new();
        self.clear_partition(&keys::group_members(account, group), |_| async { Ok(()) })
            .await?;
        for shard in 0..keys::MEMBER_SHARDS {
            let pk = keys::member_shard(account, group, shard);
            let record = |users: Vec<UserId>| async move {
                let users: Vec<UserId> = users;
                if users.is_empty() {
                    return Ok(());
                }
                let write = MemberWrite {
                    change: MembershipChange::Left,
                    at: stamp.at,
                    cause: stamp.cause.clone(),
                    users,
                };
                self.record_deleted_page(account, group, shard, &write)
                    .await
            };
            members.extend(self.clear_partition(&pk, record).await?);
        }
        Ok(members)
    }

    /// Deletes every item of partition `pk`, telling `record` each page's members before it
    /// deletes them; the deletion record ([`keys::DELETED`]) goes last. Answers the members.
    async fn clear_partition<F: std::future::Future<Output = Result<()>>>(
        &self,
        pk: &str,
        record: impl Fn(Vec<UserId>) -> F,
    ) -> Result<Vec<UserId>> {
        let mut members = Vec::new();
        loop {
            let page = self
                .query_collect(500, None, |start| {
                    self.client
                        .query()
                        .table_name(&self.table)
                        .key_condition_expression("PK = :pk")
                        .expression_attribute_values(":pk", string(pk))
                        .projection_expression("PK, SK")
                        .consistent_read(true)
                        .limit(500)
                        .set_exclusive_start_key(start)
                })
                .await?;
            // The deletion record stays until it is the last item left.
            let page: Vec<_> = match page.as_slice() {
                [only] if get_str(only, table::SK) == Some(keys::DELETED) => page,
                _ => page
                    .into_iter()
                    .filter(|item| get_str(item, table::SK) != Some(keys::DELETED))
                    .collect(),
            };
            if page.is_empty() {
                return Ok(members);
            }
            let users: Vec<UserId> = page
                .iter()
                .filter_map(|item| {
                    get_str(item, table::SK)
                        .and_then(|sk| sk.strip_prefix(keys::MEMBER_PREFIX))
                        .and_then(|id| UserId::parse("SK", id).ok())
                })
                .collect();
            record(users.clone()).await?;
            members.extend(users);
            for chunk in page.chunks(25) {
                self.batch_delete(chunk.to_vec()).await?;
            }
        }
    }
}

impl MembershipStore for DynamoStore {
    /// About one full transaction per member shard.
    const WRITE_BATCH: usize = MEMBERS_PER_TRANSACTION * keys::MEMBER_SHARDS as usize;

    async fn get_group_and_users(
        &self,
        account: &AccountId,
        group: &GroupId,
        users: &[UserId],
    ) -> Result<(Option<Group>, Vec<User>)> {
        let pk = keys::account(account);
        let mut all_keys = vec![key(pk.clone(), keys::group(group))];
        all_keys.extend(Self::count_keys(account, std::slice::from_ref(group)));
        all_keys.extend(users.iter().map(|u| key(pk.clone(), keys::user(u))));
        let mut found_group = None;
        let mut shards = Vec::new();
        let mut found_users = Vec::with_capacity(users.len());
        for chunk in all_keys.chunks(KEYS_PER_BATCH_GET) {
            for raw in self.batch_get(chunk.to_vec(), Read::Latest).await? {
                match get_str(&raw, table::SK) {
                    _ if Self::is_count_shard(&raw) => shards.push(raw),
                    Some(sk) if sk.starts_with(keys::GROUP_PREFIX) => {
                        found_group = Some(from_raw::<Group>(raw)?)
                    }
                    Some(_) => found_users.push(from_raw::<User>(raw)?),
                    None => return Err(super::items::missing(table::SK)),
                }
            }
        }
        if let Some(found) = found_group.as_mut() {
            Self::set_counts(
                account,
                std::slice::from_mut(found),
                &Self::sum_counts(&shards),
            )?;
        }
        Ok((found_group, found_users))
    }

    async fn insert_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        members: &[Membership],
        stamp: &Stamp,
    ) -> Result<Vec<UserId>> {
        let users = members.iter().map(|m| m.user_id.clone()).collect();
        self.change_memberships(
            MembershipChange::Joined,
            account,
            group,
            kind,
            users,
            stamp,
            |user| {
                let m = members
                    .iter()
                    .find(|m| &m.user_id == user)
                    .ok_or_else(|| Error::Internal("membership vanished".into()))?;
                self.membership_put(account, group, m)
            },
        )
        .await
    }

    async fn delete_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        users: &[UserId],
        stamp: &Stamp,
    ) -> Result<Vec<UserId>> {
        self.change_memberships(
            MembershipChange::Left,
            account,
            group,
            kind,
            users.to_vec(),
            stamp,
            |user| self.membership_delete(account, group, user),
        )
        .await
    }

    async fn memberships_among(
        &self,
        account: &AccountId,
        groups: &[GroupId],
        users: &[UserId],
    ) -> Result<Vec<(GroupId, UserId)>> {
        let keys = groups
            .iter()
            .flat_map(|g| {
                users
                    .iter()
                    .map(move |u| key(keys::membership_partition(account, g, u), keys::member(u)))
            })
            .collect();
        self.batch_get_all(keys, Read::Latest)
            .await?
            .into_iter()
            .map(|raw| from_raw::<Membership>(raw).map(|m| (m.group_id, m.user_id)))
            .collect()
    }

    /// Each member shard read from the cursor on (in parallel), merged in user order.
    async fn list_members(
        &self,
        account: &AccountId,
        group: &GroupId,
        page: &PageRequest,
    ) -> Result<Page<Membership>> {
        let after = match page.cursor.as_deref() {
            None => None,
            Some(c) => Some(cursor_id(c, UserId::parse)?),
        };
        let want = page.limit as usize + 1;
        let shards = try_join_all((0..keys::MEMBER_SHARDS).map(|shard| {
            let pk = keys::member_shard(account, group, shard);
            let start = after
                .as_ref()
                .map(|user| key(pk.clone(), keys::member(user)));
            async move {
                self.query_collect(want, start, |start| {
                    self.partition_query(&pk, keys::MEMBER_PREFIX)
                        .limit(want as i32)
                        .set_exclusive_start_key(start)
                })
                .await
            }
        }))
        .await?;
        let mut items: Vec<_> = shards.into_iter().flatten().collect();
        items.sort_by(|x, y| get_str(x, table::SK).cmp(&get_str(y, table::SK)));
        items.truncate(want);
        super::items::page(items, page.limit, table::SK, keys::MEMBER_PREFIX)
    }

    async fn list_user_groups(
        &self,
        account: &AccountId,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Membership>> {
        let gsi_pk = keys::user_groups(account, user);
        let start = match page.cursor.as_deref() {
            None => None,
            Some(c) => {
                let group = cursor_id(c, GroupId::parse)?;
                let mut start = key(
                    keys::membership_partition(account, &group, user),
                    keys::member(user),
                );
                start.insert(table::GSI1PK.into(), string(&gsi_pk));
                start.insert(table::GSI1SK.into(), string(keys::group(&group)));
                Some(start)
            }
        };
        let items = self
            .query_collect(page.limit as usize + 1, start, |start| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name(table::GSI1)
                    .key_condition_expression("GSI1PK = :pk")
                    .expression_attribute_values(":pk", string(&gsi_pk))
                    .limit(page.limit as i32 + 1)
                    .set_exclusive_start_key(start)
            })
            .await?;
        super::items::page(items, page.limit, table::GSI1SK, keys::GROUP_PREFIX)
    }
}
