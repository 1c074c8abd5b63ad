//! Departments form a tree per account. A department's *path* (its ancestors from the root down
//! to itself) is stored on users and groups so that "this and nested" is one prefix comparison.

use crate::error::{Error, Result};
use crate::ids::DepartmentId;
use crate::text::{MAX_NAME_CHARS, clean_line};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Deepest nesting accepted; deeper trees are almost certainly a data error.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    pub parent_id: Option<DepartmentId>,
    /// Bumped by every write, so that writes decided on one reading cannot overtake each other.
    #[serde(default)]
    pub revision: u64,
    /// The last move of this department (its subtree's stored paths being rewritten).
    #[serde(rename = "move", default, skip_serializing_if = "Option::is_none")]
    pub move_job: Option<DepartmentMove>,
}

impl Department {
    pub fn new(id: DepartmentId, name: &str, parent_id: Option<DepartmentId>) -> Result<Self> {
        if parent_id.as_ref() == Some(&id) {
            return Err(Error::validation(
                "parentId",
                "a department cannot be its own parent",
            ));
        }
        Ok(Self {
            id,
            name: clean_line("name", name, MAX_NAME_CHARS)?,
            parent_id,
            revision: 0,
            move_job: None,
        })
    }

    /// Is a move of this department still rewriting stored paths?
    pub fn is_moving(&self) -> bool {
        self.move_job
            .as_ref()
            .is_some_and(|m| m.status == MoveStatus::Running)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MoveStatus {
    Running,
    Done,
}

/// Where a move is: the users of the old path, then the groups, then the evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MovePhase {
    Users,
    Groups,
    Evaluations,
    Finished,
}

/// A department move's progress, stored on the department item so that it is read with the
/// tree and every slice of work is one conditioned write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepartmentMove {
    pub status: MoveStatus,
    pub phase: MovePhase,
    pub from_path: DepartmentPath,
    pub to_path: DepartmentPath,
    /// Bumped when a slice of work ends unfinished: the stream record of that write starts
    /// the next slice (a crash retries the same slice from the stored progress).
    pub slice: u32,
    pub users_moved: u64,
    pub groups_moved: u64,
    pub groups_reevaluated: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: time::OffsetDateTime,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub finished_at: Option<time::OffsetDateTime>,
}

/// Does a write of a department (`before` → `after`) start a slice of move work? Shared by
/// both stores' change feeds so that each slice runs once per write that asks for it.
pub fn move_slice_started(before: Option<&Department>, after: Option<&Department>) -> bool {
    let running = |d: Option<&Department>| {
        d.and_then(|d| d.move_job.as_ref())
            .filter(|m| m.status == MoveStatus::Running)
            .map(|m| (m.from_path.clone(), m.slice))
    };
    match (running(before), running(after)) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(b), Some(a)) => a != b,
    }
}

/// Ancestors from the root down to (and including) one department.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DepartmentPath(Vec<DepartmentId>);

impl DepartmentPath {
    pub fn new(ids: Vec<DepartmentId>) -> Result<Self> {
        if ids.is_empty() || ids.len() > MAX_DEPTH {
            return Err(Error::validation(
                "departmentPath",
                format!("must hold 1..={MAX_DEPTH} departments"),
            ));
        }
        Ok(Self(ids))
    }

    /// The department this path leads to.
    pub fn department_id(&self) -> &DepartmentId {
        // `new` guarantees at least one element.
        &self.0[self.0.len() - 1]
    }

    pub fn ids(&self) -> &[DepartmentId] {
        &self.0
    }

    /// `/root/child/leaf/`: a prefix of every descendant's key, used as a storage sort key.
    pub fn key(&self) -> String {
        let mut key = String::from("/");
        for id in &self.0 {
            key.push_str(id.as_str());
            key.push('/');
        }
        key
    }

    /// Parses a [`key`](Self::key) back.
    pub fn from_key(key: &str) -> Result<Self> {
        let inner = key
            .strip_prefix('/')
            .and_then(|k| k.strip_suffix('/'))
            .ok_or_else(|| Error::Internal(format!("malformed department path {key:?}")))?;
        let ids = inner
            .split('/')
            .map(|id| DepartmentId::parse("departmentPath", id))
            .collect::<Result<Vec<_>>>()?;
        Self::new(ids)
    }

    /// True when `self` is `ancestor` or lies under it ("this and nested").
    pub fn is_within(&self, ancestor: &DepartmentId) -> bool {
        self.0.contains(ancestor)
    }
}

/// All departments of an account, indexed for path and subtree look-ups.
#[derive(Debug, Clone, Default)]
pub struct DepartmentTree {
    by_id: HashMap<DepartmentId, Department>,
    children: HashMap<DepartmentId, Vec<DepartmentId>>,
}

impl DepartmentTree {
    pub fn new(departments: Vec<Department>) -> Self {
        let mut children: HashMap<DepartmentId, Vec<DepartmentId>> = HashMap::new();
        for d in &departments {
            if let Some(parent) = &d.parent_id {
                children
                    .entry(parent.clone())
                    .or_default()
                    .push(d.id.clone());
            }
        }
        for list in children.values_mut() {
            list.sort();
        }
        let by_id = departments.into_iter().map(|d| (d.id.clone(), d)).collect();
        Self { by_id, children }
    }

