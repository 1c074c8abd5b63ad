//! Crash consistency: groups-local (on DynamoDB Local) is killed with SIGKILL in the middle of
//! smart-group evaluations, again and again; restarted and re-evaluated, membership converges
//! with an exact count.

use groups_testkit::dynamodb_endpoint;
use groups_testkit::http::send;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn start(port: u16, table: &str) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_groups-local"))
        .args([
            "--port",
            &port.to_string(),
            "--dynamodb-endpoint",
            dynamodb_endpoint(),
            "--table",
            table,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start groups-local");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "groups-local did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

async fn call(port: u16, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let auth = format!("Bearer {token}");
    let body = body.map(|b| b.to_string());
    let reply = send(
        port,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_deref(),
    )
    .await;
    assert!(
        reply.status < 300,
        "{method} {path}: {} {}",
        reply.status,
        reply.body
    );
    reply.json()
}

async fn pages(port: u16, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = format!("{path}?limit=200");
    loop {
        let page = call(port, token, "GET", &next, None).await;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(c) => next = format!("{path}?limit=200&cursor={c}"),
            None => return items,
        }
    }
}

#[tokio::test]
async fn killed_mid_evaluation_and_restarted_membership_converges() {
    let table = format!("crash-{}", std::process::id());
    let port = free_port();
    let mut server = start(port, &table).await;
    let tokens = send(port, "GET", "/dev/tokens", &[], None).await.json();
    let token = tokens["admin"].as_str().expect("admin token").to_owned();
    for n in 0..260 {
        let body = json!({"email": format!("crash{n}@acme.example"), "firstName": "Crash", "lastName": format!("{n}"),
            "status": if n % 4 == 0 { "inactive" } else { "active" }});
        call(port, &token, "PUT", &format!("/users/crash{n}"), Some(body)).await;
    }
    let rule = json!({"attr": "status", "op": "eq", "value": "active"});
    let group = call(
        port,
        &token,
        "POST",
        "/groups",
        Some(json!({"title": "Active", "kind": "smart", "rule": rule})),
    )
    .await;
    let id = group["id"].as_str().expect("id").to_owned();
    // Kill it part-way, several times, each time restarting and asking again.
    for delay in [60u64, 150, 40, 300] {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill().expect("kill -9");
        let _ = server.wait();
        server = start(port, &table).await;
        call(
            port,
            &token,
            "POST",
            &format!("/groups/{id}/evaluate"),
            None,
        )
        .await;
    }
    // Let the last evaluation finish.
    let deadline = Instant::now() + Duration::from_secs(60);
    let group = loop {
        let g = call(port, &token, "GET", &format!("/groups/{id}"), None).await;
        if g["evaluation"]["status"] == "done" {
            break g;
        }
        assert!(Instant::now() < deadline, "evaluation did not finish: {g}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let members: Vec<String> = pages(port, &token, &format!("/groups/{id}/members"))
        .await
        .iter()
        .filter_map(|m| m["userId"].as_str().map(str::to_owned))
        .collect();
    let active: Vec<String> = pages(port, &token, "/users")
        .await
        .iter()
        .filter(|u| u["status"] == "active")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(members, active, "membership converged to the rule");
    assert_eq!(
        group["memberCount"].as_u64(),
        Some(members.len() as u64),
        "the count is exact"
    );
    server.kill().expect("kill");
    let _ = server.wait();
}
