//! Shell binary: replaced by `lambda_http::run` / `lambda_runtime::run` with the handler.

fn main() {
    eprintln!("list-groups: not deployed yet; see the HTTP API issue");
    std::process::exit(2);
}
