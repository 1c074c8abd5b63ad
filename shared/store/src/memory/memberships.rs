//! Memberships and their counts in memory, under the store's one lock.

use super::{MemoryStore, check_group, finish, page_after};
use groups_domain::events::MembershipChange;
use groups_domain::history::Stamp;
use groups_domain::{
    AccountId, Group, GroupId, GroupKind, Membership, MembershipStore, Page, PageRequest, Result,
    User, UserId,
};

impl MembershipStore for MemoryStore {
    /// As on DynamoDB, so both adapters write the same batches.
    const WRITE_BATCH: usize = 99;

    async fn get_group_and_users(
        &self,
        account: &AccountId,
        group: &GroupId,
        users: &[UserId],
    ) -> Result<(Option<Group>, Vec<User>)> {
        Ok(self.with(account, |a| {
            let found = users
                .iter()
                .filter_map(|u| a.users.get(u.as_str()).cloned())
                .collect();
            (a.groups.get(group.as_str()).cloned(), found)
        }))
    }

    async fn insert_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        members: &[Membership],
        stamp: &Stamp,
    ) -> Result<Vec<UserId>> {
        self.with(account, |a| {
            check_group(a, group, kind)?;
            let mut inserted = Vec::new();
            let list = a.members.entry(group.to_string()).or_default();
            for m in members {
                if !list.contains_key(m.user_id.as_str()) {
                    list.insert(m.user_id.to_string(), m.clone());
                    a.user_groups
                        .entry(m.user_id.to_string())
                        .or_default()
                        .insert(group.to_string(), m.clone());
                    inserted.push(m.clone());
                }
            }
            if let Some(g) = a.groups.get_mut(group.as_str()) {
                g.member_count += inserted.len() as u64;
            }
            Ok(inserted)
        })
        .inspect(|changed| {
            self.emit_memberships(account, group, changed, MembershipChange::Joined, stamp)
        })
        .map(|changed| changed.into_iter().map(|m| m.user_id).collect())
    }

    async fn delete_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        users: &[UserId],
        stamp: &Stamp,
    ) -> Result<Vec<UserId>> {
        self.with(account, |a| {
            check_group(a, group, kind)?;
            let mut removed = Vec::new();
            if let Some(list) = a.members.get_mut(group.as_str()) {
                for u in users {
                    if let Some(m) = list.remove(u.as_str()) {
                        if let Some(groups) = a.user_groups.get_mut(u.as_str()) {
                            groups.remove(group.as_str());
                        }
                        removed.push(m);
                    }
                }
            }
            if let Some(g) = a.groups.get_mut(group.as_str()) {
                g.member_count -= removed.len() as u64;
            }
            Ok(removed)
        })
        .inspect(|changed| {
            self.emit_memberships(account, group, changed, MembershipChange::Left, stamp)
        })
        .map(|changed| changed.into_iter().map(|m| m.user_id).collect())
    }

    async fn memberships_among(
        &self,
        account: &AccountId,
        groups: &[GroupId],
        users: &[UserId],
    ) -> Result<Vec<(GroupId, UserId)>> {
        Ok(self.with(account, |a| {
            let mut found = Vec::new();
            for g in groups {
                if let Some(list) = a.members.get(g.as_str()) {
                    found.extend(
                        users
                            .iter()
                            .filter(|u| list.contains_key(u.as_str()))
                            .map(|u| (g.clone(), u.clone())),
                    );
                }
            }
            found
        }))
    }

    async fn list_members(
        &self,
        account: &AccountId,
        group: &GroupId,
        page: &PageRequest,
    ) -> Result<Page<Membership>> {
        Ok(self.with(account, |a| match a.members.get(group.as_str()) {
            Some(list) => finish(page_after(list, page, |_| true), page.limit),
            None => Page {
                items: Vec::new(),
                next_cursor: None,
            },
        }))
    }

    async fn list_user_groups(
        &self,
        account: &AccountId,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Membership>> {
        Ok(
            self.with(account, |a| match a.user_groups.get(user.as_str()) {
                Some(list) => finish(page_after(list, page, |_| true), page.limit),
                None => Page {
                    items: Vec::new(),
                    next_cursor: None,
                },
            }),
        )
    }
}
