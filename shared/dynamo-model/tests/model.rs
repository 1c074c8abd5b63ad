//! The model through the real SDK client: paging, capacity units, limits, transactions, the
//! meter hook and the stream.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as AV, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, PutRequest, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, Select, StreamSpecification,
    StreamViewType, TransactWriteItem, Update, WriteRequest,
};
use groups_dynamo_model::{CallRecord, ItemKey, Meter, MeterVerdict, Model};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const T: &str = "things";

fn s(v: &str) -> AV {
    AV::S(v.to_owned())
}

fn n(v: i64) -> AV {
    AV::N(v.to_string())
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("key")
}

fn attr(name: &str, t: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .expect("attr")
}

/// A table PK (S) + SK (N) with an index G (GPK S, GSK S) projecting keys only.
async fn setup(model: &Model) -> Client {
    let client = model
        .client_with(|b| b.retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled()));
    client
        .create_table()
        .table_name(T)
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .attribute_definitions(attr("PK", ScalarAttributeType::S))
        .attribute_definitions(attr("SK", ScalarAttributeType::N))
        .attribute_definitions(attr("GPK", ScalarAttributeType::S))
        .attribute_definitions(attr("GSK", ScalarAttributeType::S))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("G")
                .key_schema(key("GPK", KeyType::Hash))
                .key_schema(key("GSK", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .expect("gsi"),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("stream"),
        )
        .send()
        .await
        .expect("create");
    client
}

fn thing(pk: &str, sk: i64, extra: &[(&str, AV)]) -> HashMap<String, AV> {
    let mut item = HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), n(sk))]);
    for (k, v) in extra {
        item.insert((*k).to_owned(), v.clone());
    }
    item
}

async fn put(client: &Client, item: HashMap<String, AV>) {
    client
        .put_item()
        .table_name(T)
        .set_item(Some(item))
        .send()
        .await
        .expect("put");
}

#[tokio::test]
async fn queries_page_like_dynamodb() {
    let model = Model::new();
    let client = setup(&model).await;
    // Sort keys 1..=25 as numbers: 9 < 10 numerically (not as strings).
    for i in 1..=25 {
        let parity = if i % 2 == 0 { "even" } else { "odd" };
        put(&client, thing("p", i, &[("parity", s(parity))])).await;
    }
    put(&client, thing("other", 1, &[])).await;
    let page = |start: Option<HashMap<String, AV>>, forward: bool| {
        client
            .query()
            .table_name(T)
            .key_condition_expression("PK = :p AND SK BETWEEN :lo AND :hi")
            .expression_attribute_values(":p", s("p"))
            .expression_attribute_values(":lo", n(5))
            .expression_attribute_values(":hi", n(20))
            .scan_index_forward(forward)
            .limit(7)
            .set_exclusive_start_key(start)
            .send()
    };
    let mut seen = Vec::new();
    let mut start = None;
    loop {
        let out = page(start.take(), true).await.expect("query");
        seen.extend(
            out.items()
                .iter()
                .map(|i| i["SK"].as_n().expect("n").clone()),
        );
        match out.last_evaluated_key {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    let expected: Vec<String> = (5..=20).map(|i| i.to_string()).collect();
    assert_eq!(seen, expected);
    let back = page(None, false).await.expect("query");
    assert_eq!(back.items()[0]["SK"], n(20));
    // Limit counts items read before the filter; LastEvaluatedKey is the last one read.
    let filtered = client
        .query()
        .table_name(T)
        .key_condition_expression("PK = :p")
        .filter_expression("parity = :odd")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":odd", s("odd"))
        .limit(4)
        .send()
        .await
        .expect("filtered");
    assert_eq!(filtered.count, 2);
    assert_eq!(filtered.scanned_count, 4);
    assert_eq!(
        filtered.last_evaluated_key.expect("lek"),
        HashMap::from([("PK".to_owned(), s("p")), ("SK".to_owned(), n(4))])
    );
    let counted = client
        .query()
        .table_name(T)
        .key_condition_expression("PK = :p AND SK > :ten")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":ten", n(10))
        .select(Select::Count)
        .send()
        .await
        .expect("count");
    assert_eq!(counted.count, 15);
    assert!(counted.items.is_none());
}

