//! Evaluation state on the group item, and checkpoints of long-running work.

use super::items::{get_str, string, to_value};
use super::{DynamoStore, key, keys};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError as PutFailure;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use groups_domain::ports::RecordIf;
use groups_domain::{
    AccountId, CheckpointStore, Error, Evaluation, EvaluationStore, GroupId, Result,
};

use super::groups::TimeValue;

impl EvaluationStore for DynamoStore {
    async fn record_evaluation(
        &self,
        account: &AccountId,
        group: &GroupId,
        evaluation: &Evaluation,
        when: RecordIf,
    ) -> Result<bool> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::account(account), keys::group(group))))
            .update_expression("SET #evaluation = :evaluation")
            .expression_attribute_names("#evaluation", "evaluation")
            .expression_attribute_values(":evaluation", to_value(evaluation)?)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let condition = match when {
            RecordIf::Always => "attribute_exists(PK)",
            RecordIf::Serving(at) => {
                update = update
                    .expression_attribute_names("#requestedAt", "requestedAt")
                    .expression_attribute_values(":requestedAt", to_value(&TimeValue(at))?);
                "attribute_exists(PK) AND #evaluation.#requestedAt = :requestedAt"
            }
            RecordIf::Idle => {
                update = update
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":queued", string("queued"))
                    .expression_attribute_values(":running", string("running"));
                "attribute_exists(PK) AND (attribute_not_exists(#evaluation) \
                 OR NOT (#evaluation.#status IN (:queued, :running)))"
            }
        };
        match update.condition_expression(condition).send().await {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error() {
                Some(PutFailure::ConditionalCheckFailedException(failed)) => {
                    if failed.item().is_some() {
                        Ok(false)
                    } else {
                        Err(Error::not_found("group", group.as_str()))
                    }
                }
                _ => Err(super::errors::sdk("UpdateItem", e)),
            },
        }
    }
}

impl CheckpointStore for DynamoStore {
    async fn save_checkpoint(&self, name: &str, value: Option<&serde_json::Value>) -> Result<()> {
        let key = key(keys::SYSTEM.to_owned(), keys::checkpoint(name));
        match value {
            Some(value) => {
                let mut item = key;
                item.insert("entity".into(), string("checkpoint"));
                item.insert("state".into(), string(value.to_string()));
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .send()
                    .await
                    .map_err(|e| super::errors::sdk("PutItem", e))?;
            }
            None => {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .send()
                    .await
                    .map_err(|e| super::errors::sdk("DeleteItem", e))?;
            }
        }
        Ok(())
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<serde_json::Value>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::SYSTEM.to_owned(), keys::checkpoint(name))))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| super::errors::sdk("GetItem", e))?;
        Ok(out
            .item
            .as_ref()
            .and_then(|item| get_str(item, "state"))
            .and_then(|state| serde_json::from_str(state).ok()))
    }
}
