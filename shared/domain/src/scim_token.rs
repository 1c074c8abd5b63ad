//! SCIM bearer tokens: what an Account Owner issues so an identity provider can provision the
//! directory at `/scim/v2` (DESIGN §10). Only a SHA-256 of the secret is stored; the token is
//! shown once, when issued. A SCIM token is never valid on the admin API, nor a person's token
//! on SCIM ([`crate::Channel`]).

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::ids::{AccountId, UserId, check_id};
use crate::page::{Page, PageRequest};
use crate::role::Permission;
use crate::text::{MAX_NAME_CHARS, clean_line};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::Future;
use time::OffsetDateTime;

/// Tokens an account may hold at once: one per identity-provider connection, with room to
/// rotate.
pub const MAX_TOKENS_PER_ACCOUNT: usize = 10;
const PREFIX: &str = "scim";

/// What `DELETE /scim/v2/Users/{id}` does, set per token (per identity-provider connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnDelete {
    /// The user stays in the directory, inactive (smart groups drop them as for any
    /// deactivation); SCIM no longer shows them.
    #[default]
    Deactivate,
    /// The user is removed from the directory and from every group.
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimToken {
    pub id: String,
    pub name: String,
    pub on_delete: OnDelete,
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Hex SHA-256 of the secret part. The secret is 244 random bits, so a plain hash is
    /// enough: there is nothing to guess from it.
    pub secret_hash: String,
}

impl ScimToken {
    /// The id a SCIM caller acts under (history's `by`): the token's id.
    pub fn actor(&self) -> Result<UserId> {
        UserId::parse("tokenId", self.id.clone())
    }
}

/// Where SCIM tokens are kept.
pub trait ScimTokenStore: Send + Sync {
    fn put_scim_token(
        &self,
        account: &AccountId,
        token: &ScimToken,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_scim_token(
        &self,
        account: &AccountId,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimToken>>> + Send;
    /// By id.
    fn list_scim_tokens(
        &self,
        account: &AccountId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<ScimToken>>> + Send;
    /// `false` when there was no such token.
    fn delete_scim_token(
        &self,
        account: &AccountId,
        id: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The parts of a presented token: `scim.<account>.<tokenId>.<secret>`.
pub struct Presented<'a> {
    pub account: AccountId,
    pub id: &'a str,
    secret: &'a str,
}

/// Reads a bearer value as a SCIM token; `None` when it is not one (a person's JWT, say).
pub fn parse(raw: &str) -> Option<Presented<'_>> {
    let mut parts = raw.split('.');
    let (prefix, account, id, secret) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if prefix != PREFIX || parts.next().is_some() || check_id("tokenId", id).is_err() {
        return None;
    }
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let account = AccountId::parse("account", account).ok()?;
    Some(Presented {
        account,
        id,
        secret,
    })
}

/// Whether `presented` is the stored token: same account, id and secret.
pub fn matches(presented: &Presented<'_>, stored: &ScimToken) -> bool {
    stored.id == presented.id && same(&stored.secret_hash, &hash(presented.secret))
}

/// Checks a presented token against the store: the account and token it names, or `None`.
pub async fn verify<S: ScimTokenStore>(
    store: &S,
    raw: &str,
) -> Result<Option<(AccountId, ScimToken)>> {
    let Some(presented) = parse(raw) else {
        return Ok(None);
    };
    let stored = store
        .get_scim_token(&presented.account, presented.id)
        .await?;
    Ok(stored
        .filter(|s| matches(&presented, s))
        .map(|s| (presented.account, s)))
}

/// A token and its one-time secret: `scim.<account>.<id>.<secret>`.
pub struct Issued {
    pub token: ScimToken,
    pub secret: String,
}

/// Issues a token with a given secret; the local server's demo token uses a fixed one.
pub fn with_secret(
    account: &AccountId,
    id: &str,
    name: &str,
    on_delete: OnDelete,
    created_by: &UserId,
    secret: &str,
    now: OffsetDateTime,
) -> Result<Issued> {
    check_id("id", id)?;
    let token = ScimToken {
        id: id.to_owned(),
        name: clean_line("name", name, MAX_NAME_CHARS)?,
        on_delete,
        created_by: created_by.clone(),
        created_at: now,
        secret_hash: hash(secret),
    };
    let secret = format!("{PREFIX}.{account}.{id}.{secret}");
    Ok(Issued { token, secret })
}

fn require_owner(caller: &Caller) -> Result<()> {
    if caller.is_provisioner() {
        return Err(Error::Unauthenticated);
    }
    caller.require(Permission::OwnerManage)
}

pub async fn issue<S: ScimTokenStore>(
    store: &S,
    caller: &Caller,
    name: &str,
    on_delete: OnDelete,
    now: OffsetDateTime,
) -> Result<Issued> {
    require_owner(caller)?;
    let account = &caller.account_id;
    let held = store
        .list_scim_tokens(account, &PageRequest::new(Some(50), None)?)
        .await?;
    if held.items.len() >= MAX_TOKENS_PER_ACCOUNT {
        return Err(Error::Conflict(format!(
            "an account holds at most {MAX_TOKENS_PER_ACCOUNT} SCIM tokens; revoke one first"
        )));
    }
    let id = format!("scim-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let issued = with_secret(account, &id, name, on_delete, &caller.user_id, &secret, now)?;
    store.put_scim_token(account, &issued.token).await?;
    Ok(issued)
}

pub async fn list<S: ScimTokenStore>(
    store: &S,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<ScimToken>> {
    require_owner(caller)?;
    store.list_scim_tokens(&caller.account_id, page).await
}

pub async fn revoke<S: ScimTokenStore>(store: &S, caller: &Caller, id: &str) -> Result<()> {
    require_owner(caller)?;
    if check_id("tokenId", id).is_err() || !store.delete_scim_token(&caller.account_id, id).await? {
        return Err(Error::not_found("SCIM token", id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_only_in_their_own_shape() {
        let secret = "a".repeat(64);
        let raw = format!("scim.acme.scim-1.{secret}");
        let p = parse(&raw).expect("a SCIM token");
        assert_eq!((p.account.as_str(), p.id), ("acme", "scim-1"));
        for bad in [
            "eyJhbGciOi.x.y",
            "scim.acme.scim-1",
            "scim.acme.scim-1.short",
            "scim.acme.scim-1.aaaa.extra",
            "bearer.acme.scim-1.aaaa",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        let wrong = format!("scim.acme.scim-1.{}", "g".repeat(64));
        assert!(parse(&wrong).is_none(), "the secret is hex");
    }

    #[test]
    fn only_the_secret_that_was_issued_matches() {
        let account = AccountId::parse("a", "acme").expect("id");
        let by = UserId::parse("u", "owner").expect("id");
        let secret = "b".repeat(64);
        let issued = with_secret(
            &account,
            "scim-1",
            "Okta",
            OnDelete::Remove,
            &by,
            &secret,
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("issued");
        assert_ne!(issued.token.secret_hash, secret, "stored hashed");
        let good = parse(&issued.secret).expect("parses");
        assert!(matches(&good, &issued.token));
        let other = format!("scim.acme.scim-1.{}", "c".repeat(64));
        assert!(!matches(&parse(&other).expect("parses"), &issued.token));
    }
}
