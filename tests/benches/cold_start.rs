//! Cold start of every Lambda function: the `bootstrap` inside each zip that `scripts/package`
//! built, started against a minimal Lambda Runtime API stub. Reports the time from exec to the
//! function's first `GET /runtime/invocation/next` (its init, as Lambda bills it) and the zip
//! size. `scripts/bench-cold-start` packages the zips and runs this.

use serde_json::json;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const RUNS: usize = 21;

/// Starts `bootstrap` once and answers how long it took to ask for its first event.
fn cold_start(bootstrap: &Path, name: &str) -> Result<Duration, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // The stub: read request lines until the function asks for an event. The connection
        // is left open, as the real API holds it until an event comes.
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let mut reader = BufReader::new(stream);
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let at = Instant::now();
            let _ = tx.send((line, at));
            held.push(reader);
        }
    });
    let keys = json!([{"kid": authorizer::dev::ES256_KID, "alg": "ES256", "pem": authorizer::dev::ES256_PUBLIC}]);
    let started = Instant::now();
    let mut child = Command::new(bootstrap)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_SESSION_TOKEN", "bench")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("TABLE_NAME", "groups")
        .env("EVENT_BUS_NAME", "groups")
        .env("JWT_ISSUER", authorizer::dev::ISSUER)
        .env("JWT_AUDIENCE", authorizer::dev::AUDIENCE)
        .env("JWT_KEYS", keys.to_string())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", bootstrap.display()))?;
    let outcome = match rx.recv_timeout(Duration::from_secs(10)) {
        Ok((line, at)) if line.contains("/runtime/invocation/next") => Ok(at - started),
        // Anything else first (an init error report) means the function failed to start.
        Ok((line, _)) => Err(format!("{name} called {} first", line.trim())),
        Err(_) => Err(format!("{name} did not ask for an event within 10 s")),
    };
    let _ = child.kill();
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    outcome.map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
}

fn extract(zip: &Path, into: &Path) -> PathBuf {
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(zip)
        .arg(into)
        .status()
        .expect("python3 extracts zips");
    assert!(status.success(), "extracting {}", zip.display());
    let bootstrap = into.join("bootstrap");
    let mut permissions = std::fs::metadata(&bootstrap)
        .expect("bootstrap in the zip")
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&bootstrap, permissions).expect("make bootstrap executable");
    bootstrap
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lambdas = root.join("target/lambda");
    let mut names: Vec<String> = std::fs::read_dir(root.join("functions"))
        .expect("functions/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let scratch = std::env::temp_dir().join(format!("cold-start-{}", std::process::id()));
    println!("| function | zip | init, median | init, p90 | init, min |");
    println!("|---|---|---|---|---|");
    let mut missing = Vec::new();
    for name in &names {
        let zip = lambdas.join(name).join("bootstrap.zip");
        let Ok(meta) = std::fs::metadata(&zip) else {
            missing.push(name.clone());
            continue;
        };
        let bootstrap = extract(&zip, &scratch.join(name));
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| cold_start(&bootstrap, name).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {name} | {:.2} MB | {:.1} ms | {:.1} ms | {:.1} ms |",
            meta.len() as f64 / 1_000_000.0,
            ms(times[RUNS / 2]),
            ms(times[RUNS * 9 / 10]),
            ms(times[0]),
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        missing.is_empty(),
        "no zip for {missing:?}: run scripts/package first (scripts/bench-cold-start does)"
    );
}
