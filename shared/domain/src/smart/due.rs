//! What the schedule does before its refresh: scheduled rule changes that are due take effect,
//! and overrides that have lapsed are dropped from their groups.

use crate::error::{Error, Result};
use crate::group::{Evaluation, Group};
use crate::history::{Cause, Trigger};
use crate::ids::{AccountId, GroupId};
use crate::ports::Store;
use std::collections::HashSet;
use time::OffsetDateTime;

/// Applies the due rule changes and drops lapsed overrides in `groups` (updating each written
/// group in place). Answers the groups whose rule changed: each has requested its own full
/// evaluation. A group edited meanwhile is left for the next run.
pub(crate) async fn apply_due<S: Store>(
    store: &S,
    account: &AccountId,
    groups: &mut [Group],
    now: OffsetDateTime,
) -> Result<HashSet<GroupId>> {
    let mut applied = HashSet::new();
    for group in groups.iter_mut() {
        if let Some(due) = group.scheduled.clone().filter(|s| s.effective_at <= now) {
            let mut next = group.clone();
            next.scheduled = None;
            next.version += 1;
            next.updated_by = due.saved_by;
            next.updated_at = now;
            if group.rule.as_ref() != Some(&due.rule) {
                next.rule = Some(due.rule);
                next.evaluation = Some(Evaluation::queued(now, false).because(Trigger::Schedule));
                applied.insert(group.id.clone());
            }
            if !written(store.update_group(account, group, &next).await)? {
                applied.remove(&group.id);
                continue;
            }
            *group = next;
        }
        if group.has_lapsed_overrides(now) {
            let mut next = group.clone();
            next.overrides.retain(|o| o.in_force(now));
            next.version += 1;
            next.updated_at = now;
            if written(
                store
                    .save_overrides(
                        account,
                        group,
                        &next,
                        None,
                        &Cause::rule(Some(next.version), Trigger::Schedule).at(now),
                    )
                    .await
                    .map(|_| ()),
            )? {
                *group = next;
            }
        }
    }
    Ok(applied)
}

/// Whether a conditioned write landed; losing to a concurrent edit (or a deletion) is not an
/// error here.
fn written(result: Result<()>) -> Result<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(Error::VersionMismatch { .. } | Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}