#[tokio::test]
async fn index_queries_answer_index_and_table_keys() {
    let model = Model::new();
    let client = setup(&model).await;
    for i in 0..5 {
        put(
            &client,
            thing(
                &format!("p{i}"),
                i,
                &[
                    ("GPK", s("g")),
                    ("GSK", s(&format!("k{}", i % 2))),
                    ("x", s("big")),
                ],
            ),
        )
        .await;
    }
    put(&client, thing("none", 1, &[("x", s("not in the index"))])).await;
    let out = client
        .query()
        .table_name(T)
        .index_name("G")
        .key_condition_expression("GPK = :g AND begins_with(GSK, :k)")
        .expression_attribute_values(":g", s("g"))
        .expression_attribute_values(":k", s("k"))
        .limit(2)
        .send()
        .await
        .expect("query");
    // KEYS_ONLY: no `x`; order by GSK then table keys.
    assert_eq!(out.items().len(), 2);
    assert!(out.items().iter().all(|i| !i.contains_key("x")));
    assert_eq!(out.items()[0]["PK"], s("p0"));
    assert_eq!(out.items()[1]["PK"], s("p2"));
    let lek = out.last_evaluated_key.expect("lek");
    assert_eq!(lek.len(), 4, "index keys plus table keys: {lek:?}");
    let rest = client
        .query()
        .table_name(T)
        .index_name("G")
        .key_condition_expression("GPK = :g")
        .expression_attribute_values(":g", s("g"))
        .set_exclusive_start_key(Some(lek))
        .send()
        .await
        .expect("rest");
    let pks: Vec<&AV> = rest.items().iter().map(|i| &i["PK"]).collect();
    assert_eq!(pks, vec![&s("p4"), &s("p1"), &s("p3")]);
    let consistent = client
        .query()
        .table_name(T)
        .index_name("G")
        .key_condition_expression("GPK = :g")
        .expression_attribute_values(":g", s("g"))
        .consistent_read(true)
        .send()
        .await
        .expect_err("consistent read on an index");
    assert_eq!(consistent.code(), Some("ValidationException"));
}

#[tokio::test]
async fn pages_stop_after_one_megabyte() {
    let model = Model::new();
    let client = setup(&model).await;
    let blob = "x".repeat(100 * 1024);
    for i in 0..15 {
        put(&client, thing("p", i, &[("blob", s(&blob))])).await;
    }
    let out = client
        .query()
        .table_name(T)
        .key_condition_expression("PK = :p")
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .expect("query");
    // Ten items of just over 100 KB stay under 1 MB; the eleventh crosses it.
    assert_eq!(out.count, 11);
    assert!(out.last_evaluated_key.is_some());
}

async fn put_units(client: &Client, item: HashMap<String, AV>) -> f64 {
    client
        .put_item()
        .table_name(T)
        .set_item(Some(item))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("put")
        .consumed_capacity
        .and_then(|c| c.capacity_units)
        .expect("units")
}

#[tokio::test]
async fn capacity_units_follow_the_aws_formulas() {
    let model = Model::new();
    let client = setup(&model).await;
    // Item size: names plus values. "PK"(2)+"p"(1) + "SK"(2)+N 1(1 digit: 2 bytes) + "d"(1)+data.
    let sized = |sk: i64, bytes: usize| thing("p", sk, &[("d", s(&"x".repeat(bytes - 8)))]);
    assert_eq!(put_units(&client, sized(1, 1024)).await, 1.0);
    assert_eq!(put_units(&client, sized(2, 1025)).await, 2.0);
    assert_eq!(put_units(&client, sized(3, 3000)).await, 3.0);
    // Overwriting charges the larger of the old and new sizes.
    assert_eq!(put_units(&client, sized(3, 100)).await, 3.0);
    let update = client
        .update_item()
        .table_name(T)
        .key("PK", s("p"))
        .key("SK", n(1))
        .update_expression("SET d = :d")
        .expression_attribute_values(":d", s(&"y".repeat(2048)))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("update");
    assert_eq!(
        update.consumed_capacity.and_then(|c| c.capacity_units),
        Some(3.0)
    );
    // Transactions cost double per item: 2 × 1 + 2 × 2.
    let tx = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(T)
                        .set_item(Some(sized(10, 500)))
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(T)
                        .set_item(Some(sized(11, 2000)))
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("tx");
    assert_eq!(tx.consumed_capacity()[0].capacity_units, Some(6.0));
    // An index write costs its projected size: keys only here, one unit.
    let indexed = client
        .put_item()
        .table_name(T)
        .set_item(Some(thing(
            "q",
            1,
            &[
                ("GPK", s("g")),
                ("GSK", s("k")),
                ("d", s(&"z".repeat(1500))),
            ],
        )))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .expect("indexed")
        .consumed_capacity
        .expect("consumed");
    assert_eq!(indexed.table.and_then(|t| t.capacity_units), Some(2.0));
    let gsi = indexed.global_secondary_indexes.expect("gsi");
    assert_eq!(gsi["G"].capacity_units, Some(1.0));
    assert_eq!(indexed.capacity_units, Some(3.0));
    // Reads: 4 KB units, halved when eventually consistent.
    let get = client
        .get_item()
        .table_name(T)
        .key("PK", s("p"))
        .key("SK", n(3))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("get");
    assert_eq!(
        get.consumed_capacity.and_then(|c| c.capacity_units),
        Some(0.5)
    );
}

