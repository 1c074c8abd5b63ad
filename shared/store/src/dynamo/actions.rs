//! The IAM actions a DynamoDB call needs, named as function descriptors name them (`PutItem`,
//! `Query GSI1`): a transaction needs each of its items' actions, a query on an index that
//! index's `Query`. Tests hold what handlers run to what their descriptors (and so the SAM
//! template's policies) grant.

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextMut;
use aws_sdk_dynamodb::operation::{
    batch_get_item::BatchGetItemInput, batch_write_item::BatchWriteItemInput,
    delete_item::DeleteItemInput, get_item::GetItemInput, put_item::PutItemInput,
    query::QueryInput, scan::ScanInput, transact_get_items::TransactGetItemsInput,
    transact_write_items::TransactWriteItemsInput, update_item::UpdateItemInput,
};

pub(super) fn needed(context: &BeforeSerializationInterceptorContextMut<'_>) -> Vec<String> {
    let input = context.input();
    if let Some(q) = input.downcast_ref::<QueryInput>() {
        return vec![match &q.index_name {
            Some(index) => format!("Query {index}"),
            None => "Query".into(),
        }];
    }
    if let Some(t) = input.downcast_ref::<TransactWriteItemsInput>() {
        return t
            .transact_items
            .iter()
            .flatten()
            .filter_map(|item| {
                if item.put.is_some() {
                    Some("PutItem")
                } else if item.update.is_some() {
                    Some("UpdateItem")
                } else if item.delete.is_some() {
                    Some("DeleteItem")
                } else if item.condition_check.is_some() {
                    Some("ConditionCheckItem")
                } else {
                    None
                }
            })
            .map(String::from)
            .collect();
    }
    let single = [
        (input.downcast_ref::<GetItemInput>().is_some(), "GetItem"),
        (
            input.downcast_ref::<BatchGetItemInput>().is_some(),
            "BatchGetItem",
        ),
        (
            input.downcast_ref::<BatchWriteItemInput>().is_some(),
            "BatchWriteItem",
        ),
        (input.downcast_ref::<PutItemInput>().is_some(), "PutItem"),
        (
            input.downcast_ref::<UpdateItemInput>().is_some(),
            "UpdateItem",
        ),
        (
            input.downcast_ref::<DeleteItemInput>().is_some(),
            "DeleteItem",
        ),
        (input.downcast_ref::<ScanInput>().is_some(), "Scan"),
        (
            input.downcast_ref::<TransactGetItemsInput>().is_some(),
            "GetItem",
        ),
    ];
    single
        .into_iter()
        .filter(|(is, _)| *is)
        .map(|(_, action)| action.to_owned())
        .collect()
}
