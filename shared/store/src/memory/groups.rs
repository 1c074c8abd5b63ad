//! Groups, titles and saved rules in memory.

use super::{MemoryStore, finish, page_after};
use groups_domain::history::Stamp;
use groups_domain::ports::{GroupQuery, group_matches, sort_keys};
use groups_domain::{
    AccountId, DepartmentPath, Error, Group, GroupId, GroupKind, GroupStore, MemberChange, Page,
    PageRequest, Result, RuleVersion, Scope, SortOrder, UserId,
};
use std::collections::BTreeMap;

impl GroupStore for MemoryStore {
    async fn create_group(&self, account: &AccountId, group: &Group) -> Result<()> {
        self.with(account, |a| {
            if a.groups.contains_key(group.id.as_str()) {
                return Err(Error::AlreadyExists {
                    resource: "group",
                    id: group.id.to_string(),
                });
            }
            let key = group.title_claim_key();
            if a.titles.contains_key(&key) {
                return Err(Error::TitleTaken {
                    title: group.title.clone(),
                });
            }
            a.titles.insert(key, group.id.clone());
            a.groups.insert(group.id.to_string(), group.clone());
            if let Some(rule) = &group.rule {
                a.rule_versions
                    .entry(group.id.to_string())
                    .or_default()
                    .push(RuleVersion {
                        version: group.version,
                        rule: rule.clone(),
                        saved_by: group.updated_by.clone(),
                        saved_at: group.updated_at,
                    });
            }
            Ok(())
        })?;
        self.emit_queued(account, None, group);
        Ok(())
    }

    async fn get_group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>> {
        Ok(self.with(account, |a| a.groups.get(id.as_str()).cloned()))
    }

    async fn move_group_department(
        &self,
        account: &AccountId,
        group: &GroupId,
        from: &DepartmentPath,
        to: &DepartmentPath,
    ) -> Result<bool> {
        Ok(
            self.with(account, |a| match a.groups.get_mut(group.as_str()) {
                Some(g) if g.owner_department.as_ref() == Some(from) => {
                    g.owner_department = Some(to.clone());
                    true
                }
                _ => false,
            }),
        )
    }

    async fn update_group(&self, account: &AccountId, current: &Group, next: &Group) -> Result<()> {
        let before = self.with(account, |a| {
            let stored = a
                .groups
                .get(current.id.as_str())
                .ok_or_else(|| Error::not_found("group", current.id.as_str()))?;
            if stored.version != current.version {
                return Err(Error::VersionMismatch {
                    expected: current.version,
                    actual: stored.version,
                });
            }
            let (old_key, new_key) = (stored.title_claim_key(), next.title_claim_key());
            if old_key != new_key {
                if a.titles.contains_key(&new_key) {
                    return Err(Error::TitleTaken {
                        title: next.title.clone(),
                    });
                }
                a.titles.remove(&old_key);
                a.titles.insert(new_key, current.id.clone());
            }
            let member_count = stored.member_count;
            let before = stored.evaluation.clone();
            let rule_changed = next.rule.is_some() && next.rule != stored.rule;
            // As on DynamoDB: the count and the owner's path (a move's) are not the caller's.
            let updated = Group {
                member_count,
                owner_department: stored.owner_department.clone(),
                ..next.clone()
            };
            a.groups.insert(current.id.to_string(), updated);
            if let (true, Some(rule)) = (rule_changed, &next.rule) {
                a.rule_versions
                    .entry(current.id.to_string())
                    .or_default()
                    .push(RuleVersion {
                        version: next.version,
                        rule: rule.clone(),
                        saved_by: next.updated_by.clone(),
                        saved_at: next.updated_at,
                    });
            }
            Ok(before)
        })?;
        self.emit_queued(account, before.as_ref(), next);
        Ok(())
    }