#[tokio::test]
async fn limits_are_enforced() {
    let model = Model::new();
    let client = setup(&model).await;
    let too_big = thing("p", 1, &[("d", s(&"x".repeat(400 * 1024)))]);
    let e = client
        .put_item()
        .table_name(T)
        .set_item(Some(too_big))
        .send()
        .await
        .expect_err("size");
    assert_eq!(e.code(), Some("ValidationException"));
    let e = client
        .put_item()
        .table_name(T)
        .set_item(Some(thing("", 1, &[])))
        .send()
        .await
        .expect_err("empty key");
    assert_eq!(e.code(), Some("ValidationException"));
    let e = client
        .put_item()
        .table_name(T)
        .set_item(Some(thing("p", 1, &[("GPK", s(""))])))
        .send()
        .await
        .expect_err("empty index key");
    assert_eq!(e.code(), Some("ValidationException"));
    let writes: Vec<WriteRequest> = (0..26)
        .map(|i| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(thing("p", i, &[])))
                        .build()
                        .expect("put"),
                )
                .build()
        })
        .collect();
    let e = client
        .batch_write_item()
        .request_items(T, writes)
        .send()
        .await
        .expect_err("26 writes");
    assert_eq!(e.code(), Some("ValidationException"));
    let e = client
        .get_item()
        .table_name("nope")
        .key("PK", s("p"))
        .key("SK", n(1))
        .send()
        .await
        .expect_err("no table");
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn transactions_are_all_or_nothing() {
    let model = Model::new();
    let client = setup(&model).await;
    put(&client, thing("p", 1, &[("v", n(1))])).await;
    let check = ConditionCheck::builder()
        .table_name(T)
        .key("PK", s("p"))
        .key("SK", n(1))
        .condition_expression("v = :two")
        .expression_attribute_values(":two", n(2))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .expect("check");
    let insert = Put::builder()
        .table_name(T)
        .set_item(Some(thing("p", 2, &[])))
        .build()
        .expect("put");
    let e = client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(insert.clone()).build())
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .send()
        .await
        .expect_err("cancelled");
    let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) = e.as_service_error() else {
        panic!("not a cancellation: {e:?}");
    };
    let reasons = c.cancellation_reasons();
    assert_eq!(reasons[0].code(), Some("None"));
    assert_eq!(reasons[1].code(), Some("ConditionalCheckFailed"));
    assert_eq!(reasons[1].item().map(|i| i["v"].clone()), Some(n(1)));
    assert_eq!(model.item_count(T), Some(1), "nothing applied");
    let delete = Delete::builder()
        .table_name(T)
        .key("PK", s("p"))
        .key("SK", n(2))
        .build()
        .expect("delete");
    let e = client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(insert).build())
        .transact_items(TransactWriteItem::builder().delete(delete).build())
        .send()
        .await
        .expect_err("two actions on one item");
    assert_eq!(e.code(), Some("ValidationException"));
    let add = Update::builder()
        .table_name(T)
        .key("PK", s("p"))
        .key("SK", n(1))
        .update_expression("ADD v :one")
        .expression_attribute_values(":one", n(1))
        .build()
        .expect("update");
    client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(add).build())
        .send()
        .await
        .expect("applied");
    let got = client
        .get_item()
        .table_name(T)
        .key("PK", s("p"))
        .key("SK", n(1))
        .consistent_read(true)
        .send()
        .await
        .expect("get");
    assert_eq!(got.item.expect("item")["v"], n(2));
}

