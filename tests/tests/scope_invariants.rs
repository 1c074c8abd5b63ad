//! Generated callers and requests over every route, held to the scope invariants of DESIGN §2:
//! - no answer is a 5xx;
//! - no answer carries personal data of a user the caller may not see, a group outside the
//!   caller's scope, or anything of another account;
//! - an id outside the caller's scope (or of another account) answers exactly as an unknown id;
//! - nothing outside the caller's scope changes.
//!
//! Callers are drawn from the built-in roles and from custom roles with random permission
//! subsets, account- or department-scoped. Fixed seeds; a failure prints the seed, the caller
//! and the one request that broke an invariant.

use groups_domain::service::{self, NewGroup};
use groups_domain::{
    AccountId, BuiltinRole, Caller, Department, DepartmentId, GroupId, GroupKind, GroupQuery,
    PageRequest, Permission, PermissionSet, RoleRef, Scope, Store, User, UserId, UserQuery,
    UserStatus,
};
use groups_http::event::HttpCall;
use groups_tests::api::{Api, Reply};
use groups_tests::generated::Rng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const DEPARTMENTS: [&str; 8] = [
    "acme",
    "sales",
    "sales-emea",
    "sales-apac",
    "marketing",
    "hr",
    "engineering",
    "interns",
];
const FOREIGN_ACCOUNT: &str = "globex-co";
const FOREIGN_USER: &str = "globex-user";
const FOREIGN_DEPARTMENT: &str = "globex-dep";

/// One signed-in caller and what the authorizer resolved for them.
struct Who {
    user: String,
    caller: Caller,
}

impl Who {
    fn describe(&self) -> String {
        let permissions: Vec<&str> = self.caller.permissions.iter().map(|p| p.name()).collect();
        format!(
            "{} (role {}, permissions [{}], scope {:?})",
            self.user,
            self.caller.role.as_str(),
            permissions.join(", "),
            self.caller.scope
        )
    }

    fn may(&self, p: Permission) -> bool {
        self.caller.permissions.contains(p)
    }
}

/// A request as data, so it can be printed and its twin (with an unknown id) derived.
#[derive(Clone, Debug)]
struct Request {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// An id outside the caller's scope (or foreign) that the request names, to be compared
    /// against the same request naming an unknown id instead.
    probe: Option<String>,
}

impl Request {
    fn new(method: &'static str, path: String, body: Option<Value>) -> Self {
        Self {
            method,
            path,
            body,
            probe: None,
        }
    }

    fn call(&self) -> HttpCall {
        let call = HttpCall::new(self.method, &self.path);
        match &self.body {
            Some(b) => call.json(b),
            None => call,
        }
    }

