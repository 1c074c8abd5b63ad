//! Membership history: one item per join or leave in the group's history partition, with a
//! GSI1 copy under the user's, and a TTL (`expiresAt`) that ends it after the retention.

use super::items::{Item, RawItem, from_raw, number, string};
use super::{DynamoStore, keys, table};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use groups_domain::history::{HistoryEntry, HistoryStore, retention_floor};
use groups_domain::{AccountId, Error, GroupId, Page, PageRequest, Result, UserId};
use time::OffsetDateTime;

/// The attribute DynamoDB's TTL reads (seconds since the epoch).
pub const EXPIRES_AT: &str = "expiresAt";

/// Above every sort key of an entry.
const NEWEST: &str = "~";

impl DynamoStore {
    fn history_item(&self, account: &AccountId, entry: &HistoryEntry) -> Result<RawItem> {
        let item = Item::new(
            "history",
            keys::group_history(account, &entry.group_id),
            format!("{}{}", keys::HISTORY_PREFIX, entry.group_key()),
            entry,
        )
        .gsi1(
            keys::user_history(account, &entry.user_id),
            format!("{}{}", keys::HISTORY_PREFIX, entry.user_key()),
        );
        let mut raw = item.to_raw()?;
        raw.insert(EXPIRES_AT.into(), number(entry.expires_at()));
        Ok(raw)
    }

    /// One Query, newest first, of the entries of `pk` (in `index`, if any) between the
    /// retention floor and the cursor (exclusive).
    async fn history_page(
        &self,
        index: Option<&str>,
        pk: &str,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        let (pk_name, sk_name) = match index {
            Some(_) => (table::GSI1PK, table::GSI1SK),
            None => (table::PK, table::SK),
        };
        let prefix = keys::HISTORY_PREFIX;
        let upper = match &page.cursor {
            Some(c) => format!("{prefix}{c}"),
            None => format!("{prefix}{NEWEST}"),
        };
        let floor = format!("{prefix}{}", retention_floor(now));
        if upper <= floor {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        // The cursor's own entry is the first returned when it still exists: one more.
        let want = page.limit as usize + 2;
        let raw = self
            .query_collect(want, None, |start| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .set_index_name(index.map(str::to_owned))
                    .key_condition_expression("#pk = :pk AND #sk BETWEEN :floor AND :upper")
                    .expression_attribute_names("#pk", pk_name)
                    .expression_attribute_names("#sk", sk_name)
                    .expression_attribute_values(":pk", string(pk))
                    .expression_attribute_values(":floor", string(&floor))
                    .expression_attribute_values(":upper", string(&upper))
                    .scan_index_forward(false)
                    .limit(want as i32)
                    .set_exclusive_start_key(start)
            })
            .await?;
        let mut rows = Vec::with_capacity(raw.len());
        for item in raw {
            let key = super::items::get_str(&item, sk_name)
                .and_then(|k| k.strip_prefix(prefix))
                .ok_or_else(|| super::items::missing(sk_name))?
                .to_owned();
            if page.cursor.as_deref() == Some(key.as_str()) {
                continue;
            }
            rows.push((key, from_raw::<HistoryEntry>(item)?));
        }
        rows.truncate(page.limit as usize + 1);
        Ok(Page::from_overfetch(rows, page.limit, |(k, _)| k.clone()).map(|(_, e)| e))
    }
}

impl HistoryStore for DynamoStore {
    async fn append_history(&self, account: &AccountId, entries: &[HistoryEntry]) -> Result<()> {
        for chunk in entries.chunks(25) {
            let requests = chunk
                .iter()
                .map(|entry| {
                    let put = PutRequest::builder()
                        .set_item(Some(self.history_item(account, entry)?))
                        .build()
                        .map_err(|e| Error::Internal(e.to_string()))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>>>()?;
            self.batch_write(requests).await?;
        }
        Ok(())
    }

    async fn group_history(
        &self,
        account: &AccountId,
        group: &GroupId,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        self.history_page(None, &keys::group_history(account, group), now, page)
            .await
    }

    async fn user_history(
        &self,
        account: &AccountId,
        user: &UserId,
        now: OffsetDateTime,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        self.history_page(
            Some(table::GSI1),
            &keys::user_history(account, user),
            now,
            page,
        )
        .await
    }
}
