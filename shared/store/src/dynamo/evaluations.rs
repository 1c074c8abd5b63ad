//! Evaluation state on the group item, and checkpoints of long-running work.

use super::items::{get_str, string, to_value};
use super::{DynamoStore, key, keys};
use groups_domain::{
    AccountId, CheckpointStore, Error, Evaluation, EvaluationStore, GroupId, Result,
};

impl EvaluationStore for DynamoStore {
    async fn record_evaluation(
        &self,
        account: &AccountId,
        group: &GroupId,
        evaluation: &Evaluation,
    ) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::account(account), keys::group(group))))
            .update_expression("SET #evaluation = :evaluation")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#evaluation", "evaluation")
            .expression_attribute_values(":evaluation", to_value(evaluation)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(Error::not_found("group", group.as_str()))
            }
            Err(e) => Err(super::errors::sdk("UpdateItem", e)),
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
