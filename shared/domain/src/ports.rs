//! What the domain needs from storage. Adapters (DynamoDB, in-memory) implement these traits;
//! one conformance suite holds them to the same behaviour. Every method is one access pattern.

use crate::caller::Scope;
use crate::department::{Department, DepartmentPath, DepartmentTree};
use crate::error::{Error, Result};
use crate::group::{Evaluation, Group, GroupKind, Membership, RuleVersion};
use crate::history::{HistoryStore, Stamp};
use crate::ids::{AccountId, DepartmentId, GroupId, RoleId, UserId};
use crate::page::{Page, PageRequest, SortOrder};
use crate::role::CustomRole;
use crate::user::User;
use std::future::Future;

/// Sort keys shared by every adapter, so that pages and cursors agree across them.
pub mod sort_keys {
    use crate::department::DepartmentPath;
    use crate::ids::{GroupId, UserId};

    /// Below every character a title may hold (titles have no control characters), so the
    /// joined key orders exactly like the pair (title key, group id).
    pub const TITLE_SEPARATOR: char = '\u{1}';

    pub fn group_by_title(title_key: &str, id: &GroupId) -> String {
        format!("{title_key}{TITLE_SEPARATOR}{id}")
    }

    /// The group id at the end of a [`group_by_title`] key.
    pub fn group_id_of_title_key(key: &str) -> Option<&str> {
        key.rsplit_once(TITLE_SEPARATOR).map(|(_, id)| id)
    }

    /// Sorts below `/` and every id character, so a department's own users come before those
    /// of its sub-departments.
    pub const USER_SEPARATOR: char = '!';

    pub fn user_by_department(path: &DepartmentPath, id: &UserId) -> String {
        format!("{}{USER_SEPARATOR}{id}", path.key())
    }

    /// The user id at the end of a [`user_by_department`] key.
    pub fn user_id_of_department_key(key: &str) -> Option<&str> {
        key.rsplit_once(USER_SEPARATOR).map(|(_, id)| id)
    }
}

/// A page of an account's groups in title order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupQuery {
    pub order: SortOrder,
    pub kind: Option<GroupKind>,
    /// Case-insensitive substring of the title.
    pub title_contains: Option<String>,
    pub page: PageRequest,
}

/// A page of an account's users.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserQuery {
    /// One department's users (`nested: false`) or its subtree's (`nested: true`).
    pub department: Option<(DepartmentPath, bool)>,
    /// Case-insensitive substring of first name, last name, email or job title.
    pub text: Option<String>,
    pub page: PageRequest,
}

/// What a user's text search looks in: the id too, so ids from elsewhere (a preview's sample,
/// an import) can be looked up.
pub fn user_search_key(user: &User) -> String {
    format!(
        "{} {} {} {} {}",
        user.id, user.first_name, user.last_name, user.email, user.job_title
    )
    .to_lowercase()
}

/// Does a user pass a query's filters? Shared so adapters filter identically.
pub fn user_matches(user: &User, scope: &Scope, query: &UserQuery) -> bool {
    query
        .text
        .as_deref()
        .is_none_or(|q| user_search_key(user).contains(&q.to_lowercase()))
        && scope.covers(user.department.as_ref())
}

/// What a user write must still find when it lands, so that a decision made on an earlier read
/// cannot be overtaken by a concurrent change (condition expressions on DynamoDB, the lock in
/// memory).
#[derive(Debug, Clone, Default)]
pub struct UserGuard {
    /// `Some(None)`: no user with this id may exist; `Some(Some(u))`: the stored user must
    /// still have `u`'s role, status and department.
    pub unchanged_since: Option<Option<User>>,
    /// A user who must still be an active Account Owner (the Owner making an owner change),
    /// so that concurrent changes can never leave an account without one.
    pub active_owner: Option<UserId>,
}

/// No condition.
pub static NO_GUARD: UserGuard = UserGuard {
    unchanged_since: None,
    active_owner: None,
};

impl UserGuard {
    pub fn is_none(&self) -> bool {
        self.unchanged_since.is_none() && self.active_owner.is_none()
    }

    /// Does the stored record (`None`: absent) still match what the write expects?
    pub fn unchanged(&self, stored: Option<&User>) -> bool {
        match (&self.unchanged_since, stored) {
            (None, _) => true,
            (Some(None), None) => true,
            (Some(Some(expected)), Some(stored)) => {
                expected.role == stored.role
                    && expected.status == stored.status
                    && expected.department == stored.department
            }
            _ => false,
        }
    }

