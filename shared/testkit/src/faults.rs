//! A fault-injecting HTTP proxy in front of DynamoDB Local: a share of requests fail the way
//! DynamoDB and networks fail (throttling, a 500, a reset connection, a response lost after
//! the write was done), the rest pass through. Deterministic for a seed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
pub struct FaultCounts {
    pub passed: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub resets: AtomicU64,
    pub lost_responses: AtomicU64,
}

impl FaultCounts {
    pub fn injected(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
            + self.server_errors.load(Ordering::Relaxed)
            + self.resets.load(Ordering::Relaxed)
            + self.lost_responses.load(Ordering::Relaxed)
    }
}

pub struct FaultyProxy {
    pub endpoint: String,
    pub counts: Arc<FaultCounts>,
}

/// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) failing `percent` % of requests.
pub async fn start(upstream: &str, percent: u64, seed: u64) -> FaultyProxy {
    start_with(upstream, percent, seed, u64::MAX).await
}

/// A proxy that passes the first `pass_first` requests and then fails every one with a 500,
/// as if the caller's process died there: a crash at a chosen point, for resumable work.
pub async fn start_cutoff(upstream: &str, pass_first: u64) -> FaultyProxy {
    start_with(upstream, 0, 1, pass_first).await
}

async fn start_with(upstream: &str, percent: u64, seed: u64, pass_first: u64) -> FaultyProxy {
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let port = listener.local_addr().expect("address").port();
    let counts = Arc::new(FaultCounts::default());
    let state = Arc::new((AtomicU64::new(seed | 1), counts.clone(), upstream, percent));
    let seen = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (state, seen) = (state.clone(), seen.clone());
            tokio::spawn(async move {
                let (rng, counts, upstream, percent) = &*state;
                let plan = Plan {
                    percent: *percent,
                    pass_first,
                    seen: &seen,
                };
                let _ = serve(client, upstream, plan, rng, counts).await;
            });
        }
    });
    FaultyProxy {
        endpoint: format!("http://127.0.0.1:{port}"),
        counts,
    }
}

fn next(rng: &AtomicU64) -> u64 {
    // xorshift on a shared state: order varies with scheduling, the mix of faults does not.
    let mut x = rng.load(Ordering::Relaxed);
    loop {
        let mut y = x;
        y ^= y << 13;
        y ^= y >> 7;
        y ^= y << 17;
        match rng.compare_exchange(x, y, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return y,
            Err(current) => x = current,
        }
    }
}

/// Reads one HTTP/1.1 message (head, and a Content-Length body).
async fn read_message(stream: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(buf))
}

fn error_response(status: &str, kind: &str) -> Vec<u8> {
    let body = format!(
        "{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{kind}\",\"message\":\"injected\"}}"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-ErrorType: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Which requests fail: a share of them, and every one after the first `pass_first`.
struct Plan<'a> {
    percent: u64,
    pass_first: u64,
    seen: &'a AtomicU64,
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    plan: Plan<'_>,
    rng: &AtomicU64,
    counts: &FaultCounts,
) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    while let Some(request) = read_message(&mut client).await? {
        if plan.seen.fetch_add(1, Ordering::SeqCst) >= plan.pass_first {
            counts.server_errors.fetch_add(1, Ordering::Relaxed);
            client
                .write_all(&error_response(
                    "500 Internal Server Error",
                    "InternalServerError",
                ))
                .await?;
            continue;
        }
        let roll = next(rng) % 100;
        if roll < plan.percent {
            match next(rng) % 4 {
                0 => {
                    counts.throttled.fetch_add(1, Ordering::Relaxed);
                    client
                        .write_all(&error_response("400 Bad Request", "ThrottlingException"))
                        .await?;
                    continue;
                }
                1 => {
                    counts.server_errors.fetch_add(1, Ordering::Relaxed);
                    client
                        .write_all(&error_response(
                            "500 Internal Server Error",
                            "InternalServerError",
                        ))
                        .await?;
                    continue;
                }
                2 => {
                    counts.resets.fetch_add(1, Ordering::Relaxed);
                    return Ok(()); // dropped: the client sees the connection close
                }
                _ => {
                    // The write happens, its answer is lost.
                    counts.lost_responses.fetch_add(1, Ordering::Relaxed);
                    server.write_all(&request).await?;
                    let _ = read_message(&mut server).await?;
                    return Ok(());
                }
            }
        }
        counts.passed.fetch_add(1, Ordering::Relaxed);
        server.write_all(&request).await?;
        match read_message(&mut server).await? {
            Some(response) => client.write_all(&response).await?,
            None => return Ok(()),
        }
    }
    Ok(())
}
