//! The SAM template, the workspace's function crates, the functions' descriptors and the
//! OpenAPI document describe the same functions and routes; the template's table is the one
//! the code creates.

use groups_http::{EventSource, Trigger};
use groups_local::registry::descriptors;
use groups_store::dynamo::table_definition;
use serde_norway::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn template() -> Value {
    let text =
        std::fs::read_to_string(root().join("infra/template.yaml")).expect("infra/template.yaml");
    serde_norway::from_str(&text).expect("valid YAML")
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Tagged(t) => format!("{} {}", t.tag, s(&t.value)),
        other => format!("{other:?}"),
    }
}

/// Functions of the template by binary (crate) name, with their HTTP routes and other events.
fn template_functions(t: &Value) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let mut out = BTreeMap::new();
    for (_, resource) in t["Resources"].as_mapping().expect("resources") {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        assert_eq!(resource["Metadata"]["BuildMethod"], "rust-cargolambda");
        let binary = s(&resource["Metadata"]["BuildProperties"]["Binary"]);
        let mut routes = BTreeSet::new();
        let mut others = BTreeSet::new();
        if let Some(events) = resource["Properties"]["Events"].as_mapping() {
            for (_, event) in events {
                match event["Type"].as_str() {
                    Some("HttpApi") => {
                        routes.insert(format!(
                            "{} {}",
                            s(&event["Properties"]["Method"]),
                            s(&event["Properties"]["Path"])
                        ));
                    }
                    Some(other) => {
                        others.insert(other.to_owned());
                    }
                    None => panic!("event without a type"),
                }
            }
        }
        out.insert(binary, (routes, others));
    }
    out
}

#[test]
fn template_functions_crates_and_routes_correspond_one_to_one() {
    let t = template();
    let in_template = template_functions(&t);
    // Every crate under functions/ is a function of the template, and nothing else is.
    let crates: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(crates, in_template.keys().cloned().collect::<BTreeSet<_>>());
    // ... and a member of the workspace.
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    for name in &crates {
        assert!(
            manifest.contains(&format!("\"functions/{name}\"")),
            "functions/{name} is not a workspace member (Cargo.toml [workspace] members)"
        );
    }
    // Every descriptor matches its template function's events.
    let all = descriptors();
    assert_eq!(all.len(), crates.len(), "one descriptor per crate");
    let mut routed = BTreeSet::new();
    for d in &all {
        let (routes, others) = in_template
            .get(d.name)
            .unwrap_or_else(|| panic!("{} is in the template", d.name));
        let expected: BTreeSet<String> = d
            .routes()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert_eq!(routes, &expected, "routes of {}", d.name);
        routed.extend(expected);
        let expected_others: BTreeSet<String> = match d.trigger {
            Trigger::HttpAndEvents(_, events) => events
                .iter()
                .map(|e| match e {
                    EventSource::TableStream => "DynamoDB".to_owned(),
                    EventSource::Schedule => "ScheduleV2".to_owned(),
                })
                .collect(),
            _ => BTreeSet::new(),
        };
        assert_eq!(others, &expected_others, "other events of {}", d.name);
    }
    // The OpenAPI document routes exactly what the template routes.
    let spec: serde_json::Value = serde_json::from_str(groups_http::OPENAPI).expect("openapi");
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert_eq!(routed, documented);
    // The authorizer guards the API, cached by the Authorization header only.
    let auth = &t["Resources"]["HttpApi"]["Properties"]["Auth"];
    let authorizer = &auth["Authorizers"][auth["DefaultAuthorizer"].as_str().expect("default")];
    assert!(s(&authorizer["FunctionArn"]).contains("AuthorizerFunction"));
    assert_eq!(authorizer["AuthorizerPayloadFormatVersion"], "2.0");
    assert_eq!(authorizer["EnableSimpleResponses"], true);
    assert_eq!(
        authorizer["Identity"]["Headers"],
        serde_norway::from_str::<Value>("[Authorization]").expect("yaml")
    );
}

