//! Custom roles: `GET /roles`, `GET /roles/{id}` (with `roles:manage`, or `users:manage` to
//! pick roles for users), `POST /roles`, `PATCH /roles/{id}` and `DELETE /roles/{id}` (with
//! `roles:manage`). A role holds only what its manager holds.

use groups_domain::service_roles::{self, NewRole, RoleChange};
use groups_domain::{Permission, RoleId, Store};
use groups_http::wire::ListDto;
use groups_http::wire_directory::{NewRoleBody, RoleChangeBody, RoleDto, permissions};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, body, caller,
    created, json, no_content, query, respond,
};
use http::{Method, StatusCode};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "roles",
    trigger: Trigger::Http(&[
        Route {
            method: "GET",
            path: "/roles",
        },
        Route {
            method: "POST",
            path: "/roles",
        },
        Route {
            method: "GET",
            path: "/roles/{roleId}",
        },
        Route {
            method: "PATCH",
            path: "/roles/{roleId}",
        },
        Route {
            method: "DELETE",
            path: "/roles/{roleId}",
        },
    ]),
    access: Access::Any(&[Permission::RolesManage, Permission::UsersManage]),
    publishes: false,
    table: &["GetItem", "PutItem", "DeleteItem", "Query"],
};

const LISTING: &str = "roles";

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        if query::path_param(&req, "roleId").is_none() {
            if *req.method() == Method::POST {
                query::allow_only(&req, &[])?;
                let input: NewRoleBody = body::json_body(&req)?;
                let new = NewRole {
                    id: input.id,
                    name: input.name,
                    permissions: permissions(&input.permissions)?,
                    scope: input.scope,
                };
                let role = service_roles::create_role(&ctx.store, &caller, new).await?;
                let location = format!("/roles/{}", role.role.id);
                return created(&location, &RoleDto::from(role));
            }
            query::allow_only(&req, &["limit", "cursor"])?;
            let page = query::page(&req, LISTING)?;
            let roles = service_roles::list_roles(&ctx.store, &caller, &page).await?;
            return json(
                StatusCode::OK,
                &ListDto::from_page(roles, LISTING, RoleDto::from),
            );
        }
        let id = query::path_id(&req, "roleId", "role", RoleId::parse)?;
        query::allow_only(&req, &[])?;
        match *req.method() {
            Method::DELETE => {
                service_roles::delete_role(&ctx.store, &caller, &id).await?;
                no_content()
            }
            Method::PATCH => {
                let input: RoleChangeBody = body::json_body(&req)?;
                let change = RoleChange {
                    name: input.name,
                    permissions: input.permissions.as_deref().map(permissions).transpose()?,
                    scope: input.scope,
                };
                let role = service_roles::update_role(&ctx.store, &caller, &id, change).await?;
                json(StatusCode::OK, &RoleDto::from(role))
            }
            _ => {
                let role = service_roles::get_role(&ctx.store, &caller, &id).await?;
                json(StatusCode::OK, &RoleDto::from(role))
            }
        }
    })
    .await
}
