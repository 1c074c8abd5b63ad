//! Reading the table's stream records as domain changes.

use groups_domain::events::MembershipChange;
use groups_domain::history::MemberWrite;
use groups_domain::ports::Change;
use groups_domain::{AccountId, Evaluation, GroupId, Membership, UserId};
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Deserialize)]
struct Keys {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
}

#[derive(Deserialize)]
struct GroupImage {
    #[serde(default)]
    evaluation: Option<Evaluation>,
}

fn evaluation_of(image: &serde_dynamo::Item) -> Option<Evaluation> {
    serde_dynamo::from_item::<_, GroupImage>(image.clone())
        .ok()
        .and_then(|g| g.evaluation)
}

fn last_write(image: &serde_dynamo::Item) -> Option<MemberWrite> {
    let value = image.get(super::keys::LAST_WRITE)?.clone();
    serde_dynamo::from_attribute_value(value).ok()
}

/// The change a Lambda stream record reports (see [`change_of`]); its time is the record's
/// approximate creation time, or now when the record has none (an emulated stream).
pub fn change_of_record(record: &aws_lambda_events::dynamodb::EventRecord) -> Option<Change> {
    let millis = record
        .change
        .approximate_creation_date_time
        .timestamp_millis();
    let at = (millis > 0)
        .then(|| OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok())
        .flatten()
        .unwrap_or_else(OffsetDateTime::now_utc);
    change_of(
        &record.change.keys,
        &record.change.new_image,
        &record.change.old_image,
        at,
    )
}

