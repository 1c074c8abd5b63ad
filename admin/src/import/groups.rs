//! Static groups and their memberships. Groups are checked as `POST /groups` checks them (title,
//! description, owning department) and claim their title; memberships go through
//! `MembershipStore::insert_memberships` in chunks of `WRITE_BATCH`, which keeps counts exact.

use super::{Ctx, Phase, RowError, RowResult, refuse, settle};
use crate::input::SourcedRow;
use crate::report::{Outcome, Refusal};
use crate::rows::{GroupRow, MembershipRow, Row};
use crate::{ACTOR, Failure, UserBatches};
use groups_domain::group::{check_description, check_title};
use groups_domain::{
    AccountId, Cause, DepartmentId, DepartmentTree, Error, Group, GroupId, GroupKind, GroupMode,
    Membership, MembershipSource, MembershipStore, Store, Trigger, UserId,
};
use std::collections::{BTreeMap, HashMap};

pub(super) struct Groups {
    tree: DepartmentTree,
}

impl Groups {
    pub async fn load<S: Store>(store: &S, account: &AccountId) -> Result<Self, Failure> {
        Ok(Self {
            tree: store.departments(account).await?,
        })
    }

    async fn one<S: Store>(&self, ctx: &Ctx<'_, S>, row: &GroupRow) -> RowResult {
        let id = GroupId::parse("id", &row.id)?;
        let title = check_title(&row.title)?;
        let description = check_description(row.description.as_deref().unwrap_or_default())?;
        let owner = match row.owner_department_id.as_deref() {
            None => None,
            Some(d) => {
                let d = DepartmentId::parse("ownerDepartmentId", d)?;
                Some(self.tree.path_of(&d)?.ok_or_else(|| {
                    refuse(Some("ownerDepartmentId"), format!("unknown department {d}"))
                })?)
            }
        };
        let actor = UserId::parse("actor", ACTOR)?;
        let Some(stored) = ctx.store.get_group(ctx.account, &id).await? else {
            let group = Group {
                id,
                title,
                description,
                kind: GroupKind::Static,
                rule: None,
                member_count: 0,
                owner_department: owner,
                created_by: actor.clone(),
                created_at: ctx.now,
                updated_by: actor,
                updated_at: ctx.now,
                version: 1,
                evaluation: None,
                mode: GroupMode::Active,
                overrides: Vec::new(),
                scheduled: None,
                provisioning: None,
            };
            ctx.store.create_group(ctx.account, &group).await?;
            return Ok(Outcome::Created);
        };
        if stored.kind == GroupKind::Smart {
            return Err(refuse(
                Some("id"),
                format!("group {id} is a smart group; an import holds static groups only"),
            ));
        }
        if stored.owner_department != owner {
            return Err(refuse(
                Some("ownerDepartmentId"),
                format!(
                    "group {id} is owned elsewhere in the table; an import does not move a group to another department"
                ),
            ));
        }
        if stored.title == title && stored.description == description {
            return Ok(Outcome::Unchanged);
        }
        let next = Group {
            title,
            description,
            updated_by: actor,
            updated_at: ctx.now,
            version: stored.version + 1,
            ..stored.clone()
        };
        ctx.store.update_group(ctx.account, &stored, &next).await?;
        Ok(Outcome::Changed)
    }
}

super::row_by_row_phase!(Groups, Group, "not a group row");

/// Memberships; remembers each group's kind (`None`: no such group) across batches.
#[derive(Default)]
pub(super) struct Memberships {
    groups: HashMap<GroupId, Option<GroupKind>>,
}

fn ids(row: &MembershipRow) -> Result<(GroupId, UserId), RowError> {
    Ok((
        GroupId::parse("groupId", &row.group_id)?,
        UserId::parse("userId", &row.user_id)?,
    ))
}

