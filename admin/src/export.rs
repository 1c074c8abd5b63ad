//! Writes an account's directory in the import's formats, every page of it: departments
//! (parents first), custom roles, users, static groups (by id) and their memberships. The
//! output depends only on the table, so export → import → export reproduces it byte for byte.

use crate::Failure;
use crate::rows::{DepartmentRow, GroupRow, Kind, MembershipRow, RoleRow, Row, UserRow};
use groups_domain::ports::{GroupQuery, UserQuery};
use groups_domain::{AccountId, GroupKind, PageRequest, Scope, Store, User, UserStatus};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;

/// Rows per page read: large pages, few calls (the store pages 1 MB reads itself).
const PAGE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

/// The JSON Lines file an export writes.
pub const JSONL_FILE: &str = "directory.jsonl";

/// Rows written per kind, and smart groups left out (their rules are not an import format).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exported {
    pub rows: BTreeMap<Kind, u64>,
    pub smart_groups_skipped: u64,
    pub files: Vec<PathBuf>,
}

enum Sink {
    Jsonl(BufWriter<File>),
    Csv(BTreeMap<Kind, csv::Writer<BufWriter<File>>>),
}

impl Sink {
    fn open(dir: &Path, format: Format, files: &mut Vec<PathBuf>) -> Result<Self, Failure> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure(format!("creating {}: {e}", dir.display())))?;
        let create = |name: &str, files: &mut Vec<PathBuf>| {
            let path = dir.join(name);
            let file = File::create(&path)
                .map_err(|e| Failure(format!("creating {}: {e}", path.display())))?;
            files.push(path);
            Ok::<_, Failure>(BufWriter::new(file))
        };
        Ok(match format {
            Format::Jsonl => Sink::Jsonl(create(JSONL_FILE, files)?),
            Format::Csv => {
                let mut writers = BTreeMap::new();
                for kind in Kind::ORDER {
                    let mut w = csv::Writer::from_writer(create(&kind.csv_file(), files)?);
                    w.write_record(kind.columns()).map_err(csv_failure)?;
                    writers.insert(kind, w);
                }
                Sink::Csv(writers)
            }
        })
    }

    fn write(&mut self, row: &Row) -> Result<(), Failure> {
        match self {
            Sink::Jsonl(out) => {
                let line = row.to_json_line().map_err(|e| Failure(e.to_string()))?;
                writeln!(out, "{line}")?;
            }
            Sink::Csv(writers) => {
                let record = row.to_csv_record().map_err(|e| Failure(e.to_string()))?;
                if let Some(w) = writers.get_mut(&row.kind()) {
                    w.write_record(&record).map_err(csv_failure)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<(), Failure> {
        match self {
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv(writers) => {
                for (_, mut w) in writers {
                    w.flush()?;
                }
            }
        }
        Ok(())
    }
}

fn csv_failure(e: csv::Error) -> Failure {
    Failure(format!("writing CSV: {e}"))
}

/// A stored user as an import row.
pub fn user_row(user: &User) -> Result<UserRow, Failure> {
    let profile = if user.profile.is_empty() {
        None
    } else {
        match serde_json::to_value(&user.profile).map_err(|e| Failure(e.to_string()))? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    Ok(UserRow {
        id: user.id.to_string(),
        email: user.email.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        department_id: user.department_id().map(ToString::to_string),
        role: Some(user.role.as_str().to_owned()),
        status: Some(
            match user.status {
                UserStatus::Active => "active",
                UserStatus::Inactive => "inactive",
            }
            .to_owned(),
        ),
        job_title: Some(user.job_title.clone()).filter(|t| !t.is_empty()),
        managed_department_ids: user
            .managed_department_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        profile,
        created_at: Some(
            user.created_at
                .format(&Rfc3339)
                .map_err(|e| Failure(e.to_string()))?,
        ),
    })
}

pub async fn export<S: Store>(
    store: &S,
    account: &AccountId,
    dir: &Path,
    format: Format,
) -> Result<Exported, Failure> {
    let mut exported = Exported::default();
    let mut sink = Sink::open(dir, format, &mut exported.files)?;
    fn put(sink: &mut Sink, exported: &mut Exported, row: Row) -> Result<(), Failure> {
        *exported.rows.entry(row.kind()).or_default() += 1;
        sink.write(&row)
    }
    // Departments by path: parents before their children.
    let tree = store.departments(account).await?;
    let mut departments = Vec::new();
    for d in tree.departments() {
        let path = tree.path_of(&d.id)?.map(|p| p.key()).unwrap_or_default();
        departments.push((path, d.clone()));
    }
    departments.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, d) in departments {
        let row = Row::Department(DepartmentRow {
            id: d.id.to_string(),
            name: d.name,
            parent_id: d.parent_id.map(|p| p.to_string()),
        });
        put(&mut sink, &mut exported, row)?;
    }
    for role in crate::import::all_roles(store, account).await? {
        let row = Row::Role(RoleRow {
            id: role.id.to_string(),
            name: role.name,
            permissions: role
                .permissions
                .iter()
                .map(|p| p.name().to_owned())
                .collect(),
            scope: match role.scope {
                groups_domain::RoleScope::Account => "account",
                groups_domain::RoleScope::ManagedDepartments => "managedDepartments",
            }
            .to_owned(),
        });
        put(&mut sink, &mut exported, row)?;
    }
    let mut query = UserQuery {
        page: PageRequest::first(PAGE),
        ..UserQuery::default()
    };
    loop {
        let page = store.list_users(account, &Scope::Account, &query).await?;
        for user in &page.items {
            put(&mut sink, &mut exported, Row::User(user_row(user)?))?;
        }
        match page.next_cursor {
            Some(c) => query.page.cursor = Some(c),
            None => break,
        }
    }
    let mut query = GroupQuery {
        page: PageRequest::first(PAGE),
        ..GroupQuery::default()
    };
    let mut groups = Vec::new();
    loop {
        let page = store.list_groups(account, &Scope::Account, &query).await?;
        for g in page.items {
            match g.kind {
                GroupKind::Static => groups.push(g),
                GroupKind::Smart => exported.smart_groups_skipped += 1,
            }
        }
        match page.next_cursor {
            Some(c) => query.page.cursor = Some(c),
            None => break,
        }
    }
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    for g in &groups {
        let row = Row::Group(GroupRow {
            id: g.id.to_string(),
            title: g.title.clone(),
            description: Some(g.description.clone()).filter(|d| !d.is_empty()),
            owner_department_id: g
                .owner_department
                .as_ref()
                .map(|p| p.department_id().to_string()),
        });
        put(&mut sink, &mut exported, row)?;
    }
    for g in &groups {
        let mut page = PageRequest::first(PAGE);
        loop {
            let members = store.list_members(account, &g.id, &page).await?;
            for m in members.items {
                let row = Row::Membership(MembershipRow {
                    group_id: g.id.to_string(),
                    user_id: m.user_id.to_string(),
                });
                put(&mut sink, &mut exported, row)?;
            }
            match members.next_cursor {
                Some(c) => page.cursor = Some(c),
                None => break,
            }
        }
    }
    sink.finish()?;
    Ok(exported)
}
