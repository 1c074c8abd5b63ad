//! Evaluation state and checkpoints in memory.

use super::MemoryStore;
use groups_domain::ports::RecordIf;
use groups_domain::{
    AccountId, CheckpointStore, Error, Evaluation, EvaluationStore, GroupId, Result,
};

impl EvaluationStore for MemoryStore {
    async fn record_evaluation(
        &self,
        account: &AccountId,
        group: &GroupId,
        evaluation: &Evaluation,
        when: RecordIf,
    ) -> Result<bool> {
        let recorded = self.with(account, |a| {
            let g = a
                .groups
                .get_mut(group.as_str())
                .ok_or_else(|| Error::not_found("group", group.as_str()))?;
            if !when.allows(g.evaluation.as_ref()) {
                return Ok::<_, Error>(None);
            }
            let before = g.evaluation.replace(evaluation.clone());
            Ok(Some((before, g.clone())))
        })?;
        match recorded {
            Some((before, updated)) => {
                self.emit_queued(account, before.as_ref(), &updated);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl CheckpointStore for MemoryStore {
    async fn save_checkpoint(&self, name: &str, value: Option<&serde_json::Value>) -> Result<()> {
        {
            let mut checkpoints = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
            match value {
                Some(v) => checkpoints.insert(name.to_owned(), v.clone()),
                None => checkpoints.remove(name),
            };
        }
        // As the checkpoint item's stream record: saved work continues at once.
        if value.is_some() {
            self.emit(groups_domain::ports::Change::WorkContinues {
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<serde_json::Value>> {
        Ok(self
            .checkpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned())
    }
}
