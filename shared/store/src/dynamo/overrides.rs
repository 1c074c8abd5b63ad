//! A smart group's overrides live on its item; one transaction writes them with the one
//! membership they change and that membership's count shard.

use super::groups::{TimeValue, built};
use super::items::{number, string, to_value};
use super::{DynamoStore, key, keys};
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use groups_domain::events::MembershipChange;
use groups_domain::history::{MemberWrite, Stamp};
use groups_domain::{AccountId, Error, Group, GroupKind, MemberChange, Result};

impl DynamoStore {
    pub(super) async fn write_overrides(
        &self,
        account: &AccountId,
        current: &Group,
        next: &Group,
        change: Option<&MemberChange>,
        stamp: &Stamp,
    ) -> Result<bool> {
        let mut change = change;
        loop {
            let mut actions = vec![self.overrides_update(account, current, next)?];
            if let Some(change) = change {
                let (user, delta, write, kind) = match change {
                    MemberChange::Join(m) => (
                        &m.user_id,
                        1,
                        self.membership_put(account, &current.id, m)?,
                        MembershipChange::Joined,
                    ),
                    MemberChange::Leave(u) => (
                        u,
                        -1,
                        self.membership_delete(account, &current.id, u)?,
                        MembershipChange::Left,
                    ),
                };
                let written = MemberWrite {
                    change: kind,
                    at: stamp.at,
                    cause: stamp.cause.clone(),
                    users: vec![user.clone()],
                };
                let shard = keys::member_shard_of(user);
                actions.push(self.count_update(
                    account,
                    &current.id,
                    GroupKind::Smart,
                    shard,
                    delta,
                    &written,
                )?);
                actions.push(write);
            }
            match self.transact("SaveOverrides", actions).await? {
                Ok(()) => return Ok(change.is_some()),
                Err(c) if c.failed(0) => return Err(Self::version_conflict(&c, current)),
                Err(c) if c.failed(1) => {
                    return Err(Error::not_found("group", current.id.as_str()));
                }
                // The membership already is as the change wants: write the overrides alone.
                Err(c) if change.is_some() && c.failed(2) => change = None,
                Err(_) => {
                    return Err(Error::Internal(
                        "SaveOverrides cancelled without a failed condition".into(),
                    ));
                }
            }
        }
    }

    fn overrides_update(
        &self,
        account: &AccountId,
        current: &Group,
        next: &Group,
    ) -> Result<TransactWriteItem> {
        // As with the mode: a group without overrides stores none.
        let overrides = if next.overrides.is_empty() {
            " REMOVE #overrides"
        } else {
            ", #overrides = :overrides"
        };
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::account(account), keys::group(&current.id))))
            .update_expression(format!(
                "SET #version = :next, #updatedBy = :updatedBy, #updatedAt = :updatedAt{overrides}"
            ))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#overrides", "overrides")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#updatedBy", "updatedBy")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_values(":next", number(next.version))
            .expression_attribute_values(":expected", number(current.version))
            .expression_attribute_values(":updatedBy", string(next.updated_by.as_str()))
            .expression_attribute_values(":updatedAt", to_value(&TimeValue(next.updated_at))?)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if !next.overrides.is_empty() {
            update = update.expression_attribute_values(":overrides", to_value(&next.overrides)?);
        }
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }
}