/// The change a stream record reports, from its keys and images; `None` for records nothing
/// reacts to. A group record requests an evaluation only when its evaluation turned into a new
/// request (not when a queued group's count changes). A membership record is a join (its new
/// image) or a leave (its old image, at `at`, the record's time).
pub fn change_of(
    keys: &serde_dynamo::Item,
    new_image: &serde_dynamo::Item,
    old_image: &serde_dynamo::Item,
    at: OffsetDateTime,
) -> Option<Change> {
    let keys: Keys = serde_dynamo::from_item(keys.clone()).ok()?;
    let parts: Vec<&str> = keys.pk.split('#').collect();
    let (kind, id) = keys.sk.split_once('#')?;
    match (parts.as_slice(), kind) {
        (["A", account], "U") => Some(Change::User {
            account: AccountId::parse("PK", *account).ok()?,
            user: UserId::parse("SK", id).ok()?,
        }),
        (["A", account, "G", _, _], "M") => {
            let membership = |image: &serde_dynamo::Item| {
                serde_dynamo::from_item::<_, Membership>(image.clone()).ok()
            };
            let (membership, change) = match membership(new_image) {
                Some(m) => (m, MembershipChange::Joined),
                None => (membership(old_image)?, MembershipChange::Left),
            };
            Some(Change::Membership {
                account: AccountId::parse("PK", *account).ok()?,
                membership,
                change,
                at,
            })
        }
        (["A", account, "G", group, _], "C") => {
            // A count (or deletion) item whose last write changed: that write's history.
            let (before, after) = (last_write(old_image), last_write(new_image)?);
            if before.as_ref() == Some(&after) {
                return None;
            }
            Some(Change::MembersWritten {
                account: AccountId::parse("PK", *account).ok()?,
                group: GroupId::parse("PK", *group).ok()?,
                write: after,
            })
        }
        (["A", account], "D") => {
            let department = |image: &serde_dynamo::Item| {
                serde_dynamo::from_item::<_, groups_domain::Department>(image.clone()).ok()
            };
            let (before, after) = (department(old_image), department(new_image));
            if !groups_domain::department::move_slice_started(before.as_ref(), after.as_ref()) {
                return None;
            }
            Some(Change::DepartmentMove {
                account: AccountId::parse("PK", *account).ok()?,
                department: groups_domain::DepartmentId::parse("SK", id).ok()?,
            })
        }
        (["SYSTEM"], "CHECKPOINT") if !new_image.is_empty() => Some(Change::WorkContinues {
            name: id.to_owned(),
        }),
        (["A", account], "G") => {
            let (before, after) = (evaluation_of(old_image), evaluation_of(new_image));
            if !groups_domain::group::newly_requested(before.as_ref(), after.as_ref()) {
                return None;
            }
            Some(Change::EvaluationRequested {
                account: AccountId::parse("PK", *account).ok()?,
                group: GroupId::parse("SK", id).ok()?,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EPOCH: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn item(value: serde_json::Value) -> serde_dynamo::Item {
        serde_dynamo::to_item(value).expect("item")
    }

    #[test]
    fn a_department_record_starts_a_move_slice_only_when_one_is_asked_for() {
        let department = |job: Option<serde_json::Value>| {
            let mut d = json!({"id": "sales", "name": "Sales", "parentId": "acme", "revision": 3});
            if let Some(job) = job {
                d["move"] = job;
            }
            item(d)
        };
        let job = |status: &str, slice: u32, users: u64| {
            json!({"status": status, "phase": "users", "fromPath": ["acme", "sales"],
                "toPath": ["acme", "hr", "sales"], "slice": slice, "usersMoved": users,
                "groupsMoved": 0, "groupsReevaluated": 0, "startedAt": "2026-01-01T00:00:00Z"})
        };
        let keys = item(json!({"PK": "A#acme", "SK": "D#sales"}));
        let starts = |old: &serde_dynamo::Item, new: &serde_dynamo::Item| {
            matches!(
                change_of(&keys, new, old, OffsetDateTime::UNIX_EPOCH),
                Some(Change::DepartmentMove { .. })
            )
        };
        let plain = department(None);
        assert!(starts(&plain, &department(Some(job("running", 0, 0)))));
        // Progress within a slice, a rename, or the end start nothing.
        assert!(!starts(
            &department(Some(job("running", 0, 0))),
            &department(Some(job("running", 0, 100)))
        ));
        assert!(!starts(&plain, &plain));
        assert!(!starts(
            &department(Some(job("running", 2, 4000))),
            &department(Some(job("done", 2, 4000)))
        ));
        // The end of a slice asks for the next.
        assert!(starts(
            &department(Some(job("running", 0, 2000))),
            &department(Some(job("running", 1, 2000)))
        ));
    }

    #[test]
    fn records_map_to_changes() {
        let none = item(json!({}));
        assert!(matches!(
            change_of(
                &item(json!({"PK": "A#acme", "SK": "U#u1"})),
                &none,
                &none,
                EPOCH
            ),
            Some(Change::User { .. })
        ));
        // A membership record (in one of the group's member shards) is a join (new image) or a
        // leave (old image), with its event; a count item's record is nothing.
        let keys = item(json!({"PK": "A#acme#G#g1#2", "SK": "M#u1"}));
        let membership = item(json!({"groupId": "g1", "userId": "u1", "source": "manual",
            "addedAt": "2026-01-01T00:00:00Z", "addedBy": "admin"}));
        let joined = change_of(&keys, &membership, &none, EPOCH).expect("a join");
        let left = change_of(&keys, &none, &membership, EPOCH).expect("a leave");
        let (joined, left) = (
            groups_domain::events::MembershipEvent::of_change(&joined).expect("event"),
            groups_domain::events::MembershipEvent::of_change(&left).expect("event"),
        );
        assert_eq!(joined.change, MembershipChange::Joined);
        assert_eq!(left.change, MembershipChange::Left);
        assert_eq!(left.at, EPOCH);
        assert_eq!(joined.event_id, "acme:g1:u1:joined:1767225600000000000");
        assert_ne!(joined.event_id, left.event_id);
        assert_eq!(change_of(&keys, &none, &none, EPOCH), None);
        let count = item(json!({"PK": "A#acme#G#g1#2", "SK": "C#count"}));
        let counted = item(json!({"kind": "smart", "count": 3}));
        assert_eq!(change_of(&count, &counted, &none, EPOCH), None);
        let at = |t: &str| json!({"status": "queued", "requestedAt": t, "confirmed": false});
        let queued = item(json!({"evaluation": at("2026-01-01T00:00:00Z"), "memberCount": 1}));
        let counted = item(json!({"evaluation": at("2026-01-01T00:00:00Z"), "memberCount": 2}));
        let again = item(json!({"evaluation": at("2026-01-02T00:00:00Z")}));
        let done =
            item(json!({"evaluation": {"status": "done", "requestedAt": "2026-01-01T00:00:00Z"}}));
        let group = item(json!({"PK": "A#acme", "SK": "G#g1"}));
        assert!(matches!(
            change_of(&group, &queued, &none, EPOCH),
            Some(Change::EvaluationRequested { .. })
        ));
        assert!(matches!(
            change_of(&group, &queued, &done, EPOCH),
            Some(Change::EvaluationRequested { .. })
        ));
        assert_eq!(
            change_of(&group, &counted, &queued, EPOCH),
            None,
            "a count change while queued requests nothing more"
        );
        assert!(
            change_of(&group, &again, &queued, EPOCH).is_some(),
            "a new request"
        );
        assert_eq!(change_of(&group, &done, &queued, EPOCH), None);
        assert_eq!(
            change_of(
                &item(json!({"PK": "A#acme", "SK": "T#title"})),
                &none,
                &none,
                EPOCH
            ),
            None
        );
        // A checkpoint saved is work that continues; one cleared is nothing.
        let checkpoint = item(json!({"PK": "SYSTEM", "SK": "CHECKPOINT#refresh"}));
        let saved = item(json!({"state": {"layer": 1}}));
        assert_eq!(
            change_of(&checkpoint, &saved, &none, EPOCH),
            Some(Change::WorkContinues {
                name: "refresh".into()
            })
        );
        assert_eq!(change_of(&checkpoint, &none, &saved, EPOCH), None);
    }
}
