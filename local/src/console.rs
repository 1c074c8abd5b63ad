//! The admin console: the static files under `console/`, compiled into the binary (see
//! `build.rs`) so groups-local stays one file. `/` is `index.html`; every other file is at
//! `/console/<name>`. `--console-dir DIR` serves them from disk instead, for editing without a
//! rebuild.

use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use std::path::PathBuf;

/// (file name, contents) of every file in `console/`.
const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/console_files.rs"));

/// Where the console's files come from.
#[derive(Clone, Debug, Default)]
pub enum Source {
    #[default]
    Embedded,
    Directory(PathBuf),
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    }
}

/// The file a console path names: `/` → `index.html`, `/console/<name>` → `<name>`. Names
/// are plain file names, so no path can leave the console's directory.
fn file_name(path: &str) -> Option<&str> {
    if path == "/" {
        return Some("index.html");
    }
    let name = path.strip_prefix("/console/")?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plain.then_some(name)
}

/// The console's response for a GET of `path`, or `None` when the path is not the console's.
pub fn serve(source: &Source, path: &str) -> Option<Response> {
    let name = file_name(path)?;
    let body = match source {
        Source::Embedded => FILES.iter().find(|(n, _)| *n == name)?.1.to_owned(),
        Source::Directory(dir) => match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                let message = format!("reading {name}: {e}");
                return Some((StatusCode::INTERNAL_SERVER_ERROR, message).into_response());
            }
        },
    };
    let headers = [
        (header::CONTENT_TYPE, content_type(name)),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    Some((headers, body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_console_file_is_compiled_in_and_paths_stay_inside() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../console");
        let on_disk = std::fs::read_dir(&dir).expect("console/").count();
        assert_eq!(FILES.len(), on_disk);
        assert!(FILES.iter().any(|(n, _)| *n == "index.html"));
        for (name, text) in FILES {
            let from_disk = std::fs::read_to_string(dir.join(name)).expect("read");
            assert_eq!(&from_disk, text, "{name} is compiled in as it is on disk");
        }
        assert_eq!(file_name("/"), Some("index.html"));
        assert_eq!(file_name("/console/app.js"), Some("app.js"));
        for bad in [
            "/console/",
            "/console/../Cargo.toml",
            "/console/a/b.js",
            "/console/.env",
            "/groups",
        ] {
            assert_eq!(file_name(bad), None, "{bad}");
        }
        assert!(serve(&Source::Embedded, "/console/missing.js").is_none());
    }
}
