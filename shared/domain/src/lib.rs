//! The groups domain: entities, validation, the role/permission matrix, the storage ports and
//! the use cases over them. It knows nothing of AWS.

pub mod caller;
pub mod department;
pub mod department_move;
pub mod error;
pub mod events;
pub mod group;
pub mod history;
pub mod ids;
pub mod impact;
pub mod import_job;
pub mod overrides;
pub mod page;
pub mod ports;
pub mod role;
pub mod rule;
pub mod rule_health;
pub mod scim_token;
pub mod service;
pub mod service_csv;
pub mod service_departments;
pub mod service_history;
pub mod service_members;
pub mod service_overrides;
pub mod service_roles;
pub mod service_rules;
pub mod service_users;
pub mod smart;
pub mod text;
pub mod user;

pub use caller::{Caller, Channel, Scope};
pub use department::{Department, DepartmentPath, DepartmentTree};
pub use error::{Error, Result};
pub use group::{
    Evaluation, EvaluationStatus, Group, GroupKind, GroupMode, Membership, MembershipSource,
    RuleVersion,
};
pub use history::{Cause, CauseKind, HistoryEntry, HistoryStore, Trigger};
pub use ids::{AccountId, DepartmentId, GroupId, RoleId, UserId};
pub use overrides::{Override, OverrideEffect};
pub use page::{Page, PageRequest, SortOrder};
pub use ports::{
    CheckpointStore, DirectoryStore, EvaluationStore, GroupQuery, GroupStore, MemberChange,
    MembershipStore, Store, UserQuery,
};
pub use role::{BuiltinRole, CustomRole, Permission, PermissionSet, RoleRef, RoleScope};
pub use user::{ProfileValue, User, UserStatus};
