//! SCIM tokens: one item each in the account's partition, `SK = SCIM#<id>`.

use super::items::{Item, from_raw};
use super::{DynamoStore, errors, key, keys, table};
use aws_sdk_dynamodb::types::ReturnValue;
use groups_domain::scim_token::{ScimToken, ScimTokenStore};
use groups_domain::{AccountId, Page, PageRequest, Result};

impl ScimTokenStore for DynamoStore {
    async fn put_scim_token(&self, account: &AccountId, token: &ScimToken) -> Result<()> {
        let item = Item::new(
            "scimToken",
            keys::account(account),
            keys::scim_token(&token.id),
            token,
        );
        self.put_item("PutItem", item.to_raw()?).await
    }

    async fn get_scim_token(&self, account: &AccountId, id: &str) -> Result<Option<ScimToken>> {
        self.get_item(keys::account(account), keys::scim_token(id))
            .await?
            .map(from_raw)
            .transpose()
    }

    async fn list_scim_tokens(
        &self,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<ScimToken>> {
        let pk = keys::account(account);
        let start = page
            .cursor
            .as_deref()
            .map(|c| key(pk.clone(), format!("{}{c}", keys::SCIM_TOKEN_PREFIX)));
        let items = self
            .query_collect(page.limit as usize + 1, start, |start| {
                self.partition_query(&pk, keys::SCIM_TOKEN_PREFIX)
                    .limit(page.limit as i32 + 1)
                    .set_exclusive_start_key(start)
            })
            .await?;
        super::items::page(items, page.limit, table::SK, keys::SCIM_TOKEN_PREFIX)
    }

    async fn delete_scim_token(&self, account: &AccountId, id: &str) -> Result<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::account(account), keys::scim_token(id))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| errors::sdk("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
