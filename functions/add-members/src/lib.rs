//! `POST /groups/{groupId}/members {userIds}`: add up to 1,000 users at once. Answers which
//! were added, already members, not found and out of the caller's scope; repeating a call
//! changes nothing. A `text/csv` body imports a file naming users by `userId` or `email`: up
//! to 1,000 rows at once with each row's outcome, more (up to 50,000) as a job that answers
//! 202 with its progress at `/groups/{groupId}/imports/{importId}`.

use groups_domain::{GroupId, Permission, Store, import_job, service_csv};
use groups_http::csv_members;
use groups_http::wire::ImportJobDto;
use groups_http::{
    Access, Body, Deps, FunctionDescriptor, Request, Response, Route, StatusCode, Trigger, caller,
    json, query, respond,
};

pub const DESCRIPTOR: FunctionDescriptor = FunctionDescriptor {
    name: "add-members",
    trigger: Trigger::Http(&[Route {
        method: "POST",
        path: "/groups/{groupId}/members",
    }]),
    access: Access::All(&[Permission::GroupsMembers]),
    publishes: false,
    table: &[
        "BatchGetItem",
        "UpdateItem",
        "PutItem",
        "ConditionCheckItem",
        // A CSV import by email reads the caller's users.
        "Query",
        "Query GSI1",
        // A large CSV import stores its rows and progress as checkpoints.
        "GetItem",
    ],
};

mod by_ids {
    groups_http::member_edit_handler!(groups_domain::service::add_members, now);
}

pub async fn handle<S: Store>(ctx: &Deps<S>, req: Request) -> Response<Body> {
    if !csv_members::sends_csv(&req) {
        return by_ids::handle(ctx, req).await;
    }
    respond(async {
        let caller = caller(&req)?;
        let group = query::path_id(&req, "groupId", "group", GroupId::parse)?;
        query::allow_only(&req, &[])?;
        let rows = csv_members::import_rows(&req)?;
        if import_job::needs_job(&rows) {
            let job =
                import_job::start_import(&ctx.store, &caller, &group, rows, ctx.now()).await?;
            let location = format!("/groups/{group}/imports/{}", job.id);
            let mut response = json(
                StatusCode::ACCEPTED,
                &ImportJobDto::new(job, Vec::new(), None),
            )?;
            if let Ok(value) = http::HeaderValue::from_str(&location) {
                response.headers_mut().insert(http::header::LOCATION, value);
            }
            return Ok(response);
        }
        let outcome =
            service_csv::import_members(&ctx.store, &caller, &group, rows, ctx.now()).await?;
        json(StatusCode::OK, &outcome)
    })
    .await
}
