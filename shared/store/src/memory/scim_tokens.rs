//! SCIM tokens in memory, by id.

use super::{MemoryStore, finish, page_after};
use groups_domain::scim_token::{ScimToken, ScimTokenStore};
use groups_domain::{AccountId, Page, PageRequest, Result};

impl ScimTokenStore for MemoryStore {
    async fn put_scim_token(&self, account: &AccountId, token: &ScimToken) -> Result<()> {
        self.with(account, |a| {
            a.scim_tokens.insert(token.id.clone(), token.clone());
        });
        Ok(())
    }

    async fn get_scim_token(&self, account: &AccountId, id: &str) -> Result<Option<ScimToken>> {
        Ok(self.with(account, |a| a.scim_tokens.get(id).cloned()))
    }

    async fn list_scim_tokens(
        &self,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<ScimToken>> {
        Ok(self.with(account, |a| {
            finish(page_after(&a.scim_tokens, page, |_| true), page.limit)
        }))
    }

    async fn delete_scim_token(&self, account: &AccountId, id: &str) -> Result<bool> {
        Ok(self.with(account, |a| a.scim_tokens.remove(id).is_some()))
    }
}
