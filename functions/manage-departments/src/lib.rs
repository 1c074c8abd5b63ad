//! `POST /departments`, `PATCH /departments/{id}` (rename, move) and `DELETE
//! /departments/{id}` with `departments:manage`, inside the caller's scope. A move answers 202:
//! the subtree's stored paths are rewritten by a job the table's stream drives, whose progress
//! `GET /departments/{id}` shows.

use groups_domain::service_departments::{self, DepartmentChange, NewDepartment};
use groups_domain::{DepartmentId, Permission, Store};
use groups_http::wire_directory::{DepartmentChangeBody, DepartmentDetailDto, NewDepartmentBody};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, body, caller,
    created, json, no_content, query, respond,
};
use http::{Method, StatusCode};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "manage-departments",
    trigger: Trigger::Http(&[
        Route {
            method: "POST",
            path: "/departments",
        },
        Route {
            method: "PATCH",
            path: "/departments/{departmentId}",
        },
        Route {
            method: "DELETE",
            path: "/departments/{departmentId}",
        },
    ]),
    access: Access::All(&[Permission::DepartmentsManage]),
    publishes: false,
    table: &[
        "PutItem",
        "DeleteItem",
        "Query",
        "Query GSI1",
        "Query GSI2",
        "Query GSI3",
        "BatchGetItem",
    ],
};

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        query::allow_only(&req, &[])?;
        if *req.method() == Method::POST {
            let input: NewDepartmentBody = body::json_body(&req)?;
            let located = service_departments::create_department(
                &ctx.store,
                &caller,
                NewDepartment {
                    id: input.id,
                    name: input.name,
                    parent_id: input.parent_id,
                },
            )
            .await?;
            let location = format!("/departments/{}", located.department.id);
            return created(&location, &DepartmentDetailDto::new(located, None));
        }
        let id = query::path_id(&req, "departmentId", "department", DepartmentId::parse)?;
        if *req.method() == Method::DELETE {
            service_departments::delete_department(&ctx.store, &caller, &id).await?;
            return no_content();
        }
        let input: DepartmentChangeBody = body::json_body(&req)?;
        let change = DepartmentChange {
            name: input.name,
            parent_id: input.parent_id,
        };
        let located =
            service_departments::update_department(&ctx.store, &caller, &id, change, ctx.now())
                .await?;
        let status = if located.department.is_moving() {
            StatusCode::ACCEPTED
        } else {
            StatusCode::OK
        };
        json(status, &DepartmentDetailDto::new(located, None))
    })
    .await
}
