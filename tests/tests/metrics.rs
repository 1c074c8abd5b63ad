//! The EMF lines the handlers write: one per HTTP request (latency, status class, by function
//! and route) and one per requested evaluation (its duration and counts), read back as
//! CloudWatch would read them.

use groups_domain::ports::Change;
use groups_domain::smart::Guard;
use groups_domain::{GroupId, GroupStore};
use groups_http::event::{HttpCall, request, v2_event};
use groups_http::metrics::{NAMESPACE, RecordedMetrics};
use groups_store::MemoryStore;
use groups_tests::api::{ADMIN, Api, LEARNER};
use serde_json::{Value, json};
use std::sync::Arc;

fn parsed(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect()
}

/// Every metric a line declares is present with a number, under the namespace.
fn declared(line: &Value) -> Vec<String> {
    let directive = &line["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], NAMESPACE);
    assert!(line["_aws"]["Timestamp"].as_i64() > Some(1_700_000_000_000));
    for dims in directive["Dimensions"].as_array().expect("dimensions") {
        for d in dims.as_array().expect("a dimension set") {
            assert!(line[d.as_str().expect("name")].is_string(), "{line}");
        }
    }
    directive["Metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .map(|m| {
            let name = m["Name"].as_str().expect("name").to_owned();
            assert!(line[&name].is_number(), "{name} in {line}");
            name
        })
        .collect()
}

async fn serve(api: &Api<MemoryStore>, user: &str, call: HttpCall) -> u16 {
    let token = api.token(user);
    let context = authorizer::context(api.store(), &api.auth, Some(&format!("Bearer {token}")))
        .await
        .expect("authorized");
    let route = list_groups::DESCRIPTOR.routes()[0];
    let event = v2_event(&call, &route, &[], context);
    let req = request(&event).expect("request");
    let response = groups_http::lambda::serve(&api.ctx, &list_groups::DESCRIPTOR, req, |req| {
        list_groups::handle(&api.ctx, req)
    })
    .await;
    response.status().as_u16()
}

#[tokio::test]
async fn each_http_request_writes_its_latency_and_status_class() {
    let mut api = Api::seeded(MemoryStore::new()).await;
    let recorded = Arc::new(RecordedMetrics::default());
    api.ctx.metrics = recorded.clone();
    assert_eq!(
        serve(&api, ADMIN, HttpCall::new("GET", "/groups")).await,
        200
    );
    assert_eq!(
        serve(&api, LEARNER, HttpCall::new("GET", "/groups")).await,
        403
    );
    assert_eq!(
        serve(&api, ADMIN, HttpCall::new("GET", "/groups?limit=0")).await,
        400
    );
    let lines = parsed(&recorded.lines());
    assert_eq!(lines.len(), 3, "one line per request");
    for (line, class) in lines.iter().zip(["Status2xx", "Status4xx", "Status4xx"]) {
        assert_eq!(
            declared(line),
            ["Latency", "Status2xx", "Status4xx", "Status5xx"]
        );
        assert_eq!(line["Function"], "list-groups");
        assert_eq!(line["Route"], "GET /groups");
        assert_eq!(line[class], 1.0, "{line}");
        let total: f64 = ["Status2xx", "Status4xx", "Status5xx"]
            .iter()
            .map(|c| line[*c].as_f64().unwrap_or(0.0))
            .sum();
        assert_eq!(total, 1.0);
        assert!(line["Latency"].as_f64() >= Some(0.0));
    }
}

#[tokio::test]
async fn each_requested_evaluation_writes_its_duration_and_counts() {
    let mut api = Api::seeded(MemoryStore::new()).await;
    let recorded = Arc::new(RecordedMetrics::default());
    api.ctx.metrics = recorded.clone();
    let reply = api
        .as_user(
            ADMIN,
            HttpCall::new("POST", "/groups").json(&json!({"title": "Metered", "kind": "smart",
                "rule": {"attr": "department", "op": "inSubtree", "value": "sales"}})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = GroupId::parse("id", reply.body["id"].as_str().expect("id")).expect("id");
    let change = Change::EvaluationRequested {
        account: api.account.clone(),
        group: id.clone(),
    };
    evaluate_smart_group::process(&api.ctx, Guard::default(), &change)
        .await
        .expect("evaluate");
    let stored = api
        .store()
        .get_group(&api.account, &id)
        .await
        .expect("read")
        .expect("group");
    let evaluation = stored.evaluation.expect("evaluated");
    assert!(evaluation.joined > 0);
    let lines = parsed(&recorded.lines());
    let line = lines
        .iter()
        .find(|l| l["Trigger"] == "request")
        .expect("the evaluation's line");
    assert_eq!(
        declared(line),
        [
            "EvaluationDuration",
            "UsersEvaluated",
            "Joined",
            "Left",
            "Held",
            "Failed"
        ]
    );
    assert_eq!(line["Joined"], evaluation.joined as f64);
    assert_eq!(line["UsersEvaluated"], evaluation.evaluated as f64);
    assert_eq!(line["Left"], 0.0);
    assert_eq!(line["Held"], 0.0);
    assert_eq!(line["Failed"], 0.0);
    assert!(line["EvaluationDuration"].as_f64() >= Some(0.0));
}