    pub fn get(&self, id: &DepartmentId) -> Option<&Department> {
        self.by_id.get(id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn departments(&self) -> impl Iterator<Item = &Department> {
        self.by_id.values()
    }

    /// The path from the root to `id`; `None` when `id` is unknown. A broken tree (a cycle,
    /// a missing parent or excessive depth) is an error rather than a wrong answer.
    pub fn path_of(&self, id: &DepartmentId) -> Result<Option<DepartmentPath>> {
        let Some(mut current) = self.by_id.get(id) else {
            return Ok(None);
        };
        let mut ids = vec![current.id.clone()];
        while let Some(parent) = &current.parent_id {
            if ids.len() >= MAX_DEPTH || ids.contains(parent) {
                return Err(Error::Conflict(format!(
                    "department tree is broken above {id}: a cycle or more than {MAX_DEPTH} levels"
                )));
            }
            current = self.by_id.get(parent).ok_or_else(|| {
                Error::Conflict(format!(
                    "department {} has unknown parent {parent}",
                    current.id
                ))
            })?;
            ids.push(current.id.clone());
        }
        ids.reverse();
        DepartmentPath::new(ids).map(Some)
    }

    /// `id` and every department below it ("this and nested"), `id` first.
    pub fn subtree(&self, id: &DepartmentId) -> Vec<DepartmentId> {
        let mut out = Vec::new();
        if !self.by_id.contains_key(id) {
            return out;
        }
        let mut seen = HashSet::new();
        let mut stack = vec![id.clone()];
        while let Some(next) = stack.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            if let Some(kids) = self.children.get(&next) {
                stack.extend(kids.iter().rev().cloned());
            }
            out.push(next);
        }
        out
    }

    /// Is any department of the account being moved?
    pub fn moving(&self) -> Option<&Department> {
        self.by_id.values().find(|d| d.is_moving())
    }

    /// The direct children of `id`.
    pub fn children(&self, id: &DepartmentId) -> &[DepartmentId] {
        self.children.get(id).map(Vec::as_slice).unwrap_or_default()
    }

    /// Checks that saving `department` keeps the tree a tree, and answers its path. A new
    /// parent must not lie in the department's own subtree.
    pub fn check_put(&self, department: &Department) -> Result<DepartmentPath> {
        if self.by_id.contains_key(&department.id)
            && let Some(parent) = &department.parent_id
            && self.subtree(&department.id).contains(parent)
        {
            return Err(Error::validation(
                "parentId",
                format!(
                    "department {} cannot move under itself or its own subtree",
                    department.id
                ),
            ));
        }
        let parent_path = match &department.parent_id {
            None => Vec::new(),
            Some(parent) => self
                .path_of(parent)?
                .ok_or_else(|| {
                    Error::validation("parentId", format!("unknown department {parent}"))
                })?
                .ids()
                .to_vec(),
        };
        let mut ids = parent_path;
        ids.push(department.id.clone());
        DepartmentPath::new(ids).map_err(|_| {
            Error::validation(
                "parentId",
                format!("departments nest at most {MAX_DEPTH} deep"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DepartmentId {
        DepartmentId::parse("id", s).expect("valid id")
    }

    fn dep(i: &str, parent: Option<&str>) -> Department {
        Department::new(id(i), i, parent.map(id)).expect("valid department")
    }

    fn tree() -> DepartmentTree {
        DepartmentTree::new(vec![
            dep("root", None),
            dep("sales", Some("root")),
            dep("emea", Some("sales")),
            dep("apac", Some("sales")),
            dep("hr", Some("root")),
        ])
    }

    #[test]
    fn paths_run_from_the_root() {
        let path = tree().path_of(&id("emea")).ok().flatten().expect("path");
        assert_eq!(path.key(), "/root/sales/emea/");
        assert_eq!(
            DepartmentPath::from_key(&path.key()).ok(),
            Some(path.clone())
        );
        assert!(path.is_within(&id("sales")));
        assert!(!path.is_within(&id("hr")));
        assert_eq!(path.department_id(), &id("emea"));
    }

    #[test]
    fn subtree_is_this_and_nested() {
        let t = tree();
        assert_eq!(
            t.subtree(&id("sales")),
            vec![id("sales"), id("apac"), id("emea")]
        );
        assert_eq!(t.subtree(&id("hr")), vec![id("hr")]);
        assert!(t.subtree(&id("nope")).is_empty());
    }

    #[test]
    fn cycles_are_errors_not_loops() {
        let t = DepartmentTree::new(vec![dep("a", Some("b")), dep("b", Some("a"))]);
        assert!(t.path_of(&id("a")).is_err());
    }

    #[test]
    fn puts_keep_it_a_tree() {
        let t = tree();
        assert_eq!(
            t.check_put(&dep("nordics", Some("emea")))
                .ok()
                .map(|p| p.key()),
            Some("/root/sales/emea/nordics/".to_string())
        );
        assert!(t.check_put(&dep("x", Some("missing"))).is_err());
        assert_eq!(
            t.check_put(&dep("emea", Some("hr"))).ok().map(|p| p.key()),
            Some("/root/hr/emea/".to_string())
        );
        assert!(matches!(
            t.check_put(&dep("sales", Some("emea"))),
            Err(Error::Validation { .. })
        ));
        assert!(t.check_put(&dep("emea", Some("sales"))).is_ok());
        assert!(Department::new(id("a"), "A", Some(id("a"))).is_err());
    }
}