/// Records every call; throttles or conflicts on demand.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<CallRecord>>,
    verdict: Mutex<Option<MeterVerdict>>,
}

impl Meter for Recorder {
    fn call(&self, call: &CallRecord) -> MeterVerdict {
        self.calls.lock().expect("lock").push(call.clone());
        self.verdict
            .lock()
            .expect("lock")
            .clone()
            .unwrap_or(MeterVerdict::Proceed)
    }
}

#[tokio::test]
async fn the_meter_sees_every_call_and_can_refuse_it() {
    let meter = Arc::new(Recorder::default());
    let model = Model::with_meter(meter.clone());
    let client = setup(&model).await;
    put(&client, thing("p", 1, &[("GPK", s("g")), ("GSK", s("k"))])).await;
    {
        let calls = meter.calls.lock().expect("lock");
        let last = calls.last().expect("a call");
        assert_eq!(last.operation, "PutItem");
        assert_eq!(last.touches.len(), 2, "table and index: {last:?}");
        assert_eq!(last.touches[0].partition, "p");
        assert_eq!(last.touches[1].index.as_deref(), Some("G"));
        assert_eq!(last.touches[1].partition, "g");
        assert_eq!(last.write_units(), 2.0);
    }
    *meter.verdict.lock().expect("lock") = Some(MeterVerdict::Throttle);
    let e = client
        .put_item()
        .table_name(T)
        .set_item(Some(thing("p", 2, &[])))
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(e.code(), Some("ProvisionedThroughputExceededException"));
    let tx = || {
        client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(T)
                            .set_item(Some(thing("p", 3, &[])))
                            .build()
                            .expect("put"),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(T)
                            .set_item(Some(thing("p", 4, &[])))
                            .build()
                            .expect("put"),
                    )
                    .build(),
            )
            .send()
    };
    let e = tx().await.expect_err("throttled");
    assert_eq!(e.code(), Some("ThrottlingException"));
    let conflicting = ItemKey {
        table: T.into(),
        partition: "p".into(),
        sort: Some("4".into()),
    };
    *meter.verdict.lock().expect("lock") = Some(MeterVerdict::Conflict(vec![conflicting]));
    let e = tx().await.expect_err("conflict");
    let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) = e.as_service_error() else {
        panic!("not a cancellation: {e:?}");
    };
    let codes: Vec<_> = c.cancellation_reasons().iter().map(|r| r.code()).collect();
    assert_eq!(codes, vec![Some("None"), Some("TransactionConflict")]);
    assert_eq!(model.item_count(T), Some(1), "nothing applied");
}

#[tokio::test]
async fn the_stream_records_every_change_once() {
    let model = Model::new();
    let client = setup(&model).await;
    put(&client, thing("p", 1, &[("v", n(1))])).await;
    put(&client, thing("p", 1, &[("v", n(1))])).await; // identical: no record
    put(&client, thing("p", 1, &[("v", n(2))])).await;
    client
        .delete_item()
        .table_name(T)
        .key("PK", s("p"))
        .key("SK", n(1))
        .send()
        .await
        .expect("delete");
    client
        .delete_item()
        .table_name(T)
        .key("PK", s("p"))
        .key("SK", n(1))
        .send()
        .await
        .expect("delete nothing");
    let records = model.take_stream();
    let names: Vec<&str> = records.iter().map(|r| r.event_name).collect();
    assert_eq!(names, vec!["INSERT", "MODIFY", "REMOVE"]);
    assert_eq!(records[1].old_image["v"], n(1));
    assert_eq!(records[1].new_image["v"], n(2));
    assert!(records[2].new_image.is_empty());
    assert!(records.windows(2).all(|w| w[0].sequence < w[1].sequence));
    let lambda = records[1].to_lambda();
    assert_eq!(lambda.event_name, "MODIFY");
    let keys: HashMap<String, AV> = lambda.change.keys.into();
    assert_eq!(keys["PK"], s("p"));
    assert!(model.take_stream().is_empty(), "drained");
}
