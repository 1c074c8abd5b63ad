//! Metrics as CloudWatch Embedded Metric Format lines: one JSON object per line on stdout,
//! which CloudWatch Logs turns into metrics with no API call. Per HTTP request (latency and
//! status class) and per evaluation (duration, users evaluated, joined, left, held, failed).

use groups_domain::{Evaluation, EvaluationStatus};
use serde_json::{Map, Value, json};
use std::sync::Mutex;
use std::time::Duration;

/// The metrics' namespace in CloudWatch (the template's alarms and dashboard read it).
pub const NAMESPACE: &str = "Groups";

/// Where EMF lines go: stdout on Lambda, nowhere or a list in the local server and tests.
pub trait MetricsSink: Send + Sync {
    fn emit(&self, line: String);
}

/// Lambda's stdout, which CloudWatch Logs reads.
pub struct Stdout;

impl MetricsSink for Stdout {
    fn emit(&self, line: String) {
        use std::io::Write;
        // One write per line, so concurrent lines never interleave.
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}

pub struct NoMetrics;

impl MetricsSink for NoMetrics {
    fn emit(&self, _: String) {}
}

/// Keeps the lines, for tests.
#[derive(Default)]
pub struct RecordedMetrics(Mutex<Vec<String>>);

impl RecordedMetrics {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl MetricsSink for RecordedMetrics {
    fn emit(&self, line: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
}

/// One metric value and its CloudWatch unit.
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    pub value: f64,
}

fn count(name: &'static str, value: u64) -> Metric {
    Metric {
        name,
        unit: "Count",
        value: value as f64,
    }
}

fn millis(name: &'static str, value: f64) -> Metric {
    Metric {
        name,
        unit: "Milliseconds",
        value,
    }
}

/// An EMF line: the metrics under one set of dimensions, at `timestamp_ms`.
pub fn line(dimensions: &[(&str, &str)], metrics: &[Metric], timestamp_ms: i64) -> String {
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|m| json!({"Name": m.name, "Unit": m.unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    for (k, v) in dimensions {
        root.insert((*k).to_owned(), Value::String((*v).to_owned()));
    }
    for m in metrics {
        root.insert(m.name.to_owned(), json!(m.value));
    }
    Value::Object(root).to_string()
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// One HTTP request: its latency and a count in its status class, by function and route.
pub fn http_request(function: &str, route: &str, status: u16, latency: Duration) -> String {
    let class = |c: u16| u64::from(status / 100 == c);
    line(
        &[("Function", function), ("Route", route)],
        &[
            millis("Latency", latency.as_secs_f64() * 1000.0),
            count("Status2xx", class(2)),
            count("Status4xx", class(4)),
            count("Status5xx", class(5)),
        ],
        now_ms(),
    )
}

/// One smart-group evaluation that ended (`Some`) or failed (`None`), by what triggered it.
pub fn evaluation(trigger: &str, evaluation: Option<&Evaluation>) -> String {
    let duration = evaluation
        .and_then(|e| Some((e.finished_at? - e.started_at?).as_seconds_f64() * 1000.0))
        .unwrap_or(0.0);
    let held = evaluation.is_some_and(|e| e.status == EvaluationStatus::Held);
    line(
        &[("Function", "evaluate-smart-group"), ("Trigger", trigger)],
        &[
            millis("EvaluationDuration", duration),
            count("UsersEvaluated", evaluation.map_or(0, |e| e.evaluated)),
            count("Joined", evaluation.map_or(0, |e| e.joined)),
            count("Left", evaluation.map_or(0, |e| e.left)),
            count("Held", u64::from(held)),
            count("Failed", u64::from(evaluation.is_none())),
        ],
        now_ms(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_declares_its_metrics_and_carries_their_values() {
        let parsed: Value = serde_json::from_str(&http_request(
            "list-groups",
            "GET /groups",
            503,
            Duration::from_millis(12),
        ))
        .expect("json");
        let declared = &parsed["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], NAMESPACE);
        assert_eq!(declared["Dimensions"], json!([["Function", "Route"]]));
        assert_eq!(
            declared["Metrics"][0],
            json!({"Name": "Latency", "Unit": "Milliseconds"})
        );
        assert_eq!(parsed["Route"], "GET /groups");
        assert_eq!(parsed["Latency"], 12.0);
        assert_eq!(
            (parsed["Status2xx"].as_f64(), parsed["Status5xx"].as_f64()),
            (Some(0.0), Some(1.0))
        );
        let failed: Value = serde_json::from_str(&evaluation("stream", None)).expect("json");
        assert_eq!(failed["Failed"], 1.0);
        assert_eq!(failed["Trigger"], "stream");
    }
}