/// What the template gives a function: its own environment variables, the DynamoDB actions
/// its policies allow (`GetItem`, `Query GSI2` on an index), and whether it may put events.
fn granted(resource: &Value) -> (BTreeSet<String>, BTreeSet<String>, bool) {
    let env: BTreeSet<String> = resource["Properties"]["Environment"]["Variables"]
        .as_mapping()
        .map(|m| m.keys().map(s).collect())
        .unwrap_or_default();
    let mut actions = BTreeSet::new();
    let mut events = false;
    for policy in resource["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        for statement in policy["Statement"].as_sequence().into_iter().flatten() {
            let target = s(&statement["Resource"]);
            let index = target
                .split("/index/")
                .nth(1)
                .map(|i| format!(" {}", i.trim_end_matches('"')));
            for action in statement["Action"].as_sequence().into_iter().flatten() {
                let action = s(action);
                match action.strip_prefix("dynamodb:") {
                    Some(a) => {
                        actions.insert(format!("{a}{}", index.clone().unwrap_or_default()));
                    }
                    None if action == "events:PutEvents" => events = true,
                    None => panic!("unexpected action {action}"),
                }
            }
        }
    }
    (env, actions, events)
}

/// Each function's descriptor declares what the template must give it: the event bus when it
/// publishes membership events, and exactly the DynamoDB actions it performs.
#[test]
fn the_template_gives_each_function_what_its_descriptor_declares() {
    let t = template();
    let mut by_binary = BTreeMap::new();
    for (_, resource) in t["Resources"].as_mapping().expect("resources") {
        if resource["Type"] == "AWS::Serverless::Function" {
            let binary = s(&resource["Metadata"]["BuildProperties"]["Binary"]);
            by_binary.insert(binary, granted(resource));
        }
    }
    for d in descriptors() {
        let (env, actions, events) = by_binary
            .get(d.name)
            .unwrap_or_else(|| panic!("{} is in the template", d.name));
        assert_eq!(
            env.contains("EVENT_BUS_NAME"),
            d.publishes,
            "{}: EVENT_BUS_NAME iff it publishes",
            d.name
        );
        assert_eq!(
            *events, d.publishes,
            "{}: events:PutEvents iff it publishes",
            d.name
        );
        let declared: BTreeSet<String> = d.table.iter().map(|a| (*a).to_owned()).collect();
        assert_eq!(actions, &declared, "{}: DynamoDB actions", d.name);
    }
}

#[test]
fn the_template_table_is_the_table_the_code_creates() {
    let t = template();
    let table = &t["Resources"]["Table"]["Properties"];
    let def = table_definition();
    let keys = |schema: &Value| -> (String, String) {
        let list = schema.as_sequence().expect("key schema");
        let find = |kind: &str| {
            list.iter()
                .find(|k| k["KeyType"] == kind)
                .map(|k| s(&k["AttributeName"]))
                .unwrap_or_default()
        };
        (find("HASH"), find("RANGE"))
    };
    assert_eq!(
        keys(&table["KeySchema"]),
        (def.partition_key.to_owned(), def.sort_key.to_owned())
    );
    let indexes: BTreeMap<String, (String, String)> = table["GlobalSecondaryIndexes"]
        .as_sequence()
        .expect("indexes")
        .iter()
        .map(|i| {
            assert_eq!(i["Projection"]["ProjectionType"], "ALL");
            (s(&i["IndexName"]), keys(&i["KeySchema"]))
        })
        .collect();
    let expected: BTreeMap<String, (String, String)> = def
        .indexes
        .iter()
        .map(|i| {
            (
                i.name.to_owned(),
                (i.partition_key.to_owned(), i.sort_key.to_owned()),
            )
        })
        .collect();
    assert_eq!(indexes, expected);
    // Every key attribute is declared, as a string, and nothing else is.
    let declared: BTreeSet<String> = table["AttributeDefinitions"]
        .as_sequence()
        .expect("attributes")
        .iter()
        .map(|a| {
            assert_eq!(a["AttributeType"], "S");
            s(&a["AttributeName"])
        })
        .collect();
    let mut key_attributes: BTreeSet<String> = [def.partition_key, def.sort_key]
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
    for i in &def.indexes {
        key_attributes.insert(i.partition_key.to_owned());
        key_attributes.insert(i.sort_key.to_owned());
    }
    assert_eq!(declared, key_attributes);
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"],
        def.stream_view
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["DeletionProtectionEnabled"], true);
    assert_eq!(table["SSESpecification"]["SSEEnabled"], true);
}

