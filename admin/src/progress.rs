//! Where an import stands: rows done per phase, saved after every batch so that `--resume`
//! continues after the last batch that was written.

use crate::Failure;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The input files' fingerprint: a resume over other files would skip the wrong rows.
    pub fingerprint: String,
    /// Rows done per phase (`unreadable`, then the kinds in import order).
    pub done: BTreeMap<String, usize>,
    pub complete: bool,
}

impl Progress {
    pub fn fresh(fingerprint: &str) -> Self {
        Self {
            fingerprint: fingerprint.to_owned(),
            ..Self::default()
        }
    }

    /// The saved progress, or `None` when there is none yet.
    pub fn load(path: &Path) -> Result<Option<Self>, Failure> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Failure(format!("{} is not a progress file: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Failure(format!("reading {}: {e}", path.display()))),
        }
    }

    /// Writes a temporary file and renames it, so a crash never leaves half a progress file.
    pub fn save(&self, path: &Path) -> Result<(), Failure> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| Failure(e.to_string()))?;
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| Failure(format!("saving progress to {}: {e}", path.display())))
    }

    pub fn done(&self, phase: &str) -> usize {
        self.done.get(phase).copied().unwrap_or(0)
    }
}
