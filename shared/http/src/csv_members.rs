//! Members as CSV (RFC 4180, UTF-8, a header row): the import file's rows, and the export.

use crate::HttpError;
use groups_domain::service::MemberView;
use groups_domain::service_csv::{ImportRow, RowKey};
use groups_domain::{Error, MembershipSource};
use lambda_http::Request;

pub const TEXT_CSV: &str = "text/csv";

/// The largest CSV file an import takes (a Lambda request carries 6 MB): enough for an
/// import job's 50,000 rows of emails.
pub const MAX_CSV_BYTES: usize = 4 * 1024 * 1024;

/// The media type of a header, lower-cased, without parameters.
fn essence(req: &Request, name: http::header::HeaderName) -> Vec<String> {
    req.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect()
}

/// Whether the request body is declared CSV.
pub fn sends_csv(req: &Request) -> bool {
    essence(req, http::header::CONTENT_TYPE)
        .first()
        .is_some_and(|t| t == TEXT_CSV)
}

/// Whether the caller asks for CSV (`Accept: text/csv`).
pub fn accepts_csv(req: &Request) -> bool {
    essence(req, http::header::ACCEPT)
        .iter()
        .any(|t| t == TEXT_CSV)
}

/// The rows of an import file: its header names a `userId` (or `id`) or an `email` column
/// (any case; a `userId` column wins); blank lines are skipped.
pub fn import_rows(req: &Request) -> Result<Vec<ImportRow>, HttpError> {
    let raw: &[u8] = req.body().as_ref();
    if raw.len() > MAX_CSV_BYTES {
        return Err(HttpError::PayloadTooLarge {
            limit: MAX_CSV_BYTES,
        });
    }
    let text = std::str::from_utf8(raw).map_err(|_| HttpError::BodyNotText)?;
    parse_rows(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// [`import_rows`] of a file's text.
pub fn parse_rows(text: &str) -> Result<Vec<ImportRow>, HttpError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let invalid =
        |e: csv::Error| HttpError::from(Error::validation("body", format!("not CSV: {e}")));
    let header = reader.headers().map_err(invalid)?.clone();
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (column, by_email) = match (find(&["userId", "user_id", "id"]), find(&["email"])) {
        (Some(c), _) => (c, false),
        (None, Some(c)) => (c, true),
        (None, None) => {
            return Err(Error::validation(
                "body",
                "the first row names the columns, one of them userId or email",
            )
            .into());
        }
    };
    let mut rows = Vec::new();
    // Lines counted so far, up to which byte: each record counts only the bytes since the last.
    let (mut counted_to, mut lines) = (0usize, 1usize);
    for record in reader.records() {
        let record = record.map_err(invalid)?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        // The line the record starts on, counted in the file itself (blank lines included):
        // the reader's position is where it stopped, before the previous line's terminator.
        let bytes = text.as_bytes();
        let mut start = record
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= counted_to {
            lines += bytes[counted_to..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            counted_to = start;
        }
        let line = lines;
        let cell = record.get(column).unwrap_or("").to_owned();
        rows.push(ImportRow {
            line,
            key: if by_email {
                RowKey::Email(cell)
            } else {
                RowKey::Id(cell)
            },
        });
    }
    Ok(rows)
}

/// A cell a spreadsheet would read as a formula is prefixed with `'` (CSV injection).
fn cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

/// The export: one row per member; personal columns only where the JSON listing shows them.
pub fn members_csv(members: &[MemberView]) -> Result<String, HttpError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| HttpError::from(Error::Internal(e.to_string()));
    writer
        .write_record([
            "userId",
            "email",
            "firstName",
            "lastName",
            "departmentId",
            "jobTitle",
            "source",
            "addedAt",
            "addedBy",
            "outOfScope",
        ])
        .map_err(internal)?;
    for m in members {
        let u = m.user.as_ref();
        let department = u
            .and_then(|u| u.department.as_ref())
            .map(|p| p.department_id().to_string())
            .unwrap_or_default();
        let added_at = m
            .membership
            .added_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let source = match m.membership.source {
            MembershipSource::Manual => "manual",
            MembershipSource::Rule => "rule",
            MembershipSource::Override => "override",
        };
        writer
            .write_record([
                cell(m.membership.user_id.as_str()),
                cell(u.map_or("", |u| u.email.as_str())),
                cell(u.map_or("", |u| u.first_name.as_str())),
                cell(u.map_or("", |u| u.last_name.as_str())),
                cell(&department),
                cell(u.map_or("", |u| u.job_title.as_str())),
                source.to_owned(),
                added_at,
                cell(m.membership.added_by.as_ref().map_or("", |b| b.as_str())),
                m.out_of_scope.to_string(),
            ])
            .map_err(internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| internal(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_their_line_in_the_file() {
        let text = "email,note\r\na@x.io,1\r\n\r\n\"b@x.io\",\"two\nlines\"\r\nc@x.io,3\r\n";
        let rows = parse_rows(text).expect("rows");
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4, 6]);
        assert_eq!(rows[1].key, RowKey::Email("b@x.io".into()));
    }
}
