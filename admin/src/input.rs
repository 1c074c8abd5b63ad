//! Reads import files (JSON Lines, or one CSV file per kind) into rows, each with where it came
//! from. A row that cannot be read becomes a refusal to report; only a file that cannot be read
//! at all (missing, an unknown CSV column) stops the import before anything is written.

use crate::Failure;
use crate::report::Refusal;
use crate::rows::{Kind, Row};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One input row and where it came from.
#[derive(Debug, Clone)]
pub struct SourcedRow {
    pub file: String,
    /// 1-based line (JSON Lines) or record line (CSV).
    pub line: u64,
    pub kind: Option<Kind>,
    /// The id the report names, when one could be read.
    pub id: Option<String>,
    pub row: Result<Row, Refusal>,
}

/// Every row of an import, and a fingerprint of the files so a resume knows they are the same.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub rows: Vec<SourcedRow>,
    pub fingerprint: String,
}

/// The files an argument names: itself, or for a folder its `*.jsonl` files and the CSV files
/// named after a kind (what `export` writes).
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Failure(format!("reading folder {}: {e}", path.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".jsonl") || Kind::ORDER.iter().any(|k| k.csv_file() == name)
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Failure(format!(
            "folder {} holds no .jsonl file and none of departments.csv, roles.csv, users.csv, groups.csv, memberships.csv",
            path.display()
        )));
    }
    Ok(files)
}

/// Reads every file; `kind` names the kind of CSV files whose name does not.
pub fn read_inputs(paths: &[PathBuf], kind: Option<Kind>) -> Result<Input, Failure> {
    let mut input = Input::default();
    let mut hash = Fnv::default();
    for arg in paths {
        for path in expand(arg)? {
            let bytes = std::fs::read(&path)
                .map_err(|e| Failure(format!("reading {}: {e}", path.display())))?;
            hash.write(path.display().to_string().as_bytes());
            hash.write(&bytes);
            let name = path.display().to_string();
            let is_csv = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            if is_csv {
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                let kind = kind.or_else(|| Kind::parse(stem)).ok_or_else(|| {
                    Failure(format!(
                        "{name}: cannot tell what it holds; name it departments.csv, roles.csv, users.csv, groups.csv or memberships.csv, or pass --kind"
                    ))
                })?;
                read_csv(&name, &bytes, kind, &mut input.rows)?;
            } else {
                read_jsonl(&name, &bytes, &mut input.rows);
            }
        }
    }
    input.fingerprint = format!("{:016x}", hash.0);
    Ok(input)
}

fn read_jsonl(file: &str, bytes: &[u8], rows: &mut Vec<SourcedRow>) {
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let text = String::from_utf8_lossy(line);
        if text.trim().is_empty() {
            continue;
        }
        rows.push(json_row(file, i as u64 + 1, &text));
    }
}

fn json_row(file: &str, line: u64, text: &str) -> SourcedRow {
    let mut out = SourcedRow {
        file: file.to_owned(),
        line,
        kind: None,
        id: None,
        row: Err(Refusal::new(None, "")),
    };
    let mut object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            out.row = Err(Refusal::new(None, "a line must be a JSON object"));
            return out;
        }
        Err(e) => {
            out.row = Err(Refusal::new(None, format!("not valid JSON: {e}")));
            return out;
        }
    };
    out.id = id_of(&object);
    let kind = match object.remove("type") {
        Some(Value::String(t)) => Kind::parse(&t).filter(|k| k.name() == t),
        _ => None,
    };
    let Some(kind) = kind else {
        out.row = Err(Refusal::new(
            Some("type"),
            "must be one of \"department\", \"role\", \"user\", \"group\", \"membership\"",
        ));
        return out;
    };
    out.kind = Some(kind);
    out.row =
        Row::from_value(kind, Value::Object(object)).map_err(|e| Refusal::new(None, e.to_string()));
    out
}

/// The id a report names for a row it could not read in full.
fn id_of(object: &serde_json::Map<String, Value>) -> Option<String> {
    let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_owned);
    text("id").or_else(|| Some(format!("{}/{}", text("groupId")?, text("userId")?)))
}

fn read_csv(
    file: &str,
    bytes: &[u8],
    kind: Kind,
    rows: &mut Vec<SourcedRow>,
) -> Result<(), Failure> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Failure(format!("{file}: reading the header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    if let Some(unknown) = headers
        .iter()
        .find(|h| !kind.columns().contains(&h.as_str()))
    {
        return Err(Failure(format!(
            "{file}: unknown column {unknown:?} for {}s (columns: {})",
            kind.name(),
            kind.columns().join(", ")
        )));
    }
    for record in reader.records() {
        let mut out = SourcedRow {
            file: file.to_owned(),
            line: 0,
            kind: Some(kind),
            id: None,
            row: Err(Refusal::new(None, "")),
        };
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.line = e.position().map_or(0, |p| p.line());
                out.row = Err(Refusal::new(None, format!("unreadable CSV record: {e}")));
                rows.push(out);
                continue;
            }
        };
        out.line = record.position().map_or(0, |p| p.line());
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let object = crate::rows::csv_object(&headers, &cells);
        if let Ok(Value::Object(o)) = &object {
            out.id = id_of(o);
        }
        out.row = match object {
            _ if cells.len() != headers.len() => Err(Refusal::new(
                None,
                format!(
                    "has {} fields; the header has {}",
                    cells.len(),
                    headers.len()
                ),
            )),
            Ok(o) => Row::from_value(kind, o).map_err(|e| Refusal::new(None, e.to_string())),
            Err((column, message)) => Err(Refusal::new(Some(&column), message)),
        };
        rows.push(out);
    }
    Ok(())
}

/// FNV-1a: enough to tell whether a resume reads the same files (no security role).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