    /// The same request naming `unknown` where it named `id`.
    fn replaced(&self, id: &str, unknown: &str) -> Self {
        let path = self
            .path
            .split('/')
            .map(|s| {
                if s == id {
                    unknown.to_owned()
                } else {
                    s.replace(&format!("={id}"), &format!("={unknown}"))
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let body = self.body.as_ref().map(|b| {
            let mut b = replace_strings(b, id, unknown);
            if let Some(t) = b.get("title").and_then(Value::as_str) {
                b["title"] = json!(format!("{t} twin"));
            }
            b
        });
        Self {
            method: self.method,
            path,
            body,
            probe: None,
        }
    }
}

fn replace_strings(value: &Value, from: &str, to: &str) -> Value {
    match value {
        Value::String(s) if s == from => json!(to),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| replace_strings(v, from, to)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), replace_strings(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What a caller may see of the account right now.
struct View {
    tree: groups_domain::DepartmentTree,
    users: BTreeMap<String, User>,
    groups: BTreeMap<String, groups_domain::Group>,
}

impl View {
    async fn read<S: Store + 'static>(api: &Api<S>) -> Self {
        let tree = api.store().departments(&api.account).await.expect("tree");
        let mut users = BTreeMap::new();
        let mut cursor = None;
        loop {
            let query = UserQuery {
                page: PageRequest::new(Some(200), cursor).expect("page"),
                ..UserQuery::default()
            };
            let page = api
                .store()
                .list_users(&api.account, &Scope::Account, &query)
                .await
                .expect("users");
            users.extend(page.items.into_iter().map(|u| (u.id.to_string(), u)));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut groups = BTreeMap::new();
        let mut cursor = None;
        loop {
            let query = GroupQuery {
                page: PageRequest::new(Some(200), cursor).expect("page"),
                ..GroupQuery::default()
            };
            let page = api
                .store()
                .list_groups(&api.account, &Scope::Account, &query)
                .await
                .expect("groups");
            groups.extend(page.items.into_iter().map(|g| (g.id.to_string(), g)));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Self {
            tree,
            users,
            groups,
        }
    }

    fn department_visible(&self, who: &Who, id: &str) -> bool {
        DepartmentId::parse("id", id)
            .ok()
            .and_then(|d| self.tree.path_of(&d).ok().flatten())
            .is_some_and(|p| who.caller.scope.covers(Some(&p)))
    }

    fn user_visible(&self, who: &Who, id: &str) -> bool {
        self.users
            .get(id)
            .is_some_and(|u| who.caller.scope.covers(u.department.as_ref()))
    }

    fn group_visible(&self, who: &Who, id: &str) -> bool {
        self.groups
            .get(id)
            .is_some_and(|g| who.caller.scope.covers(g.owner_department.as_ref()))
    }
}

/// Everything outside `who`'s scope, and the other account: what no request of theirs may
/// change.
async fn outside<S: Store + 'static>(
    api: &Api<S>,
    who: &Who,
    foreign_group: &GroupId,
) -> Vec<String> {
    let view = View::read(api).await;
    let mut out = Vec::new();
    for (id, user) in &view.users {
        if !who.caller.scope.covers(user.department.as_ref()) {
            out.push(format!(
                "user {id} {}",
                serde_json::to_string(user).expect("json")
            ));
        }
    }
    for (id, group) in &view.groups {
        if !who.caller.scope.covers(group.owner_department.as_ref()) {
            out.push(format!(
                "group {id} {} {} {} {} {:?}",
                group.title, group.description, group.member_count, group.version, group.rule
            ));
            out.push(format!(
                "  members {:?}",
                members(api, &api.account, &group.id).await
            ));
        }
    }
    let departments: BTreeSet<String> = view
        .tree
        .departments()
        .filter(|d| !view.department_visible(who, d.id.as_str()))
        .map(|d| format!("department {} {} {:?}", d.id, d.name, d.parent_id))
        .collect();
    out.extend(departments);
    // A role held by someone outside the scope is theirs too.
    let held_outside: BTreeSet<String> = view
        .users
        .values()
        .filter(|u| !who.caller.scope.covers(u.department.as_ref()))
        .map(|u| u.role.as_str().to_owned())
        .collect();
    for role in held_outside {
        if let Ok(id) = groups_domain::RoleId::parse("id", role.as_str()) {
            let stored = api.store().get_role(&api.account, &id).await.expect("role");
            out.push(format!("role {role} {stored:?}"));
        }
    }
    let foreign = AccountId::parse("id", FOREIGN_ACCOUNT).expect("id");
    let user = api
        .store()
        .get_user(&foreign, &UserId::parse("id", FOREIGN_USER).expect("id"))
        .await
        .expect("get");
    out.push(format!("foreign user {user:?}"));
    let group = api
        .store()
        .get_group(&foreign, foreign_group)
        .await
        .expect("get");
    out.push(format!("foreign group {group:?}"));
    out.push(format!(
        "foreign members {:?}",
        members(api, &foreign, foreign_group).await
    ));
    out
}

async fn members<S: Store + 'static>(
    api: &Api<S>,
    account: &AccountId,
    group: &GroupId,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = api
            .store()
            .list_members(
                account,
                group,
                &PageRequest::new(Some(200), cursor).expect("page"),
            )
            .await
            .expect("members");
        out.extend(page.items.into_iter().map(|m| m.user_id.to_string()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// The other tenant: a department, a user and a group of its own.
async fn foreign_tenant<S: Store + 'static>(api: &Api<S>) -> GroupId {
    let globex = AccountId::parse("id", FOREIGN_ACCOUNT).expect("id");
    let dep = DepartmentId::parse("id", FOREIGN_DEPARTMENT).expect("id");
    api.store()
        .put_department(
            &globex,
            &Department::new(dep.clone(), "Globex", None).expect("dep"),
        )
        .await
        .expect("put");
    let tree = api.store().departments(&globex).await.expect("tree");
    let user = User {
        id: UserId::parse("id", FOREIGN_USER).expect("id"),
        email: "someone@globex.example".into(),
        first_name: "Globex".into(),
        last_name: "User".into(),
        department: tree.path_of(&dep).expect("path"),
        role: RoleRef::Builtin(BuiltinRole::Admin),
        status: UserStatus::Active,
        job_title: "Secret".into(),
        created_at: time::OffsetDateTime::now_utc(),
        profile: BTreeMap::new(),
        managed_department_ids: vec![],
        registered_at: None,
        updated_at: None,
    };
    api.store().put_user(&globex, &user).await.expect("put");
    let admin = Caller::resolve(
        globex,
        user.id.clone(),
        RoleRef::Builtin(BuiltinRole::Admin),
        None,
        vec![],
    );
    let new = NewGroup {
        title: "Globex secret group".into(),
        description: String::new(),
        kind: GroupKind::Static,
        rule: None,
        owner_department_id: None,
    };
    let group = service::create_group(api.store(), &admin, new, time::OffsetDateTime::now_utc())
        .await
        .expect("create");
    service::add_members(
        api.store(),
        &admin,
        &group.id,
        &[user.id],
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("add");
    group.id
}

/// The built-in callers and `generated` custom-role callers with random permissions and scope.
async fn callers<S: Store + 'static>(api: &Api<S>, rng: &mut Rng, generated: usize) -> Vec<String> {
    let mut names: Vec<String> = ["owner", "admin", "dept-admin", "learner", "trainer"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let grantable: Vec<Permission> = Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::OwnerManage)
        .collect();
    for n in 0..generated {
        let chosen: Vec<Permission> = grantable
            .iter()
            .copied()
            .filter(|_| rng.below(2) == 0)
            .collect();
        let home = DEPARTMENTS[rng.below(DEPARTMENTS.len())];
        let managed: Vec<&str> = match rng.below(3) {
            0 => vec![],
            1 => vec![DEPARTMENTS[1 + rng.below(DEPARTMENTS.len() - 1)]],
            _ => vec![
                DEPARTMENTS[1 + rng.below(DEPARTMENTS.len() - 1)],
                DEPARTMENTS[1 + rng.below(DEPARTMENTS.len() - 1)],
            ],
        };
        let name = api
            .custom_user_in(
                &format!("gen{n}"),
                PermissionSet::of(&chosen),
                Some(home),
                &managed,
            )
            .await;
        names.push(name);
    }
    names
}

/// Who `user` is right now: requests of other callers may have changed their role, scope or
/// status, or deleted them (then they reach nothing).
async fn resolve<S: Store + 'static>(api: &Api<S>, user: &str) -> Who {
    let bearer = format!("Bearer {}", api.token(user));
    let caller = authorizer::authenticate(api.store(), &api.auth, Some(&bearer))
        .await
        .unwrap_or_else(|_| Caller {
            account_id: api.account.clone(),
            user_id: UserId::parse("id", user).expect("id"),
            role: RoleRef::Builtin(BuiltinRole::Learner),
            permissions: PermissionSet::default(),
            scope: Scope::Departments(vec![]),
            channel: groups_domain::Channel::Admin,
        });
    Who {
        user: user.to_owned(),
        caller,
    }
}

/// Picks an id of one kind: in scope, out of scope, foreign or unknown.
fn pick(rng: &mut Rng, pool: &[String]) -> String {
    pool[rng.below(pool.len())].clone()
}

/// A random request by `who`. In probe mode one id it names lies outside the caller's scope
/// (or in the other account), and every list it names holds just that id.
fn request(rng: &mut Rng, who: &Who, view: &View, foreign_group: &GroupId, n: usize) -> Request {
    // In title order: group ids are random and titles are not, so a seed replays one run.
    let mut titled: Vec<(&str, &String)> = view
        .groups
        .iter()
        .map(|(id, g)| (g.title.as_str(), id))
        .collect();
    titled.sort();
    let all_groups: Vec<String> = titled.into_iter().map(|(_, id)| id.clone()).collect();
    let all_users: Vec<String> = view.users.keys().cloned().collect();
    // The seeded tree and whatever requests created since.
    let mut departments: Vec<String> = view.tree.departments().map(|d| d.id.to_string()).collect();
    departments.sort();
    let outside_groups: Vec<String> = all_groups
        .iter()
        .filter(|g| !view.group_visible(who, g))
        .cloned()
        .chain([foreign_group.to_string()])
        .collect();
    let outside_users: Vec<String> = all_users
        .iter()
        .filter(|u| !view.user_visible(who, u))
        .cloned()
        .chain([FOREIGN_USER.to_owned()])
        .collect();
    let outside_departments: Vec<String> = departments
        .iter()
        .filter(|d| !view.department_visible(who, d))
        .cloned()
        .chain([FOREIGN_DEPARTMENT.to_owned()])
        .collect();
    let inside_groups: Vec<String> = all_groups
        .iter()
        .filter(|g| view.group_visible(who, g))
        .cloned()
        .chain(["grp-nope".to_owned()])
        .collect();
    let inside_users: Vec<String> = all_users
        .iter()
        .filter(|u| view.user_visible(who, u))
        .cloned()
        .chain(["usr-nope".to_owned()])
        .collect();
    let inside_departments: Vec<String> = departments
        .iter()
        .filter(|d| view.department_visible(who, d))
        .cloned()
        .chain(["dep-nope".to_owned()])
        .collect();
    let probe = rng.below(5) < 2;
    // Which slot carries the probe: 0 group, 1 user, 2 department.
    let slot = rng.below(3);
    let mut probe_id = None;
    let mut g = |rng: &mut Rng, probe_id: &mut Option<String>| {
        if probe && slot == 0 && probe_id.is_none() {
            let id = pick(rng, &outside_groups);
            *probe_id = Some(id.clone());
            id
        } else {
            pick(rng, &inside_groups)
        }
    };
    let u = |rng: &mut Rng, probe_id: &mut Option<String>| {
        if probe && slot == 1 && probe_id.is_none() {
            let id = pick(rng, &outside_users);
            *probe_id = Some(id.clone());
            id
        } else {
            pick(rng, &inside_users)
        }
    };
    let d = |rng: &mut Rng, probe_id: &mut Option<String>| {
        if probe && slot == 2 && probe_id.is_none() {
            let id = pick(rng, &outside_departments);
            *probe_id = Some(id.clone());
            id
        } else {
            pick(rng, &inside_departments)
        }
    };
    let rule =
        |rng: &mut Rng,
         probe_id: &mut Option<String>,
         g: &mut dyn FnMut(&mut Rng, &mut Option<String>) -> String| match rng.below(3) {
            0 => json!({"attr": "group", "op": "memberOf", "value": g(rng, probe_id)}),
            1 => json!({"attr": "department", "op": "inSubtree", "value": d(rng, probe_id)}),
            _ => json!({"all": [{"attr": "status", "op": "eq", "value": "active"},
                             {"attr": "department", "op": "eq", "value": d(rng, probe_id)}]}),
        };
    let too_many_groups = view.groups.len() > 40;
    let roles = [
        "trainer",
        "gen-role0",
        "gen-role1",
        "role-gen0",
        "role-nope",
    ];
    let mut req = match rng.below(25) {
        0 => Request::new("GET", format!("/groups?limit={}", 1 + rng.below(50)), None),
        1 if !too_many_groups => {
            let mut body = json!({"title": format!("Generated {n}")});
            match rng.below(3) {
                0 => body["ownerDepartmentId"] = json!(d(rng, &mut probe_id)),
                1 => {
                    body["kind"] = json!("smart");
                    body["ownerDepartmentId"] = json!(d(rng, &mut probe_id));
                    body["rule"] = rule(rng, &mut probe_id, &mut g);
                }
                _ => {
                    body["ownerDepartmentId"] = json!(d(rng, &mut probe_id));
                    body["userIds"] = json!([u(rng, &mut probe_id)]);
                }
            }
            Request::new("POST", "/groups".into(), Some(body))
        }
        1 | 2 => Request::new("GET", format!("/groups/{}", g(rng, &mut probe_id)), None),
        3 => {
            let id = g(rng, &mut probe_id);
            let body = if rng.below(2) == 0 {
                json!({"description": format!("edited {n}")})
            } else {
                json!({"rule": rule(rng, &mut probe_id, &mut g)})
            };
            Request::new("PATCH", format!("/groups/{id}"), Some(body))
        }
        4 => Request::new("DELETE", format!("/groups/{}", g(rng, &mut probe_id)), None),
        5 => Request::new(
            "DELETE",
            "/groups".into(),
            Some(json!({"groupIds": [g(rng, &mut probe_id)]})),
        ),
        6 => Request::new(
            "GET",
            format!("/groups/{}/members", g(rng, &mut probe_id)),
            None,
        ),
        7 | 8 => {
            let group = g(rng, &mut probe_id);
            let user = u(rng, &mut probe_id);
            let method = if rng.below(2) == 0 { "POST" } else { "DELETE" };
            Request::new(
                method,
                format!("/groups/{group}/members"),
                Some(json!({"userIds": [user]})),
            )
        }
        9 => Request::new(
            "GET",
            format!(
                "/users?departmentId={}&nested={}",
                d(rng, &mut probe_id),
                rng.below(2) == 0
            ),
            None,
        ),
        10 => Request::new(
            "GET",
            format!("/users/{}/groups", u(rng, &mut probe_id)),
            None,
        ),
        11 => Request::new(
            "GET",
            if rng.below(2) == 0 {
                "/departments".into()
            } else {
                "/me".into()
            },
            None,
        ),
        12 => Request::new(
            "POST",
            format!("/groups/{}/evaluate", g(rng, &mut probe_id)),
            None,
        ),
        13 => {
            let mut body = json!({"rule": rule(rng, &mut probe_id, &mut g)});
            if rng.below(2) == 0 {
                body["groupId"] = json!(g(rng, &mut probe_id));
            }
            // The preview, draft testing (on chosen users) and rule health take the same rule.
            let path = match rng.below(3) {
                0 => "/smart-groups/preview",
                1 => {
                    body["userIds"] = json!([u(rng, &mut probe_id), u(rng, &mut probe_id)]);
                    "/smart-groups/test"
                }
                _ => "/smart-groups/health",
            };
            Request::new("POST", path.into(), Some(body))
        }
        14 => {
            let group = g(rng, &mut probe_id);
            let user = u(rng, &mut probe_id);
            Request::new(
                "GET",
                format!("/groups/{group}/members/{user}/explain"),
                None,
            )
        }
        15 => {
            let group = g(rng, &mut probe_id);
            match rng.below(7) {
                0 => Request::new("GET", format!("/groups/{group}/rule-versions"), None),
                4 => Request::new("GET", format!("/groups/{group}/history"), None),
                5 => {
                    let user = u(rng, &mut probe_id);
                    Request::new("GET", format!("/users/{user}/history"), None)
                }
                6 => {
                    let when = time::OffsetDateTime::now_utc()
                        - time::Duration::seconds(rng.below(120) as i64);
                    let when = when
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default();
                    Request::new("GET", format!("/groups/{group}/members?asOf={when}"), None)
                }
                1 => Request::new("GET", format!("/groups/{group}/overrides"), None),
                2 => {
                    let effect = if rng.below(2) == 0 {
                        "include"
                    } else {
                        "exclude"
                    };
                    let body = json!({"userId": u(rng, &mut probe_id), "effect": effect,
                        "reason": format!("generated {n}")});
                    Request::new("POST", format!("/groups/{group}/overrides"), Some(body))
                }
                _ => {
                    let user = u(rng, &mut probe_id);
                    Request::new("DELETE", format!("/groups/{group}/overrides/{user}"), None)
                }
            }
        }
        16 | 17 => {
            // The path names an existing user in scope or a new one: never the probe (a PUT to
            // an unknown id creates a user, so it cannot answer like an out-of-scope one).
            let target = if rng.below(3) == 0 {
                format!("new-{n}")
            } else {
                pick(rng, &inside_users)
            };
            let roles = ["learner", "admin", "departmentAdmin", "owner", "trainer"];
            let mut body = json!({"email": format!("{target}@acme.example"), "firstName": "G",
                "lastName": "U", "departmentId": d(rng, &mut probe_id),
                "role": roles[rng.below(roles.len())]});
            if rng.below(3) == 0 {
                body["managedDepartmentIds"] = json!([d(rng, &mut probe_id)]);
            }
            Request::new("PUT", format!("/users/{target}"), Some(body))
        }
        19 => Request::new(
            "GET",
            format!("/departments/{}", d(rng, &mut probe_id)),
            None,
        ),
        20 => Request::new(
            "POST",
            "/departments".into(),
            Some(
                json!({"id": format!("gen-dep{n}"), "name": format!("Generated {n}"),
                "parentId": d(rng, &mut probe_id)}),
            ),
        ),
        21 => {
            let id = d(rng, &mut probe_id);
            let body = if rng.below(2) == 0 {
                json!({"name": format!("Renamed {n}")})
            } else {
                json!({"parentId": d(rng, &mut probe_id)})
            };
            Request::new("PATCH", format!("/departments/{id}"), Some(body))
        }
        22 => {
            // Mostly one a request created (the seeded ones are never empty).
            let created: Vec<String> = inside_departments
                .iter()
                .filter(|d| d.starts_with("gen-dep"))
                .cloned()
                .collect();
            let id = if !created.is_empty() && !probe && rng.below(3) > 0 {
                pick(rng, &created)
            } else {
                d(rng, &mut probe_id)
            };
            Request::new("DELETE", format!("/departments/{id}"), None)
        }
        23 => {
            let role = roles[rng.below(roles.len())];
            match rng.below(4) {
                0 => Request::new("GET", format!("/roles/{role}"), None),
                1 => Request::new("DELETE", format!("/roles/{role}"), None),
                2 => Request::new(
                    "PATCH",
                    format!("/roles/{role}"),
                    Some(json!({"permissions": ["groups:view"]})),
                ),
                _ => Request::new("GET", "/roles".into(), None),
            }
        }
        24 => Request::new(
            "POST",
            "/roles".into(),
            Some(
                json!({"id": format!("gen-role{}", rng.below(2)), "name": format!("Generated role {n}"),
                "permissions": ["groups:view"],
                "scope": if rng.below(2) == 0 { "account" } else { "managedDepartments" }}),
            ),
        ),
        _ => Request::new("DELETE", format!("/users/{}", u(rng, &mut probe_id)), None),
    };
    req.probe = probe_id;
    req
}

struct Failure<'a> {
    seed: u64,
    index: usize,
    who: &'a Who,
    request: &'a Request,
    reply: &'a Reply,
}

impl Failure<'_> {
    fn fail(&self, invariant: &str) -> ! {
        panic!(
            "scope invariant broken: {invariant}\n  seed {} request #{}\n  caller: {}\n  request: {} {} {}\n  answer: {} {}",
            self.seed,
            self.index,
            self.who.describe(),
            self.request.method,
            self.request.path,
            self.request
                .body
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default(),
            self.reply.status,
            self.reply.body
        )
    }
}

/// Walks a successful answer for anything the caller may not see.
fn check_visibility(failure: &Failure<'_>, view: &View, body: &Value) {
    let who = failure.who;
    // Ids the request itself named may be echoed (as not found); nothing else of the other
    // account may appear.
    let text = body.to_string();
    let asked = format!(
        "{} {}",
        failure.request.path,
        failure
            .request
            .body
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default()
    );
    for foreign in [
        FOREIGN_USER,
        FOREIGN_DEPARTMENT,
        "Globex",
        "globex.example",
        "Secret",
    ] {
        if text.contains(foreign) && !asked.contains(foreign) {
            failure.fail(&format!("the answer carries {foreign} of another account"));
        }
    }
    let own_record = failure.request.path == "/me";
    let wrote_user = failure.request.method == "PUT";
    let explaining =
        failure.request.path.ends_with("/explain") || failure.request.path == "/smart-groups/test";
    let mut stack = vec![body];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(map) => {
                if map.contains_key("email") {
                    let id = map.get("id").and_then(Value::as_str).unwrap_or_default();
                    let allowed = (own_record && id == who.user)
                        || wrote_user
                        || (who.may(Permission::UsersView) && view.user_visible(who, id));
                    if !allowed {
                        failure.fail(&format!("personal data of user {id}"));
                    }
                }
                if map.contains_key("memberCount") {
                    let id = map.get("id").and_then(Value::as_str).unwrap_or_default();
                    let owner = map.get("ownerDepartmentId").and_then(Value::as_str);
                    // A group is scoped by its stored path, as a user is: while a department
                    // move runs, its subtree's groups keep their old path until the move's
                    // slice rewrites it (README, departments). A group this request created
                    // is judged by the tree.
                    let visible = if view.groups.contains_key(id) {
                        view.group_visible(who, id)
                    } else {
                        match owner {
                            None => who.caller.scope == Scope::Account,
                            Some(d) => view.department_visible(who, d),
                        }
                    };
                    if !visible {
                        let stored = view.groups.get(id).map(|g| g.owner_department.clone());
                        failure.fail(&format!(
                            "group {id} outside the caller's scope (stored path {stored:?})"
                        ));
                    }
                }
                if let (Some(group), Some(_)) = (map.get("groupId"), map.get("title")) {
                    let id = group.as_str().unwrap_or_default();
                    if !view.group_visible(who, id) {
                        failure.fail(&format!("a membership in group {id} outside the scope"));
                    }
                }
                if let (Some(user), Some(_)) = (map.get("userId"), map.get("source")) {
                    let id = user.as_str().unwrap_or_default();
                    let marked = map.get("outOfScope") == Some(&Value::Bool(true));
                    if !marked && !view.user_visible(who, id) {
                        failure.fail(&format!("member {id} outside the scope is not marked"));
                    }
                }
                for key in ["sample", "joinSample", "leaveSample"] {
                    for id in map.get(key).and_then(Value::as_array).into_iter().flatten() {
                        let id = id.as_str().unwrap_or_default();
                        if !view.user_visible(who, id) {
                            failure.fail(&format!("preview sample {id} outside the scope"));
                        }
                    }
                }
                // History entries and past members: a member outside the scope is marked, and
                // a user's history shows no group outside the scope.
                let history = failure.request.path.ends_with("/history");
                let as_of = failure.request.path.contains("asOf=");
                if let Some(user) = map.get("userId").and_then(Value::as_str)
                    && ((history && map.contains_key("change")) || as_of)
                {
                    let marked = map.get("outOfScope") == Some(&Value::Bool(true));
                    let by_user = failure.request.path.starts_with("/users/");
                    if !by_user && !marked && !view.user_visible(who, user) {
                        failure.fail(&format!("history or past member {user} outside the scope"));
                    }
                    let group = map
                        .get("groupId")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if by_user
                        && who.caller.scope != Scope::Account
                        && !view.group_visible(who, group)
                    {
                        failure.fail(&format!(
                            "a user's history shows group {group} outside the scope"
                        ));
                    }
                }
                if let (Some(user), Some(_)) = (map.get("userId"), map.get("reason")) {
                    let id = user.as_str().unwrap_or_default();
                    if !view.user_visible(who, id) {
                        failure.fail(&format!("an override of user {id} outside the scope"));
                    }
                }
                if let (Some(user), Some(_)) = (map.get("userId"), map.get("matches")) {
                    let id = user.as_str().unwrap_or_default();
                    if !view.user_visible(who, id) {
                        failure.fail(&format!("a draft test of user {id} outside the scope"));
                    }
                }
                if !who.may(Permission::UsersView)
                    && map
                        .get("nearDuplicates")
                        .and_then(Value::as_array)
                        .is_some_and(|d| !d.is_empty())
                {
                    failure.fail("rule health shows directory values without users:view");
                }
                if explaining
                    && !who.may(Permission::UsersView)
                    && map
                        .get("attr")
                        .and_then(Value::as_str)
                        .is_some_and(|a| a != "group")
                    && map.get("actual").is_some_and(|a| !a.is_null())
                {
                    failure.fail("an explanation shows attribute values without users:view");
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
}

/// An answer with what legitimately differs between two equivalent requests taken out.
fn normalized(reply: &Reply, ids: &[&str]) -> String {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for key in [
                    "id",
                    "createdAt",
                    "updatedAt",
                    "requestedAt",
                    "startedAt",
                    "finishedAt",
                    "addedAt",
                    "title",
                    "version",
                    "savedAt",
                ] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut body = reply.body.clone();
    strip(&mut body);
    let mut text = format!("{} {body}", reply.status);
    for id in ids {
        text = replace_word(&text, id, "<id>");
    }
    text
}

/// Replaces `id` where it stands as a whole id (not inside a longer word such as a key).
fn replace_word(text: &str, id: &str, with: &str) -> String {
    let is_id_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(id) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + id.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_id_char) || after.is_some_and(is_id_char) {
            out.push_str(id);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + id.len()..];
    }
    out.push_str(rest);
    out
}

async fn run<S: Store + 'static>(
    api: Api<S>,
    seed: u64,
    requests: usize,
) -> BTreeMap<String, BTreeSet<u16>> {
    let mut rng = Rng(seed);
    let foreign_group = foreign_tenant(&api).await;
    let callers = callers(&api, &mut rng, 16).await;
    let mut probes = 0;
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut by_route: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    for index in 0..requests {
        let who = &resolve(&api, &callers[rng.below(callers.len())]).await;
        let view = View::read(&api).await;
        let request = request(&mut rng, who, &view, &foreign_group, index);
        // A PATCH carries the group's current version, as a client that read it would.
        let if_match =
            (request.method == "PATCH" && request.path.starts_with("/groups/")).then(|| {
                let id = request.path.trim_start_matches("/groups/");
                format!("\"{}\"", view.groups.get(id).map_or(1, |g| g.version))
            });
        let with_version = |call: HttpCall| match &if_match {
            Some(v) => call.header("if-match", v),
            None => call,
        };
        let call = with_version(request.call());
        let before = outside(&api, who, &foreign_group).await;
        let reply = api.as_user(&who.user, call).await;
        *by_status.entry(reply.status).or_default() += 1;
        let segment = request.path.split(['/', '?']).nth(1).unwrap_or_default();
        by_route
            .entry(format!("{} /{segment}", request.method))
            .or_default()
            .insert(reply.status);
        let failure = Failure {
            seed,
            index,
            who,
            request: &request,
            reply: &reply,
        };
        if reply.status >= 500 {
            failure.fail("a server error");
        }
        if reply.status < 300 {
            check_visibility(&failure, &view, &reply.body);
        }
        if outside(&api, who, &foreign_group).await != before {
            failure.fail("something outside the caller's scope changed");
        }
        if let Some(probe) = request.probe.clone() {
            probes += 1;
            let unknown = format!("unknown-{index}");
            let twin = request.replaced(&probe, &unknown);
            let twin_call = with_version(twin.call());
            let twin_reply = api.as_user(&who.user, twin_call).await;
            if normalized(&reply, &[&probe]) != normalized(&twin_reply, &[&unknown]) {
                failure.fail(&format!(
                    "{probe} (outside the scope) answers unlike an unknown id: {} {}",
                    twin_reply.status, twin_reply.body
                ));
            }
        }
    }
    // The generator reached both sides of every door.
    assert!(probes > requests / 10, "{probes} probes");
    for status in [200, 201, 204, 400, 403, 404] {
        assert!(
            by_status.get(&status).is_some_and(|n| *n > 0),
            "no {status} among {by_status:?}"
        );
    }
    let touched: BTreeSet<u16> = by_status.keys().copied().collect();
    assert!(touched.iter().all(|s| *s < 500), "{by_status:?}");
    by_route
}

const DIRECTORY_WRITES: [&str; 5] = [
    "POST /departments",
    "PATCH /departments",
    "DELETE /departments",
    "POST /roles",
    "PATCH /roles",
];

/// Each of `routes` succeeded at least once and was refused at least once, over the runs of
/// one store.
fn reached_both_sides(runs: &[BTreeMap<String, BTreeSet<u16>>], routes: &[&str]) {
    for route in routes {
        let seen: BTreeSet<u16> = runs
            .iter()
            .flat_map(|r| r.get(*route).cloned().unwrap_or_default())
            .collect();
        assert!(
            seen.iter().any(|s| *s < 300) && seen.iter().any(|s| *s >= 400),
            "{route}: {seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_callers_never_see_or_change_what_lies_outside_their_scope_in_memory() {
    let mut runs = Vec::new();
    for seed in [0x5C0_9E01, 0x5C0_9E02, 0x5C0_9E03, 0x5C0_9E04, 0x5C0_9E05] {
        runs.push(run(groups_tests::api::in_memory().await, seed, 1000).await);
    }
    reached_both_sides(&runs, &DIRECTORY_WRITES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_callers_never_see_or_change_what_lies_outside_their_scope_on_dynamodb_local() {
    let run = run(
        groups_tests::api::on_dynamodb_local().await,
        0x5C0_9E11,
        1000,
    )
    .await;
    // One seed here: the department writes, at least.
    reached_both_sides(&[run], &DIRECTORY_WRITES[..3]);
}
