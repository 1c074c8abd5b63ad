//! A smart group's overrides and the one membership they change, under the store's one lock.

use super::MemoryStore;
use groups_domain::events::MembershipChange;
use groups_domain::history::Stamp;
use groups_domain::{AccountId, Error, Group, MemberChange, Membership, Result};

impl MemoryStore {
    pub(super) fn write_overrides(
        &self,
        account: &AccountId,
        current: &Group,
        next: &Group,
        change: Option<&MemberChange>,
        stamp: &Stamp,
    ) -> Result<bool> {
        let changed: Option<(Membership, MembershipChange)> = self.with(account, |a| {
            let stored = a
                .groups
                .get_mut(current.id.as_str())
                .ok_or_else(|| Error::not_found("group", current.id.as_str()))?;
            if stored.version != current.version {
                return Err(Error::VersionMismatch {
                    expected: current.version,
                    actual: stored.version,
                });
            }
            stored.overrides = next.overrides.clone();
            stored.version = next.version;
            stored.updated_by = next.updated_by.clone();
            stored.updated_at = next.updated_at;
            let group = current.id.to_string();
            let list = a.members.entry(group.clone()).or_default();
            let applied = match change {
                Some(MemberChange::Join(m)) if !list.contains_key(m.user_id.as_str()) => {
                    list.insert(m.user_id.to_string(), m.clone());
                    a.user_groups
                        .entry(m.user_id.to_string())
                        .or_default()
                        .insert(group.clone(), m.clone());
                    stored.member_count += 1;
                    Some((m.clone(), MembershipChange::Joined))
                }
                Some(MemberChange::Leave(user)) => match list.remove(user.as_str()) {
                    Some(m) => {
                        if let Some(groups) = a.user_groups.get_mut(user.as_str()) {
                            groups.remove(&group);
                        }
                        stored.member_count -= 1;
                        Some((m, MembershipChange::Left))
                    }
                    None => None,
                },
                _ => None,
            };
            Ok(applied)
        })?;
        Ok(match changed {
            Some((membership, kind)) => {
                self.emit_memberships(
                    account,
                    &current.id,
                    std::slice::from_ref(&membership),
                    kind,
                    stamp,
                );
                true
            }
            None => false,
        })
    }
}
