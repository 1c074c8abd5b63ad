//! `DELETE /users/{userId}`: user sync (`users:manage`); the user then leaves every group
//! (through the table's stream).

use groups_domain::{Permission, Store, UserId, service_users};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, no_content,
    query, respond,
};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "delete-user",
    trigger: Trigger::Http(&[Route {
        method: "DELETE",
        path: "/users/{userId}",
    }]),
    access: Access::All(&[Permission::UsersManage]),
    publishes: false,
    table: &["GetItem", "Query", "DeleteItem", "ConditionCheckItem"],
};

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        let id = query::path_id(&req, "userId", "user", UserId::parse)?;
        query::allow_only(&req, &[])?;
        service_users::delete_user(&ctx.store, &caller, &id).await?;
        no_content()
    })
    .await
}