/// Operations hygiene: the HTTP API writes JSON access logs, the failure queue is encrypted,
/// and the evaluation function's concurrency is bounded to protect the table.
#[test]
fn the_api_logs_access_the_queue_is_encrypted_and_evaluation_is_bounded() {
    let t = template();
    let resources = &t["Resources"];
    let logs = &resources["HttpApi"]["Properties"]["AccessLogSettings"];
    assert!(s(&logs["DestinationArn"]).contains("HttpApiAccessLogGroup"));
    let format: serde_json::Value =
        serde_json::from_str(&s(&logs["Format"])).expect("the access log format is JSON");
    for field in ["requestId", "routeKey", "status", "latencyMs"] {
        assert!(format.get(field).is_some(), "access logs carry {field}");
    }
    let queue = &resources["StreamFailureQueue"]["Properties"];
    assert_eq!(queue["SqsManagedSseEnabled"], true);
    let evaluation = &resources["EvaluateSmartGroupFunction"]["Properties"];
    assert!(
        s(&evaluation["ReservedConcurrentExecutions"]).contains("EvaluationReservedConcurrency")
    );
}

/// The alarms and the dashboard read the EMF metrics the code writes: the same namespace,
/// metric names and dimension values (a renamed metric would leave an alarm that never fires).
#[test]
fn alarms_watch_the_metrics_the_code_writes() {
    use groups_http::metrics;
    let t = template();
    let lines: Vec<serde_json::Value> = [
        metrics::evaluation("request", None),
        metrics::evaluation("stream", None),
        metrics::evaluation("schedule", None),
        metrics::http_request("list-groups", "GET /groups", 200, std::time::Duration::ZERO),
    ]
    .iter()
    .map(|l| serde_json::from_str(l).expect("json"))
    .collect();
    // Is `name` written with every one of these dimension values, in some line?
    let written = |name: &str, dims: &[(String, String)]| {
        lines.iter().any(|l| {
            l.get(name).is_some_and(|v| v.is_number())
                && dims.iter().all(|(k, v)| l[k].as_str() == Some(v.as_str()))
        })
    };
    let mut watched = BTreeSet::new();
    let mut check = |metric: &Value| {
        if s(&metric["Namespace"]) != metrics::NAMESPACE {
            return;
        }
        let name = s(&metric["MetricName"]);
        let dims: Vec<(String, String)> = metric["Dimensions"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|d| (s(&d["Name"]), s(&d["Value"])))
            .collect();
        assert!(
            written(&name, &dims),
            "an alarm watches {name} {dims:?}, which no code writes"
        );
        watched.insert(name);
    };
    for (_, resource) in t["Resources"].as_mapping().expect("resources") {
        if resource["Type"] != "AWS::CloudWatch::Alarm" {
            continue;
        }
        let p = &resource["Properties"];
        check(p);
        for m in p["Metrics"].as_sequence().into_iter().flatten() {
            check(&m["MetricStat"]["Metric"]);
        }
    }
    assert_eq!(
        watched,
        ["Failed", "Held"].map(String::from).into(),
        "held evaluations and evaluation failures are alarmed"
    );
    // The 5xx rate and the failure queue are alarmed from AWS's own metrics.
    let resources = t["Resources"].as_mapping().expect("resources");
    let names: BTreeSet<String> = resources.keys().map(s).collect();
    for alarm in [
        "Http5xxRateAlarm",
        "StreamFailureAlarm",
        "HeldEvaluationsAlarm",
        "EvaluationFailuresAlarm",
    ] {
        assert!(names.contains(alarm), "{alarm}");
    }
    let dashboard = resources
        .values()
        .find(|r| r["Type"] == "AWS::CloudWatch::Dashboard")
        .expect("a dashboard");
    let body = s(&dashboard["Properties"]["DashboardBody"]);
    for name in [
        "UsersEvaluated",
        "Joined",
        "Left",
        "Held",
        "Failed",
        "EvaluationDuration",
    ] {
        assert!(
            written(name, &[]) && body.contains(name),
            "{name} on the dashboard"
        );
    }
}
