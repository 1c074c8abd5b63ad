//! Reading the table's stream records as domain changes.

use groups_domain::ports::Change;
use groups_domain::{AccountId, GroupId, UserId};
use serde::Deserialize;

#[derive(Deserialize)]
struct Keys {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
}

#[derive(Deserialize)]
struct EvaluationStatusOnly {
    status: String,
}

#[derive(Deserialize)]
struct GroupImage {
    #[serde(default)]
    evaluation: Option<EvaluationStatusOnly>,
}

/// The change a stream record reports, from its keys and (for groups) its new image; `None`
/// for records smart groups do not react to.
pub fn change_of(keys: &serde_dynamo::Item, new_image: &serde_dynamo::Item) -> Option<Change> {
    let keys: Keys = serde_dynamo::from_item(keys.clone()).ok()?;
    let parts: Vec<&str> = keys.pk.split('#').collect();
    let (kind, id) = keys.sk.split_once('#')?;
    match (parts.as_slice(), kind) {
        (["A", account], "U") => Some(Change::User {
            account: AccountId::parse("PK", *account).ok()?,
            user: UserId::parse("SK", id).ok()?,
        }),
        (["A", account, "G", group], "M") => Some(Change::Membership {
            account: AccountId::parse("PK", *account).ok()?,
            group: GroupId::parse("PK", *group).ok()?,
            user: UserId::parse("SK", id).ok()?,
        }),
        (["A", account], "G") => {
            let image: GroupImage = serde_dynamo::from_item(new_image.clone()).ok()?;
            if image.evaluation?.status != "queued" {
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

    fn item(value: serde_json::Value) -> serde_dynamo::Item {
        serde_dynamo::to_item(value).expect("item")
    }

    #[test]
    fn records_map_to_changes() {
        let none = item(json!({}));
        assert!(matches!(
            change_of(&item(json!({"PK": "A#acme", "SK": "U#u1"})), &none),
            Some(Change::User { .. })
        ));
        assert!(matches!(
            change_of(&item(json!({"PK": "A#acme#G#g1", "SK": "M#u1"})), &none),
            Some(Change::Membership { .. })
        ));
        let queued = item(json!({"evaluation": {"status": "queued"}}));
        let done = item(json!({"evaluation": {"status": "done"}}));
        let group = item(json!({"PK": "A#acme", "SK": "G#g1"}));
        assert!(matches!(
            change_of(&group, &queued),
            Some(Change::EvaluationRequested { .. })
        ));
        assert_eq!(change_of(&group, &done), None);
        assert_eq!(
            change_of(&item(json!({"PK": "A#acme", "SK": "T#title"})), &none),
            None
        );
        assert_eq!(
            change_of(&item(json!({"PK": "SYSTEM", "SK": "CHECKPOINT#x"})), &none),
            None
        );
    }
}
