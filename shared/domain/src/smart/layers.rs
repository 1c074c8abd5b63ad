//! Dependency order: a group comes after the groups its rule references.

use super::Smart;
use crate::ids::GroupId;
use std::collections::HashSet;

/// Orders smart groups so that every group comes after the groups its rule references, in
/// layers: a layer depends only on earlier layers. Cycles (refused on save) end up last.
pub(super) fn layers(groups: Vec<Smart>) -> Vec<Vec<Smart>> {
    let ids: HashSet<GroupId> = groups.iter().map(|s| s.group.id.clone()).collect();
    let mut placed: HashSet<GroupId> = HashSet::new();
    let mut pending = groups;
    let mut out = Vec::new();
    while !pending.is_empty() {
        let (ready, rest): (Vec<Smart>, Vec<Smart>) = pending.into_iter().partition(|s| {
            s.rule
                .referenced_groups()
                .iter()
                .all(|g| !ids.contains(g) || placed.contains(g) || *g == s.group.id)
        });
        if ready.is_empty() {
            tracing::error!(
                groups = rest.len(),
                "cycle between smart groups; evaluating them last"
            );
            out.push(rest);
            break;
        }
        placed.extend(ready.iter().map(|s| s.group.id.clone()));
        out.push(ready);
        pending = rest;
    }
    out
}
