//! `groups-local [--port N] [--dynamodb-endpoint URL --table NAME] [--allow-origin ORIGIN]...
//! [--console-dir DIR]`
//!
//! Serves the whole API on 127.0.0.1. The store is in memory unless `--dynamodb-endpoint`
//! points at DynamoDB Local (with its static local credentials); the table is created when
//! missing.

use groups_domain::Store;
use groups_domain::ports::Change;
use groups_local::stream::Feed;
use groups_local::{demo_tokens, seed, server};
use groups_store::dynamo::{create_table, local_client};
use groups_store::{DynamoStore, MemoryStore};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

struct Args {
    port: u16,
    refresh_every: u64,
    dynamodb_endpoint: Option<String>,
    table: String,
    allowed_origins: Vec<String>,
    console_dir: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8080,
        refresh_every: 300,
        dynamodb_endpoint: None,
        table: "groups-local".into(),
        allowed_origins: Vec::new(),
        console_dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => {
                args.port = value()?
                    .parse()
                    .map_err(|_| "--port takes a number".to_owned())?
            }
            "--dynamodb-endpoint" => args.dynamodb_endpoint = Some(value()?),
            "--table" => args.table = value()?,
            "--allow-origin" => args.allowed_origins.push(value()?),
            "--console-dir" => args.console_dir = Some(value()?.into()),
            "--refresh-every" => {
                args.refresh_every = value()?
                    .parse()
                    .map_err(|_| "--refresh-every takes seconds".to_owned())?
            }
            other => return Err(format!("unknown argument {other}; see the README")),
        }
    }
    if args.allowed_origins.is_empty() {
        args.allowed_origins = vec![
            format!("http://127.0.0.1:{}", args.port),
            format!("http://localhost:{}", args.port),
        ];
    }
    Ok(args)
}

async fn serve<S: Store + 'static>(
    store: S,
    changes: mpsc::Receiver<Feed>,
    args: &Args,
) -> Result<(), String> {
    seed::seed(&store)
        .await
        .map_err(|e| format!("seeding the demo account: {e}"))?;
    let tokens = demo_tokens(12 * 3600)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| format!("binding 127.0.0.1:{}: {e}", args.port))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("groups-local listening on http://{address}");
    println!("demo tokens (also at GET /dev/tokens):");
    for (role, token) in &tokens {
        println!("  {role}: {}", token.as_str().unwrap_or_default());
    }
    let mut app = server::App::new(
        store,
        authorizer::dev::config()?,
        tokens,
        args.allowed_origins.clone(),
    );
    if let Some(dir) = &args.console_dir {
        app.console = groups_local::console::Source::Directory(dir.clone());
    }
    let app = Arc::new(app);
    let guard = evaluate_smart_group::guard_from_env();
    server::spawn_stream(app.clone(), changes, guard);
    server::spawn_schedule(
        app.clone(),
        Duration::from_secs(args.refresh_every.max(1)),
        guard,
    );
    axum::serve(listener, server::router(app))
        .await
        .map_err(|e| e.to_string())
}

/// The in-memory store's change feed, as the stream emulation's channel. Neither drops a
/// change: the feed is unbounded and the channel waits.
fn forward(mut feed: tokio::sync::mpsc::UnboundedReceiver<Change>) -> mpsc::Receiver<Feed> {
    let (tx, rx) = mpsc::channel(4096);
    tokio::spawn(async move {
        while let Some(change) = feed.recv().await {
            if tx.send(Feed::Change(change)).await.is_err() {
                return;
            }
        }
    });
    rx
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match parse_args() {
        Err(e) => Err(e),
        Ok(args) => match args.dynamodb_endpoint.clone() {
            None => {
                let store = MemoryStore::new();
                let changes = forward(store.subscribe());
                serve(store, changes, &args).await
            }
            Some(endpoint) => {
                let client = local_client(&endpoint, None);
                let exists = client
                    .describe_table()
                    .table_name(&args.table)
                    .send()
                    .await
                    .is_ok();
                if !exists && let Err(e) = create_table(&client, &args.table).await {
                    eprintln!("creating table {}: {e}", args.table);
                    std::process::exit(1);
                }
                let changes = groups_local::stream::poll(
                    client.clone(),
                    endpoint.clone(),
                    args.table.clone(),
                );
                serve(DynamoStore::new(client, args.table.clone()), changes, &args).await
            }
        },
    };
    if let Err(e) = result {
        eprintln!("groups-local: {e}");
        std::process::exit(1);
    }
}
