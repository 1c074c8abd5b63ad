//! The admin console: static files under `console/`, compiled into the binary so groups-local
//! stays one file. `--console-dir DIR` serves them from disk instead, for editing without a
//! rebuild.

use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use std::path::{Path, PathBuf};

/// (URL path, file name, content type). `/` is the console's only page; the rest are assets.
const FILES: &[(&str, &str, &str, &str)] = &[
    (
        "/",
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../console/index.html"),
    ),
    (
        "/console/app.css",
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../console/app.css"),
    ),
    (
        "/console/app.js",
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/app.js"),
    ),
];

/// Where the console's files come from.
#[derive(Clone, Debug, Default)]
pub enum Source {
    #[default]
    Embedded,
    Directory(PathBuf),
}

/// The console's response for a GET of `path`, or `None` when the path is not the console's.
pub fn serve(source: &Source, path: &str) -> Option<Response> {
    let &(_, file, content_type, embedded) = FILES.iter().find(|(url, ..)| *url == path)?;
    let body = match source {
        Source::Embedded => embedded.to_owned(),
        Source::Directory(dir) => match read(dir, file) {
            Ok(text) => text,
            Err(error) => {
                return Some(
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("reading {file}: {error}"),
                    )
                        .into_response(),
                );
            }
        },
    };
    Some(
        (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
    )
}

fn read(dir: &Path, file: &str) -> std::io::Result<String> {
    std::fs::read_to_string(dir.join(file))
}
