//! Calls functions the way API Gateway does: the real authorizer turns a bearer token into the
//! authorizer context, and each request reaches its handler as an HTTP API v2 event.

use authorizer::config::AuthConfig;
use authorizer::dev;
use groups_domain::events::RecordedEvents;
use groups_domain::{
    AccountId, BuiltinRole, CustomRole, GroupQuery, PermissionSet, RoleId, RoleRef, RoleScope,
    Scope, Store, User, UserId, UserStatus,
};
use groups_http::event::HttpCall;
use groups_http::{Body, Deps};
use groups_local::registry::{Function, dispatch, functions};
use groups_local::seed;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Status and body.
    pub fn into_parts(self) -> (u16, Value) {
        (self.status, self.body)
    }
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `type` of a problem response.
    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

pub struct Api<S> {
    pub ctx: Deps<S>,
    functions: Vec<Function<S>>,
    pub auth: AuthConfig,
    pub account: AccountId,
    /// Days added to the real clock (for relative-date rules).
    days_ahead: Arc<AtomicI64>,
    pub events: Arc<RecordedEvents>,
    /// On DynamoDB: what each call's handler ran, held to its descriptor's grants.
    grants: Option<groups_store::CallCounter>,
}

impl<S: Store + 'static> Api<S> {
    /// The demo account of the local server, seeded into `store`.
    pub async fn seeded(store: S) -> Self {
        let account = seed::seed(&store).await.expect("seed");
        let events = Arc::new(RecordedEvents::default());
        let mut ctx = Deps::with_events(store, events.clone());
        let days_ahead = Arc::new(AtomicI64::new(0));
        let offset = days_ahead.clone();
        ctx.clock = Arc::new(move || {
            time::OffsetDateTime::now_utc() + time::Duration::days(offset.load(Ordering::SeqCst))
        });
        Self {
            ctx,
            functions: functions(),
            auth: dev::config().expect("dev config"),
            account,
            days_ahead,
            events,
            grants: None,
        }
    }

    /// [`Api::seeded`] on a store counted by `counter`: every call then fails the test when its
    /// handler runs a DynamoDB action its descriptor (and so the SAM template) does not grant.
    pub async fn seeded_checked(store: S, counter: groups_store::CallCounter) -> Self {
        let api = Self::seeded(store).await;
        Self {
            grants: Some(counter),
            ..api
        }
    }

    /// Starts recording what a handler runs outside HTTP (the stream, the schedule).
    pub fn watch_grants(&self) {
        if let Some(counter) = &self.grants {
            counter.take_actions();
        }
    }

    /// Panics when what ran since [`Api::watch_grants`] is not granted to `descriptor`.
    pub fn check_handler_grants(&self, descriptor: &groups_http::FunctionDescriptor, what: &str) {
        let Some(counter) = &self.grants else { return };
        let ran = counter.take_actions();
        let missing: Vec<&String> = ran
            .iter()
            .filter(|a| !descriptor.table.contains(&a.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{what} ran {missing:?}, which the descriptor of {} (and so its IAM policy) does not grant",
            descriptor.name
        );
    }

    /// Panics when the handler serving `call` ran an action its descriptor does not declare.
    fn check_grants(&self, call: &HttpCall) {
        let Some(counter) = &self.grants else { return };
        let ran = counter.take_actions();
        let Some(function) = self.functions.iter().find(|f| {
            f.descriptor
                .routes()
                .iter()
                .any(|r| r.method == call.method && r.matches(&call.path).is_some())
        }) else {
            return;
        };
        let declared = function.descriptor.table;
        let missing: Vec<&String> = ran
            .iter()
            .filter(|a| !declared.contains(&a.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{} {} ran {missing:?}, which the descriptor of {} (and so its IAM policy) does not grant",
            call.method,
            call.path,
            function.descriptor.name
        );
    }

    /// Moves the clock the functions see `days` ahead of the real one.
    pub fn travel(&self, days: i64) {
        self.days_ahead.store(days, Ordering::SeqCst);
    }

    pub fn store(&self) -> &S {
        &self.ctx.store
    }

    /// A token for a demo user (`owner`, `admin`, `dept-admin`, `learner`, `trainer`, …).
    pub fn token(&self, user: &str) -> String {
        dev::token(&dev::Claims::new(self.account.as_str(), user, 600)).expect("token")
    }

    pub async fn call(&self, call: HttpCall) -> Reply {
        let authorization = call
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .map(|(_, v)| v.clone());
        // As the local server answers an authorizer that could not decide: a 503 problem.
        let response =
            match authorizer::context(self.store(), &self.auth, authorization.as_deref()).await {
                Ok(context) => {
                    // The authorizer's own reads are its function's, not the handler's.
                    if let Some(counter) = &self.grants {
                        counter.take_actions();
                    }
                    let response = dispatch(&self.functions, &self.ctx, &call, context).await;
                    self.check_grants(&call);
                    response
                }
                Err(_) => groups_http::HttpError::from(groups_domain::Error::Unavailable(
                    "authorizer".into(),
                ))
                .into_response(),
            };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.into_body() {
            Body::Text(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
            Body::Binary(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A call as `user`.
    pub async fn as_user(&self, user: &str, call: HttpCall) -> Reply {
        let token = self.token(user);
        self.call(call.header("authorization", &format!("Bearer {token}")))
            .await
    }

    /// A user holding a custom role with exactly `permissions` over the whole account.
    pub async fn custom_user(&self, name: &str, permissions: PermissionSet) -> String {
        self.custom_user_in(name, permissions, None, &[]).await
    }

    /// A user holding a custom role with exactly `permissions`, sitting in `department` and,
    /// when `managed` is not empty, scoped to those departments.
    pub async fn custom_user_in(
        &self,
        name: &str,
        permissions: PermissionSet,
        department: Option<&str>,
        managed: &[&str],
    ) -> String {
        let scope = if managed.is_empty() {
            RoleScope::Account
        } else {
            RoleScope::ManagedDepartments
        };
        let role = CustomRole::new(
            RoleId::parse("id", format!("role-{name}")).expect("id"),
            name,
            permissions,
            scope,
        )
        .expect("role");
        self.store()
            .put_role(&self.account, &role)
            .await
            .expect("put role");
        let user = User {
            id: UserId::parse("id", name).expect("id"),
            email: format!("{name}@acme.example"),
            first_name: name.into(),
            last_name: "Custom".into(),
            department: match department {
                None => None,
                Some(d) => self
                    .store()
                    .departments(&self.account)
                    .await
                    .expect("tree")
                    .path_of(&groups_domain::DepartmentId::parse("id", d).expect("id"))
                    .expect("path"),
            },
            role: RoleRef::Custom(role.id),
            status: UserStatus::Active,
            job_title: String::new(),
            created_at: time::OffsetDateTime::now_utc(),
            profile: BTreeMap::new(),
            managed_department_ids: managed
                .iter()
                .map(|d| groups_domain::DepartmentId::parse("id", *d).expect("id"))
                .collect(),
            registered_at: None,
            updated_at: None,
        };
        self.store()
            .put_user(&self.account, &user)
            .await
            .expect("put user");
        name.to_owned()
    }

    /// Creates a smart group as the Administrator, its first evaluation queued; answers its id.
    pub async fn create_smart(&self, title: &str, rule: &Value) -> String {
        let reply = self
            .as_user(
                ADMIN,
                HttpCall::new("POST", "/groups")
                    .json(&serde_json::json!({"title": title, "kind": "smart", "rule": rule})),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(reply.body["evaluation"]["status"], "queued");
        reply.body["id"].as_str().expect("id").to_owned()
    }

    /// The id of the demo group titled `title`.
    pub async fn group_id(&self, title: &str) -> String {
        let page = self
            .store()
            .list_groups(&self.account, &Scope::Account, &GroupQuery::default())
            .await
            .expect("list");
        page.items
            .into_iter()
            .find(|g| g.title == title)
            .map(|g| g.id.to_string())
            .unwrap_or_else(|| panic!("no group {title}"))
    }

    /// Everything a write could have changed: every group with its count and version, and
    /// every membership, so "writes nothing" can be asserted.
    pub async fn snapshot(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let query = GroupQuery {
                page: groups_domain::PageRequest::new(Some(200), cursor).expect("page"),
                ..GroupQuery::default()
            };
            let page = self
                .store()
                .list_groups(&self.account, &Scope::Account, &query)
                .await
                .expect("list");
            for g in &page.items {
                out.push(format!(
                    "{} {} {} {} {}",
                    g.id, g.title, g.description, g.member_count, g.version
                ));
                let members = self
                    .store()
                    .list_members(
                        &self.account,
                        &g.id,
                        &groups_domain::PageRequest::first(200),
                    )
                    .await
                    .expect("members");
                out.extend(members.items.iter().map(|m| format!("  {}", m.user_id)));
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }
}

/// The demo account on the in-memory store.
pub async fn in_memory() -> Api<groups_store::MemoryStore> {
    Api::seeded(groups_store::MemoryStore::new()).await
}

/// The demo account on a fresh table of DynamoDB Local.
pub async fn on_dynamodb_local() -> Api<groups_store::DynamoStore> {
    let (store, counter) = groups_testkit::fresh_dynamo_store().await;
    Api::seeded_checked(store, counter).await
}

/// Runs each named black-box test, `async fn name<S: Store + 'static>(api: Api<S>)`, on both
/// stores: a difference between them is a failure, never a skip.
#[macro_export]
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod in_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::api::in_memory().await).await;
                }
            )*
        }
        mod on_dynamodb_local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::api::on_dynamodb_local().await).await;
                }
            )*
        }
    };
}

/// The built-in role users of the demo account.
pub const OWNER: &str = "owner";
pub const ADMIN: &str = "admin";
pub const DEPT_ADMIN: &str = "dept-admin";
pub const LEARNER: &str = "learner";

pub fn builtin(role: BuiltinRole) -> &'static str {
    match role {
        BuiltinRole::Owner => OWNER,
        BuiltinRole::Admin => ADMIN,
        BuiltinRole::DepartmentAdmin => DEPT_ADMIN,
        BuiltinRole::Learner => LEARNER,
    }
}
