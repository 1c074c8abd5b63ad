//! `PUT /users/{userId}`: user sync from the platform's user service (`users:manage`). The
//! write is what moves the user in and out of smart groups (through the table's stream).

use groups_domain::{
    DepartmentId, Permission, ProfileValue, RoleRef, Store, User, UserId, UserStatus, service_users,
};
use groups_http::wire::UserDto;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, body, caller, json,
    query, respond,
};
use http::StatusCode;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "put-user",
    trigger: Trigger::Http(&[Route {
        method: "PUT",
        path: "/users/{userId}",
    }]),
    access: Access::All(&[Permission::UsersManage]),
    publishes: false,
    table: &["GetItem", "Query", "PutItem", "ConditionCheckItem"],
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UserBody {
    email: String,
    first_name: String,
    last_name: String,
    #[serde(default)]
    department_id: Option<String>,
    #[serde(default = "learner")]
    role: String,
    #[serde(default = "active")]
    status: UserStatus,
    #[serde(default)]
    job_title: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    created_at: Option<time::OffsetDateTime>,
    #[serde(default)]
    profile: BTreeMap<String, ProfileValue>,
    #[serde(default)]
    managed_department_ids: Vec<String>,
}

fn learner() -> String {
    "learner".into()
}

fn active() -> UserStatus {
    UserStatus::Active
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "userId", "user", UserId::parse)?;
        query::allow_only(&req, &[])?;
        let input: UserBody = body::json_body(&req)?;
        let department = input
            .department_id
            .map(|d| DepartmentId::parse("departmentId", d))
            .transpose()?;
        let managed = groups_http::wire::parse_ids_allow_empty(
            "managedDepartmentIds",
            input.managed_department_ids,
            50,
            DepartmentId::parse,
        )?;
        let user = User {
            id,
            email: input.email,
            first_name: input.first_name,
            last_name: input.last_name,
            department: None,
            role: RoleRef::parse("role", &input.role)?,
            status: input.status,
            job_title: input.job_title,
            created_at: input.created_at.unwrap_or_else(|| ctx.now()),
            profile: input.profile,
            managed_department_ids: managed,
            registered_at: None,
            updated_at: None,
        };
        let saved =
            service_users::put_user(&ctx.store, &caller, user, department, ctx.now()).await?;
        json(StatusCode::OK, &UserDto::from(saved))
    })
    .await
}
