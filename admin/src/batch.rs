//! Bulk user reads and writes for imports, per adapter: DynamoDB reads 100 and writes 25 users a
//! call, several calls in flight; memory goes through the ordinary port one user at a time.

use groups_domain::{AccountId, DirectoryStore, Error, Result, User, UserId};
use groups_store::{DynamoStore, MemoryStore};
use std::future::Future;
use tokio::task::JoinSet;

/// DynamoDB calls an import keeps in flight at once.
pub const IN_FLIGHT: usize = 8;

pub trait UserBatches: DirectoryStore {
    /// Writes (creates or replaces) every user, unconditionally.
    fn write_users(
        &self,
        account: &AccountId,
        users: &[User],
    ) -> impl Future<Output = Result<()>> + Send;

    /// Those of `ids` that exist.
    fn read_users(
        &self,
        account: &AccountId,
        ids: &[UserId],
    ) -> impl Future<Output = Result<Vec<User>>> + Send {
        self.get_users(account, ids)
    }
}

impl UserBatches for MemoryStore {
    async fn write_users(&self, account: &AccountId, users: &[User]) -> Result<()> {
        for user in users {
            self.put_user(account, user).await?;
        }
        Ok(())
    }
}

impl UserBatches for DynamoStore {
    async fn write_users(&self, account: &AccountId, users: &[User]) -> Result<()> {
        let chunks = users.chunks(25).map(<[User]>::to_vec);
        in_flight(chunks, |chunk| {
            let (store, account) = (self.clone(), account.clone());
            async move { store.import_users(&account, &chunk).await }
        })
        .await
        .map(drop)
    }

    async fn read_users(&self, account: &AccountId, ids: &[UserId]) -> Result<Vec<User>> {
        let chunks = ids.chunks(100).map(<[UserId]>::to_vec);
        let found = in_flight(chunks, |chunk| {
            let (store, account) = (self.clone(), account.clone());
            async move { store.get_users(&account, &chunk).await }
        })
        .await?;
        Ok(found.into_iter().flatten().collect())
    }
}

/// Runs one task per item, at most [`IN_FLIGHT`] at a time, answering their results in any
/// order; the first error stops the rest.
async fn in_flight<I, T, F, Fut>(items: impl Iterator<Item = I>, task: F) -> Result<Vec<T>>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut set = JoinSet::new();
    let mut out = Vec::new();
    for item in items {
        if set.len() >= IN_FLIGHT
            && let Some(done) = set.join_next().await
        {
            out.push(joined(done)?);
        }
        set.spawn(task(item));
    }
    while let Some(done) = set.join_next().await {
        out.push(joined(done)?);
    }
    Ok(out)
}

fn joined<T>(done: std::result::Result<Result<T>, tokio::task::JoinError>) -> Result<T> {
    done.map_err(|e| Error::Internal(format!("a batch task failed: {e}")))?
}
