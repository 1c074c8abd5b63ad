//! Helpers shared by the test files: temporary folders, running an import on a store, and
//! reading its report back.
#![allow(dead_code)]

use groups_admin::UserBatches;
use groups_admin::bootstrap::{BootstrapRequest, bootstrap};
use groups_admin::import::{ImportOptions, Summary, import};
use groups_admin::input::read_inputs;
use groups_admin::report::Report;
use groups_domain::{AccountId, Store};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A fresh folder under the system's temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "groups-admin-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path
}

pub fn account() -> AccountId {
    AccountId::parse("account", "acme").expect("account id")
}

pub fn owner_request() -> BootstrapRequest {
    BootstrapRequest {
        root_id: "acme".into(),
        root_name: "Acme Corp".into(),
        owner_subject: "auth0_owner-1".into(),
        owner_email: "olga@acme.io".into(),
        owner_first_name: "Olga".into(),
        owner_last_name: "Owner".into(),
    }
}

pub async fn bootstrapped<S: Store>(store: &S) {
    bootstrap(
        store,
        &account(),
        &owner_request(),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("bootstrap");
}

/// What one import run answered, with its report's lines.
pub struct Run {
    pub summary: Summary,
    pub lines: Vec<Value>,
}

impl Run {
    /// The report line of `file`'s line `line`.
    pub fn at(&self, file: &Path, line: u64) -> &Value {
        let name = file.display().to_string();
        self.lines
            .iter()
            .find(|l| l["file"] == name.as_str() && l["line"] == line)
            .unwrap_or_else(|| panic!("no report line for {name}:{line} in {:#?}", self.lines))
    }
}

/// Imports `files` into `store`, the progress file in `dir`.
pub async fn run_import<S: Store + UserBatches>(
    store: &S,
    dir: &Path,
    files: &[PathBuf],
    configure: impl FnOnce(&mut ImportOptions),
) -> Run {
    let input = read_inputs(files, None).expect("inputs");
    let mut options = ImportOptions::new(dir.join("import.progress"));
    options.user_batch = 50;
    configure(&mut options);
    let mut report = Report::new(Vec::new());
    let summary = import(
        store,
        &account(),
        &input,
        &options,
        &mut report,
        &mut |_| {},
    )
    .await
    .expect("import");
    let text = String::from_utf8(report.into_inner()).expect("utf-8");
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("report line"))
        .collect();
    Run { summary, lines }
}

/// Every file of a folder, name → bytes.
pub fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("read"))
        })
        .collect();
    out.sort();
    out
}