impl Memberships {
    /// Learns the kinds of groups and the existence of users not yet known.
    async fn look_up<S: Store + UserBatches>(
        &mut self,
        ctx: &mut Ctx<'_, S>,
        pairs: &[(GroupId, UserId)],
    ) -> Result<(), Error> {
        let mut new_groups: Vec<GroupId> = pairs
            .iter()
            .map(|(g, _)| g.clone())
            .filter(|g| !self.groups.contains_key(g))
            .collect();
        new_groups.sort();
        new_groups.dedup();
        for chunk in new_groups.chunks(100) {
            let found = ctx.store.get_groups(ctx.account, chunk).await?;
            for id in chunk {
                let kind = found.iter().find(|g| &g.id == id).map(|g| g.kind);
                self.groups.insert(id.clone(), kind);
            }
        }
        let mut new_users: Vec<UserId> = pairs
            .iter()
            .map(|(_, u)| u.clone())
            .filter(|u| !ctx.known_users.contains(u))
            .collect();
        new_users.sort();
        new_users.dedup();
        for user in ctx.store.read_users(ctx.account, &new_users).await? {
            ctx.known_users.insert(user.id);
        }
        Ok(())
    }

    fn check(
        &self,
        ctx: &Ctx<'_, impl Store>,
        group: &GroupId,
        user: &UserId,
    ) -> Result<(), RowError> {
        match self.groups.get(group).copied().flatten() {
            None => return Err(refuse(Some("groupId"), format!("unknown group {group}"))),
            Some(GroupKind::Smart) => {
                return Err(Error::SmartGroupMembership {
                    group_id: group.to_string(),
                }
                .into());
            }
            Some(GroupKind::Static) => {}
        }
        if !ctx.known_users.contains(user) {
            return Err(refuse(Some("userId"), format!("unknown user {user}")));
        }
        Ok(())
    }
}

impl<S: Store + UserBatches> Phase<S> for Memberships {
    fn batch_size(&self, _: &Ctx<'_, S>) -> usize {
        1000
    }

    async fn apply(
        &mut self,
        ctx: &mut Ctx<'_, S>,
        rows: &[&SourcedRow],
    ) -> Result<Vec<Result<Outcome, Refusal>>, Failure> {
        let parsed: Vec<Result<(GroupId, UserId), RowError>> = rows
            .iter()
            .map(|row| match &row.row {
                Ok(Row::Membership(m)) => ids(m),
                _ => Err(refuse(None, "not a membership row")),
            })
            .collect();
        let pairs: Vec<(GroupId, UserId)> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok().cloned())
            .collect();
        self.look_up(ctx, &pairs).await?;
        let mut results: Vec<Option<RowResult>> = Vec::with_capacity(rows.len());
        // Row indexes per group, so each group's rows go in as few writes as the port allows.
        let mut by_group: BTreeMap<GroupId, Vec<(usize, UserId)>> = BTreeMap::new();
        for (i, p) in parsed.into_iter().enumerate() {
            match p.and_then(|(g, u)| self.check(ctx, &g, &u).map(|()| (g, u))) {
                Ok((g, u)) => {
                    results.push(None);
                    by_group.entry(g).or_default().push((i, u));
                }
                Err(e) => results.push(Some(Err(e))),
            }
        }
        let actor = UserId::parse("actor", ACTOR)?;
        for (group, members) in by_group {
            for chunk in members.chunks(<S as MembershipStore>::WRITE_BATCH) {
                let memberships: Vec<Membership> = chunk
                    .iter()
                    .map(|(_, u)| Membership {
                        group_id: group.clone(),
                        user_id: u.clone(),
                        added_at: ctx.now,
                        added_by: Some(actor.clone()),
                        source: MembershipSource::Manual,
                    })
                    .collect();
                let written = ctx
                    .store
                    .insert_memberships(
                        ctx.account,
                        &group,
                        GroupKind::Static,
                        &memberships,
                        &Cause::manual(&actor, Trigger::Provisioning).at(ctx.now),
                    )
                    .await;
                match written {
                    Ok(inserted) => {
                        for (i, u) in chunk {
                            let outcome = if inserted.contains(u) {
                                Outcome::Created
                            } else {
                                Outcome::Unchanged
                            };
                            results[*i] = Some(Ok(outcome));
                        }
                    }
                    // The group went (or turned smart) since it was read: these rows are refused.
                    Err(e) => {
                        let e = RowError::from(e);
                        for (i, _) in chunk {
                            results[*i] = Some(Err(match &e {
                                RowError::Refused(r) => RowError::Refused(r.clone()),
                                RowError::Fatal(f) => return Err(f.clone()),
                            }));
                        }
                    }
                }
            }
        }
        results
            .into_iter()
            .map(|r| settle(r.unwrap_or_else(|| Err(refuse(None, "not applied")))))
            .collect()
    }
}
