//! Membership history in memory: each entry under its group's and its user's sort key.

use super::MemoryStore;
use groups_domain::history::{HistoryEntry, HistoryStore, retention_floor};
use groups_domain::{AccountId, GroupId, Page, PageRequest, Result, UserId};
use std::collections::BTreeMap;
use std::ops::Bound;
use time::OffsetDateTime;

/// Newest first, strictly before the cursor, none below the retention floor.
fn newest_first(
    entries: Option<&BTreeMap<String, HistoryEntry>>,
    now: OffsetDateTime,
    page: &PageRequest,
) -> Page<HistoryEntry> {
    let floor = retention_floor(now);
    let (Some(entries), true) = (entries, page.cursor.as_ref().is_none_or(|c| *c > floor)) else {
        return Page {
            items: Vec::new(),
            next_cursor: None,
        };
    };
    let upper = match &page.cursor {
        Some(c) => Bound::Excluded(c.clone()),
        None => Bound::Unbounded,
    };
    let rows: Vec<(String, HistoryEntry)> = entries
        .range((Bound::Included(floor), upper))
        .rev()
        .take(page.limit as usize + 1)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Page::from_overfetch(rows, page.limit, |(k, _)| k.clone()).map(|(_, e)| e)
}

impl HistoryStore for MemoryStore {
    async fn append_history(&self, account: &AccountId, entries: &[HistoryEntry]) -> Result<()> {
        self.with(account, |a| {
            for e in entries {
                a.group_history
                    .entry(e.group_id.to_string())
                    .or_default()
                    .insert(e.group_key(), e.clone());
                a.user_history
                    .entry(e.user_id.to_string())
                    .or_default()
                    .insert(e.user_key(), e.clone());
            }
        });
        Ok(())
    }

    async fn group_history(
        &self,
        account: &AccountId,
        group: &GroupId,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        Ok(self.with(account, |a| {
            newest_first(a.group_history.get(group.as_str()), now, page)
        }))
    }

    async fn user_history(
        &self,
        account: &AccountId,
        user: &UserId,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        Ok(self.with(account, |a| {
            newest_first(a.user_history.get(user.as_str()), now, page)
        }))
    }
}