    pub fn changed_error(id: &UserId) -> Error {
        Error::Conflict(format!(
            "user {id} changed while this request was decided; read it again and retry"
        ))
    }

    pub fn owner_error() -> Error {
        Error::Conflict(
            "the caller is no longer an active Account Owner; an account keeps at least one".into(),
        )
    }
}

/// Is `user` an active Account Owner?
pub fn is_active_owner(user: &User) -> bool {
    user.role == crate::role::RoleRef::Builtin(crate::role::BuiltinRole::Owner)
        && user.status == crate::user::UserStatus::Active
}

/// Users, departments and custom roles.
pub trait DirectoryStore: Send + Sync {
    /// Creates or replaces a department; callers check the tree first ([`DepartmentTree::check_put`]).
    fn put_department(
        &self,
        account: &AccountId,
        department: &Department,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The whole tree in one call.
    fn departments(
        &self,
        account: &AccountId,
    ) -> impl Future<Output = Result<DepartmentTree>> + Send;
    /// Writes `department` if the stored one is still at `previous` revision (`None`: no
    /// department with this id may exist, else `AlreadyExists`); `Conflict` when another write
    /// came first. `department.revision` is the new revision (`previous + 1`, or 0).
    fn save_department(
        &self,
        account: &AccountId,
        department: &Department,
        previous: Option<u64>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deletes a department still at `department.revision` (`Conflict` otherwise).
    fn delete_department(
        &self,
        account: &AccountId,
        department: &Department,
    ) -> impl Future<Output = Result<()>> + Send;
    fn put_role(
        &self,
        account: &AccountId,
        role: &CustomRole,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Custom roles by id.
    fn list_roles(
        &self,
        account: &AccountId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<CustomRole>>> + Send;
    fn delete_role(
        &self,
        account: &AccountId,
        id: &RoleId,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_role(
        &self,
        account: &AccountId,
        id: &RoleId,
    ) -> impl Future<Output = Result<Option<CustomRole>>> + Send;
    /// Creates or replaces a user; `user.department` must be the current path.
    fn put_user(
        &self,
        account: &AccountId,
        user: &User,
    ) -> impl Future<Output = Result<()>> + Send {
        self.write_user(account, user, &NO_GUARD)
    }
    /// [`put_user`](Self::put_user) if `guard` still holds when the write lands (`Conflict`
    /// otherwise, writing nothing).
    fn write_user(
        &self,
        account: &AccountId,
        user: &User,
        guard: &UserGuard,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_user(
        &self,
        account: &AccountId,
        id: &UserId,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Users visible within `scope`: all of the account by id, or of one department (only or
    /// nested) by path then id.
    fn list_users(
        &self,
        account: &AccountId,
        scope: &Scope,
        query: &UserQuery,
    ) -> impl Future<Output = Result<Page<User>>> + Send;
    /// Deletes a user (memberships are cleaned by the evaluator).
    fn delete_user(
        &self,
        account: &AccountId,
        id: &UserId,
    ) -> impl Future<Output = Result<()>> + Send {
        self.remove_user(account, id, &NO_GUARD)
    }
    /// [`delete_user`](Self::delete_user) if `guard` still holds (`Conflict` otherwise).
    fn remove_user(
        &self,
        account: &AccountId,
        id: &UserId,
        guard: &UserGuard,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Points a user of a moved subtree at its new path if it still has `from`, touching
    /// nothing else of the record (answers whether it was written).
    fn move_user_department(
        &self,
        account: &AccountId,
        user: &UserId,
        from: &DepartmentPath,
        to: &DepartmentPath,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The users whose [`User::login_key`] is `key` (one index Query; SCIM's `userName eq`
    /// and its uniqueness check), by id. Read from an index: a write of the last moment may
    /// be missing.
    fn users_by_login(
        &self,
        account: &AccountId,
        key: &str,
    ) -> impl Future<Output = Result<Vec<User>>> + Send;
    /// Those of `ids` that exist (one read per 100), for display: may miss a write of the
    /// last moment (eventually consistent reads cost half).
    fn get_users(
        &self,
        account: &AccountId,
        ids: &[UserId],
    ) -> impl Future<Output = Result<Vec<User>>> + Send;
}

/// Groups: metadata, titles, listings and saved rules.
pub trait GroupStore: Send + Sync {
    /// Creates the group and claims its title; `TitleTaken` when the title (any case) is used.
    /// A smart group's rule is recorded as its first version.
    fn create_group(
        &self,
        account: &AccountId,
        group: &Group,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_group(
        &self,
        account: &AccountId,
        id: &GroupId,
    ) -> impl Future<Output = Result<Option<Group>>> + Send;
    /// Replaces `current`'s metadata with `next`'s (title, description, rule, updated*, version)
    /// if the stored version is still `current.version`; moves the title claim when the title
    /// changes, and records the rule as a new version when it changes. Never touches the
    /// member count.
    fn update_group(
        &self,
        account: &AccountId,
        current: &Group,
        next: &Group,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deletes the group (if still at `group.version`), its title claim and its memberships,
    /// answering the users whose membership it deleted; their history says `cause`.
    fn delete_group(
        &self,
        account: &AccountId,
        group: &Group,
        stamp: &Stamp,
    ) -> impl Future<Output = Result<Vec<UserId>>> + Send;
    /// Points a group owned in a moved subtree at its new path, if it still has `from`
    /// (answers whether it was written; the title listing and counts are untouched).
    fn move_group_department(
        &self,
        account: &AccountId,
        group: &GroupId,
        from: &DepartmentPath,
        to: &DepartmentPath,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Groups in title order, visible within `scope`.
    fn list_groups(
        &self,
        account: &AccountId,
        scope: &Scope,
        query: &GroupQuery,
    ) -> impl Future<Output = Result<Page<Group>>> + Send;
    /// Those of `ids` that exist (one read per 100).
    fn get_groups(
        &self,
        account: &AccountId,
        ids: &[GroupId],
    ) -> impl Future<Output = Result<Vec<Group>>> + Send;
    /// Every smart group of the account with its rule and evaluation state (one query); member
    /// counts are not read (0), so the stream's hot path reads no count.
    fn account_smart_groups(
        &self,
        account: &AccountId,
    ) -> impl Future<Output = Result<Vec<Group>>> + Send;
    /// The member counts of `ids`, in order (0 for a group that doesn't exist).
    fn member_counts(
        &self,
        account: &AccountId,
        ids: &[GroupId],
    ) -> impl Future<Output = Result<Vec<u64>>> + Send;
    /// Accounts that have smart groups, in id order.
    fn smart_group_accounts(
        &self,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<AccountId>>> + Send;
    /// Replaces `current`'s overrides (with `next`'s updated* and version) if the stored version
    /// is still `current.version`, and applies `change` in the same write (one transaction on
    /// DynamoDB). Answers whether `change` was applied; it is not when the membership already
    /// was as `change` wants.
    fn save_overrides(
        &self,
        account: &AccountId,
        current: &Group,
        next: &Group,
        change: Option<&MemberChange>,
        stamp: &Stamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// A smart group's saved rules, newest first.
    fn list_rule_versions(
        &self,
        account: &AccountId,
        group: &GroupId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<RuleVersion>>> + Send;
}

/// One membership an override write changes along with the group's overrides.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    Join(Membership),
    Leave(UserId),
}

/// Memberships of groups, with the exact member counts they keep.
pub trait MembershipStore: Send + Sync {
    /// Memberships a writer gathers before one write: what one write of the adapter carries
    /// best (a DynamoDB transaction holds 100 items, one of them the group's count).
    const WRITE_BATCH: usize;
    /// The group and those of `users` that exist, in one read for up to 99 users.
    fn get_group_and_users(
        &self,
        account: &AccountId,
        group: &GroupId,
        users: &[UserId],
    ) -> impl Future<Output = Result<(Option<Group>, Vec<User>)>> + Send;
    /// Inserts memberships of `group` (which must still exist and be of `kind`) and raises its
    /// count by exactly the number inserted, recording each write with `cause` for the history
    /// ([`crate::history::MemberWrite`], reported as [`Change::MembersWritten`]). Answers the users inserted; the others were
    /// members already.
    fn insert_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        members: &[Membership],
        stamp: &Stamp,
    ) -> impl Future<Output = Result<Vec<UserId>>> + Send;
    /// Deletes memberships and lowers the count by exactly the number deleted. Answers the users
    /// removed; the others were not members.
    fn delete_memberships(
        &self,
        account: &AccountId,
        group: &GroupId,
        kind: GroupKind,
        users: &[UserId],
        stamp: &Stamp,
    ) -> impl Future<Output = Result<Vec<UserId>>> + Send;
    /// Which of the (group, user) pairs are memberships (one read per 100 pairs).
    fn memberships_among(
        &self,
        account: &AccountId,
        groups: &[GroupId],
        users: &[UserId],
    ) -> impl Future<Output = Result<Vec<(GroupId, UserId)>>> + Send;
    /// Members by user id.
    fn list_members(
        &self,
        account: &AccountId,
        group: &GroupId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Membership>>> + Send;
    /// A user's memberships by group id.
    fn list_user_groups(
        &self,
        account: &AccountId,
        user: &UserId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Membership>>> + Send;
}

/// When an evaluation's state may be recorded, so that a pass never overwrites a request made
/// while it ran (that request's own run records it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordIf {
    /// Always: a new request.
    Always,
    /// The stored evaluation still serves the request made at this instant.
    Serving(time::OffsetDateTime),
    /// No request is pending or running (the schedule's results).
    Idle,
}

impl RecordIf {
    /// Whether `stored` lets a record through.
    pub fn allows(self, stored: Option<&Evaluation>) -> bool {
        use crate::group::EvaluationStatus::{Queued, Running};
        match self {
            RecordIf::Always => true,
            RecordIf::Serving(at) => stored.is_some_and(|e| e.requested_at == at),
            RecordIf::Idle => stored.is_none_or(|e| !matches!(e.status, Queued | Running)),
        }
    }
}

/// A smart group's evaluation state.
pub trait EvaluationStore: Send + Sync {
    /// Records a smart group's evaluation state without changing its version, if `when` still
    /// holds (answers whether it was recorded); `NotFound` when the group is gone.
    fn record_evaluation(
        &self,
        account: &AccountId,
        group: &GroupId,
        evaluation: &Evaluation,
        when: RecordIf,
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// Named checkpoints of long-running work (a refresh that continues in the next invocation).
pub trait CheckpointStore: Send + Sync {
    /// Saves (or with `None`, clears) a named checkpoint of long-running work.
    fn save_checkpoint(
        &self,
        name: &str,
        value: Option<&serde_json::Value>,
    ) -> impl Future<Output = Result<()>> + Send;
    fn load_checkpoint(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<serde_json::Value>>> + Send;
}

/// A change that smart groups react to, as the table's stream (or the in-memory store's
/// change feed) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// A user was created, updated or deleted.
    User { account: AccountId, user: UserId },
    /// A membership appeared (`Joined`) or disappeared (`Left`, at `at`): groups whose rules
    /// reference its group may change, and it is a membership event.
    Membership {
        account: AccountId,
        membership: crate::group::Membership,
        change: crate::events::MembershipChange,
        at: time::OffsetDateTime,
    },
    /// A smart group's evaluation was requested (rule saved, "re-evaluate now", confirmation).
    EvaluationRequested { account: AccountId, group: GroupId },
    /// Long-running work stopped at its time budget and left a checkpoint (`name`): it
    /// continues at once in a new invocation.
    WorkContinues { name: String },
    /// Memberships of a group were written (one write, with its cause): the history's source.
    MembersWritten {
        account: AccountId,
        group: GroupId,
        write: crate::history::MemberWrite,
    },
    /// A department move asks for its next slice of work ([`crate::department::move_slice_started`]).
    DepartmentMove {
        account: AccountId,
        department: DepartmentId,
    },
}

/// Everything the service needs.
pub trait Store:
    DirectoryStore
    + GroupStore
    + MembershipStore
    + EvaluationStore
    + CheckpointStore
    + HistoryStore
    + crate::scim_token::ScimTokenStore
{
}
impl<
    T: DirectoryStore
        + GroupStore
        + MembershipStore
        + EvaluationStore
        + CheckpointStore
        + HistoryStore
        + crate::scim_token::ScimTokenStore,
> Store for T
{
}

/// Does a group pass a query's filters? Shared so adapters filter identically.
pub fn group_matches(group: &Group, scope: &Scope, query: &GroupQuery) -> bool {
    query.kind.is_none_or(|k| group.kind == k)
        && query
            .title_contains
            .as_deref()
            .is_none_or(|q| group.title_key().contains(&crate::group::title_key(q)))
        && scope.covers(group.owner_department.as_ref())
}
