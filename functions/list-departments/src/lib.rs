//! `GET /departments`: the department tree within the caller's scope, flat (by id) or as a tree
//! (`shape=tree`: depth first, parents before children), paged; and `GET /departments/{id}`:
//! one department with its counts and its last move's progress.

use groups_domain::service_departments::{self, Shape};
use groups_domain::{DepartmentId, Error, Permission, Store};
use groups_http::wire::ListDto;
use groups_http::wire_directory::{DepartmentDetailDto, DepartmentDto};
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, Trigger, caller, json, query,
    respond,
};
use http::StatusCode;

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "list-departments",
    trigger: Trigger::Http(&[
        Route {
            method: "GET",
            path: "/departments",
        },
        Route {
            method: "GET",
            path: "/departments/{departmentId}",
        },
    ]),
    // users:view, or groups:view for callers who only pick owning departments.
    access: Access::Any(&[
        Permission::UsersView,
        Permission::GroupsView,
        Permission::DepartmentsManage,
    ]),
    publishes: false,
    table: &[
        "Query",
        "Query GSI1",
        "Query GSI2",
        "Query GSI3",
        "BatchGetItem",
    ],
};

fn shape(req: &Request) -> Result<Shape, Error> {
    match query::param(req, "shape").as_deref() {
        None | Some("flat") => Ok(Shape::Flat),
        Some("tree") => Ok(Shape::Tree),
        Some(_) => Err(Error::validation("shape", "must be flat or tree")),
    }
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    respond(async {
        let caller = caller(&req)?;
        if query::path_param(&req, "departmentId").is_none() {
            query::allow_only(&req, &["limit", "cursor", "shape"])?;
            let shape = shape(&req)?;
            // Cursors of the two orders differ, so each has its own listing name.
            let listing = match shape {
                Shape::Flat => "departments",
                Shape::Tree => "departments-tree",
            };
            let page = query::page(&req, listing)?;
            let departments =
                service_departments::list_departments(&ctx.store, &caller, shape, &page).await?;
            return json(
                StatusCode::OK,
                &ListDto::from_page(departments, listing, DepartmentDto::from),
            );
        }
        let id = query::path_id(&req, "departmentId", "department", DepartmentId::parse)?;
        query::allow_only(&req, &[])?;
        let (located, counts) =
            service_departments::get_department(&ctx.store, &caller, &id).await?;
        json(
            StatusCode::OK,
            &DepartmentDetailDto::new(located, Some(counts)),
        )
    })
    .await
}
