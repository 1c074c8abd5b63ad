//! The per-row report of an import: one JSON line per row with its outcome, and the tally the
//! summary prints.

use crate::rows::Kind;
use groups_domain::Error;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Created,
    Changed,
    Unchanged,
    Refused,
}

/// Why a row was refused: the field at fault (as the API names it) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: Option<String>,
    pub reason: String,
}

impl Refusal {
    pub fn new(field: Option<&str>, reason: impl Into<String>) -> Self {
        Self {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        match e {
            Error::Validation { field, message } => Self {
                field: Some(field),
                reason: message,
            },
            other => Self::new(None, other.to_string()),
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    pub file: String,
    pub line: u64,
    /// `None` for a line whose kind could not be read.
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    pub id: Option<String>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Outcomes counted per kind (`None`: unreadable lines).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally(pub BTreeMap<Option<Kind>, BTreeMap<&'static str, u64>>);

impl Tally {
    pub fn add(&mut self, kind: Option<Kind>, outcome: Outcome) {
        let name = match outcome {
            Outcome::Created => "created",
            Outcome::Changed => "changed",
            Outcome::Unchanged => "unchanged",
            Outcome::Refused => "refused",
        };
        *self.0.entry(kind).or_default().entry(name).or_default() += 1;
    }

    pub fn count(&self, kind: Option<Kind>, outcome: &str) -> u64 {
        self.0
            .get(&kind)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    pub fn refused(&self) -> u64 {
        self.0.values().filter_map(|m| m.get("refused")).sum()
    }

    /// One line per kind: `users: 3 created, 1 refused`.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(kind, counts)| {
                let what = kind.map_or("unreadable lines", |k| match k {
                    Kind::Department => "departments",
                    Kind::Role => "roles",
                    Kind::User => "users",
                    Kind::Group => "groups",
                    Kind::Membership => "memberships",
                });
                let parts: Vec<String> = ["created", "changed", "unchanged", "refused"]
                    .iter()
                    .filter_map(|o| counts.get(o).map(|n| format!("{n} {o}")))
                    .collect();
                format!("{what}: {}", parts.join(", "))
            })
            .collect()
    }
}

/// Writes report lines and keeps the tally.
pub struct Report<W: Write> {
    out: W,
    pub tally: Tally,
}

impl<W: Write> Report<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            tally: Tally::default(),
        }
    }

    pub fn record(&mut self, line: ReportLine) -> std::io::Result<()> {
        self.tally.add(line.kind, line.outcome);
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}
