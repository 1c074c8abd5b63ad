//! One scenario over HTTP through the `groups-local` binary: on the in-memory store, and on
//! DynamoDB Local.

use groups_testkit::dynamodb_endpoint;
use groups_testkit::http::{HttpReply, send, send_bytes};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn start(extra: &[&str]) -> Server {
    // A port picked free can be taken before the server binds it (tests start servers in
    // parallel): a server that exits is started again on another port.
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_groups-local"))
            .args(["--port", &port.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start groups-local");
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if server.child.try_wait().ok().flatten().is_some() {
                break;
            }
            if answers(port) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("groups-local did not start")
}

/// Whether the server on `port` answers an HTTP request (not only accepts connections).
fn answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /dev/tokens HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

struct Client {
    port: u16,
    token: String,
}

impl Client {
    async fn call_raw(&self, method: &str, path: &str, body: &str) -> HttpReply {
        let auth = format!("Bearer {}", self.token);
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        send(self.port, method, path, &headers, Some(body)).await
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> HttpReply {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        let body = body.map(|b| b.to_string());
        send(self.port, method, path, &headers, body.as_deref()).await
    }
}

/// Polls `check` until it answers, for up to ten seconds.
async fn wait_for<T, F: std::future::Future<Output = Option<T>>>(check: impl Fn() -> F) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn titles_and_counts(list: &Value) -> Vec<(String, u64)> {
    list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|g| {
                    (
                        g["title"].as_str().unwrap_or("").to_owned(),
                        g["memberCount"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn scenario(server: &Server) {
    let tokens = send(server.port, "GET", "/dev/tokens", &[], None)
        .await
        .json();
    for role in ["owner", "admin", "departmentAdmin", "learner", "trainer"] {
        assert!(tokens[role].is_string(), "a token for {role}");
    }
    let admin = Client {
        port: server.port,
        token: tokens["admin"].as_str().unwrap_or_default().to_owned(),
    };
    // The console's screen: the four demo groups in title order with their counts.
    let list = admin.call("GET", "/groups", None, &[]).await;
    assert_eq!(list.status, 200);
    let seeded = vec![
        ("Business Services".to_owned(), 8),
        ("Direct Sales".to_owned(), 7),
        ("Interns".to_owned(), 9),
        ("SMM".to_owned(), 8),
    ];
    assert_eq!(titles_and_counts(&list.json()), seeded);
    // Create, with initial members; a duplicate title (any case) is a 409.
    let created = admin
        .call(
            "POST",
            "/groups",
            Some(json!({"title": "Onboarding", "userIds": ["u01", "u02", "nobody"]})),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let group = created.json();
    let id = group["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/groups/{id}").as_str())
    );
    assert_eq!(group["memberCount"], 2);
    assert_eq!(group["members"]["notFound"], json!(["nobody"]));
    let duplicate = admin
        .call("POST", "/groups", Some(json!({"title": "ONBOARDING"})), &[])
        .await;
    assert_eq!(duplicate.status, 409);
    assert_eq!(
        duplicate.header("content-type"),
        Some("application/problem+json")
    );
    // Add members: the count follows, and repeating changes nothing.
    let path = format!("/groups/{id}/members");
    let added = admin
        .call(
            "POST",
            &path,
            Some(json!({"userIds": ["u02", "u03", "u04"]})),
            &[],
        )
        .await;
    assert_eq!(added.json()["added"], json!(["u03", "u04"]));
    assert_eq!(added.json()["alreadyMembers"], json!(["u02"]));
    let again = admin
        .call(
            "POST",
            &path,
            Some(json!({"userIds": ["u02", "u03", "u04"]})),
            &[],
        )
        .await;
    assert_eq!(again.json()["added"], json!([]));
    let got = admin.call("GET", &format!("/groups/{id}"), None, &[]).await;
    assert_eq!(got.json()["memberCount"], 4);
    // Members page through, with their names.
    let first = admin
        .call("GET", &format!("{path}?limit=3"), None, &[])
        .await
        .json();
    assert_eq!(first["items"].as_array().map(Vec::len), Some(3));
    assert!(first["items"][0]["user"]["firstName"].is_string());
    let cursor = first["nextCursor"].as_str().unwrap_or_default().to_owned();
    let second = admin
        .call("GET", &format!("{path}?limit=3&cursor={cursor}"), None, &[])
        .await
        .json();
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["nextCursor"], Value::Null);
    // Rename with If-Match; a stale version is 412.
    let renamed = admin
        .call(
            "PATCH",
            &format!("/groups/{id}"),
            Some(json!({"title": "Onboarding 2026"})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let stale = admin
        .call(
            "PATCH",
            &format!("/groups/{id}"),
            Some(json!({"title": "Lost"})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, 412);
    // A user's groups, then removal.
    let mine = admin
        .call("GET", "/users/u03/groups", None, &[])
        .await
        .json();
    assert!(
        mine["items"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g["title"] == "Onboarding 2026"))
    );
    let removed = admin
        .call("DELETE", &path, Some(json!({"userIds": ["u03"]})), &[])
        .await;
    assert_eq!(removed.json()["removed"], json!(["u03"]));
    // Sorting both ways, searching, and a department admin's narrower view.
    let desc = admin
        .call("GET", "/groups?sort=-title", None, &[])
        .await
        .json();
    assert_eq!(desc["items"][0]["title"], "SMM");
    let search = admin.call("GET", "/groups?q=SERV", None, &[]).await.json();
    assert_eq!(
        titles_and_counts(&search),
        vec![("Business Services".to_owned(), 8)]
    );
    let dept_admin = Client {
        port: server.port,
        token: tokens["departmentAdmin"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    let theirs = dept_admin.call("GET", "/groups", None, &[]).await.json();
    assert_eq!(
        titles_and_counts(&theirs),
        vec![
            ("Business Services".to_owned(), 8),
            ("Direct Sales".to_owned(), 7)
        ]
    );
    // Bulk delete; the list is back to the demo groups.
    let deleted = admin
        .call("DELETE", "/groups", Some(json!({"groupIds": [id]})), &[])
        .await;
    assert_eq!(deleted.json()["deleted"], json!([id]));
    let list = admin.call("GET", "/groups", None, &[]).await;
    assert_eq!(titles_and_counts(&list.json()), seeded);
    // Smart groups follow users edited locally, through the emulated stream (BENCHMARKS.md is
    // where latency belongs; this only waits, up to ten seconds).
    let smart = admin
        .call(
            "POST",
            "/groups",
            Some(json!({"title": "Germany", "kind": "smart", "rule": {"attr": "profile.country", "op": "eq", "value": "de"}})),
            &[],
        )
        .await;
    assert_eq!(smart.status, 201, "{}", smart.body);
    let smart_id = smart.json()["id"].as_str().unwrap_or_default().to_owned();
    let evaluated = wait_for(|| async {
        let g = admin
            .call("GET", &format!("/groups/{smart_id}"), None, &[])
            .await
            .json();
        (g["evaluation"]["status"] == "done").then_some(g)
    })
    .await;
    let before = evaluated["memberCount"].as_u64().unwrap_or_default();
    assert!(before > 0);
    let put = admin
        .call(
            "PUT",
            "/users/local-hire",
            Some(json!({"email": "hire@acme.example", "firstName": "Local", "lastName": "Hire", "profile": {"country": "DE"}})),
            &[],
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    wait_for(|| async {
        let g = admin
            .call("GET", &format!("/groups/{smart_id}"), None, &[])
            .await
            .json();
        (g["memberCount"].as_u64() == Some(before + 1)).then_some(())
    })
    .await;
    let deleted = admin.call("DELETE", "/users/local-hire", None, &[]).await;
    assert_eq!(deleted.status, 204);
    wait_for(|| async {
        let g = admin
            .call("GET", &format!("/groups/{smart_id}"), None, &[])
            .await
            .json();
        (g["memberCount"].as_u64() == Some(before)).then_some(())
    })
    .await;
    let removed = admin
        .call("DELETE", &format!("/groups/{smart_id}"), None, &[])
        .await;
    assert_eq!(removed.status, 204);

    // A 10 MB body is refused whole with 413, before any function runs.
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let refused = admin.call_raw("POST", "/groups", &huge).await;
    assert_eq!(refused.status, 413);
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );

    // No token: 401. The spec is served. CORS answers the console's origin.
    let anonymous = send(server.port, "GET", "/groups", &[], None).await;
    assert_eq!(anonymous.status, 401);
    let spec = send(server.port, "GET", "/openapi.json", &[], None)
        .await
        .json();
    assert_eq!(spec["openapi"], "3.1.0");
    let origin = format!("http://127.0.0.1:{}", server.port);
    let preflight = send(
        server.port,
        "OPTIONS",
        "/groups",
        &[
            ("Origin", &origin),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(origin.as_str())
    );
    let foreign = send(
        server.port,
        "OPTIONS",
        "/groups",
        &[("Origin", "https://evil.example")],
        None,
    )
    .await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn the_scenario_on_the_in_memory_store() {
    let server = start(&[]).await;
    scenario(&server).await;
}

#[tokio::test]
async fn the_scenario_on_dynamodb_local() {
    let table = format!("e2e-{}", std::process::id());
    let server = start(&[
        "--dynamodb-endpoint",
        dynamodb_endpoint(),
        "--table",
        &table,
    ])
    .await;
    scenario(&server).await;
}

/// What API Gateway answers before or around a function, answered alike locally: invalid UTF-8
/// bodies, bodies without a Content-Type, CORS preflights, and methods a path does not take.
#[tokio::test]
async fn the_local_server_answers_protocol_edges_like_the_deployment() {
    let server = start(&[]).await;
    let tokens: Value = serde_json::from_str(
        &send(server.port, "GET", "/dev/tokens", &[], None)
            .await
            .body,
    )
    .expect("tokens");
    let auth = format!("Bearer {}", tokens["admin"].as_str().expect("admin token"));
    let before = send(
        server.port,
        "GET",
        "/groups?limit=200",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    let invalid = send_bytes(
        server.port,
        "POST",
        "/groups",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(b"{\"title\": \"Bad \xff\xfe bytes\"}"),
    )
    .await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    let untyped = send(
        server.port,
        "POST",
        "/groups",
        &[("Authorization", &auth)],
        Some(r#"{"title": "No type"}"#),
    )
    .await;
    assert_eq!(untyped.status, 415, "{}", untyped.body);
    let after = send(
        server.port,
        "GET",
        "/groups?limit=200",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(before.body, after.body, "nothing was written");
    let preflight = send(
        server.port,
        "OPTIONS",
        "/users/u01",
        &[
            ("Origin", &format!("http://127.0.0.1:{}", server.port)),
            ("Access-Control-Request-Method", "PUT"),
        ],
        None,
    )
    .await;
    let allowed = preflight
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .to_owned();
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/template.yaml"
    ))
    .expect("template");
    let line = template
        .lines()
        .find(|l| l.trim_start().starts_with("AllowMethods:"))
        .expect("AllowMethods in the template");
    let from_template: Vec<&str> = line
        .split_once('[')
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(m, _)| m.split(',').map(str::trim).collect())
        .expect("a list");
    let local: Vec<&str> = allowed.split(',').map(str::trim).collect();
    assert_eq!(
        local, from_template,
        "the preflight allows what the template allows"
    );
    let wrong = send(
        server.port,
        "PATCH",
        "/groups",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(wrong.status, 405, "{}", wrong.body);
    assert_eq!(wrong.header("allow"), Some("GET, POST, DELETE"));
}