    async fn delete_group(
        &self,
        account: &AccountId,
        group: &Group,
        stamp: &Stamp,
    ) -> Result<Vec<UserId>> {
        let removed = self.with(account, |a| {
            let stored = a
                .groups
                .get(group.id.as_str())
                .ok_or_else(|| Error::not_found("group", group.id.as_str()))?;
            if stored.version != group.version {
                return Err(Error::VersionMismatch {
                    expected: group.version,
                    actual: stored.version,
                });
            }
            a.titles.remove(&stored.title_claim_key());
            a.groups.remove(group.id.as_str());
            a.rule_versions.remove(group.id.as_str());
            let members = a.members.remove(group.id.as_str()).unwrap_or_default();
            for user in members.keys() {
                if let Some(groups) = a.user_groups.get_mut(user) {
                    groups.remove(group.id.as_str());
                }
            }
            Ok::<_, Error>(members.into_values().collect::<Vec<_>>())
        })?;
        // Each membership deleted is a change, as each deleted item is on DynamoDB's stream.
        self.emit_memberships(
            account,
            &group.id,
            &removed,
            groups_domain::events::MembershipChange::Left,
            stamp,
        );
        Ok(removed.into_iter().map(|m| m.user_id).collect())
    }

    async fn list_groups(
        &self,
        account: &AccountId,
        scope: &Scope,
        query: &GroupQuery,
    ) -> Result<Page<Group>> {
        Ok(self.with(account, |a| {
            let mut rows: Vec<(String, &Group)> = a
                .groups
                .values()
                .map(|g| (sort_keys::group_by_title(&g.title_key(), &g.id), g))
                .collect();
            rows.sort_by(|x, y| x.0.cmp(&y.0));
            if query.order == SortOrder::Descending {
                rows.reverse();
            }
            let after_cursor = |key: &String| match (&query.page.cursor, query.order) {
                (None, _) => true,
                (Some(c), SortOrder::Ascending) => key > c,
                (Some(c), SortOrder::Descending) => key < c,
            };
            let kept = rows
                .into_iter()
                .filter(|(k, g)| after_cursor(k) && group_matches(g, scope, query))
                .take(query.page.limit as usize + 1)
                .map(|(k, g)| (k, g.clone()))
                .collect();
            finish(kept, query.page.limit)
        }))
    }

    async fn get_groups(&self, account: &AccountId, ids: &[GroupId]) -> Result<Vec<Group>> {
        Ok(self.with(account, |a| {
            ids.iter()
                .filter_map(|id| a.groups.get(id.as_str()).cloned())
                .collect()
        }))
    }

    async fn account_smart_groups(&self, account: &AccountId) -> Result<Vec<Group>> {
        Ok(self.with(account, |a| {
            let mut smart: Vec<Group> = a
                .groups
                .values()
                .filter(|g| g.kind == GroupKind::Smart)
                .map(|g| Group {
                    member_count: 0,
                    ..g.clone()
                })
                .collect();
            smart.sort_by(|x, y| x.id.cmp(&y.id));
            smart
        }))
    }

    async fn member_counts(&self, account: &AccountId, ids: &[GroupId]) -> Result<Vec<u64>> {
        Ok(self.with(account, |a| {
            ids.iter()
                .map(|id| a.groups.get(id.as_str()).map_or(0, |g| g.member_count))
                .collect()
        }))
    }

    async fn smart_group_accounts(&self, page: &PageRequest) -> Result<Page<AccountId>> {
        let accounts = self.lock();
        let with_smart: BTreeMap<String, AccountId> = accounts
            .iter()
            .filter(|(_, a)| a.groups.values().any(|g| g.kind == GroupKind::Smart))
            .map(|(id, _)| (id.to_string(), id.clone()))
            .collect();
        Ok(finish(page_after(&with_smart, page, |_| true), page.limit))
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
    }

    async fn list_rule_versions(
        &self,
        account: &AccountId,
        group: &GroupId,
        page: &PageRequest,
    ) -> Result<Page<RuleVersion>> {
        Ok(self.with(account, |a| {
            // Newest first, keyed like the DynamoDB sort key.
            let versions: BTreeMap<String, RuleVersion> = a
                .rule_versions
                .get(group.as_str())
                .into_iter()
                .flatten()
                .map(|v| (format!("{:020}", u64::MAX - v.version), v.clone()))
                .collect();
            finish(page_after(&versions, page, |_| true), page.limit)
        }))
    }
}
